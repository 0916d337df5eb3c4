//! The stepper's linear combinations of stage derivatives, planned once per tableau row and
//! computed in as few passes over memory as the grouping allows:
//!
//! ```text
//! out[m] = base[m] + scale * (c_0 k_0[m] + c_1 k_1[m] + ...)     (zero coefficients skipped)
//! ```
//!
//! (`base` is `out` itself for a step taken in place). Which coefficients are zero or one is
//! decided once, when the stepper is built ([`Combination::new`]), not in every step. The sum is
//! formed left to right with unit coefficients not multiplied, the grouping of the textbook
//! formulas (`((k_0 + 2 k_1) + 2 k_2) + k_3` for RK4's result), so every way of stepping computes
//! the same bits. The last one or two terms are added in the pass that writes `out`: a row of
//! one term (every stage input of RK4) is one pass over memory, RK4's result two (it was three).
//!
//! Each combination is a call of its own with its buffers as separate reference parameters:
//! inlined into the stepper, whose buffers are fields of one struct, the loops can lose the
//! knowledge that `out` does not alias the stage derivatives (see the right-hand side's
//! boundaries in `stepper.rs`).
//!
//! Measured and not kept (problem L, callgrind): every row in one pass, components in chunks of
//! eight whose sums stay in registers while the terms are added. The loop over the terms inside
//! each chunk cost more than the stores it saved (RK4's result 590 instructions against 406
//! now), and for a length known only when the program runs the chunks were not unrolled.

use super::stepper::Dim;
use crate::Real;

/// A nonzero coefficient, in the scalar type; one is not multiplied.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Coef<S> {
    Unit,
    Other(S),
}

/// `sum_j c_j k_j` over a row's nonzero coefficients `c_j`, in column order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Combination<S> {
    terms: Vec<(usize, Coef<S>)>,
}

// By hand: a derive would ask `S: Default`.
impl<S> Default for Combination<S> {
    fn default() -> Self {
        Self { terms: Vec::new() }
    }
}

impl<S: Real> Combination<S> {
    /// The combination with coefficients `numerators` (stage `j`'s at index `j`).
    pub(crate) fn new(numerators: &[f64]) -> Self {
        let mut combination = Self::default();
        combination.set(numerators);
        combination
    }

    /// Replaces the coefficients with `numerators`, keeping the allocation (dense output sets
    /// its weights per interpolated state).
    pub(crate) fn set(&mut self, numerators: &[f64]) {
        self.terms.clear();
        let nonzero = numerators.iter().enumerate().filter(|(_, &c)| c != 0.0);
        self.terms.extend(nonzero.map(|(j, &c)| {
            let coef = if c == 1.0 {
                Coef::Unit
            } else {
                Coef::Other(S::from_f64(c))
            };
            (j, coef)
        }));
    }

    /// `out = base + scale * sum_j c_j k_j`, stage `j`'s row of `k` at `j * n` (the state's
    /// length `n`); `acc` is scratch of length `n` (rows of more than two terms).
    #[inline]
    pub(crate) fn add_to<D: Dim>(
        &self,
        (n, k): (D, &[S]),
        scale: S,
        acc: &mut [S],
        base: &[S],
        out: &mut [S],
    ) {
        match *self.terms {
            [(j, c)] => single::<S, D, false>(n, (j, c), k, scale, base, out),
            _ => combine::<S, D, false>(n, &self.terms, k, scale, acc, base, out),
        }
    }

    /// `out += scale * sum_j c_j k_j`, in place.
    #[inline]
    pub(crate) fn add_in_place<D: Dim>(
        &self,
        (n, k): (D, &[S]),
        scale: S,
        acc: &mut [S],
        out: &mut [S],
    ) {
        match *self.terms {
            [(j, c)] => single::<S, D, true>(n, (j, c), k, scale, &[], out),
            _ => combine::<S, D, true>(n, &self.terms, k, scale, acc, &[], out),
        }
    }
}

/// Calls `$body` with `$t` bound to the term function of coefficient `$c` (`|x| x` for one,
/// `|x| c * x` otherwise): the choice made once, outside the loop in `$body`.
macro_rules! with_term {
    ($c:expr, |$t:ident| $body:expr) => {
        match $c {
            Coef::Unit => {
                let $t = |x: S| x;
                $body
            }
            Coef::Other(c) => {
                let $t = move |x: S| x.mul_constant(c);
                $body
            }
        }
    };
}

/// [`combine`] of one term, `out = base + scale * t(k_j)`: a function of its own, smaller, so
/// its call saves fewer registers (problem L's RK4: six of the seven combinations of a step).
#[inline(never)]
fn single<S: Real, D: Dim, const IN_PLACE: bool>(
    n: D,
    (j, c): (usize, Coef<S>),
    k: &[S],
    scale: S,
    base: &[S],
    out: &mut [S],
) {
    let n = n.get();
    let (x, out) = (&k[j * n..(j + 1) * n], &mut out[..n]);
    with_term!(c, |t| finish::<S, IN_PLACE>(out, base, scale, |m| t(x[m])));
}

/// [`Combination::add_to`] (`IN_PLACE` false) and [`Combination::add_in_place`]. Terms go two
/// per pass into `acc` (`acc = t_a + t_b`, then `acc = (acc + t_a) + t_b`), and the last one or
/// two are fused with the result's pass, `out = base + scale * ((acc + t_a) + t_b)`: one pass
/// over memory for rows of one or two terms, `ceil(terms / 2)` for the rest.
///
/// Every buffer is a parameter of its own: reference parameters are what rustc marks as not
/// aliasing (in a tuple they are not), which the loops need to be vectorised.
#[inline(never)]
fn combine<S: Real, D: Dim, const IN_PLACE: bool>(
    n: D,
    terms: &[(usize, Coef<S>)],
    k: &[S],
    scale: S,
    acc: &mut [S],
    base: &[S],
    out: &mut [S],
) {
    let n = n.get();
    let row = |j: usize| &k[j * n..(j + 1) * n];
    let out = &mut out[..n];
    // Pairs before the last one or two terms, into `acc`.
    let last = if terms.len().is_multiple_of(2) { 2 } else { 1 }.min(terms.len());
    let (pairs, tail) = terms.split_at(terms.len() - last);
    let acc = &mut acc[..n];
    for (p, pair) in pairs.chunks_exact(2).enumerate() {
        let ((ja, ca), (jb, cb)) = (pair[0], pair[1]);
        let (ka, kb) = (row(ja), row(jb));
        with_term!(ca, |ta| with_term!(cb, |tb| if p == 0 {
            for ((s, &a), &b) in acc.iter_mut().zip(ka).zip(kb) {
                *s = ta(a) + tb(b);
            }
        } else {
            for ((s, &a), &b) in acc.iter_mut().zip(ka).zip(kb) {
                *s = (*s + ta(a)) + tb(b);
            }
        }));
    }
    let summed = !pairs.is_empty();
    let acc = &*acc;
    match *tail {
        [] => finish::<S, IN_PLACE>(out, base, scale, |_| S::zero()),
        [(j, c)] => {
            let x = row(j);
            with_term!(c, |t| if summed {
                finish::<S, IN_PLACE>(out, base, scale, |m| acc[m] + t(x[m]));
            } else {
                finish::<S, IN_PLACE>(out, base, scale, |m| t(x[m]));
            });
        }
        [(ja, ca), (jb, cb)] => {
            let (ka, kb) = (row(ja), row(jb));
            with_term!(ca, |ta| with_term!(cb, |tb| if summed {
                finish::<S, IN_PLACE>(out, base, scale, |m| (acc[m] + ta(ka[m])) + tb(kb[m]));
            } else {
                finish::<S, IN_PLACE>(out, base, scale, |m| ta(ka[m]) + tb(kb[m]));
            }));
        }
        _ => unreachable!("one or two terms left"),
    }
}

/// `out[m] = base[m] + scale * sum(m)`, or `out[m] += scale * sum(m)` in place, for every `m`
/// (every slice `sum` reads cut to `out`'s length, so the loop has no bounds checks).
#[inline(always)]
fn finish<S: Real, const IN_PLACE: bool>(
    out: &mut [S],
    base: &[S],
    scale: S,
    sum: impl Fn(usize) -> S,
) {
    if IN_PLACE {
        for (m, o) in out.iter_mut().enumerate() {
            *o += sum(m).mul_constant(scale);
        }
    } else {
        let base = &base[..out.len()];
        for (m, (o, &b)) in out.iter_mut().zip(base).enumerate() {
            *o = b + sum(m).mul_constant(scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `num_0 k_0[m] + num_1 k_1[m] + ...` for one component, unit numerators not multiplied.
    fn textbook(numerators: &[f64], k: &[f64], n: usize, m: usize) -> f64 {
        let mut sum: Option<f64> = None;
        for (j, &c) in numerators.iter().enumerate().filter(|(_, &c)| c != 0.0) {
            let term = if c == 1.0 {
                k[j * n + m]
            } else {
                c * k[j * n + m]
            };
            sum = Some(sum.map_or(term, |s| s + term));
        }
        sum.unwrap_or(0.0)
    }

    #[test]
    fn textbook_grouping_absorbs_small_terms_left_to_right() {
        let k = [1e16, 0.5, 0.5, -1e16];
        // ((k0 + 2 k1) + 2 k2) + k3: each 1 is absorbed by 1e16 (a tie, to even), so 0, not
        // the exact 2: the grouping shows in the bits.
        let expected = ((1e16 + 2.0 * 0.5) + 2.0 * 0.5) + -1e16;
        assert_eq!(
            (textbook(&[1.0, 2.0, 2.0, 1.0], &k, 1, 0), expected),
            (0.0, 0.0)
        );
        let mut out = [0.5];
        let rk4 = Combination::new(&[1.0, 2.0, 2.0, 1.0]);
        rk4.add_in_place((1, &k), 1.0, &mut [0.0], &mut out);
        assert_eq!(out[0], 0.5);
    }

    #[test]
    fn fused_combinations_are_bitwise_the_textbook_grouping() {
        // Lengths around a vector's, and problem L's 40.
        for n in [1, 2, 5, 8, 11, 40] {
            let k: Vec<f64> = (0..6 * n).map(|i| (1.3 * i as f64).sin() * 1e3).collect();
            let u: Vec<f64> = (0..n).map(|i| (0.7 * i as f64).cos()).collect();
            let scale = 0.01 / 6.0;
            for row in [
                &[1.0][..],
                &[0.0, 0.5],
                &[0.0, 0.0, 1.0],
                &[1.0, 2.0, 2.0, 1.0],
                &[0.25, 0.0, 0.75],
                &[0.5, 1.0, 0.0, 3.0],
                &[3.0, 0.0, 1.0, 1.0],
                &[0.0, 0.0],
                &[0.5, 2.0, 1.0, 0.0, 3.0, 0.25],
                &[1.0, 1.0, 2.0, 0.0, 1.0],
            ] {
                let combination = Combination::<f64>::new(row);
                let (mut out, mut in_place, mut acc) = (vec![0.0; n], u.clone(), vec![0.0; n]);
                combination.add_to((n, &k), scale, &mut acc, &u, &mut out);
                combination.add_in_place((n, &k), scale, &mut acc, &mut in_place);
                for m in 0..n {
                    let expected = u[m] + scale * textbook(row, &k, n, m);
                    assert_eq!(out[m].to_bits(), expected.to_bits(), "{row:?} [{m}] of {n}");
                    assert_eq!(in_place[m].to_bits(), expected.to_bits(), "{row:?} [{m}]");
                }
            }
        }
    }

    /// At duals each lane is the `f64` combination of that lane, bit for bit, the sign of a
    /// zero tangent too: the constants multiply with `Real::mul_constant`, one product per lane
    /// (a dual product's `0 * value + c * tangent` turned a tangent of `-0` into `+0`).
    #[test]
    fn dual_combinations_are_the_combination_of_each_lane() {
        type D2 = crate::Dual<f64, 2>;
        let n = 5;
        let value = |i: usize| (1.3 * i as f64).sin() * 1e3;
        // Lane 0 generic, lane 1 all negative zeros.
        let tangent = |i: usize| (0.4 * i as f64).cos();
        let k: Vec<D2> = (0..4 * n)
            .map(|i| D2::new(value(i), [tangent(i), -0.0]))
            .collect();
        let u: Vec<D2> = (0..n)
            .map(|i| D2::new(value(i + 99), [tangent(i + 7), -0.0]))
            .collect();
        let lane = |x: &[D2], l: usize| -> Vec<f64> {
            x.iter()
                .map(|d| if l == 0 { d.value } else { d.tangents[l - 1] })
                .collect()
        };
        let scale = 0.01 / 6.0;
        for row in [
            &[1.0][..],
            &[0.0, 0.5],
            &[1.0, 2.0, 2.0, 1.0],
            &[0.25, 0.0, 0.75],
        ] {
            let dual = Combination::<D2>::new(row);
            let (mut out, mut in_place, mut acc) = (
                vec![D2::constant(0.0); n],
                u.clone(),
                vec![D2::constant(0.0); n],
            );
            dual.add_to((n, &k), D2::constant(scale), &mut acc, &u, &mut out);
            dual.add_in_place((n, &k), D2::constant(scale), &mut acc, &mut in_place);
            for l in 0..3 {
                let (k_l, u_l) = (lane(&k, l), lane(&u, l));
                let mut expected = vec![0.0; n];
                let mut acc = vec![0.0; n];
                Combination::<f64>::new(row).add_to(
                    (n, &k_l),
                    scale,
                    &mut acc,
                    &u_l,
                    &mut expected,
                );
                let bits = |x: Vec<f64>| x.into_iter().map(f64::to_bits).collect::<Vec<_>>();
                assert_eq!(
                    bits(lane(&out, l)),
                    bits(expected.clone()),
                    "{row:?} lane {l}"
                );
                assert_eq!(bits(lane(&in_place, l)), bits(expected), "{row:?} lane {l}");
            }
        }
    }
}
