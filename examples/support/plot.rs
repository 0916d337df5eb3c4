//! The examples' figures, drawn with plotters: a title, one legend, and one or more panels
//! stacked vertically, each with axes, ticks, axis labels with units and a title; saved as a
//! compressed PNG (or as SVG when the example is run with `--svg`), with the plotted series
//! written beside the figure as CSV.
//!
//! The text is set in DejaVu Sans, shipped by the `dejavu` crate and handed to plotters as bytes,
//! so a figure needs no system font and no fontconfig.

// Shared by the examples by `#[path]`; each uses a part.
#![allow(dead_code)]

use std::error::Error;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How a series is drawn. Series are drawn in the order given, so put the one that must stay
/// visible (the analysis) after the ones it overlaps (the truth).
#[derive(Clone, Copy)]
pub enum Style {
    /// A solid line of the given width in pixels.
    Line(RGBColor, u32),
    /// A dashed line of the given width in pixels.
    Dashed(RGBColor, u32),
    /// Filled circles of the given radius in pixels, not joined.
    Markers(RGBColor, u32),
}

/// One labelled series of points `(x, y)`.
pub struct Series<'a> {
    /// The legend's text.
    pub label: &'a str,
    /// The points.
    pub points: &'a [(f64, f64)],
    /// Line, dashes or markers, with colour and size.
    pub style: Style,
}

/// One panel: a title, axis labels with units, and its series.
pub struct Panel<'a> {
    /// The panel's title.
    pub title: String,
    /// The x axis's label, with its unit.
    pub x_label: String,
    /// The y axis's label, with its unit.
    pub y_label: String,
    /// The series, drawn in this order.
    pub series: Vec<Series<'a>>,
}

/// Colour-blind-safe colours (Okabe and Ito), and black for the truth.
pub mod color {
    use plotters::style::RGBColor;
    /// The truth.
    pub const TRUTH: RGBColor = RGBColor(0, 0, 0);
    /// Observations.
    pub const OBSERVATIONS: RGBColor = RGBColor(0, 158, 115);
    /// The background, or the first guess.
    pub const BACKGROUND: RGBColor = RGBColor(0, 114, 178);
    /// The analysis, or the fitted result.
    pub const ANALYSIS: RGBColor = RGBColor(213, 94, 0);
}

/// The series of one component in a 4D-Var figure: the truth (thin), the background, the
/// analysis (dashed, on top) and, when the component is observed, the observations as markers
/// labelled `observations`.
pub fn assimilation<'a>(
    truth: &'a [(f64, f64)],
    background: &'a [(f64, f64)],
    analysis: &'a [(f64, f64)],
    observations: &'a [(f64, f64)],
    observations_label: &'a str,
) -> Vec<Series<'a>> {
    let mut series = vec![
        Series {
            label: "truth",
            points: truth,
            style: Style::Line(color::TRUTH, 1),
        },
        Series {
            label: "background",
            points: background,
            style: Style::Line(color::BACKGROUND, 2),
        },
        Series {
            label: "analysis",
            points: analysis,
            style: Style::Dashed(color::ANALYSIS, 3),
        },
    ];
    if !observations.is_empty() {
        series.push(Series {
            label: observations_label,
            points: observations,
            style: Style::Markers(color::OBSERVATIONS, 4),
        });
    }
    series
}

/// `--svg` on the example's command line asks for SVG instead of PNG.
pub fn svg_requested() -> bool {
    std::env::args().skip(1).any(|a| a == "--svg")
}

/// Draws `panels` stacked vertically under `title` into `stem.png` (or `stem.svg` with `--svg`)
/// of `width` by `height` pixels, and writes their series to `stem.csv` (columns `panel`,
/// `series`, `x`, `y`; every value printed so that it reads back exactly). Returns the paths
/// written.
pub fn save(
    stem: &str,
    title: &str,
    (width, height): (u32, u32),
    panels: &[Panel],
) -> Result<Vec<String>, Box<dyn Error>> {
    register_font()?;
    let figure = if svg_requested() {
        let path = format!("{stem}.svg");
        draw(
            SVGBackend::new(&path, (width, height)).into_drawing_area(),
            title,
            panels,
            0,
        )?;
        path
    } else {
        let path = format!("{stem}.png");
        draw(
            BitMapBackend::new(&path, (width, height)).into_drawing_area(),
            title,
            panels,
            PNG_TEXT_RISE,
        )?;
        path
    };
    let csv = format!("{stem}.csv");
    std::fs::write(&csv, to_csv(panels))?;
    Ok(vec![figure, csv])
}

fn register_font() -> Result<(), Box<dyn Error>> {
    for (style, bytes) in [
        (FontStyle::Normal, dejavu::sans::regular()),
        (FontStyle::Bold, dejavu::sans::bold()),
    ] {
        plotters::style::register_font("sans-serif", style, bytes)
            .map_err(|_| "the DejaVu Sans font did not load")?;
    }
    Ok(())
}

fn to_csv(panels: &[Panel]) -> String {
    let mut out = String::from("panel,series,x,y\n");
    for panel in panels {
        for series in &panel.series {
            for (x, y) in series.points {
                // Rust prints the shortest decimal that reads back to the same f64.
                let _ = writeln!(out, "\"{}\",\"{}\",{x:?},{y:?}", panel.title, series.label);
            }
        }
    }
    out
}

/// The range of the values, widened by `margin` times its span on each side.
fn range(values: impl Iterator<Item = f64>, margin: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    lo - margin * span..hi + margin * span
}

/// The step between two ticks as plotters chooses it, about: the smallest of 1, 2 and 5 times a
/// power of ten that gives at most 10 intervals.
fn tick_step(range: &std::ops::Range<f64>) -> f64 {
    let raw = (range.end - range.start) / 10.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// A tick's value with as many decimals as the ticks' step needs: `8`, `0.2`, `1.5e-5`.
fn tick_label(value: f64, step: f64) -> String {
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    if decimals > 4 {
        format!("{value:.1e}")
    } else {
        format!("{value:.decimals$}")
    }
}

/// In a PNG, plotters' ab_glyph text sits about 3 pixels above the centre of its line at the
/// legend's size, so the legend's samples are raised to match it; an SVG viewer centres the
/// text itself.
const PNG_TEXT_RISE: i32 = -3;

/// Draws one series's legend sample, 28 pixels wide, with its left end at `(x, y)`.
fn draw_sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    (x, y): (i32, i32),
    text_rise: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let y = y + text_rise;
    match style {
        Style::Line(color, width) => area.draw(&PathElement::new(
            [(x, y), (x + 28, y)],
            color.stroke_width(width),
        )),
        Style::Dashed(color, width) => {
            let style = color.stroke_width(width);
            area.draw(&PathElement::new([(x, y), (x + 9, y)], style))?;
            area.draw(&PathElement::new([(x + 16, y), (x + 28, y)], style))
        }
        Style::Markers(color, radius) => {
            area.draw(&Circle::new((x + 14, y), radius as i32, color.filled()))
        }
    }
}

/// One legend for the whole figure, in rows under the title, so that it never hides data:
/// every label of every panel once, in the order of first appearance. Takes the top of `area`
/// and returns the rest.
fn draw_legend<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    panels: &[Panel],
    text_rise: i32,
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let mut entries: Vec<(&str, Style)> = Vec::new();
    for series in panels.iter().flat_map(|p| &p.series) {
        if !entries.iter().any(|(label, _)| *label == series.label) {
            entries.push((series.label, series.style));
        }
    }
    let font: TextStyle = ("sans-serif", 15).into_font().into();
    let (sample, gap, spacing, row_height) = (28, 6, 26, 24);
    // Entries as (row, x, width), rows filled left to right within the figure's width.
    let available = area.dim_in_pixel().0 as i32 - 40;
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut used = 0;
    for (i, (label, _)) in entries.iter().enumerate() {
        let width = sample + gap + area.estimate_text_size(label, &font)?.0 as i32;
        let row = rows.last_mut().expect("one row at least");
        if !row.is_empty() && used + spacing + width > available {
            rows.push(Vec::new());
            used = 0;
        }
        let row = rows.last_mut().expect("one row at least");
        if !row.is_empty() {
            used += spacing;
        }
        row.push((i, width));
        used += width;
    }
    let (legend, rest) = area.split_vertically(row_height * rows.len() as i32 + 8);
    let text_style = font.pos(Pos::new(HPos::Left, VPos::Center));
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|(_, w)| w).sum::<i32>() + spacing * (row.len() as i32 - 1);
        let mut x = (legend.dim_in_pixel().0 as i32 - total) / 2;
        let y = row_height * r as i32 + row_height / 2 + 4;
        for &(i, width) in row {
            let (label, style) = entries[i];
            draw_sample(&legend, style, (x, y), text_rise)?;
            legend.draw(&Text::new(label, (x + sample + gap, y), text_style.clone()))?;
            x += width + spacing;
        }
    }
    Ok(rest)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    panels: &[Panel],
    text_rise: i32,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let body = root.titled(title, ("sans-serif", 24).into_font().style(FontStyle::Bold))?;
    let body = draw_legend(body, panels, text_rise)?;
    for (area, panel) in body.split_evenly((panels.len(), 1)).iter().zip(panels) {
        let points = || panel.series.iter().flat_map(|s| s.points.iter());
        // Lines start and end at the axes; markers there would be cut in half.
        let markers = panel
            .series
            .iter()
            .any(|s| matches!(s.style, Style::Markers(..)));
        let x_range = range(points().map(|p| p.0), if markers { 0.012 } else { 0.0 });
        let y_range = range(points().map(|p| p.1), 0.06);
        let (x_step, y_step) = (tick_step(&x_range), tick_step(&y_range));
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc(&panel.x_label)
            .y_desc(&panel.y_label)
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|v| tick_label(*v, x_step))
            .y_label_formatter(&|v| tick_label(*v, y_step))
            .max_light_lines(0)
            .bold_line_style(RGBColor(222, 222, 222))
            .draw()?;
        for series in &panel.series {
            let points = series.points.iter().copied();
            match series.style {
                Style::Line(color, width) => {
                    chart.draw_series(LineSeries::new(points, color.stroke_width(width)))?;
                }
                Style::Dashed(color, width) => {
                    let style = color.stroke_width(width);
                    chart.draw_series(DashedLineSeries::new(points, 9, 7, style))?;
                }
                Style::Markers(color, radius) => {
                    let radius = radius as i32;
                    chart.draw_series(points.map(|p| Circle::new(p, radius, color.filled())))?;
                }
            }
        }
    }
    root.present()?;
    Ok(())
}
