//! Data passed on to a callee's parameters outside its `wrt(..)`.
//!
//! A caller cannot see its callee's `wrt(..)`: it passes every real argument at its scalar type
//! `S`, with a tangent (an adjoint) after it. A callee's path companions (`misfit::jvp`,
//! `misfit::rev`, and a method's `__tl_p_misfit_jvp`, ..) therefore take a parameter outside
//! `wrt(..)` as the caller sends it and hand its `f64` value to the companion ([`DataArg`],
//! [`data_real`]), which reads it as data.
//!
//! Passing data on allocates nothing: a caller passes its own `f64` data (and a sub-slice of
//! it, [`data_window`]) borrowed, as a [`DataSlice`], which a callee keeping the parameter as
//! data reads as it is and a callee differentiating it sees lifted to `S` (made only then); the
//! zero tangent and adjoint of an argument carrying no derivative are [`LazyZeros`], made only
//! if the callee reads them. Fixed-size data (`[f64; N]`, a row `obs[k]` of an array of arrays)
//! is lifted and converted on the stack.
//!
//! That is right only when the argument carries no derivative in the caller. The caller says
//! so in the type of the adjoint it passes to the reverse companion: an argument inactive in
//! the caller gets a zero wrapped in [`Inactive`] or [`InactiveArray`] (which deref to the
//! adjoint types an active parameter takes), an active one its own adjoint. A callee's
//! parameter outside `wrt(..)` accepts only the wrappers ([`OutsideWrt`]), so an active value
//! passed there is a compile error at the argument, never a derivative silently dropped.

use crate::Real;
use core::ops::{Deref, DerefMut};
use std::borrow::Cow;
use std::cell::OnceCell;

/// The adjoint slot of a real or matrix argument that carries no derivative in the caller: a
/// zero the callee may accumulate into, then dropped.
///
/// ```
/// use tapeless_runtime::__private::Inactive;
/// fn accumulate(x_bar: &mut f64) { *x_bar += 1.0; }
/// accumulate(&mut Inactive(0.0));
/// ```
pub struct Inactive<T>(pub T);

impl<T> Deref for Inactive<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Inactive<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The adjoint slot of an array argument that carries no derivative in the caller: zeros (a
/// `Vec`, or a fixed-size array on the stack) seen as the slice an active parameter takes.
///
/// ```
/// use tapeless_runtime::__private::InactiveArray;
/// fn accumulate(u_bar: &mut [f64]) { u_bar[0] += 1.0; }
/// accumulate(&mut InactiveArray([0.0; 3]));
/// accumulate(&mut InactiveArray(vec![0.0; 2]));
/// ```
pub struct InactiveArray<A>(pub A);

impl<S> Deref for InactiveArray<Vec<S>> {
    type Target = [S];
    #[inline(always)]
    fn deref(&self) -> &[S] {
        &self.0
    }
}

impl<S> DerefMut for InactiveArray<Vec<S>> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [S] {
        &mut self.0
    }
}

impl<S, const N: usize> Deref for InactiveArray<[S; N]> {
    type Target = [S];
    #[inline(always)]
    fn deref(&self) -> &[S] {
        &self.0
    }
}

impl<S, const N: usize> DerefMut for InactiveArray<[S; N]> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [S] {
        &mut self.0
    }
}

/// Zeros of a given length at the scalar, made only when read: the tangent or adjoint slot of a
/// slice argument that carries no derivative in the caller. A callee that keeps its parameter
/// outside `wrt(..)` never reads it, so the 4D-Var time loop passing its observations on
/// allocates nothing; a callee differentiating the parameter sees zeros (`Deref`).
///
/// ```
/// use tapeless_runtime::__private::{InactiveArray, LazyZeros};
/// fn read(u_dot: &[f64]) -> f64 { u_dot.iter().sum() }
/// assert_eq!(read(&LazyZeros::<f64>::new(3)), 0.0);
/// fn accumulate(u_bar: &mut [f64]) { u_bar[1] += 1.0; }
/// accumulate(&mut InactiveArray(LazyZeros::new(2)));
/// ```
pub struct LazyZeros<S> {
    len: usize,
    zeros: OnceCell<Vec<S>>,
}

impl<S: Real> LazyZeros<S> {
    /// `len` zeros, not yet made.
    #[inline(always)]
    pub fn new(len: usize) -> Self {
        LazyZeros {
            len,
            zeros: OnceCell::new(),
        }
    }
}

impl<S: Real> Deref for LazyZeros<S> {
    type Target = [S];
    #[inline]
    fn deref(&self) -> &[S] {
        self.zeros.get_or_init(|| vec![S::zero(); self.len])
    }
}

impl<S: Real> DerefMut for LazyZeros<S> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [S] {
        let len = self.len;
        self.zeros.get_or_init(|| vec![S::zero(); len]);
        self.zeros.get_mut().map_or(&mut [], |z| &mut z[..])
    }
}

impl<S: Real> Deref for InactiveArray<LazyZeros<S>> {
    type Target = [S];
    #[inline(always)]
    fn deref(&self) -> &[S] {
        &self.0
    }
}

impl<S: Real> DerefMut for InactiveArray<LazyZeros<S>> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [S] {
        &mut self.0
    }
}

/// `f64` data a caller passes on to a slice parameter (its own data parameter, or a sub-slice of
/// one, `&obs[k * n..]`), borrowed: a callee keeping the parameter outside its `wrt(..)` reads
/// the `f64` values as they are ([`DataArg`]); one differentiating it sees them lifted to the
/// scalar (`Deref`, made only then).
///
/// ```
/// use tapeless_runtime::{Dual, __private::{DataArg, DataSlice}};
/// let obs = [1.5, 2.0];
/// let sent = DataSlice::<Dual<f64, 1>>::new(&obs);
/// assert_eq!(&*sent.f64s(), &obs[..]); // borrowed, not copied
/// assert_eq!(sent[1], Dual::constant(2.0));
/// ```
pub struct DataSlice<'a, S> {
    values: &'a [f64],
    lifted: OnceCell<Vec<S>>,
}

impl<'a, S: Real> DataSlice<'a, S> {
    /// `values`, passed on at the scalar `S`.
    #[inline(always)]
    pub fn new(values: &'a [f64]) -> Self {
        DataSlice {
            values,
            lifted: OnceCell::new(),
        }
    }
}

impl<S: Real> Deref for DataSlice<'_, S> {
    type Target = [S];
    #[inline]
    fn deref(&self) -> &[S] {
        self.lifted
            .get_or_init(|| self.values.iter().map(|&v| S::from_f64(v)).collect())
    }
}

/// `values[from..to]`: a sub-slice of data a caller passes on (`misfit(&u, &obs[k * n..])`),
/// borrowed (the caller checked the bounds as written).
///
/// ```
/// assert_eq!(tapeless_runtime::__private::data_window(&[1.0, 2.0, 3.0], 1, 3), &[2.0, 3.0]);
/// ```
#[inline(always)]
pub fn data_window<T>(values: &[T], from: usize, to: usize) -> &[T] {
    &values[from..to]
}

/// What a callee's slice parameter outside its `wrt(..)` takes (`&[f64]`, `&Vec<f64>`): a
/// caller's data borrowed as `f64` ([`DataSlice`]), or values at the scalar (an inactive local of
/// the caller's), converted.
///
/// ```
/// use tapeless_runtime::__private::DataArg;
/// assert_eq!(&*[1.0_f32, 2.0].f64s(), &[1.0, 2.0][..]);
/// assert_eq!([1.0_f32, 2.5].f64_at(1), 2.5);
/// ```
pub trait DataArg {
    /// The values as `f64`.
    fn f64s(&self) -> Cow<'_, [f64]>;

    /// The value at `k` as `f64`, without making the others (a callee's `&[f64; N]` data
    /// parameter reads them one by one into its array).
    fn f64_at(&self, k: usize) -> f64;
}

impl<S: Real> DataArg for DataSlice<'_, S> {
    #[inline(always)]
    fn f64s(&self) -> Cow<'_, [f64]> {
        Cow::Borrowed(self.values)
    }

    #[inline(always)]
    fn f64_at(&self, k: usize) -> f64 {
        self.values[k]
    }
}

impl<S: Real> DataArg for [S] {
    #[inline]
    fn f64s(&self) -> Cow<'_, [f64]> {
        Cow::Owned(data_of(self))
    }

    #[inline(always)]
    fn f64_at(&self, k: usize) -> f64 {
        self[k].to_f64()
    }
}

impl<S: Real> DataArg for Vec<S> {
    #[inline]
    fn f64s(&self) -> Cow<'_, [f64]> {
        Cow::Owned(data_of(self))
    }

    #[inline(always)]
    fn f64_at(&self, k: usize) -> f64 {
        self[k].to_f64()
    }
}

impl<S: Real, const N: usize> DataArg for [S; N] {
    #[inline]
    fn f64s(&self) -> Cow<'_, [f64]> {
        Cow::Owned(data_of(self))
    }

    #[inline(always)]
    fn f64_at(&self, k: usize) -> f64 {
        self[k].to_f64()
    }
}

/// The type of a callee's tangent parameter it never reads (of a parameter outside its
/// `wrt(..)`): any value, so a caller's [`LazyZeros`] is passed without being made.
pub trait Unread {}

impl<T: ?Sized> Unread for T {}

/// What a callee's parameter outside its `wrt(..)` accepts as the adjoint of its argument: only
/// the slot of an argument that carries no derivative ([`Inactive`], [`InactiveArray`]).
///
/// ```compile_fail
/// use tapeless_runtime::__private::OutsideWrt;
/// fn data_parameter(_: &mut (impl OutsideWrt + ?Sized)) {}
/// let mut x_bar = [0.0_f64; 2];
/// data_parameter(&mut x_bar[..]); // an active argument: refused
/// ```
#[diagnostic::on_unimplemented(
    message = "an argument that carries a derivative is passed to a parameter outside the callee's `wrt(..)`: its derivative would be dropped",
    label = "this argument depends on the differentiated inputs",
    note = "add the callee's parameter to its `wrt(..)`, or name a second pattern of the callee, `#[differentiable(wrt(u), wrt(u, obs) as misfit_of_both)]`, and call that"
)]
pub trait OutsideWrt {}

impl<T> OutsideWrt for Inactive<T> {}
impl<A> OutsideWrt for InactiveArray<A> {}

/// The adjoint of an argument active in its caller, as passed to a callee's reverse companion:
/// unchanged, the call only gives the argument the span of the user's argument, where rustc
/// reports a callee refusing it (see [`OutsideWrt`]).
///
/// ```
/// let mut x_bar = [1.0_f64, 2.0];
/// tapeless_runtime::__private::active(&mut x_bar[..])[0] += 1.0;
/// assert_eq!(x_bar, [2.0, 2.0]);
/// ```
#[inline(always)]
pub fn active<T: ?Sized>(bar: &mut T) -> &mut T {
    bar
}

/// The `f64` values of a slice at the scalar type: what a callee reads of data a caller passes
/// at its scalar type (lifted from `f64`, or computed from data only, so the value carries no
/// derivative: a caller passing an active value does not compile, see [`OutsideWrt`]).
///
/// ```
/// use tapeless_runtime::{Dual, __private::data_of};
/// assert_eq!(data_of(&[Dual::<f64, 1>::constant(1.5), Dual::constant(2.0)]), vec![1.5, 2.0]);
/// ```
#[inline]
pub fn data_of<S: Real>(x: &[S]) -> Vec<f64> {
    x.iter().map(|v| v.to_f64()).collect()
}

/// The `f64` value of a real at the scalar type (see [`data_of`]).
///
/// ```
/// use tapeless_runtime::{Dual, __private::data_real};
/// assert_eq!(data_real(Dual::<f64, 1>::constant(1.5)), 1.5);
/// ```
#[inline(always)]
pub fn data_real<S: Real>(x: S) -> f64 {
    x.to_f64()
}
