//! Fixed-size views and scratch for generated code, so reverse sweeps of `[f64; N]` data
//! allocate nothing and index without bounds checks.
//!
//! A companion of `fn f(u: [f64; 40])` takes the adjoint as a slice, `u_bar: &mut [S]`, like
//! every array adjoint. Seen as `&mut [S; 40]` after one length check at entry, the reverse
//! sweep's constant indices and loop bounds are provably in range, so rustc drops the bounds
//! checks and vectorises the loops; and the scratch adjoint of an inactive `[f64; 1]` passed to
//! a callee is `[S; 1]` on the stack, not a `Vec` per call.

use crate::Real;

/// The adjoint `x` of a fixed-size array of length `N`, as an array: the entry check of a
/// companion, failing at the call and naming the argument (as `check_len` does).
///
/// ```
/// let mut u_bar = vec![0.0_f64; 3];
/// let fixed: &mut [f64; 3] = tapeless_runtime::fixed_mut("f_vjp", "u_bar", "u", &mut u_bar);
/// fixed[2] += 1.0;
/// assert_eq!(u_bar, [0.0, 0.0, 1.0]);
/// ```
///
/// # Panics
///
/// If `x.len()` is not `N`.
#[inline]
pub fn fixed_mut<'a, S, const N: usize>(
    function: &str,
    argument: &str,
    value: &str,
    x: &'a mut [S],
) -> &'a mut [S; N] {
    let found = x.len();
    match x.try_into() {
        Ok(a) => a,
        Err(_) => panic!(
            "{function}: `{argument}` has length {found} but `{value}` has length {N}; a tangent or adjoint has the length of its value"
        ),
    }
}

/// Arrays that have zeros of the same length in another scalar type: the scratch adjoint of an
/// array argument that carries none (`[S; N]` on the stack for a fixed-size array, a `Vec`
/// otherwise).
///
/// ```
/// use tapeless_runtime::{zeros_in, Dual};
/// let p = [8.0_f64];
/// let z: [Dual<f64, 1>; 1] = zeros_in(&p);
/// assert_eq!(z[0], Dual::constant(0.0));
/// assert_eq!(zeros_in::<f64, _>(&[1.0_f64, 2.0][..]), vec![0.0, 0.0]);
/// ```
pub trait ZerosIn {
    /// The zeros in the scalar type `S`.
    type Zeros<S: Real>;
    /// Zeros in `S`, as many as `self` has elements.
    fn zeros_in<S: Real>(&self) -> Self::Zeros<S>;
}

impl<T, const N: usize> ZerosIn for [T; N] {
    type Zeros<S: Real> = [S; N];
    #[inline(always)]
    fn zeros_in<S: Real>(&self) -> [S; N] {
        [S::zero(); N]
    }
}

impl<T> ZerosIn for [T] {
    type Zeros<S: Real> = Vec<S>;
    #[inline]
    fn zeros_in<S: Real>(&self) -> Vec<S> {
        vec![S::zero(); self.len()]
    }
}

impl<T> ZerosIn for Vec<T> {
    type Zeros<S: Real> = Vec<S>;
    #[inline]
    fn zeros_in<S: Real>(&self) -> Vec<S> {
        vec![S::zero(); self.len()]
    }
}

/// A borrowed row (`&obs[k]` of `obs: &[Vec<f64>]`): zeros shaped like the row.
impl<T: ZerosIn + ?Sized> ZerosIn for &T {
    type Zeros<S: Real> = T::Zeros<S>;
    #[inline(always)]
    fn zeros_in<S: Real>(&self) -> T::Zeros<S> {
        (**self).zeros_in::<S>()
    }
}

/// Zeros in `S` shaped like `x` (see [`ZerosIn`]).
#[inline(always)]
pub fn zeros_in<S: Real, T: ZerosIn + ?Sized>(x: &T) -> T::Zeros<S> {
    x.zeros_in::<S>()
}

/// `f64` data lifted into the scalar type `S`, keeping its shape: `[S; N]` on the stack for a
/// fixed-size array, a `Vec` otherwise (what a callee reads of data its caller does not
/// differentiate).
///
/// ```
/// use tapeless_runtime::lift_in;
/// let lifted: [f64; 2] = lift_in(&[1.0_f64, 2.0]);
/// assert_eq!(lifted, [1.0, 2.0]);
/// ```
pub trait LiftIn {
    /// The values in the scalar type `S`.
    type Lifted<S: Real>;
    /// The values in `S`.
    fn lift_in<S: Real>(&self) -> Self::Lifted<S>;
}

impl<const N: usize> LiftIn for [f64; N] {
    type Lifted<S: Real> = [S; N];
    #[inline(always)]
    fn lift_in<S: Real>(&self) -> [S; N] {
        core::array::from_fn(|k| S::from_f64(self[k]))
    }
}

impl LiftIn for [f64] {
    type Lifted<S: Real> = Vec<S>;
    #[inline]
    fn lift_in<S: Real>(&self) -> Vec<S> {
        self.iter().map(|&v| S::from_f64(v)).collect()
    }
}

impl LiftIn for Vec<f64> {
    type Lifted<S: Real> = Vec<S>;
    #[inline]
    fn lift_in<S: Real>(&self) -> Vec<S> {
        self.iter().map(|&v| S::from_f64(v)).collect()
    }
}

/// A borrowed row (`&obs[k]` of `obs: &[Vec<f64>]`): the row lifted.
///
/// ```
/// use tapeless_runtime::lift_in;
/// let obs = vec![vec![1.0_f64, 2.0], vec![3.0]];
/// let row = &obs[0];
/// let lifted: Vec<f64> = lift_in(&row);
/// assert_eq!(lifted, [1.0, 2.0]);
/// ```
impl<T: LiftIn + ?Sized> LiftIn for &T {
    type Lifted<S: Real> = T::Lifted<S>;
    #[inline(always)]
    fn lift_in<S: Real>(&self) -> T::Lifted<S> {
        (**self).lift_in::<S>()
    }
}

/// `x` lifted into `S`, shaped like `x` (see [`LiftIn`]).
#[inline(always)]
pub fn lift_in<S: Real, T: LiftIn + ?Sized>(x: &T) -> T::Lifted<S> {
    x.lift_in::<S>()
}
