//! From options to a plan: every input checked once, before any step, then the step grid (or
//! the controller of adaptive steps) and the grid index of every saved state.

use super::error::OdeError;
use super::problem::{Controller, SaveAt, SolveOptions, StepSize};

/// More steps than this is taken as a step size too small to be meant.
const MAX_STEPS: f64 = 4_503_599_627_370_496.0; // 2^52

/// The steps of an integration, known before it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Grid {
    /// `steps` steps of `h` from `t0`; step `k` starts at `t0 + k h`.
    Uniform { t0: f64, h: f64, steps: usize },
    /// Steps between consecutive times.
    Times(Vec<f64>),
}

impl Grid {
    /// The number of steps.
    pub(crate) fn steps(&self) -> usize {
        match self {
            Grid::Uniform { steps, .. } => *steps,
            Grid::Times(times) => times.len() - 1,
        }
    }

    /// The time of grid point `k`.
    #[inline]
    pub(crate) fn time(&self, k: usize) -> f64 {
        match self {
            Grid::Uniform { t0, h, .. } => {
                if k == 0 {
                    *t0
                } else {
                    t0 + k as f64 * h
                }
            }
            Grid::Times(times) => times[k],
        }
    }

    /// The start time and size of step `k`.
    #[inline]
    pub(crate) fn step(&self, k: usize) -> (f64, f64) {
        match self {
            Grid::Uniform { h, .. } => (self.time(k), *h),
            Grid::Times(times) => (times[k], times[k + 1] - times[k]),
        }
    }

    /// The grid point nearest to `t` (which lies in the span, up to the tolerance).
    fn nearest(&self, t: f64) -> usize {
        match self {
            Grid::Uniform { t0, h, steps } => {
                let k = ((t - t0) / h).round();
                if k <= 0.0 {
                    0
                } else {
                    (k as usize).min(*steps)
                }
            }
            Grid::Times(times) => {
                let above = times.partition_point(|&x| x < t).min(times.len() - 1);
                if above > 0 && t - times[above - 1] < times[above] - t {
                    above - 1
                } else {
                    above
                }
            }
        }
    }
}

/// A saved state: the time reported for it and where it is taken: at grid point `index`, or,
/// when `dense`, inside step `index` (between grid points `index` and `index + 1`) by the
/// Hermite interpolant (`dense.rs`). Saves are in time order, so a dense save inside step `k`
/// comes after the saves at grid point `k` and before those at `k + 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Save {
    pub(crate) t: f64,
    pub(crate) index: usize,
    pub(crate) dense: bool,
}

impl Save {
    /// A save at grid point `index`.
    pub(crate) fn at_grid(t: f64, index: usize) -> Self {
        Self {
            t,
            index,
            dense: false,
        }
    }

    /// Whether this is a save at grid point `k` itself.
    #[inline]
    pub(crate) fn at(&self, k: usize) -> bool {
        !self.dense && self.index == k
    }

    /// Whether this is a save interpolated inside step `k`.
    #[inline]
    pub(crate) fn inside(&self, k: usize) -> bool {
        self.dense && self.index == k
    }
}

/// The steps up to the last saved state (which derivatives integrate): the last grid point
/// saved, or the end of the step the last interpolated state lies in.
pub(crate) fn steps_to_last_save(saves: &[Save]) -> usize {
    saves.last().map_or(0, |s| s.index + usize::from(s.dense))
}

/// Where adaptive steps save.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AdaptiveSaves<'o> {
    /// At the start and after every accepted step.
    Every,
    /// At these times (in the span, non-decreasing), which steps land on exactly, or, with
    /// [`Controller::dense`], which the continuous extension interpolates inside the steps.
    Times(&'o [f64]),
}

/// A checked integration plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan<'o> {
    /// Steps known in advance.
    Grid { grid: Grid, saves: Vec<Save> },
    /// Steps chosen by error control, from `t0` to `t1`.
    Adaptive {
        controller: &'o Controller,
        t0: f64,
        t1: f64,
        saves: AdaptiveSaves<'o>,
    },
}

impl Plan<'_> {
    /// The number of saved states, when it is known before integrating (not for adaptive
    /// steps that save every accepted step).
    pub(crate) fn saves(&self) -> Option<usize> {
        match self {
            Plan::Grid { saves, .. } => Some(saves.len()),
            Plan::Adaptive {
                saves: AdaptiveSaves::Times(times),
                ..
            } => Some(times.len()),
            Plan::Adaptive {
                saves: AdaptiveSaves::Every,
                ..
            } => None,
        }
    }
}

/// How far a requested time may be from a step time and still be that step time: a millionth
/// of a step, or the rounding of times of this size, but never a quarter step.
fn tolerance(h: f64, t0: f64, t1: f64) -> f64 {
    (1e-6 * h).max(1e-14 * t0.abs().max(t1.abs())).min(0.25 * h)
}

/// Checks `options` for the span and returns the plan.
pub(crate) fn plan(tspan: (f64, f64), options: &SolveOptions) -> Result<Plan<'_>, OdeError> {
    let (t0, t1) = tspan;
    if !(t0.is_finite() && t1.is_finite() && t0 <= t1) {
        return Err(OdeError::InvalidSpan { t0, t1 });
    }
    match &options.step {
        &StepSize::Fixed(h) => {
            if !(h.is_finite() && h > 0.0) {
                return Err(OdeError::InvalidStep { h });
            }
            let steps = ((t1 - t0) / h).round();
            if steps.is_nan() || steps > MAX_STEPS {
                return Err(OdeError::InvalidStep { h });
            }
            let tol = tolerance(h, t0, t1);
            if (t0 + steps * h - t1).abs() > tol {
                return Err(OdeError::SpanNotOnGrid { t0, t1, h });
            }
            let grid = Grid::Uniform {
                t0,
                h,
                steps: steps as usize,
            };
            let saves = grid_saves(&grid, &options.saveat, t0, t1, tol)?;
            Ok(Plan::Grid { grid, saves })
        }
        StepSize::StepTo(times) => {
            let bad = |index: usize| OdeError::InvalidStepTimes {
                index,
                t: times.get(index).copied().unwrap_or(f64::NAN),
            };
            if times.is_empty() {
                return Err(bad(0));
            }
            if times[0] != t0 {
                return Err(bad(0));
            }
            let mut smallest = f64::INFINITY;
            for i in 1..times.len() {
                let (a, b) = (times[i - 1], times[i]);
                if !(b.is_finite() && b > a) {
                    return Err(bad(i));
                }
                smallest = smallest.min(b - a);
            }
            if times[times.len() - 1] != t1 {
                return Err(bad(times.len() - 1));
            }
            let tol = if smallest.is_finite() {
                tolerance(smallest, t0, t1)
            } else {
                0.0
            };
            let grid = Grid::Times(times.clone());
            let saves = grid_saves(&grid, &options.saveat, t0, t1, tol)?;
            Ok(Plan::Grid { grid, saves })
        }
        StepSize::Adaptive(controller) => {
            if !options.tableau.has_error_estimate() {
                return Err(OdeError::NoErrorEstimate);
            }
            controller.validate()?;
            if controller.dense && !options.tableau.continuous() {
                return Err(OdeError::NoContinuousExtension);
            }
            let saves = match &options.saveat {
                SaveAt::Steps => AdaptiveSaves::Every,
                SaveAt::Times(times) => {
                    check_times(times, t0, t1, 0.0)?;
                    AdaptiveSaves::Times(times)
                }
            };
            Ok(Plan::Adaptive {
                controller,
                t0,
                t1,
                saves,
            })
        }
    }
}

/// Checks that `times` lie in the span (up to `tol`) and do not decrease.
fn check_times(times: &[f64], t0: f64, t1: f64, tol: f64) -> Result<(), OdeError> {
    for (index, &t) in times.iter().enumerate() {
        if !(t >= t0 - tol && t <= t1 + tol) {
            return Err(OdeError::SaveatOutsideSpan { index, t, t0, t1 });
        }
        if index > 0 && t < times[index - 1] {
            return Err(OdeError::SaveatNotMonotone {
                index,
                t,
                previous: times[index - 1],
            });
        }
    }
    Ok(())
}

/// The saved states of a grid integration.
fn grid_saves(
    grid: &Grid,
    saveat: &SaveAt,
    t0: f64,
    t1: f64,
    tol: f64,
) -> Result<Vec<Save>, OdeError> {
    match saveat {
        SaveAt::Steps => Ok((0..=grid.steps())
            .map(|index| Save::at_grid(grid.time(index), index))
            .collect()),
        SaveAt::Times(times) => {
            check_times(times, t0, t1, tol)?;
            Ok(times
                .iter()
                .map(|&t| {
                    let index = grid.nearest(t);
                    let nearest = grid.time(index);
                    // The step holding t (none if t is within the span's tolerance of an end
                    // that is not bitwise a grid time: then that end is the nearest).
                    let step = if t < nearest {
                        index.checked_sub(1)
                    } else {
                        Some(index).filter(|&k| k < grid.steps())
                    };
                    match step {
                        Some(step) if (t - nearest).abs() > tol => Save {
                            t,
                            index: step,
                            dense: true,
                        },
                        _ => Save::at_grid(t, index),
                    }
                })
                .collect::<Vec<_>>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ode::Tableau;

    fn fixed(h: f64, saveat: SaveAt) -> SolveOptions {
        SolveOptions::fixed(Tableau::rk4(), h).saveat(saveat)
    }

    fn saves(plan: Plan<'_>) -> Vec<(f64, usize)> {
        match plan {
            Plan::Grid { saves, .. } => saves.iter().map(|s| (s.t, s.index)).collect(),
            Plan::Adaptive { .. } => panic!("not a grid"),
        }
    }

    #[test]
    fn saved_times_snap_to_the_grid() {
        // The seed problem's grid: t from 1 to 10 by 0.1.
        let times: Vec<f64> = (0..=30).map(|j| 1.0 + 0.1 * (3 * j) as f64).collect();
        let options = fixed(0.1, SaveAt::Times(times.clone()));
        let checked = plan((1.0, 10.0), &options).unwrap();
        match &checked {
            Plan::Grid { grid, .. } => assert_eq!(grid.steps(), 90),
            Plan::Adaptive { .. } => unreachable!(),
        }
        let got = saves(checked);
        assert_eq!(got.len(), 31);
        for (j, &(t, index)) in got.iter().enumerate() {
            assert_eq!((t, index), (times[j], 3 * j));
        }
        // A time a hair past the end of the span is its end.
        let options = fixed(0.1, SaveAt::Times(vec![1.0 + 90.0 * 0.1]));
        assert_eq!(
            saves(plan((1.0, 10.0), &options).unwrap()),
            vec![(1.0 + 90.0 * 0.1, 90)]
        );
    }

    #[test]
    fn step_to_grids_find_the_nearest_time() {
        let options = SolveOptions::step_to(Tableau::euler(), vec![0.0, 0.1, 0.5, 2.0])
            .saveat(SaveAt::Times(vec![0.0, 0.5, 0.5, 2.0]));
        assert_eq!(
            saves(plan((0.0, 2.0), &options).unwrap()),
            vec![(0.0, 0), (0.5, 2), (0.5, 2), (2.0, 3)]
        );
        let grid = Grid::Times(vec![0.0, 0.1, 0.5, 2.0]);
        assert_eq!(grid.step(1), (0.1, 0.5 - 0.1));
        assert_eq!((grid.nearest(0.31), grid.nearest(0.29)), (2, 1));
    }

    #[test]
    fn times_between_grid_points_are_saved_inside_their_step() {
        let dense = |plan: Plan<'_>| -> Vec<(usize, bool)> {
            match plan {
                Plan::Grid { saves, .. } => saves.iter().map(|s| (s.index, s.dense)).collect(),
                Plan::Adaptive { .. } => panic!("not a grid"),
            }
        };
        let times = vec![0.0, 0.05, 0.1, 0.12, 0.12, 0.2999, 0.3 + 1e-9, 0.95, 1.0];
        let options = fixed(0.1, SaveAt::Times(times));
        let got = dense(plan((0.0, 1.0), &options).unwrap());
        assert_eq!(
            got,
            vec![
                (0, false),
                (0, true),
                (1, false),
                (1, true),
                (1, true),
                (2, true),
                (3, false),
                (9, true),
                (10, false)
            ]
        );
        assert_eq!(steps_to_last_save(&[Save::at_grid(0.0, 0)]), 0);
        let inside = Save {
            t: 0.95,
            index: 9,
            dense: true,
        };
        assert_eq!(steps_to_last_save(&[inside]), 10);
        let options = SolveOptions::step_to(Tableau::euler(), vec![0.0, 0.1, 0.5, 2.0])
            .saveat(SaveAt::Times(vec![0.3, 0.5, 1.9]));
        assert_eq!(
            dense(plan((0.0, 2.0), &options).unwrap()),
            vec![(1, true), (2, false), (2, true)]
        );
    }

    #[test]
    fn every_step_saves_every_grid_point() {
        let got = saves(plan((0.0, 1.0), &fixed(0.25, SaveAt::Steps)).unwrap());
        assert_eq!(
            got,
            vec![(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3), (1.0, 4)]
        );
        let got = saves(plan((0.0, 0.0), &fixed(0.25, SaveAt::Steps)).unwrap());
        assert_eq!(got, vec![(0.0, 0)]);
    }

    #[test]
    fn uniform_times_are_products_not_sums() {
        let grid = Grid::Uniform {
            t0: 1.0,
            h: 0.1,
            steps: 90,
        };
        assert_eq!(grid.time(37), 1.0 + 37.0 * 0.1);
        assert_eq!(grid.step(0), (1.0, 0.1));
    }
}
