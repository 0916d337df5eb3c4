//! How the reverse sweep gets the state at the start of each step, in reverse order: store them
//! all, or binomial checkpointing (Griewank's treeverse, the schedule of Revolve).
//!
//! The sweep is written against [`Reversal`]: "advance a state by some steps" and "reverse step
//! `k` from its initial state". The schedules below only decide which states to keep and what to
//! recompute; since a step is a deterministic function of its initial state, every schedule hands
//! `reverse_step` bitwise the same states in the same order, and so gives bitwise the same
//! gradient.
//!
//! Binomial checkpointing with `s` snapshots (the initial state's included) reverses `N` steps
//! with the fewest forward steps possible, `r N - C(s + r, r - 1)` where `r` is the smallest
//! integer with `C(s + r, s) >= N` (Griewank and Walther, ACM TOMS 26, 2000): each step is
//! recomputed at most `r` times. The recursion places the next snapshot at the smallest optimal
//! split, checked against dynamic programming in the tests.

use std::ops::Range;

use super::error::OdeError;
use crate::Real;

/// How the reverse sweep of a [`gradient`](crate::ode::gradient) keeps the states it needs.
///
/// Every strategy gives bitwise the same gradient; they trade memory for recomputation.
///
/// ```
/// use tapeless_runtime::ode::Memory;
///
/// // 100,000 steps: storing every state costs 100,000 states and no recomputation...
/// assert_eq!(Memory::StoreAll.forward_steps(100_000)?, 99_999);
/// // ...20 snapshots cost 20 states and about 5.3 forward steps per step.
/// assert_eq!(Memory::Binomial { snapshots: 20 }.forward_steps(100_000)?, 534_220);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// Store the state at the start of every step during a forward sweep: `N` states, no
    /// recomputation.
    StoreAll,
    /// Binomial checkpointing (Revolve) with this many snapshots, the initial state's included
    /// (so at least one): the reverse sweep recomputes forward from the nearest snapshot, with
    /// the fewest forward steps possible for that memory.
    Binomial {
        /// The number of states held at once (more than the number of steps is never used).
        snapshots: usize,
    },
}

impl Memory {
    /// The number of forward steps the reverse sweep through `steps` steps takes with this
    /// strategy (the first forward sweep included; not counting the recomputation of stage
    /// inputs inside each step's adjoint). This is the count
    /// [`Stats::forward_steps`](crate::ode::Stats) reports for a gradient on a step grid.
    ///
    /// See the [type's example](Memory).
    ///
    /// # Errors
    ///
    /// [`OdeError::NoSnapshots`] for binomial checkpointing with zero snapshots.
    pub fn forward_steps(&self, steps: usize) -> Result<usize, OdeError> {
        match *self {
            Memory::StoreAll => Ok(steps.saturating_sub(1)),
            Memory::Binomial { snapshots: 0 } => Err(OdeError::NoSnapshots),
            Memory::Binomial { snapshots } => Ok(binomial_forward_steps(steps, snapshots)),
        }
    }
}

/// `C(s + r, s)`: the most steps `s` snapshots reverse with each step recomputed at most `r`
/// times; zero for negative `r`, saturating far above any step count.
fn beta(s: usize, r: isize) -> u128 {
    if r < 0 {
        return 0;
    }
    const CAP: u128 = 1 << 100;
    let mut value: u128 = 1;
    for i in 1..=r as u128 {
        // C(s + i, i) = C(s + i - 1, i - 1) (s + i) / i, exactly.
        value = value * (s as u128 + i) / i;
        if value >= CAP {
            return CAP;
        }
    }
    value
}

/// The smallest `r` with `beta(s, r) >= steps`.
fn repetitions(steps: usize, s: usize) -> isize {
    let mut r = 0;
    while beta(s, r) < steps as u128 {
        r += 1;
    }
    r
}

/// The least number of forward steps to reverse `steps` steps with `s >= 1` snapshots.
fn binomial_forward_steps(steps: usize, s: usize) -> usize {
    if steps <= 1 {
        return 0;
    }
    let r = repetitions(steps, s);
    let count = r as u128 * steps as u128 - beta(s + 1, r - 1);
    usize::try_from(count).unwrap_or(usize::MAX)
}

/// Where to put the next snapshot when reversing `steps >= 2` steps from a state held in a
/// snapshot, with `s >= 2` snapshots counting that one: an optimal split, the smallest of the
/// range `max(beta(s, r-2), steps - beta(s-1, r)) ..= min(beta(s, r-1), steps - beta(s-1, r-1))`.
fn split(steps: usize, s: usize) -> usize {
    let r = repetitions(steps, s);
    let lower = beta(s, r - 2)
        .max((steps as u128).saturating_sub(beta(s - 1, r)))
        .max(1);
    lower as usize
}

/// The reverse sweep as the schedules see it.
pub(crate) trait Reversal<S: Clone> {
    /// Advances `u` from the state at grid index `from` to the one at `to > from`.
    fn advance(&mut self, u: &mut [S], from: usize, to: usize) -> Result<(), OdeError>;
    /// Reverses step `k`, given its initial state `u`. Called for `k = N-1, ..., 0` in order.
    fn reverse_step(&mut self, k: usize, u: &[S]) -> Result<(), OdeError>;
    /// Appends the states at grid points `steps` to `states` (state `k` at `k * n`, those before
    /// `steps.start` already there), each advanced one step from the one before. By default
    /// [`advance`](Reversal::advance) step by step.
    fn store_states(
        &mut self,
        states: &mut Vec<S>,
        n: usize,
        steps: Range<usize>,
    ) -> Result<(), OdeError> {
        store_states_stepwise(self, states, n, steps)
    }
    /// Reverses `steps`, the last first, from their initial states stored in `states` (state
    /// `k` at `k * n`). By default [`reverse_step`](Reversal::reverse_step) step by step.
    fn reverse_states(
        &mut self,
        states: &[S],
        n: usize,
        steps: Range<usize>,
    ) -> Result<(), OdeError> {
        reverse_states_stepwise(self, states, n, steps)
    }
}

/// [`Reversal::store_states`] by [`Reversal::advance`] one step at a time.
pub(crate) fn store_states_stepwise<S: Clone, R: Reversal<S> + ?Sized>(
    sweep: &mut R,
    states: &mut Vec<S>,
    n: usize,
    steps: Range<usize>,
) -> Result<(), OdeError> {
    for k in steps {
        states.extend_from_within((k - 1) * n..k * n);
        sweep.advance(&mut states[k * n..], k - 1, k)?;
    }
    Ok(())
}

/// [`Reversal::reverse_states`] by [`Reversal::reverse_step`] one step at a time.
pub(crate) fn reverse_states_stepwise<S: Clone, R: Reversal<S> + ?Sized>(
    sweep: &mut R,
    states: &[S],
    n: usize,
    steps: Range<usize>,
) -> Result<(), OdeError> {
    for k in steps.rev() {
        sweep.reverse_step(k, &states[k * n..(k + 1) * n])?;
    }
    Ok(())
}

/// What a schedule did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SweepCounts {
    /// Steps advanced.
    pub(crate) forward_steps: usize,
    /// The most states held at once.
    pub(crate) stored_states: usize,
}

/// Reverses `steps` steps from `u0`, storing the initial state of every step on the way.
pub(crate) fn reverse_store_all<S: Real, R: Reversal<S>>(
    sweep: &mut R,
    u0: &[S],
    steps: usize,
) -> Result<SweepCounts, OdeError> {
    let n = u0.len();
    let mut counts = SweepCounts {
        forward_steps: 0,
        stored_states: steps,
    };
    if steps == 0 {
        return Ok(counts);
    }
    // Each state is a copy of the one before, advanced: the store is filled as it grows, not
    // zeroed first (problem L: 64 KB of zeros per gradient, 3% of `gradient_fixed`'s
    // instructions).
    let mut states = Vec::with_capacity(steps * n);
    states.extend_from_slice(u0);
    sweep.store_states(&mut states, n, 1..steps)?;
    counts.forward_steps += steps - 1;
    reverse_stored(sweep, &states, n, steps)?;
    Ok(counts)
}

/// Reverses `steps` steps whose initial states are already stored, state `k` at `k * n`.
pub(crate) fn reverse_stored<S: Real, R: Reversal<S>>(
    sweep: &mut R,
    states: &[S],
    n: usize,
    steps: usize,
) -> Result<(), OdeError> {
    sweep.reverse_states(states, n, 0..steps)
}

/// Reverses `steps` steps from `u0` by binomial checkpointing with `snapshots >= 1` snapshots.
pub(crate) fn reverse_binomial<S: Real, R: Reversal<S>>(
    sweep: &mut R,
    u0: &[S],
    steps: usize,
    snapshots: usize,
) -> Result<SweepCounts, OdeError> {
    let n = u0.len();
    // More snapshots than steps are never used.
    let s = snapshots.clamp(1, steps.max(1));
    let mut slots = vec![S::zero(); s * n];
    slots[..n].copy_from_slice(u0);
    let mut treeverse = Treeverse {
        sweep,
        slots,
        work: vec![S::zero(); n],
        n,
        s,
        counts: SweepCounts {
            forward_steps: 0,
            stored_states: 1,
        },
    };
    treeverse.reverse(0, steps, 0)?;
    Ok(treeverse.counts)
}

struct Treeverse<'r, S, R> {
    sweep: &'r mut R,
    /// Snapshot `i` at `i * n`; snapshot 0 is the initial state.
    slots: Vec<S>,
    work: Vec<S>,
    n: usize,
    s: usize,
    counts: SweepCounts,
}

impl<S: Real, R: Reversal<S>> Treeverse<'_, S, R> {
    /// The working state set to snapshot `slot` (at grid index `from`), advanced to `to`.
    fn rebuild(&mut self, slot: usize, from: usize, to: usize) -> Result<(), OdeError> {
        let n = self.n;
        self.work
            .copy_from_slice(&self.slots[slot * n..(slot + 1) * n]);
        if to > from {
            self.sweep.advance(&mut self.work, from, to)?;
            self.counts.forward_steps += to - from;
        }
        Ok(())
    }

    /// Reverses steps `l..r`, the state at `l` being held in snapshot `slot` (those above it
    /// are free).
    fn reverse(&mut self, l: usize, r: usize, slot: usize) -> Result<(), OdeError> {
        let steps = r - l;
        if steps == 0 {
            return Ok(());
        }
        if steps == 1 {
            let n = self.n;
            return self
                .sweep
                .reverse_step(l, &self.slots[slot * n..(slot + 1) * n]);
        }
        let free = self.s - 1 - slot;
        if free == 0 {
            // Nothing left to store: recompute each step's initial state from the snapshot.
            for k in (l..r).rev() {
                if k == l {
                    let n = self.n;
                    self.sweep
                        .reverse_step(k, &self.slots[slot * n..(slot + 1) * n])?;
                } else {
                    self.rebuild(slot, l, k)?;
                    self.sweep.reverse_step(k, &self.work)?;
                }
            }
            return Ok(());
        }
        let m = l + split(steps, free + 1);
        self.rebuild(slot, l, m)?;
        let n = self.n;
        self.slots[(slot + 1) * n..(slot + 2) * n].copy_from_slice(&self.work);
        self.counts.stored_states = self.counts.stored_states.max(slot + 2);
        self.reverse(m, r, slot + 1)?;
        self.reverse(l, m, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep whose state is the grid index itself, so the tests see what the schedule hands
    /// to each reversed step.
    #[derive(Default)]
    struct Recorder {
        reversed: Vec<(usize, f64)>,
        advanced: usize,
    }

    impl Reversal<f64> for Recorder {
        fn advance(&mut self, u: &mut [f64], from: usize, to: usize) -> Result<(), OdeError> {
            assert_eq!(u[0], from as f64, "advance from the wrong state");
            for _ in from..to {
                u[0] += 1.0;
            }
            self.advanced += to - from;
            Ok(())
        }
        fn reverse_step(&mut self, k: usize, u: &[f64]) -> Result<(), OdeError> {
            self.reversed.push((k, u[0]));
            Ok(())
        }
    }

    fn expected_reversal(steps: usize) -> Vec<(usize, f64)> {
        (0..steps).rev().map(|k| (k, k as f64)).collect()
    }

    /// The least number of forward steps, by dynamic programming over the first split.
    fn optimum(max_steps: usize, max_snapshots: usize) -> Vec<Vec<usize>> {
        let mut f = vec![vec![0usize; max_snapshots + 1]; max_steps + 1];
        for t in 2..=max_steps {
            f[t][1] = t * (t - 1) / 2;
            for s in 2..=max_snapshots {
                f[t][s] = (1..t).map(|m| m + f[t - m][s - 1] + f[m][s]).min().unwrap();
            }
        }
        f
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // the table of optima is indexed by both counts
    fn binomial_schedule_reverses_in_order_with_the_optimal_count() {
        let f = optimum(120, 7);
        for s in 1..=7 {
            for steps in 0..=120 {
                let mut rec = Recorder::default();
                let counts = reverse_binomial(&mut rec, &[0.0], steps, s).unwrap();
                assert_eq!(
                    rec.reversed,
                    expected_reversal(steps),
                    "s = {s}, steps = {steps}"
                );
                assert_eq!(counts.forward_steps, rec.advanced);
                assert_eq!(
                    counts.forward_steps, f[steps][s],
                    "s = {s}, steps = {steps}"
                );
                assert_eq!(binomial_forward_steps(steps, s), f[steps][s]);
                assert!(counts.stored_states <= s.max(1));
            }
        }
    }

    #[test]
    fn store_all_advances_once_per_step() {
        for steps in [0, 1, 2, 17] {
            let mut rec = Recorder::default();
            let counts = reverse_store_all(&mut rec, &[0.0], steps).unwrap();
            assert_eq!(rec.reversed, expected_reversal(steps));
            assert_eq!(counts.forward_steps, steps.saturating_sub(1));
            assert_eq!(
                Memory::StoreAll.forward_steps(steps).unwrap(),
                counts.forward_steps
            );
            assert_eq!(counts.stored_states, steps);
        }
    }

    #[test]
    fn closed_form_counts_of_long_sweeps() {
        // 100,000 steps with 20 snapshots: r = 6 (C(26, 20) = 230,230 >= 100,000 > C(25, 20)),
        // 6 * 100,000 - C(26, 5) = 600,000 - 65,780.
        assert_eq!(binomial_forward_steps(100_000, 20), 534_220);
        let mut rec = Recorder::default();
        let counts = reverse_binomial(&mut rec, &[0.0], 100_000, 20).unwrap();
        assert_eq!(counts.forward_steps, 534_220);
        assert_eq!(counts.stored_states, 20);
        assert_eq!(rec.reversed.len(), 100_000);
        assert!(rec
            .reversed
            .iter()
            .enumerate()
            .all(|(i, &(k, u))| k == 99_999 - i && u == k as f64));
        // One snapshot: recompute everything from the start.
        assert_eq!(binomial_forward_steps(1000, 1), 1000 * 999 / 2);
        // Enough snapshots: as cheap as storing everything.
        assert_eq!(binomial_forward_steps(1000, 1000), 999);
        assert_eq!(binomial_forward_steps(1000, 5000), 999);
        assert_eq!(
            Memory::Binomial { snapshots: 0 }.forward_steps(10),
            Err(OdeError::NoSnapshots)
        );
    }

    #[test]
    fn errors_of_the_sweep_stop_it() {
        struct Failing;
        impl Reversal<f64> for Failing {
            fn advance(&mut self, _: &mut [f64], _: usize, to: usize) -> Result<(), OdeError> {
                Err(OdeError::NonFiniteState { step: to, t: 0.0 })
            }
            fn reverse_step(&mut self, _: usize, _: &[f64]) -> Result<(), OdeError> {
                Ok(())
            }
        }
        assert!(reverse_binomial(&mut Failing, &[0.0], 10, 3).is_err());
        assert!(reverse_store_all(&mut Failing, &[0.0], 10).is_err());
    }
}
