//! The scalar abstraction every piece of generated code is generic over.
//!
//! `#[differentiable]` rewrites `f64` in a user's function to a type parameter `S: Real`, so the
//! same generated tangent and adjoint run at `f32`, at `f64`, and at dual numbers (which turns an
//! adjoint into a Hessian-vector product with no new generated code). `Real` asks for what the
//! subset of Rust accepted by the macro uses, and nothing else: field arithmetic, comparison of
//! primal values, and the elementary functions.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real scalar: `f32`, `f64`, or a number type built on them such as a dual number.
///
/// `zero()` and `one()` come from the supertraits [`Zero`](num_traits::Zero) and
/// [`One`](num_traits::One) (re-exported by this crate), which also make every `Real` a scalar of
/// nalgebra matrices: generated code multiplies `DMatrix<S>` by `DVector<S>` at any `S: Real`.
///
/// Comparisons (`PartialOrd`) compare primal values, so a branch taken on a dual number is the
/// branch the plain value takes. Elementary functions follow `f64`'s names and conventions.
///
/// ```
/// use tapeless_runtime::Real;
///
/// fn norm2<S: Real>(x: &[S]) -> S {
///     let mut s = S::zero();
///     for &xi in x {
///         s += xi * xi;
///     }
///     s.sqrt()
/// }
/// assert_eq!(norm2(&[3.0_f64, 4.0]), 5.0);
/// assert_eq!(norm2(&[3.0_f32, 4.0]), 5.0);
/// ```
pub trait Real:
    Copy
    + Debug
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + num_traits::Zero
    + num_traits::One
    + 'static
{
    /// Whether dense products of matrices of this scalar run faster in plain loops over
    /// contiguous storage than in nalgebra's generic kernels: true for dual numbers, whose
    /// arithmetic those kernels do not vectorise (see [`linalg::mul`](crate::linalg::mul)).
    /// Either way gives the same values up to the order of rounding.
    const PLAIN_KERNELS: bool = false;

    /// The constant `c` in this type (rounded for `f32`; zero derivative part for duals).
    fn from_f64(c: f64) -> Self;
    /// The primal value as `f64`, dropping any derivative part (a stop-gradient).
    fn to_f64(self) -> f64;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Exponential `e^x`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Base-10 logarithm.
    fn log10(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Real power `self^p`.
    fn powf(self, p: Self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Arc tangent.
    fn atan(self) -> Self;
    /// Four-quadrant arc tangent of `self / x` (`self` is y).
    fn atan2(self, x: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `sqrt(self^2 + other^2)` without undue overflow.
    fn hypot(self, other: Self) -> Self;
    /// `self * b + c` rounded once (a fused multiply-add), as `f64::mul_add`.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Cube root.
    fn cbrt(self) -> Self;
    /// Arc sine.
    fn asin(self) -> Self;
    /// Arc cosine.
    fn acos(self) -> Self;
    /// Inverse hyperbolic sine.
    fn asinh(self) -> Self;
    /// Inverse hyperbolic cosine.
    fn acosh(self) -> Self;
    /// Inverse hyperbolic tangent.
    fn atanh(self) -> Self;
    /// Base-2 logarithm.
    fn log2(self) -> Self;
    /// `2^x`.
    fn exp2(self) -> Self;
    /// `e^x - 1`, accurate near zero.
    fn exp_m1(self) -> Self;
    /// `ln(1 + x)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// `1 / x`.
    fn recip(self) -> Self;
    /// `1` for positive values and `+0`, `-1` for negative values and `-0` (piecewise constant).
    fn signum(self) -> Self;
    /// The largest integer not above the value (piecewise constant).
    fn floor(self) -> Self;
    /// The smallest integer not below the value (piecewise constant).
    fn ceil(self) -> Self;
    /// The nearest integer, half-way cases away from zero (piecewise constant).
    fn round(self) -> Self;
    /// The integer part, rounding toward zero (piecewise constant).
    fn trunc(self) -> Self;
    /// Logarithm of `self` to the base `base`.
    fn log(self, base: Self) -> Self;
    /// The smaller of two values, `self` when they are equal.
    fn min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    /// The larger of two values, `self` when they are equal.
    fn max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    /// Whether the primal value is finite (not infinite, not NaN).
    fn is_finite(self) -> bool {
        self.to_f64().is_finite()
    }
    /// `self * c` for a constant `c`, one whose derivative part is zero (generated code passes
    /// products of the user's literals). A dual number multiplies its value and each tangent by
    /// `c`'s value, one multiplication per lane, where a product of duals also multiplies the
    /// value by `c`'s zero tangent and adds (`x * 0.0` is not `0.0` to the compiler: `x` may be
    /// infinite). The same values as `self * c` but for the sign of a zero tangent and the
    /// tangents of a non-finite value.
    ///
    /// ```
    /// use tapeless_runtime::{Dual, Real};
    ///
    /// assert_eq!(Real::mul_constant(3.0_f64, 0.5), 1.5);
    /// let x = Dual::new(3.0_f64, [2.0]);
    /// let y = x.mul_constant(Dual::constant(0.5));
    /// assert_eq!((y.value, y.tangents), (1.5, [1.0]));
    /// ```
    #[inline(always)]
    fn mul_constant(self, c: Self) -> Self {
        self * c
    }
}

macro_rules! impl_real_for_float {
    ($t:ty) => {
        impl Real for $t {
            #[inline(always)]
            fn from_f64(c: f64) -> Self {
                c as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                <$t>::log10(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                <$t>::sinh(self)
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                <$t>::cosh(self)
            }
            #[inline(always)]
            fn atan(self) -> Self {
                <$t>::atan(self)
            }
            #[inline(always)]
            fn atan2(self, x: Self) -> Self {
                <$t>::atan2(self, x)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn hypot(self, other: Self) -> Self {
                <$t>::hypot(self, other)
            }
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                <$t>::mul_add(self, b, c)
            }
            #[inline(always)]
            fn cbrt(self) -> Self {
                <$t>::cbrt(self)
            }
            #[inline(always)]
            fn asin(self) -> Self {
                <$t>::asin(self)
            }
            #[inline(always)]
            fn acos(self) -> Self {
                <$t>::acos(self)
            }
            #[inline(always)]
            fn asinh(self) -> Self {
                <$t>::asinh(self)
            }
            #[inline(always)]
            fn acosh(self) -> Self {
                <$t>::acosh(self)
            }
            #[inline(always)]
            fn atanh(self) -> Self {
                <$t>::atanh(self)
            }
            #[inline(always)]
            fn log2(self) -> Self {
                <$t>::log2(self)
            }
            #[inline(always)]
            fn exp2(self) -> Self {
                <$t>::exp2(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn recip(self) -> Self {
                <$t>::recip(self)
            }
            #[inline(always)]
            fn signum(self) -> Self {
                <$t>::signum(self)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline(always)]
            fn ceil(self) -> Self {
                <$t>::ceil(self)
            }
            #[inline(always)]
            fn round(self) -> Self {
                <$t>::round(self)
            }
            #[inline(always)]
            fn trunc(self) -> Self {
                <$t>::trunc(self)
            }
            #[inline(always)]
            fn log(self, base: Self) -> Self {
                <$t>::log(self, base)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_real_for_float!(f32);
impl_real_for_float!(f64);
