//! Derivative rules of the elementary operations, for every `S: Real`.
//!
//! Generated code calls these by name: the tangent multiplies a rule by a tangent, the adjoint
//! multiplies it by an adjoint, so one rule serves both modes (and, being generic, every nesting
//! of them). Each function returns the local partial derivative(s) at the primal point.
//!
//! Conventions at kinks and singular points, chosen to match JAX and PyTorch:
//!
//! - `abs'(0) = 0` (the middle of the subdifferential);
//! - `min(a, b)` and `max(a, b)` pass the whole derivative to the argument they return, and to
//!   `a` when `a == b`;
//! - `hypot(0, 0)` has zero partials;
//! - `powf(a, p)` has `d/dp = 0` where `a^p == 0`, so `0^p` does not produce `NaN`;
//! - `sqrt'(0) = +inf`, `ln'(0) = +inf`, as the mathematics says;
//! - the piecewise-constant `signum`, `floor`, `ceil`, `round` and `trunc` have derivative zero
//!   everywhere, at their jumps too, and no rule here: the macro's rule table marks them as
//!   passing no derivative, and the dual numbers carry zero tangents through them.
//!
//! ```
//! use tapeless_runtime::rules;
//! assert_eq!(rules::sin(0.0_f64), 1.0);
//! assert_eq!(rules::mul(2.0_f64, 3.0), (3.0, 2.0));
//! assert_eq!(rules::abs(0.0_f64), 0.0);
//! ```

use crate::Real;

/// `d sin(x) / dx`.
#[inline(always)]
pub fn sin<S: Real>(x: S) -> S {
    x.cos()
}

/// `d cos(x) / dx`.
#[inline(always)]
pub fn cos<S: Real>(x: S) -> S {
    -x.sin()
}

/// `d tan(x) / dx = 1 + tan(x)^2`.
#[inline(always)]
pub fn tan<S: Real>(x: S) -> S {
    let t = x.tan();
    S::one() + t * t
}

/// `d exp(x) / dx`.
#[inline(always)]
pub fn exp<S: Real>(x: S) -> S {
    x.exp()
}

/// `d ln(x) / dx = 1 / x`.
#[inline(always)]
pub fn ln<S: Real>(x: S) -> S {
    S::one() / x
}

/// `d log10(x) / dx = 1 / (x ln 10)`.
#[inline(always)]
pub fn log10<S: Real>(x: S) -> S {
    S::one() / (x * S::from_f64(core::f64::consts::LN_10))
}

/// `d sqrt(x) / dx = 1 / (2 sqrt(x))`.
#[inline(always)]
pub fn sqrt<S: Real>(x: S) -> S {
    S::from_f64(0.5) / x.sqrt()
}

/// `d x^n / dx = n x^(n-1)`.
#[inline(always)]
pub fn powi<S: Real>(x: S, n: i32) -> S {
    if n == 0 {
        S::zero()
    } else {
        S::from_f64(f64::from(n)) * x.powi(n - 1)
    }
}

/// Partials of `a^p`: `(p a^(p-1), a^p ln a)`, the second zero where `a^p == 0`.
#[inline(always)]
pub fn powf<S: Real>(a: S, p: S) -> (S, S) {
    let value = a.powf(p);
    let d_a = if p == S::zero() {
        S::zero()
    } else {
        p * a.powf(p - S::one())
    };
    let d_p = if value == S::zero() {
        S::zero()
    } else {
        value * a.ln()
    };
    (d_a, d_p)
}

/// `d tanh(x) / dx = 1 - tanh(x)^2`.
#[inline(always)]
pub fn tanh<S: Real>(x: S) -> S {
    let t = x.tanh();
    S::one() - t * t
}

/// `d sinh(x) / dx`.
#[inline(always)]
pub fn sinh<S: Real>(x: S) -> S {
    x.cosh()
}

/// `d cosh(x) / dx`.
#[inline(always)]
pub fn cosh<S: Real>(x: S) -> S {
    x.sinh()
}

/// `d atan(x) / dx = 1 / (1 + x^2)`.
#[inline(always)]
pub fn atan<S: Real>(x: S) -> S {
    S::one() / (S::one() + x * x)
}

/// Partials of `atan2(y, x)` with respect to `y` and `x`.
#[inline(always)]
pub fn atan2<S: Real>(y: S, x: S) -> (S, S) {
    let r2 = x * x + y * y;
    (x / r2, -y / r2)
}

/// `d |x| / dx = sign(x)`, zero at zero.
#[inline(always)]
pub fn abs<S: Real>(x: S) -> S {
    if x > S::zero() {
        S::one()
    } else if x < S::zero() {
        -S::one()
    } else {
        S::zero()
    }
}

/// Partials of `hypot(a, b)`, zero at the origin.
#[inline(always)]
pub fn hypot<S: Real>(a: S, b: S) -> (S, S) {
    let h = a.hypot(b);
    if h == S::zero() {
        (S::zero(), S::zero())
    } else {
        (a / h, b / h)
    }
}

/// Partials of `min(a, b)`: all to `a` when `a <= b`, else all to `b`.
#[inline(always)]
pub fn min<S: Real>(a: S, b: S) -> (S, S) {
    if b < a {
        (S::zero(), S::one())
    } else {
        (S::one(), S::zero())
    }
}

/// Partials of `max(a, b)`: all to `a` when `a >= b`, else all to `b`.
#[inline(always)]
pub fn max<S: Real>(a: S, b: S) -> (S, S) {
    if b > a {
        (S::zero(), S::one())
    } else {
        (S::one(), S::zero())
    }
}

/// `d cbrt(x) / dx = 1 / (3 cbrt(x)^2)`.
#[inline(always)]
pub fn cbrt<S: Real>(x: S) -> S {
    let c = x.cbrt();
    S::one() / (S::from_f64(3.0) * c * c)
}

/// `d asin(x) / dx = 1 / sqrt(1 - x^2)`.
#[inline(always)]
pub fn asin<S: Real>(x: S) -> S {
    S::one() / ((S::one() - x) * (S::one() + x)).sqrt()
}

/// `d acos(x) / dx = -1 / sqrt(1 - x^2)`.
#[inline(always)]
pub fn acos<S: Real>(x: S) -> S {
    -S::one() / ((S::one() - x) * (S::one() + x)).sqrt()
}

/// `d asinh(x) / dx = 1 / sqrt(x^2 + 1)`.
#[inline(always)]
pub fn asinh<S: Real>(x: S) -> S {
    S::one() / x.hypot(S::one())
}

/// `d acosh(x) / dx = 1 / sqrt(x^2 - 1)`.
#[inline(always)]
pub fn acosh<S: Real>(x: S) -> S {
    S::one() / ((x - S::one()) * (x + S::one())).sqrt()
}

/// `d atanh(x) / dx = 1 / (1 - x^2)`.
#[inline(always)]
pub fn atanh<S: Real>(x: S) -> S {
    S::one() / ((S::one() - x) * (S::one() + x))
}

/// `d log2(x) / dx = 1 / (x ln 2)`.
#[inline(always)]
pub fn log2<S: Real>(x: S) -> S {
    S::one() / (x * S::from_f64(core::f64::consts::LN_2))
}

/// `d 2^x / dx = 2^x ln 2`.
#[inline(always)]
pub fn exp2<S: Real>(x: S) -> S {
    x.exp2() * S::from_f64(core::f64::consts::LN_2)
}

/// `d (e^x - 1) / dx = e^x`.
#[inline(always)]
pub fn exp_m1<S: Real>(x: S) -> S {
    x.exp()
}

/// `d ln(1 + x) / dx = 1 / (1 + x)`.
#[inline(always)]
pub fn ln_1p<S: Real>(x: S) -> S {
    S::one() / (S::one() + x)
}

/// `d (1 / x) / dx = -1 / x^2`.
#[inline(always)]
pub fn recip<S: Real>(x: S) -> S {
    let r = x.recip();
    -(r * r)
}

/// Partials of `log_b(x) = ln x / ln b` with respect to `x` and `b`:
/// `(1 / (x ln b), -log_b(x) / (b ln b))`.
#[inline(always)]
pub fn log<S: Real>(x: S, base: S) -> (S, S) {
    let ln_base = base.ln();
    (S::one() / (x * ln_base), -x.log(base) / (base * ln_base))
}

/// Partials of `a * b`: `(b, a)`.
#[inline(always)]
pub fn mul<S: Real>(a: S, b: S) -> (S, S) {
    (b, a)
}

/// Partials of `a.mul_add(b, c) = a * b + c`: `(b, a, 1)`.
#[inline(always)]
pub fn mul_add<S: Real>(a: S, b: S, c: S) -> (S, S, S) {
    let _ = c;
    (b, a, S::one())
}

/// Partials of `a / b`: `(1 / b, -a / b^2)`.
#[inline(always)]
pub fn div<S: Real>(a: S, b: S) -> (S, S) {
    let inv = S::one() / b;
    (inv, -a * inv * inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-6 * (1.0 + x.abs());
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn unary_rules_match_central_differences() {
        type Rule = (&'static str, fn(f64) -> f64, fn(f64) -> f64);
        let table: [Rule; 12] = [
            ("sin", f64::sin, sin::<f64>),
            ("cos", f64::cos, cos::<f64>),
            ("tan", f64::tan, tan::<f64>),
            ("exp", f64::exp, exp::<f64>),
            ("ln", f64::ln, ln::<f64>),
            ("log10", f64::log10, log10::<f64>),
            ("sqrt", f64::sqrt, sqrt::<f64>),
            ("tanh", f64::tanh, tanh::<f64>),
            ("sinh", f64::sinh, sinh::<f64>),
            ("cosh", f64::cosh, cosh::<f64>),
            ("atan", f64::atan, atan::<f64>),
            ("abs", f64::abs, abs::<f64>),
        ];
        for (name, f, d) in table {
            for &x in &[0.3, 0.7, 1.3, 2.1] {
                let expected = fd(f, x);
                let got = d(x);
                assert!(
                    (got - expected).abs() <= 1e-7 * (1.0 + expected.abs()),
                    "{name}'({x}) = {got}, finite differences {expected}"
                );
            }
        }
    }

    #[test]
    fn more_unary_rules_match_central_differences_inside_their_domains() {
        type Rule = (&'static str, fn(f64) -> f64, fn(f64) -> f64, [f64; 3]);
        let inside = [-0.7, 0.2, 0.6];
        let positive = [0.3, 1.1, 2.4];
        let table: [Rule; 11] = [
            ("cbrt", f64::cbrt, cbrt::<f64>, [-1.7, 0.4, 2.9]),
            ("asin", f64::asin, asin::<f64>, inside),
            ("acos", f64::acos, acos::<f64>, inside),
            ("asinh", f64::asinh, asinh::<f64>, [-1.3, 0.2, 2.6]),
            ("acosh", f64::acosh, acosh::<f64>, [1.2, 1.9, 3.5]),
            ("atanh", f64::atanh, atanh::<f64>, inside),
            ("log2", f64::log2, log2::<f64>, positive),
            ("exp2", f64::exp2, exp2::<f64>, [-1.3, 0.2, 2.6]),
            ("exp_m1", f64::exp_m1, exp_m1::<f64>, [-1.3, 1e-3, 2.6]),
            ("ln_1p", f64::ln_1p, ln_1p::<f64>, [-0.6, 1e-3, 2.6]),
            ("recip", f64::recip, recip::<f64>, [-1.3, 0.4, 2.6]),
        ];
        for (name, f, d, points) in table {
            for x in points {
                let expected = fd(f, x);
                let got = d(x);
                assert!(
                    (got - expected).abs() <= 1e-7 * (1.0 + expected.abs()),
                    "{name}'({x}) = {got}, finite differences {expected}"
                );
            }
        }
        for (x, b) in [(0.7, 1.3), (1.9, 0.4), (2.5, 10.0)] {
            let (dx, db) = log(x, b);
            let ex = fd(|t| t.log(b), x);
            let eb = fd(|t| x.log(t), b);
            assert!(
                (dx - ex).abs() <= 1e-6 * (1.0 + ex.abs()),
                "log d/dx at {x}, {b}"
            );
            assert!(
                (db - eb).abs() <= 1e-6 * (1.0 + eb.abs()),
                "log d/db at {x}, {b}"
            );
        }
    }

    #[test]
    fn binary_rules_match_central_differences() {
        type Rule = (
            &'static str,
            fn(f64, f64) -> f64,
            fn(f64, f64) -> (f64, f64),
        );
        let table: [Rule; 7] = [
            ("powf", f64::powf, powf::<f64>),
            ("atan2", f64::atan2, atan2::<f64>),
            ("hypot", f64::hypot, hypot::<f64>),
            ("min", |a, b| Real::min(a, b), min::<f64>),
            ("max", |a, b| Real::max(a, b), max::<f64>),
            ("mul", |a, b| a * b, mul::<f64>),
            ("div", |a, b| a / b, div::<f64>),
        ];
        for (name, f, d) in table {
            for &(a, b) in &[(0.7, 1.3), (1.9, 0.4), (2.5, -0.6)] {
                let (da, db) = d(a, b);
                let ea = fd(|t| f(t, b), a);
                let eb = fd(|t| f(a, t), b);
                assert!((da - ea).abs() <= 1e-6 * (1.0 + ea.abs()), "{name} d/da");
                assert!((db - eb).abs() <= 1e-6 * (1.0 + eb.abs()), "{name} d/db");
            }
        }
        for &(a, b, c) in &[(0.7, 1.3, -0.2), (1.9, 0.4, 3.0), (2.5, -0.6, 0.1)] {
            let (da, db, dc) = mul_add(a, b, c);
            let f = |a: f64, b: f64, c: f64| a.mul_add(b, c);
            for (d, e) in [
                (da, fd(|t| f(t, b, c), a)),
                (db, fd(|t| f(a, t, c), b)),
                (dc, fd(|t| f(a, b, t), c)),
            ] {
                assert!((d - e).abs() <= 1e-6 * (1.0 + e.abs()), "mul_add");
            }
        }
        assert_eq!(powi(1.5_f64, 3), 3.0 * 1.5 * 1.5);
        assert_eq!(powi(1.5_f64, 0), 0.0);
    }

    #[test]
    fn kinks_follow_the_documented_conventions() {
        assert_eq!(abs(0.0_f64), 0.0);
        assert_eq!(min(1.0_f64, 1.0), (1.0, 0.0));
        assert_eq!(max(1.0_f64, 1.0), (1.0, 0.0));
        assert_eq!(hypot(0.0_f64, 0.0), (0.0, 0.0));
        assert_eq!(powf(0.0_f64, 2.0), (0.0, 0.0));
        assert_eq!(sqrt(0.0_f64), f64::INFINITY);
    }
}
