//! The reverse sweep of a step, planned once per tableau: which stages it goes through, in what
//! order, which earlier stage adjoints each stage input's adjoint feeds (the nonzero `a_ij`,
//! already in the scalar type), and where each stage adjoint gets its seed from the adjoint of
//! the step's result.
//!
//! The stepper's adjoint used to seed every stage adjoint `k_bar_j = b_j (h / den_b) u_bar`
//! before the sweep, then pass each stage input's adjoint `y_bar_i` on to the stage adjoints in
//! a pass of its own, looking the coefficients up in the tableau and testing them for zero and
//! one at every step. With the plan, the seed of `k_bar_j` is written by the pass that first
//! adds to it (the latest stage `i` with `a_ij` nonzero), `seed + term` in one store: the same
//! operations in the same order as seeding first, so the same bits, one pass over memory less
//! per stage. Stages nothing adds to (the last stage of RK4) and stages with a zero weight
//! (whose seed is zero) are seeded before the sweep.

use std::ops::Range;

use super::stepper::Dim;
use super::tableau::Tableau;
use crate::Real;

/// A stage weight `b_i`, in the scalar type.
#[derive(Debug, Clone, Copy)]
pub(super) enum Weight<S> {
    Zero,
    /// One: the seed is `(h / den_b) u_bar` itself, not multiplied.
    Unit,
    Other(S),
}

impl<S: Real> Weight<S> {
    fn new(b: f64) -> Self {
        if b == 0.0 {
            Weight::Zero
        } else if b == 1.0 {
            Weight::Unit
        } else {
            Weight::Other(S::from_f64(b))
        }
    }
}

/// `a_ij` nonzero: stage `i`'s input adjoint goes on to `k_bar_j`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Term<S> {
    pub(super) j: usize,
    /// `a_ij`'s numerator, `None` when it is one (not multiplied).
    pub(super) a: Option<S>,
    /// When this pass is the first to add to `k_bar_j`, `b_j`: it writes `b_j w + term`.
    pub(super) seed: Option<Weight<S>>,
}

/// One stage of the sweep.
#[derive(Debug, Clone)]
pub(super) struct StagePlan {
    pub(super) i: usize,
    /// The stage input is the step's initial state: its adjoint goes to `u_bar` directly.
    pub(super) row_empty: bool,
    /// The denominator of row `i` of `a`.
    pub(super) den: f64,
    /// The terms of row `i` with a nonzero numerator, in `ReversePlan::terms`, in column order;
    /// the last one also passes `y_bar_i` on to `u_bar`.
    pub(super) terms: Range<usize>,
}

/// The sweep for one setting of `all_stages`.
#[derive(Debug, Clone)]
pub(super) struct ReversePlan<S> {
    /// The stages swept, last first.
    pub(super) stages: Vec<StagePlan>,
    pub(super) terms: Vec<Term<S>>,
    /// Stages seeded before the sweep (nothing swept adds to them, or their weight is zero),
    /// with their weights.
    pub(super) upfront: Vec<(usize, Weight<S>)>,
    /// Every stage swept, with its weight (the seeds when dense output seeded the step too,
    /// all before the sweep).
    pub(super) weights: Vec<(usize, Weight<S>)>,
}

// By hand: a derive would ask `S: Default`.
impl<S> Default for ReversePlan<S> {
    fn default() -> Self {
        Self {
            stages: Vec::new(),
            terms: Vec::new(),
            upfront: Vec::new(),
            weights: Vec::new(),
        }
    }
}

impl<S: Real> ReversePlan<S> {
    /// The sweep of `tableau`'s adjoint, through every stage when `all_stages`, else through
    /// the stages that influence the result.
    pub(super) fn new(tableau: &Tableau, all_stages: bool) -> Self {
        let s = tableau.stages();
        let swept = |i: usize| all_stages || tableau.needed(i);
        let (b, _) = tableau.weights();
        let mut plan = Self::default();
        // Whether a later swept stage already added to k_bar_j (going backwards).
        let mut reached = vec![false; s];
        for i in (0..s).filter(|&i| swept(i)).rev() {
            let (row, den) = tableau.row(i);
            let start = plan.terms.len();
            if !tableau.row_empty(i) {
                for (j, &a) in row.iter().enumerate().filter(|(_, &a)| a != 0.0) {
                    plan.terms.push(Term {
                        j,
                        a: (a != 1.0).then(|| S::from_f64(a)),
                        seed: (!reached[j] && b[j] != 0.0).then(|| Weight::new(b[j])),
                    });
                    reached[j] = true;
                }
            }
            plan.stages.push(StagePlan {
                i,
                row_empty: tableau.row_empty(i),
                den,
                terms: start..plan.terms.len(),
            });
        }
        for i in (0..s).filter(|&i| swept(i)) {
            let weight = Weight::new(b[i]);
            plan.weights.push((i, weight));
            if !reached[i] || b[i] == 0.0 {
                plan.upfront.push((i, weight));
            }
        }
        plan
    }
}

/// `y_bar_i`'s pass to `k_bar_j`: `kb += term(yb)`, or `kb = b_j w + term(yb)` when the pass
/// seeds it; the last pass of a stage also does `ub += yb; yb = 0`. Every choice is made
/// outside the loops, so each is a plain loop over memory the compiler vectorises.
#[inline(always)]
pub(super) fn pass<S: Real>(
    kb: &mut [S],
    yb: &mut [S],
    seed: Option<(Weight<S>, &[S])>,
    u_bar: Option<&mut [S]>,
    term: impl Fn(S) -> S,
) {
    match (seed, u_bar) {
        (None, None) => kb.iter_mut().zip(&*yb).for_each(|(k, &y)| *k += term(y)),
        (None, Some(ub)) => {
            for ((k, u), y) in kb.iter_mut().zip(ub).zip(yb) {
                *k += term(*y);
                *u += *y;
                *y = S::zero();
            }
        }
        (Some((Weight::Zero, w)), ub) => seeded(kb, yb, w, ub, |_| S::zero(), term),
        (Some((Weight::Unit, w)), ub) => seeded(kb, yb, w, ub, |w| w, term),
        (Some((Weight::Other(b), w)), ub) => {
            seeded(kb, yb, w, ub, move |w| w.mul_constant(b), term)
        }
    }
}

/// [`pass`] when it seeds `k_bar_j`: `kb = seed(w) + term(yb)`.
#[inline(always)]
fn seeded<S: Real>(
    kb: &mut [S],
    yb: &mut [S],
    w: &[S],
    u_bar: Option<&mut [S]>,
    seed: impl Fn(S) -> S,
    term: impl Fn(S) -> S,
) {
    match u_bar {
        None => kb
            .iter_mut()
            .zip(&*yb)
            .zip(w)
            .for_each(|((k, &y), &w)| *k = seed(w) + term(y)),
        Some(ub) => {
            for (((k, u), y), &w) in kb.iter_mut().zip(ub).zip(yb).zip(w) {
                *k = seed(w) + term(*y);
                *u += *y;
                *y = S::zero();
            }
        }
    }
}

/// `w = scale u_bar`, the adjoint's seed of the stage adjoints: a call of its own, whose
/// reference parameters tell rustc that `w` (a buffer of the stepper) does not alias `u_bar`, so
/// the loop is vectorised (inlined into the stepper's reverse it was not: 40 scalar multiplies
/// per step on problem L).
#[inline(never)]
pub(super) fn scaled<S: Real, D: Dim>(n: D, w: &mut [S], u_bar: &[S], scale: S) {
    let n = n.get();
    let (w, u_bar) = (&mut w[..n], &u_bar[..n]);
    w.iter_mut()
        .zip(u_bar)
        .for_each(|(w, &ub)| *w = ub.mul_constant(scale));
}

/// `kb = b w` for every component, the seed of a stage adjoint before the sweep (`dense`, the
/// dense output's share, added when there is one).
#[inline(always)]
pub(super) fn seed_before<S: Real>(kb: &mut [S], b: Weight<S>, w: &[S], dense: Option<&[S]>) {
    match (b, dense) {
        (Weight::Zero, None) => kb.fill(S::zero()),
        (Weight::Unit, None) => kb.copy_from_slice(w),
        (Weight::Other(b), None) => kb
            .iter_mut()
            .zip(w)
            .for_each(|(k, &w)| *k = w.mul_constant(b)),
        (Weight::Zero, Some(d)) => kb.iter_mut().zip(d).for_each(|(k, &d)| *k = S::zero() + d),
        (Weight::Unit, Some(d)) => kb
            .iter_mut()
            .zip(w)
            .zip(d)
            .for_each(|((k, &w), &d)| *k = w + d),
        (Weight::Other(b), Some(d)) => kb
            .iter_mut()
            .zip(w)
            .zip(d)
            .for_each(|((k, &w), &d)| *k = w.mul_constant(b) + d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk4_seeds_each_stage_where_it_is_first_reached() {
        let plan = ReversePlan::<f64>::new(&Tableau::rk4(), false);
        let order: Vec<usize> = plan.stages.iter().map(|st| st.i).collect();
        assert_eq!(order, [3, 2, 1, 0]);
        // Stage 3 seeds k_bar_2, 2 seeds k_bar_1, 1 seeds k_bar_0; k_bar_3 before the sweep.
        let seeds: Vec<(usize, bool)> =
            plan.terms.iter().map(|t| (t.j, t.seed.is_some())).collect();
        assert_eq!(seeds, [(2, true), (1, true), (0, true)]);
        assert_eq!(plan.upfront.iter().map(|u| u.0).collect::<Vec<_>>(), [3]);
        assert!(plan.stages[3].row_empty);
    }

    #[test]
    fn zero_weights_are_seeded_before_the_sweep_and_unswept_stages_skipped() {
        let dp = Tableau::dormand_prince();
        let plan = ReversePlan::<f64>::new(&dp, false);
        assert_eq!(plan.stages.len(), 6); // the FSAL stage feeds only the error estimate
        let upfront: Vec<usize> = plan.upfront.iter().map(|u| u.0).collect();
        assert_eq!(upfront, [1, 5]); // b_1 = 0; nothing after stage 5 is swept
        assert!(plan.terms.iter().all(|t| t.j != 1 || t.seed.is_none()));
        let all = ReversePlan::<f64>::new(&dp, true);
        assert_eq!(all.stages.len(), 7);
        assert_eq!(all.upfront.iter().map(|u| u.0).collect::<Vec<_>>(), [1, 6]);
        // With the FSAL stage swept, its pass seeds k_bar_5 (a_65 = b_5).
        assert!(all.terms.iter().any(|t| t.j == 5 && t.seed.is_some()));
    }
}
