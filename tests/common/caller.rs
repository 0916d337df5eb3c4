//! The three checks of an annotated caller `(s: &State, p: &Params, h: f64) -> f64` of two
//! structs and a real, seen as a function of their flat reals `x = (s, p, h)`: shared by the
//! tests of held structs passed to functions and methods.

use super::{check, Case};
use tapeless::Struct;

/// A struct built from its reals in the order of `Struct::to_reals`.
pub trait FromReals: Struct<Scalar = f64> {
    fn from_reals(v: &[f64]) -> Self;
}

pub type Caller<St, P> = fn(&St, &P, f64) -> f64;
pub type CallerJvp<St, P> = fn(&St, &St, &P, &P, f64, f64) -> (f64, f64);
pub type CallerVjp<St, P> = fn(&St, &mut St, &P, &mut P, f64, &mut f64, f64) -> f64;

/// The three checks of a caller `(s, p, h) -> f64` at `x = (s, p, h)`, the state's reals
/// `x[..4]`, the parameters' `x[4..7]`, `h` `x[7]`.
pub fn check_caller<St: FromReals, P: FromReals>(
    name: &str,
    f: Caller<St, P>,
    jvp: CallerJvp<St, P>,
    vjp: CallerVjp<St, P>,
    x: &[f64],
    seed: u64,
) {
    let state_from = St::from_reals;
    let params_from = P::from_reals;
    let value = |x: &[f64]| vec![f(&state_from(x), &params_from(&x[4..7]), x[7])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(
            &state_from(x),
            &state_from(d),
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let p = params_from(&x[4..7]);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
        let v = vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, w[0]);
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name,
        inputs: 8,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, x, seed);
}
