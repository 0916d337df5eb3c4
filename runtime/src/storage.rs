//! Storage helpers of generated code: zero adjoints shaped like a value, element-wise
//! accumulation, and the value stacks of the reverse sweep.
//!
//! These are what an adjoint needs besides derivative rules. They are generic, so rustc picks
//! the one that fits each variable's type (a scalar, a slice, a `Vec`, a fixed-size array).

use crate::Real;

/// Values that have a zero of the same shape: the initial adjoint of a variable.
///
/// ```
/// use tapeless_runtime::zeros_like;
/// assert_eq!(zeros_like(&2.5_f64), 0.0);
/// assert_eq!(zeros_like(&[1.0_f64, 2.0][..]), vec![0.0, 0.0]);
/// assert_eq!(zeros_like(&[1.0_f64; 3]), [0.0; 3]);
/// ```
pub trait ZerosLike {
    /// The owned zero value.
    type Zeros;
    /// A zero of the same shape as `self`.
    fn zeros_like(&self) -> Self::Zeros;
}

impl<S: Real> ZerosLike for S {
    type Zeros = S;
    #[inline(always)]
    fn zeros_like(&self) -> S {
        S::zero()
    }
}

impl<S: Real> ZerosLike for [S] {
    type Zeros = Vec<S>;
    fn zeros_like(&self) -> Vec<S> {
        vec![S::zero(); self.len()]
    }
}

impl<S: Real> ZerosLike for Vec<S> {
    type Zeros = Vec<S>;
    fn zeros_like(&self) -> Vec<S> {
        vec![S::zero(); self.len()]
    }
}

impl<S: Real, const N: usize> ZerosLike for [S; N] {
    type Zeros = [S; N];
    #[inline(always)]
    fn zeros_like(&self) -> [S; N] {
        [S::zero(); N]
    }
}

/// A zero of the same shape as `x` (see [`ZerosLike`]).
#[inline(always)]
pub fn zeros_like<T: ZerosLike + ?Sized>(x: &T) -> T::Zeros {
    x.zeros_like()
}

/// `dst[i] += src[i]` for every `i`: how adjoints of whole arrays are accumulated.
///
/// ```
/// let mut a = [1.0_f64, 2.0];
/// tapeless_runtime::accumulate(&mut a, &[0.5, 0.25]);
/// assert_eq!(a, [1.5, 2.25]);
/// ```
#[inline]
pub fn accumulate<S: Real>(dst: &mut [S], src: &[S]) {
    assert_eq!(
        dst.len(),
        src.len(),
        "tapeless: adjoint accumulation of arrays of different lengths"
    );
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// `dst[i] = src[i]` for every `i`: [`accumulate`] into an adjoint known to be zero (a local
/// array's adjoint seeded by the caller's before the reverse sweep has touched it), without
/// reading it: a copy where `accumulate` loads, adds and stores, and the zeroing before it
/// becomes a dead store the compiler drops.
///
/// ```
/// let mut a = [0.0_f64, 0.0];
/// tapeless_runtime::seed(&mut a, &[0.5, 0.25]);
/// assert_eq!(a, [0.5, 0.25]);
/// ```
#[inline]
pub fn seed<S: Real>(dst: &mut [S], src: &[S]) {
    assert_eq!(
        dst.len(),
        src.len(),
        "tapeless: adjoint accumulation of arrays of different lengths"
    );
    dst.copy_from_slice(src);
}

/// The sum of the elements: the adjoint of broadcasting one value into an array.
///
/// ```
/// assert_eq!(tapeless_runtime::sum(&[1.0_f64, 2.0, 3.0]), 6.0);
/// ```
#[inline]
pub fn sum<S: Real>(x: &[S]) -> S {
    let mut s = S::zero();
    for &v in x {
        s += v;
    }
    s
}

/// The values one place of the forward sweep saves for the reverse sweep, last in first out.
///
/// A `Vec` that starts with room for 64 values, so that a loop saving one value per iteration
/// does not reallocate at 4, 8, 16 and 32.
#[doc(hidden)]
pub struct Stack<T>(Vec<T>);

impl<T> Stack<T> {
    /// An empty stack; allocates at the first push.
    #[inline(always)]
    #[allow(clippy::new_without_default)] // generated code only
    pub fn new() -> Self {
        Stack(Vec::new())
    }

    /// Room for `n` more values: a loop that pushes a value per iteration reserves its trip
    /// count first, so the stack grows once.
    #[inline(always)]
    pub fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// Saves a value.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        if self.0.capacity() == 0 {
            self.0.reserve(64);
        }
        self.0.push(value);
    }
}

/// Takes the value the forward sweep saved last.
///
/// The reverse sweep pops exactly what the forward sweep pushed, in reverse order, so an empty
/// stack is a bug in tapeless, never a user error.
#[doc(hidden)]
#[inline(always)]
pub fn pop<T>(stack: &mut Stack<T>) -> T {
    match stack.0.pop() {
        Some(v) => v,
        None => unreachable!("tapeless: the reverse sweep popped more values than it saved"),
    }
}
