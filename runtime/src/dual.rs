//! Forward-mode dual numbers: a value and `N` tangents carried through every operation.
//!
//! `Dual<S, N>` is itself [`Real`], so any code generic over `S: Real` runs on it and returns,
//! besides its value, the directional derivatives along `N` directions at once. Derivatives come
//! from [`crate::rules`], so duals share the conventions at kinks of the generated code. Because
//! the implementation is generic over `S: Real`, duals nest: `Dual<Dual<f64, 1>, 1>` gives second
//! derivatives, three levels give third derivatives, and a dual fed to a generated adjoint gives a
//! Hessian-vector product.

use core::array;
use core::cmp::Ordering;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::{rules, Real};

/// A dual number: a primal `value` and its derivatives `tangents` along `N` directions.
///
/// Every operation applies the chain rule to each lane independently. Comparisons
/// (`PartialEq`, `PartialOrd`) look at the primal value only, so a branch taken on a dual is the
/// branch its value takes. No operation allocates.
///
/// ```
/// use tapeless_runtime::{Dual, Real};
///
/// fn f<S: Real>(x: S) -> S {
///     x * x.sin()
/// }
/// let x = 0.5_f64;
/// let y = f(Dual::<f64, 1>::seeded(x, 0));
/// assert_eq!(y.value(), x * x.sin());
/// assert!((y.tangent(0) - (x.sin() + x * x.cos())).abs() < 1e-15);
/// ```
///
/// Nesting gives higher derivatives: the tangent of the tangent is the second derivative.
///
/// ```
/// use tapeless_runtime::{Dual, Real};
///
/// let x = 0.5_f64;
/// let x2 = Dual::<Dual<f64, 1>, 1>::seeded(Dual::seeded(x, 0), 0);
/// let y = x2 * x2.sin();
/// // (x sin x)'' = 2 cos x - x sin x
/// assert!((y.tangent(0).tangent(0) - (2.0 * x.cos() - x * x.sin())).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual<S: Real, const N: usize> {
    /// The primal value.
    pub value: S,
    /// The derivative of the value along each of the `N` directions.
    pub tangents: [S; N],
}

impl<S: Real, const N: usize> Dual<S, N> {
    /// A dual number from its value and tangents.
    ///
    /// ```
    /// use tapeless_runtime::Dual;
    /// let d = Dual::new(2.0_f64, [1.0, -1.0]);
    /// assert_eq!(d.tangent(1), -1.0);
    /// ```
    #[inline(always)]
    pub const fn new(value: S, tangents: [S; N]) -> Self {
        Self { value, tangents }
    }

    /// A constant: `value` with zero tangents in every lane.
    ///
    /// ```
    /// use tapeless_runtime::Dual;
    /// let c = Dual::<f64, 2>::constant(3.0);
    /// assert_eq!(c.tangents, [0.0, 0.0]);
    /// ```
    #[inline(always)]
    pub fn constant(value: S) -> Self {
        Self {
            value,
            tangents: [S::zero(); N],
        }
    }

    /// An independent variable: `value` with tangent one in `lane` and zero in the others.
    ///
    /// # Panics
    ///
    /// If `lane >= N`.
    ///
    /// ```
    /// use tapeless_runtime::Dual;
    /// let y = Dual::<f64, 2>::seeded(3.0, 1);
    /// assert_eq!(y.tangents, [0.0, 1.0]);
    /// ```
    #[inline(always)]
    pub fn seeded(value: S, lane: usize) -> Self {
        assert!(
            lane < N,
            "tapeless: seeded lane {lane} of a dual number with {N} lanes"
        );
        let mut tangents = [S::zero(); N];
        tangents[lane] = S::one();
        Self { value, tangents }
    }

    /// The primal value.
    #[inline(always)]
    pub fn value(&self) -> S {
        self.value
    }

    /// The derivative along direction `lane`.
    ///
    /// # Panics
    ///
    /// If `lane >= N`.
    #[inline(always)]
    pub fn tangent(&self, lane: usize) -> S {
        self.tangents[lane]
    }

    /// The result of a one-argument function with local derivative `derivative`.
    #[inline(always)]
    fn chain(self, value: S, derivative: S) -> Self {
        Self {
            value,
            tangents: self.tangents.map(|t| derivative * t),
        }
    }

    /// The result of a two-argument function with partials `d_a` and `d_b`.
    #[inline(always)]
    fn chain2(value: S, a: Self, d_a: S, b: Self, d_b: S) -> Self {
        Self {
            value,
            tangents: array::from_fn(|i| d_a * a.tangents[i] + d_b * b.tangents[i]),
        }
    }
}

/// `partial * tangent`, except zero when the tangent is zero and the partial is not finite.
///
/// `powf` takes its exponent as a dual, so `x.powf(S::from_f64(2.0))` at `x < 0` meets
/// `d/dp = x^2 ln x = NaN` times a zero tangent; generated code skips that product (the exponent
/// is inactive), and so must a dual. The test is on primal values, so in a nested dual it can
/// only drop a product whose inner lanes would be non-finite anyway.
#[inline(always)]
fn product_skipping_zero_tangent<S: Real>(partial: S, tangent: S) -> S {
    if tangent == S::zero() && !partial.is_finite() {
        S::zero()
    } else {
        partial * tangent
    }
}

impl<S: Real, const N: usize> PartialEq for Dual<S, N> {
    /// Compares primal values only.
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<S: Real, const N: usize> PartialOrd for Dual<S, N> {
    /// Compares primal values only.
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<S: Real, const N: usize> Add for Dual<S, N> {
    type Output = Self;
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        Self {
            value: self.value + rhs.value,
            tangents: array::from_fn(|i| self.tangents[i] + rhs.tangents[i]),
        }
    }
}

impl<S: Real, const N: usize> Sub for Dual<S, N> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Self {
        Self {
            value: self.value - rhs.value,
            tangents: array::from_fn(|i| self.tangents[i] - rhs.tangents[i]),
        }
    }
}

impl<S: Real, const N: usize> Mul for Dual<S, N> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        let (d_a, d_b) = rules::mul(self.value, rhs.value);
        Self::chain2(self.value * rhs.value, self, d_a, rhs, d_b)
    }
}

impl<S: Real, const N: usize> Div for Dual<S, N> {
    type Output = Self;
    #[inline(always)]
    fn div(self, rhs: Self) -> Self {
        let (d_a, d_b) = rules::div(self.value, rhs.value);
        Self::chain2(self.value / rhs.value, self, d_a, rhs, d_b)
    }
}

impl<S: Real, const N: usize> Neg for Dual<S, N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self {
            value: -self.value,
            tangents: self.tangents.map(|t| -t),
        }
    }
}

impl<S: Real, const N: usize> AddAssign for Dual<S, N> {
    #[inline(always)]
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl<S: Real, const N: usize> SubAssign for Dual<S, N> {
    #[inline(always)]
    fn sub_assign(&mut self, rhs: Self) {
        *self = *self - rhs;
    }
}

impl<S: Real, const N: usize> MulAssign for Dual<S, N> {
    #[inline(always)]
    fn mul_assign(&mut self, rhs: Self) {
        *self = *self * rhs;
    }
}

impl<S: Real, const N: usize> DivAssign for Dual<S, N> {
    #[inline(always)]
    fn div_assign(&mut self, rhs: Self) {
        *self = *self / rhs;
    }
}

/// Zero in every lane. `is_zero` asks for a zero value *and* zero tangents, so that linear
/// algebra that skips work on zeros (nalgebra's `gemv` with `beta == 0`) never drops a tangent.
impl<S: Real, const N: usize> num_traits::Zero for Dual<S, N> {
    #[inline(always)]
    fn zero() -> Self {
        Self::constant(S::zero())
    }
    #[inline(always)]
    fn is_zero(&self) -> bool {
        self.value.is_zero() && self.tangents.iter().all(|t| t.is_zero())
    }
}

/// One, with zero tangents.
impl<S: Real, const N: usize> num_traits::One for Dual<S, N> {
    #[inline(always)]
    fn one() -> Self {
        Self::constant(S::one())
    }
}

impl<S: Real, const N: usize> Real for Dual<S, N> {
    const PLAIN_KERNELS: bool = true;

    /// `c`'s tangents are zero: the value and each tangent times `c`'s value.
    #[inline(always)]
    fn mul_constant(self, c: Self) -> Self {
        Self {
            value: self.value.mul_constant(c.value),
            tangents: array::from_fn(|i| self.tangents[i].mul_constant(c.value)),
        }
    }

    #[inline(always)]
    fn from_f64(c: f64) -> Self {
        Self::constant(S::from_f64(c))
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self.value.to_f64()
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.chain(self.value.sin(), rules::sin(self.value))
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.chain(self.value.cos(), rules::cos(self.value))
    }
    #[inline(always)]
    fn tan(self) -> Self {
        self.chain(self.value.tan(), rules::tan(self.value))
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.chain(self.value.exp(), rules::exp(self.value))
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.chain(self.value.ln(), rules::ln(self.value))
    }
    #[inline(always)]
    fn log10(self) -> Self {
        self.chain(self.value.log10(), rules::log10(self.value))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.chain(self.value.sqrt(), rules::sqrt(self.value))
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        self.chain(self.value.powi(n), rules::powi(self.value, n))
    }
    #[inline(always)]
    fn powf(self, p: Self) -> Self {
        let (d_a, d_p) = rules::powf(self.value, p.value);
        Self {
            value: self.value.powf(p.value),
            tangents: array::from_fn(|i| {
                product_skipping_zero_tangent(d_a, self.tangents[i])
                    + product_skipping_zero_tangent(d_p, p.tangents[i])
            }),
        }
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        self.chain(self.value.tanh(), rules::tanh(self.value))
    }
    #[inline(always)]
    fn sinh(self) -> Self {
        self.chain(self.value.sinh(), rules::sinh(self.value))
    }
    #[inline(always)]
    fn cosh(self) -> Self {
        self.chain(self.value.cosh(), rules::cosh(self.value))
    }
    #[inline(always)]
    fn atan(self) -> Self {
        self.chain(self.value.atan(), rules::atan(self.value))
    }
    #[inline(always)]
    fn atan2(self, x: Self) -> Self {
        let (d_y, d_x) = rules::atan2(self.value, x.value);
        Self::chain2(self.value.atan2(x.value), self, d_y, x, d_x)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.chain(self.value.abs(), rules::abs(self.value))
    }
    #[inline(always)]
    fn hypot(self, other: Self) -> Self {
        let (d_a, d_b) = rules::hypot(self.value, other.value);
        Self::chain2(self.value.hypot(other.value), self, d_a, other, d_b)
    }
    /// The value is the fused `mul_add` of the values (bit-identical to the scalar's); the
    /// tangents are `b a_dot + a b_dot + c_dot`.
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        let (d_a, d_b, d_c) = rules::mul_add(self.value, b.value, c.value);
        Self {
            value: self.value.mul_add(b.value, c.value),
            tangents: array::from_fn(|i| {
                d_a * self.tangents[i] + d_b * b.tangents[i] + d_c * c.tangents[i]
            }),
        }
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        let (d_a, d_b) = rules::min(self.value, other.value);
        Self::chain2(self.value.min(other.value), self, d_a, other, d_b)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        let (d_a, d_b) = rules::max(self.value, other.value);
        Self::chain2(self.value.max(other.value), self, d_a, other, d_b)
    }
    #[inline(always)]
    fn cbrt(self) -> Self {
        self.chain(self.value.cbrt(), rules::cbrt(self.value))
    }
    #[inline(always)]
    fn asin(self) -> Self {
        self.chain(self.value.asin(), rules::asin(self.value))
    }
    #[inline(always)]
    fn acos(self) -> Self {
        self.chain(self.value.acos(), rules::acos(self.value))
    }
    #[inline(always)]
    fn asinh(self) -> Self {
        self.chain(self.value.asinh(), rules::asinh(self.value))
    }
    #[inline(always)]
    fn acosh(self) -> Self {
        self.chain(self.value.acosh(), rules::acosh(self.value))
    }
    #[inline(always)]
    fn atanh(self) -> Self {
        self.chain(self.value.atanh(), rules::atanh(self.value))
    }
    #[inline(always)]
    fn log2(self) -> Self {
        self.chain(self.value.log2(), rules::log2(self.value))
    }
    #[inline(always)]
    fn exp2(self) -> Self {
        self.chain(self.value.exp2(), rules::exp2(self.value))
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        self.chain(self.value.exp_m1(), rules::exp_m1(self.value))
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        self.chain(self.value.ln_1p(), rules::ln_1p(self.value))
    }
    #[inline(always)]
    fn recip(self) -> Self {
        self.chain(self.value.recip(), rules::recip(self.value))
    }
    #[inline(always)]
    fn signum(self) -> Self {
        Self::constant(self.value.signum())
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Self::constant(self.value.floor())
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        Self::constant(self.value.ceil())
    }
    #[inline(always)]
    fn round(self) -> Self {
        Self::constant(self.value.round())
    }
    #[inline(always)]
    fn trunc(self) -> Self {
        Self::constant(self.value.trunc())
    }
    #[inline(always)]
    fn log(self, base: Self) -> Self {
        let (d_x, d_base) = rules::log(self.value, base.value);
        Self::chain2(self.value.log(base.value), self, d_x, base, d_base)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        self.value.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::relative_error;

    type D2 = Dual<f64, 2>;

    fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-6 * (1.0 + x.abs());
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    fn assert_close(got: f64, expected: f64, tolerance: f64, what: &str) {
        assert!(
            relative_error(got, expected, 1.0) <= tolerance,
            "{what}: dual gives {got}, expected {expected}"
        );
    }

    const ANYWHERE: &[f64] = &[-1.4, -0.8, 0.3, 0.7, 1.3];
    const POSITIVE: &[f64] = &[0.3, 0.7, 1.3, 2.1];
    const INSIDE_UNIT: &[f64] = &[-0.8, -0.3, 0.2, 0.7];
    const ABOVE_ONE: &[f64] = &[1.2, 1.9, 3.5];

    #[test]
    fn unary_tangents_match_central_differences_in_each_lane() {
        type Row = (&'static str, fn(f64) -> f64, fn(D2) -> D2, &'static [f64]);
        let table: [Row; 35] = [
            ("sin", f64::sin, Real::sin, ANYWHERE),
            ("cos", f64::cos, Real::cos, ANYWHERE),
            ("tan", f64::tan, Real::tan, ANYWHERE),
            ("exp", f64::exp, Real::exp, ANYWHERE),
            ("ln", f64::ln, Real::ln, POSITIVE),
            ("log10", f64::log10, Real::log10, POSITIVE),
            ("sqrt", f64::sqrt, Real::sqrt, POSITIVE),
            ("powi 3", |x| x.powi(3), |x| x.powi(3), ANYWHERE),
            ("powi -2", |x| x.powi(-2), |x| x.powi(-2), ANYWHERE),
            ("powi 0", |x| x.powi(0), |x| x.powi(0), ANYWHERE),
            (
                "powf 2.5",
                |x| x.powf(2.5),
                |x| x.powf(D2::from_f64(2.5)),
                POSITIVE,
            ),
            (
                "powf 3 of negative",
                |x| x.powf(3.0),
                |x| x.powf(D2::from_f64(3.0)),
                ANYWHERE,
            ),
            ("tanh", f64::tanh, Real::tanh, ANYWHERE),
            ("sinh", f64::sinh, Real::sinh, ANYWHERE),
            ("cosh", f64::cosh, Real::cosh, ANYWHERE),
            ("atan", f64::atan, Real::atan, ANYWHERE),
            ("abs", f64::abs, Real::abs, ANYWHERE),
            ("cbrt", f64::cbrt, Real::cbrt, ANYWHERE),
            ("asin", f64::asin, Real::asin, INSIDE_UNIT),
            ("acos", f64::acos, Real::acos, INSIDE_UNIT),
            ("asinh", f64::asinh, Real::asinh, ANYWHERE),
            ("acosh", f64::acosh, Real::acosh, ABOVE_ONE),
            ("atanh", f64::atanh, Real::atanh, INSIDE_UNIT),
            ("log2", f64::log2, Real::log2, POSITIVE),
            ("exp2", f64::exp2, Real::exp2, ANYWHERE),
            ("exp_m1", f64::exp_m1, Real::exp_m1, ANYWHERE),
            ("ln_1p", f64::ln_1p, Real::ln_1p, INSIDE_UNIT),
            ("recip", f64::recip, Real::recip, ANYWHERE),
            ("signum", f64::signum, Real::signum, ANYWHERE),
            ("floor", f64::floor, Real::floor, ANYWHERE),
            ("ceil", f64::ceil, Real::ceil, ANYWHERE),
            ("round", f64::round, Real::round, ANYWHERE),
            ("trunc", f64::trunc, Real::trunc, ANYWHERE),
            ("neg", |x| -x, |x| -x, ANYWHERE),
            (
                "composite",
                |x| (x * x).sin() / x.cosh(),
                |x| (x * x).sin() / x.cosh(),
                ANYWHERE,
            ),
        ];
        let directions = [1.0, -2.5];
        for (name, f, f_dual, points) in table {
            for &x in points {
                let y = f_dual(Dual::new(x, directions));
                assert_eq!(y.value, f(x), "{name}({x}) value");
                let derivative = fd(f, x);
                for (lane, direction) in directions.into_iter().enumerate() {
                    assert_close(
                        y.tangent(lane),
                        direction * derivative,
                        1e-7,
                        &format!("{name}'({x}) lane {lane}"),
                    );
                }
            }
        }
    }

    #[test]
    fn binary_tangents_match_central_differences_in_each_lane() {
        type Row = (
            &'static str,
            fn(f64, f64) -> f64,
            fn(D2, D2) -> D2,
            &'static [(f64, f64)],
        );
        const PAIRS: &[(f64, f64)] = &[(0.7, 1.3), (1.9, 0.4), (2.5, -0.6), (-0.9, -1.7)];
        const POSITIVE_BASE: &[(f64, f64)] = &[(0.7, 1.3), (1.9, 0.4), (2.5, -0.6), (0.3, 2.0)];
        const LOG_PAIRS: &[(f64, f64)] = &[(0.7, 1.3), (1.9, 0.4), (2.5, 10.0), (0.3, 2.0)];
        let table: [Row; 14] = [
            ("powf", f64::powf, Real::powf, POSITIVE_BASE),
            ("log", f64::log, Real::log, LOG_PAIRS),
            ("atan2", f64::atan2, Real::atan2, PAIRS),
            ("hypot", f64::hypot, Real::hypot, PAIRS),
            ("min", |a, b| Real::min(a, b), Real::min, PAIRS),
            ("max", |a, b| Real::max(a, b), Real::max, PAIRS),
            ("add", |a, b| a + b, |a, b| a + b, PAIRS),
            ("sub", |a, b| a - b, |a, b| a - b, PAIRS),
            ("mul", |a, b| a * b, |a, b| a * b, PAIRS),
            ("div", |a, b| a / b, |a, b| a / b, PAIRS),
            (
                "add_assign",
                |a, b| a + b,
                |mut a, b| {
                    a += b;
                    a
                },
                PAIRS,
            ),
            (
                "sub_assign",
                |a, b| a - b,
                |mut a, b| {
                    a -= b;
                    a
                },
                PAIRS,
            ),
            (
                "mul_assign",
                |a, b| a * b,
                |mut a, b| {
                    a *= b;
                    a
                },
                PAIRS,
            ),
            (
                "div_assign",
                |a, b| a / b,
                |mut a, b| {
                    a /= b;
                    a
                },
                PAIRS,
            ),
        ];
        for (name, f, f_dual, points) in table {
            for &(a, b) in points {
                let y = f_dual(Dual::seeded(a, 0), Dual::seeded(b, 1));
                assert_eq!(y.value, f(a, b), "{name}({a}, {b}) value");
                let d_a = fd(|t| f(t, b), a);
                let d_b = fd(|t| f(a, t), b);
                let what = format!("{name}({a}, {b})");
                assert_close(y.tangent(0), d_a, 1e-7, &format!("{what} d/da"));
                assert_close(y.tangent(1), d_b, 1e-7, &format!("{what} d/db"));
            }
        }
    }

    #[test]
    fn mul_add_is_fused_in_the_value_and_matches_differences_in_each_lane() {
        // 0.1 * 10.0 - 1.0 is 0.0 rounded twice and 2^-54 fused.
        for &(a, b, c) in &[(0.7, 1.3, -0.2), (0.1, 10.0, -1.0), (-0.9, -1.7, 2.5)] {
            let y = Real::mul_add(
                Dual::<f64, 3>::seeded(a, 0),
                Dual::seeded(b, 1),
                Dual::seeded(c, 2),
            );
            assert_eq!(y.value.to_bits(), a.mul_add(b, c).to_bits());
            let f = |a: f64, b: f64, c: f64| a.mul_add(b, c);
            assert_close(y.tangent(0), fd(|t| f(t, b, c), a), 1e-7, "d/da");
            assert_close(y.tangent(1), fd(|t| f(a, t, c), b), 1e-7, "d/db");
            assert_close(y.tangent(2), fd(|t| f(a, b, t), c), 1e-7, "d/dc");
        }
        assert_ne!(0.1_f64.mul_add(10.0, -1.0), 0.1 * 10.0 - 1.0);
    }

    #[test]
    fn kinks_follow_the_conventions_of_the_rules() {
        let a = D2::seeded(1.0, 0);
        let b = D2::seeded(1.0, 1);
        assert_eq!(a.min(b).tangents, [1.0, 0.0]);
        assert_eq!(a.max(b).tangents, [1.0, 0.0]);
        assert_eq!(b.min(a).tangents, [0.0, 1.0]);
        assert_eq!(D2::new(0.0, [1.0, -1.0]).abs().tangents, [0.0, 0.0]);
        let origin = D2::new(0.0, [1.0, 2.0]).hypot(D2::new(0.0, [3.0, 4.0]));
        assert_eq!(origin.tangents, [0.0, 0.0]);
        // 0^p with p active: d/dp = 0, and the infinite d/da meets a zero tangent.
        let zero_power = D2::constant(0.0).powf(D2::seeded(0.5, 0));
        assert_eq!((zero_power.value, zero_power.tangents), (0.0, [0.0, 0.0]));
        // A constant exponent of a negative base: d/dp is NaN but the exponent is inactive.
        let square = D2::seeded(-1.5, 1).powf(D2::from_f64(2.0));
        assert_eq!((square.value, square.tangents), (2.25, [0.0, -3.0]));
        // An active exponent of a negative base has no real derivative.
        assert!(D2::constant(-1.5)
            .powf(D2::seeded(2.0, 0))
            .tangent(0)
            .is_nan());
    }

    #[test]
    fn constants_and_conversions_have_zero_tangents() {
        use num_traits::{One, Zero};
        assert_eq!(D2::from_f64(2.5).tangents, [0.0, 0.0]);
        assert_eq!(D2::zero().tangents, [0.0, 0.0]);
        assert_eq!((D2::one().value, D2::one().tangents), (1.0, [0.0, 0.0]));
        assert_eq!(D2::new(2.5, [7.0, 8.0]).to_f64(), 2.5);
        assert!(D2::new(1.0, [f64::NAN, 0.0]).is_finite());
        assert!(!D2::new(f64::INFINITY, [0.0, 0.0]).is_finite());
    }

    #[test]
    #[should_panic(expected = "seeded lane 2 of a dual number with 2 lanes")]
    fn seeding_a_lane_out_of_range_panics() {
        let _ = D2::seeded(1.0, 2);
    }

    #[test]
    fn comparisons_use_primal_values() {
        let a = D2::new(1.0, [5.0, 0.0]);
        let b = D2::new(1.0, [-3.0, 2.0]);
        let c = D2::new(2.0, [-9.0, -9.0]);
        assert!(a == b);
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
        assert!(a < c && c > b);
        assert_eq!(a.partial_cmp(&c), Some(Ordering::Less));
        assert_eq!(D2::constant(f64::NAN).partial_cmp(&a), None);
        // A branch on a dual takes the primal branch: |x| written with `if`.
        fn branchy_abs<S: Real>(x: S) -> S {
            if x < S::zero() {
                -x
            } else {
                x
            }
        }
        assert_eq!(
            branchy_abs(D2::new(-2.0, [1.0, 3.0])).tangents,
            [-1.0, -3.0]
        );
        assert_eq!(branchy_abs(D2::new(2.0, [-1.0, 3.0])).tangents, [-1.0, 3.0]);
    }

    #[test]
    fn f32_lanes_work() {
        fn f<S: Real>(x: S, y: S) -> S {
            x * y.sin() + (x * x).sqrt()
        }
        let (x, y) = (1.5_f32, 0.4_f32);
        let out = f(Dual::<f32, 2>::seeded(x, 0), Dual::<f32, 2>::seeded(y, 1));
        assert_eq!(out.value, f(x, y));
        assert!((out.tangent(0) - (y.sin() + 1.0)).abs() < 1e-6);
        assert!((out.tangent(1) - x * y.cos()).abs() < 1e-6);
    }

    fn seeded2(x: f64) -> Dual<Dual<f64, 1>, 1> {
        Dual::seeded(Dual::seeded(x, 0), 0)
    }

    fn seeded3(x: f64) -> Dual<Dual<Dual<f64, 1>, 1>, 1> {
        Dual::seeded(seeded2(x), 0)
    }

    #[test]
    fn nested_duals_give_second_derivatives() {
        for &x in ANYWHERE {
            let y = seeded2(x).sin() * seeded2(x).exp();
            let expected_first = x.exp() * (x.sin() + x.cos());
            let expected_second = 2.0 * x.cos() * x.exp();
            assert_close(y.value.value, x.sin() * x.exp(), 1e-12, "value");
            assert_close(
                y.value.tangent(0),
                expected_first,
                1e-12,
                "first from inner",
            );
            assert_close(
                y.tangent(0).value,
                expected_first,
                1e-12,
                "first from outer",
            );
            assert_close(y.tangent(0).tangent(0), expected_second, 1e-12, "second");
        }
    }

    #[test]
    fn nested_duals_give_third_derivatives() {
        fn f<S: Real>(x: S) -> S {
            x.powi(5) / (S::one() + x * x)
        }
        for &x in ANYWHERE {
            let y = f(seeded3(x));
            // x^5 / (1 + x^2) = x^3 - x + x / (1 + x^2), whose third derivative is this.
            let expected = 6.0 - 6.0 * (x.powi(4) - 6.0 * x * x + 1.0) / (1.0 + x * x).powi(4);
            let third = y.tangent(0).tangent(0).tangent(0);
            assert_close(third, expected, 1e-12, &format!("f'''({x})"));
        }
    }

    #[test]
    fn nested_duals_with_two_lanes_give_a_hessian() {
        fn f<S: Real>(x: S, y: S) -> S {
            x * x * y + (x * y).sin()
        }
        let (x, y) = (0.7, -1.3);
        let seed =
            |v: f64, lane: usize| Dual::<Dual<f64, 2>, 2>::seeded(Dual::seeded(v, lane), lane);
        let out = f(seed(x, 0), seed(y, 1));
        let hessian = [
            [out.tangent(0).tangent(0), out.tangent(0).tangent(1)],
            [out.tangent(1).tangent(0), out.tangent(1).tangent(1)],
        ];
        let xy = x * y;
        let f_xy = 2.0 * x + xy.cos() - xy * xy.sin();
        let expected = [
            [2.0 * y - y * y * xy.sin(), f_xy],
            [f_xy, -x * x * xy.sin()],
        ];
        for i in 0..2 {
            for j in 0..2 {
                assert_close(
                    hessian[i][j],
                    expected[i][j],
                    1e-12,
                    &format!("H[{i}][{j}]"),
                );
            }
        }
    }
}
