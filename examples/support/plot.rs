//! A small line plot written as a PNG file, with no dependency: enough for the examples to show
//! trajectories. Series are drawn as polylines or dots in given colours on a white canvas with a
//! frame; the examples print which colour is which.

use std::io::Write;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// How a series is drawn.
pub enum Style {
    /// Points joined by straight lines.
    Line,
    /// Separate dots.
    Dots,
}

/// One series of points `(x, y)`.
pub struct Series<'a> {
    /// The points.
    pub points: &'a [(f64, f64)],
    /// The colour.
    pub color: Rgb,
    /// Line or dots.
    pub style: Style,
}

/// A canvas of `width` by `height` pixels.
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<Rgb>,
}

impl Canvas {
    /// A white canvas.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: vec![[255, 255, 255]; width * height],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = c;
        }
    }

    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb) {
        // Bresenham.
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.set(x, y, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Draws `series` in the rectangle `(left, top, width, height)` of the canvas, scaled to the
    /// series' common bounds, with a frame.
    pub fn panel(&mut self, (left, top, w, h): (usize, usize, usize, usize), series: &[Series]) {
        let all = series.iter().flat_map(|s| s.points.iter());
        let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        let pad = 0.05 * (y_max - y_min).max(1e-12);
        let (y_min, y_max) = (y_min - pad, y_max + pad);
        let to_pixel = |(x, y): (f64, f64)| {
            let px = left as f64 + (x - x_min) / (x_max - x_min).max(1e-12) * (w - 1) as f64;
            let py = top as f64 + (y_max - y) / (y_max - y_min) * (h - 1) as f64;
            (px.round() as i64, py.round() as i64)
        };
        let grey = [160, 160, 160];
        let (l, t, r, b) = (
            left as i64,
            top as i64,
            (left + w - 1) as i64,
            (top + h - 1) as i64,
        );
        self.line((l, t), (r, t), grey);
        self.line((r, t), (r, b), grey);
        self.line((r, b), (l, b), grey);
        self.line((l, b), (l, t), grey);
        for s in series {
            match s.style {
                Style::Line => {
                    for pair in s.points.windows(2) {
                        self.line(to_pixel(pair[0]), to_pixel(pair[1]), s.color);
                    }
                }
                Style::Dots => {
                    for &p in s.points {
                        let (x, y) = to_pixel(p);
                        for (dx, dy) in [
                            (0, 0),
                            (1, 0),
                            (-1, 0),
                            (0, 1),
                            (0, -1),
                            (1, 1),
                            (-1, -1),
                            (1, -1),
                            (-1, 1),
                        ] {
                            self.set(x + dx, y + dy, s.color);
                        }
                    }
                }
            }
        }
    }

    /// A panel of a data-assimilation figure, in the colours every example uses: the first
    /// guess (background) blue, the result (analysis) red, the truth black, observations as
    /// green dots.
    pub fn assimilation_panel(
        &mut self,
        rect: (usize, usize, usize, usize),
        truth: &[(f64, f64)],
        first_guess: &[(f64, f64)],
        result: &[(f64, f64)],
        observations: &[(f64, f64)],
    ) {
        self.panel(
            rect,
            &[
                Series {
                    points: first_guess,
                    color: [40, 90, 220],
                    style: Style::Line,
                },
                Series {
                    points: result,
                    color: [220, 40, 40],
                    style: Style::Line,
                },
                Series {
                    points: truth,
                    color: [0, 0, 0],
                    style: Style::Line,
                },
                Series {
                    points: observations,
                    color: [20, 160, 60],
                    style: Style::Dots,
                },
            ],
        );
    }

    /// Writes the canvas as an 8-bit RGB PNG (stored, uncompressed deflate blocks).
    pub fn save_png(&self, path: &str) -> std::io::Result<()> {
        let mut raw = Vec::with_capacity(self.height * (1 + 3 * self.width));
        for row in self.pixels.chunks(self.width) {
            raw.push(0); // filter: none
            for p in row {
                raw.extend_from_slice(p);
            }
        }
        let mut zlib = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
        for (i, block) in blocks.iter().enumerate() {
            zlib.push(u8::from(i + 1 == blocks.len()));
            let len = block.len() as u16;
            zlib.extend_from_slice(&len.to_le_bytes());
            zlib.extend_from_slice(&(!len).to_le_bytes());
            zlib.extend_from_slice(block);
        }
        zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&(self.width as u32).to_be_bytes());
        ihdr.extend_from_slice(&(self.height as u32).to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB
        let mut file = std::fs::File::create(path)?;
        file.write_all(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])?;
        for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &zlib), (b"IEND", &Vec::new())] {
            file.write_all(&(data.len() as u32).to_be_bytes())?;
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(data);
            file.write_all(&chunk)?;
            file.write_all(&crc32(&chunk).to_be_bytes())?;
        }
        Ok(())
    }
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + u32::from(d)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &d in data {
        crc ^= u32::from(d);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
