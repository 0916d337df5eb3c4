//! Types a differentiable function reads as data, never differentiated: an enum choosing a
//! scheme or a boundary condition, passed by value (`scheme: Scheme`).

/// A type read as data by differentiable functions: `#[differentiable]` on an enum whose
/// variants hold no reals implements it. A parameter of a type tapeless cannot see into
/// (`scheme: Scheme`, by value) must be one, which rustc checks: a type alias of `f64` or a
/// struct of reals passed by value is a compile error on the parameter, never a derivative
/// silently dropped.
///
/// ```
/// use tapeless_runtime::Data;
///
/// #[derive(Clone, Copy, PartialEq)]
/// enum Scheme {
///     Euler,
///     Midpoint,
/// }
/// // What `#[differentiable]` on the enum writes beside it (`tests/data_enums.rs` has the
/// // enum taken, matched and passed on by differentiable functions):
/// impl Data for Scheme {}
///
/// // The check a differentiable function taking `scheme: Scheme` makes.
/// let _: fn() = tapeless_runtime::__private::assert_data::<Scheme>;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type a differentiable function can read as data",
    label = "a parameter of a type tapeless cannot look into",
    note = "for an enum whose variants hold no reals (a scheme, a boundary condition), put `#[differentiable]` on its definition; take a `#[differentiable]` struct by reference, `p: &Params`; for a type alias of `f64`, write `f64`"
)]
pub trait Data {}

/// Compiles only if `T` is [`Data`]: named by generated code for each parameter of a type
/// tapeless reads as data.
///
/// ```
/// #[derive(Clone, Copy)]
/// enum Side { Left }
/// impl tapeless_runtime::Data for Side {}
/// let _: fn() = tapeless_runtime::__private::assert_data::<Side>;
/// ```
#[inline(always)]
pub fn assert_data<T: Data + ?Sized>() {}
