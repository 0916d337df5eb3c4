//! Structs of reals: what `#[differentiable]` on a `struct` implements, so that the companions of
//! functions and methods taking the struct run at any scalar type.
//!
//! `#[differentiable] struct Params { sigma: f64, n: usize }` becomes
//! `struct Params<S = f64> { sigma: S, n: usize }`: `Params` in user code still means
//! `Params<f64>`, the companions take `&Params<S>` (a dual-number struct for Hessian-vector
//! products), and the adjoint of a struct is the same struct at the scalar type, read as
//! `p_bar.sigma`. The struct implements [`Struct`]: a zero of the same shape (the adjoint
//! that a gradient accumulates into), a copy at another scalar type, and its reals in field
//! order as one flat vector (for finite differences, dot products and optimisers).

use crate::Real;

/// A struct annotated with `#[differentiable]`: its real fields (`f64` written, the scalar
/// type `Self::Scalar` generated), arrays and `Vec`s of reals, nested annotated structs, and
/// fields that are not differentiated (integers, bools, other data), copied as they are.
///
/// `#[differentiable]` on `struct Params { sigma: f64, x: Vec<f64>, steps: usize }` generates
/// the struct at every scalar and this implementation (written out here):
///
/// ```
/// use tapeless_runtime::{Dual, Real, Struct};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Params<S = f64> {
///     sigma: S,
///     x: Vec<S>,
///     steps: usize,
/// }
///
/// impl<S: Real> Struct for Params<S> {
///     type Scalar = S;
///     type At<T: Real> = Params<T>;
///     const REAL_FIELDS: &'static [&'static str] = &["sigma", "x"];
///     fn map_reals<T: Real>(&self, f: &mut dyn FnMut(S) -> T) -> Params<T> {
///         Params { sigma: f(self.sigma), x: self.x.iter().map(|&v| f(v)).collect(), steps: self.steps }
///     }
///     fn for_each_real(&self, f: &mut dyn FnMut(S)) {
///         f(self.sigma);
///         for v in self.x.iter() { f(*v); }
///     }
///     fn for_each_real_mut(&mut self, f: &mut dyn FnMut(&mut S)) {
///         f(&mut self.sigma);
///         for v in self.x.iter_mut() { f(v); }
///     }
///     fn zero_like(&self) -> Self {
///         Params { sigma: S::zero(), x: vec![S::zero(); self.x.len()], steps: self.steps }
///     }
/// }
///
/// let p = Params { sigma: 10.0, x: vec![1.0, 2.0], steps: 3 };
/// assert_eq!(<Params>::REAL_FIELDS, ["sigma", "x"]);
/// assert_eq!(p.to_reals(), vec![10.0, 1.0, 2.0]);
/// assert_eq!(p.zero_like(), Params { sigma: 0.0, x: vec![0.0; 2], steps: 3 });
/// // The same struct at dual numbers, with constant (zero-tangent) values.
/// let d: Params<Dual<f64, 1>> = p.lift();
/// assert_eq!(d.sigma.value, 10.0);
/// let mut q = p.clone();
/// q.set_reals(&[1.0, 2.0, 3.0]).unwrap();
/// assert_eq!(q.x, [2.0, 3.0]);
/// assert!(q.set_reals(&[1.0]).is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[differentiable]` struct",
    label = "used by a differentiable function",
    note = "put `#[differentiable]` on the struct's definition (`#[differentiable] struct Params {{ sigma: f64, .. }}`), so that it exists at every scalar type"
)]
pub trait Struct: Sized {
    /// The scalar type of the real fields (`f64` for the struct as written).
    type Scalar: Real;
    /// The same struct with real fields of type `T`.
    type At<T: Real>: Struct<Scalar = T>;
    /// The names of the real fields (arrays, `Vec`s and nested structs count once each), in
    /// declaration order.
    const REAL_FIELDS: &'static [&'static str];

    /// The same struct with every real replaced by `f(real)`, in field order; other fields
    /// cloned.
    fn map_reals<T: Real>(&self, f: &mut dyn FnMut(Self::Scalar) -> T) -> Self::At<T>;
    /// Calls `f` on each real, in field order.
    fn for_each_real(&self, f: &mut dyn FnMut(Self::Scalar));
    /// Calls `f` on a mutable reference to each real, in field order.
    fn for_each_real_mut(&mut self, f: &mut dyn FnMut(&mut Self::Scalar));
    /// A copy with every real set to zero and the other fields cloned: the adjoint or tangent
    /// of the same shape.
    fn zero_like(&self) -> Self;

    /// The same struct at the scalar `T`, the values as constants (a dual number's tangent
    /// is dropped).
    fn lift<T: Real>(&self) -> Self::At<T> {
        self.map_reals(&mut |v| T::from_f64(v.to_f64()))
    }
    /// The reals in field order.
    fn to_reals(&self) -> Vec<Self::Scalar> {
        let mut out = Vec::new();
        self.for_each_real(&mut |v| out.push(v));
        out
    }
    /// How many reals the struct holds.
    fn real_count(&self) -> usize {
        let mut n = 0;
        self.for_each_real(&mut |_| n += 1);
        n
    }
    /// Sets the reals from `values`, in field order; an error naming both lengths when
    /// `values` has not [`real_count`](Struct::real_count) entries (nothing is changed then).
    fn set_reals(&mut self, values: &[Self::Scalar]) -> Result<(), crate::InputError> {
        let n = self.real_count();
        if values.len() != n {
            return Err(crate::InputError::WrongLength {
                what: "the reals of a struct",
                expected: n,
                found: values.len(),
            });
        }
        let mut it = values.iter();
        self.for_each_real_mut(&mut |v| {
            if let Some(x) = it.next() {
                *v = *x;
            }
        });
        Ok(())
    }
}

/// A field of a returned struct copied from a field of a struct parameter
/// (`State { t: s.t, steps: s.steps, .. }`), whose kind the macro cannot see: a real (or an array
/// or `Vec` of reals) carries its tangent and its adjoint, data (integers, bools) is copied.
/// Used by the companions of functions returning a struct.
///
/// ```
/// use tapeless_runtime::__private::CopiedField;
///
/// assert_eq!(CopiedField::tangent(&2.0_f64, Some(&0.5)), 0.5);
/// assert_eq!(CopiedField::tangent(&3_usize, Some(&3)), 3);
/// assert_eq!(CopiedField::tangent(&[1.0_f64, 2.0], None), [0.0, 0.0]);
/// let mut into = [1.0_f64, 1.0];
/// CopiedField::add_adjoint(&mut into, &[0.5, 2.0]);
/// assert_eq!(into, [1.5, 3.0]);
/// let mut n = 4_usize;
/// CopiedField::add_adjoint(&mut n, &9);
/// assert_eq!(n, 4);
/// let x = nalgebra::Vector2::new(1.0_f64, 2.0);
/// assert_eq!(CopiedField::tangent(&x, None), nalgebra::Vector2::zeros());
/// ```
#[diagnostic::on_unimplemented(
    message = "a field of the returned struct copied from `{Self}` is neither reals nor integers or bools",
    note = "copy the fields of a nested struct one by one (`inner: Inner {{ a: s.inner.a, .. }}`); reals, arrays, `Vec`s and nalgebra vectors and matrices of reals are copied whole"
)]
pub trait CopiedField: Clone {
    /// The tangent of the copy: the source's tangent for reals (zero without one), the value
    /// for data.
    fn tangent(value: &Self, tangent: Option<&Self>) -> Self;
    /// Adds the copy's adjoint into the source's adjoint (reals; nothing for data).
    fn add_adjoint(into: &mut Self, adjoint: &Self);
}

impl<S: Real> CopiedField for S {
    fn tangent(_: &Self, tangent: Option<&Self>) -> Self {
        tangent.copied().unwrap_or_else(S::zero)
    }
    fn add_adjoint(into: &mut Self, adjoint: &Self) {
        *into += *adjoint;
    }
}

impl<T: CopiedField, const N: usize> CopiedField for [T; N] {
    fn tangent(value: &Self, tangent: Option<&Self>) -> Self {
        core::array::from_fn(|i| T::tangent(&value[i], tangent.map(|t| &t[i])))
    }
    fn add_adjoint(into: &mut Self, adjoint: &Self) {
        for (a, b) in into.iter_mut().zip(adjoint) {
            T::add_adjoint(a, b);
        }
    }
}

impl<T: CopiedField> CopiedField for Vec<T> {
    fn tangent(value: &Self, tangent: Option<&Self>) -> Self {
        value
            .iter()
            .enumerate()
            .map(|(i, v)| T::tangent(v, tangent.map(|t| &t[i])))
            .collect()
    }
    fn add_adjoint(into: &mut Self, adjoint: &Self) {
        for (a, b) in into.iter_mut().zip(adjoint) {
            T::add_adjoint(a, b);
        }
    }
}

/// An nalgebra vector or matrix of reals (`x: s.x` of an `SVector` or `DVector` field): element
/// by element in storage order.
impl<T, R, C, St> CopiedField for nalgebra::Matrix<T, R, C, St>
where
    T: Real,
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    St: nalgebra::RawStorageMut<T, R, C> + nalgebra::IsContiguous + Clone,
{
    fn tangent(value: &Self, tangent: Option<&Self>) -> Self {
        match tangent {
            Some(t) => t.clone(),
            None => {
                let mut zero = value.clone();
                zero.as_mut_slice().iter_mut().for_each(|v| *v = T::zero());
                zero
            }
        }
    }
    fn add_adjoint(into: &mut Self, adjoint: &Self) {
        for (a, b) in into.as_mut_slice().iter_mut().zip(adjoint.as_slice()) {
            *a += *b;
        }
    }
}

macro_rules! copied_data {
    ($($t:ty),*) => {$(
        impl CopiedField for $t {
            fn tangent(value: &Self, _: Option<&Self>) -> Self {
                *value
            }
            fn add_adjoint(_: &mut Self, _: &Self) {}
        }
    )*};
}

copied_data!(usize, isize, u8, u16, u32, u64, i8, i16, i32, i64, bool);

/// A struct's field of reals in order, as the companions of a function taking the struct pass
/// it to the function's flattened form (`s.x[i]` in the body reads the slice
/// `FieldReals::reals(&s.x)`): arrays, `Vec`s, and nalgebra vectors and matrices, whose reals
/// are in storage (column-major) order.
///
/// ```
/// use nalgebra::{DMatrix, SVector};
/// use tapeless_runtime::FieldReals;
///
/// let mut v = SVector::<f64, 3>::new(1.0, 2.0, 3.0);
/// v.reals_mut()[1] = 5.0;
/// assert_eq!(v.reals(), &[1.0, 5.0, 3.0]);
/// let m = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(m.reals(), &[1.0, 3.0, 2.0, 4.0]);
/// assert_eq!([1.0, 2.0].reals(), &[1.0, 2.0]);
/// assert_eq!(vec![7.0].reals_mut(), &mut [7.0]);
/// ```
#[diagnostic::on_unimplemented(
    message = "the field `{Self}` is used as reals in order (indexed, borrowed, `.len()`, `.iter()`), but it does not hold them",
    note = "a struct's field read as `s.x[i]` is an array, a `Vec` or an nalgebra vector or matrix of reals",
    note = "a nested struct field passed on whole (`f(&t.inner)`) is not supported yet: give the callee the struct that holds it (`f(t)`), or the nested struct's real fields one by one (`f(t.inner.a, ..)`)"
)]
pub trait FieldReals<T> {
    /// The reals, in order.
    fn reals(&self) -> &[T];
    /// The reals, in order, to write.
    fn reals_mut(&mut self) -> &mut [T];
}

impl<T, const N: usize> FieldReals<T> for [T; N] {
    fn reals(&self) -> &[T] {
        self
    }
    fn reals_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T> FieldReals<T> for Vec<T> {
    fn reals(&self) -> &[T] {
        self
    }
    fn reals_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T, R, C, St> FieldReals<T> for nalgebra::Matrix<T, R, C, St>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    St: nalgebra::RawStorageMut<T, R, C> + nalgebra::IsContiguous,
{
    fn reals(&self) -> &[T] {
        self.as_slice()
    }
    fn reals_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

/// A field of fixed size at zero, its type decided by rustc where it is used: the shape of a
/// struct result's nalgebra field built by a constructor (`x: Vector3::new(a, b, c)`, written
/// real by real in storage order), and the field of a struct rebuilt from the reals an
/// annotated caller holds. Arrays and nalgebra's fixed-size vectors and matrices.
///
/// ```
/// use nalgebra::{Matrix2, Vector3};
/// use tapeless_runtime::__private::ZeroShape;
///
/// let v: Vector3<f64> = ZeroShape::zero_shape();
/// let m: Matrix2<f64> = ZeroShape::zero_shape();
/// let a: [f64; 2] = ZeroShape::zero_shape();
/// assert_eq!((v.sum(), m.sum(), a), (0.0, 0.0, [0.0; 2]));
/// ```
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no fixed number of reals",
    note = "a struct result's nalgebra field built by a constructor, or a field of a struct an annotated caller holds as its reals, is an array or a fixed-size nalgebra vector or matrix (`SVector<f64, 3>`, `Matrix2<f64>`); a `DVector` field is copied from a parameter's (`v: s.v`) or written in place (`fn step(s: &mut State, ..)`)"
)]
pub trait ZeroShape {
    /// Zeros.
    fn zero_shape() -> Self;
}

impl<T: Real, const N: usize> ZeroShape for [T; N] {
    fn zero_shape() -> Self {
        [T::zero(); N]
    }
}

impl<T: Real + nalgebra::Scalar, const R: usize, const C: usize> ZeroShape
    for nalgebra::SMatrix<T, R, C>
{
    fn zero_shape() -> Self {
        Self::from_element(T::zero())
    }
}

/// The struct `T` itself: what a method called on a struct an annotated caller holds as its
/// reals requires of its result (`s = s.step(p, h)`, `let s2 = s.scaled(0.5)`), which the
/// caller holds at the receiver's places. Checked by rustc where such a call is made.
///
/// ```
/// use tapeless_runtime::__private::SameStruct;
///
/// fn same<A: SameStruct<B>, B>() {}
/// same::<f64, f64>();
/// ```
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a method called on a struct held as its reals returns `{T}`, not the receiver's type `{Self}`",
    label = "the result is held at the receiver's places",
    note = "an annotated caller holds the result of `s.step(..)` as the receiver's type: return `Self`, or call a free function returning the other struct (`let q = other(&s, ..);`)"
)]
pub trait SameStruct<T> {}

impl<T> SameStruct<T> for T {}

/// The receiver of a `&mut self` method called on a struct an annotated caller holds as its
/// reals: `&mut A`, which the caller passes for a call whose result it drops (`s2.kick(h);`) and
/// for a call on a local bound `let mut` (`let e = s2.kick(h) * 2.0;`). A call whose arguments
/// read the receiver (`s2.kick(s2.t)`) passes `&A` (a `&mut` borrow beside them would be
/// refused), and the error says what to write instead.
///
/// ```
/// use tapeless_runtime::__private::WrittenReceiver;
///
/// fn kick<R: WrittenReceiver<[f64]>>(mut r: R) {
///     r.written()[0] += 1.0;
/// }
/// let mut x = vec![1.0, 2.0];
/// kick(&mut x[..]);
/// assert_eq!(x, [2.0, 2.0]);
/// ```
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `&mut self` method of a struct an annotated caller holds as its reals is called on a local bound `let mut`, with arguments that do not read that local",
    label = "the method writes the held struct",
    note = "bind the struct `let mut s2: State = ..`, and read what the arguments need into locals before the call (`let t = s2.t; let e = s2.kick(t);`)"
)]
pub trait WrittenReceiver<A: ?Sized> {
    /// The receiver.
    fn written(&mut self) -> &mut A;
}

impl<A: ?Sized> WrittenReceiver<A> for &mut A {
    fn written(&mut self) -> &mut A {
        self
    }
}

/// The struct `T` itself: what an annotated caller requires of a call's result whose methods it
/// calls (`let k = State::new(..); k.norm2()`, `let y: State = self.step(&s); y.energy()`),
/// which it holds at the places of the type written or called through. Checked by rustc where
/// such a call is made.
///
/// ```
/// use tapeless_runtime::__private::ResultIs;
///
/// fn same<A: ResultIs<B>, B>() {}
/// same::<f64, f64>();
/// ```
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the call's result is `{T}`, not `{Self}`",
    label = "its methods are called through `{Self}`",
    note = "an annotated caller holds a struct whose methods it calls at its type's places: write the result's type (`let q: Other = s.spread();`), or read its fields only"
)]
pub trait ResultIs<T> {}

impl<T> ResultIs<T> for T {}

/// Types outside a trait's definition: every sized type. `#[differentiable]` on a method puts
/// `outside_a_trait::<Self>()` beside its companions, which in a trait's definition (`Self`
/// unsized there) fails with the message below: a default method is differentiated by the
/// trait's attribute, not its own.
///
/// ```
/// struct Lorenz;
/// impl Lorenz {
///     const GUARD: () = tapeless_runtime::__private::outside_a_trait::<Self>();
/// }
/// let () = Lorenz::GUARD;
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[differentiable]` on a default method of a trait needs `#[differentiable]` on the trait too: a default body is one body for every implementing type, whose companions are made in each implementation",
    label = "a default method of a trait",
    note = "put `#[differentiable]` on the trait as well, and `#[differentiable(defaults)]` on each `impl Model for Lorenz` block (which then gets `energy_vjp`, ..); or write the method in each implementation"
)]
pub trait OutsideATrait {}

impl<T> OutsideATrait for T {}

/// Compiles when `T` is sized, that is outside a trait's definition (the trait `OutsideATrait`
/// above, whose message is the error a default method gets).
pub const fn outside_a_trait<T: ?Sized + OutsideATrait>() {}

/// The type of a field of an annotated struct, named by a key of its name: what lets an
/// annotated function type a struct's integer field as the struct declares it (`i32`, `u64`,
/// ...) when it reads the field as a parameter of its own (`p.offset` as `p__offset`), since the
/// caller's attribute cannot see the struct. `#[differentiable] struct P { n: i32, .. }`
/// implements `FieldType<{ key("n") }> for P` with `type T = i32` (the key is the FNV-1a hash
/// of the field's name, computed by the macro; two fields of one struct with one key would be
/// conflicting impls, a compile error, never a wrong type).
///
/// ```
/// use tapeless_runtime::__private::FieldType;
///
/// struct P { n: i32 }
/// impl FieldType<7> for P { type T = i32; }
/// let n: <P as FieldType<7>>::T = -3;
/// assert_eq!(P { n }.n, -3);
/// ```
#[doc(hidden)]
pub trait FieldType<const KEY: u64> {
    /// The field's declared type.
    type T;
}

/// A field without reals that an annotated caller holding a struct as its reals keeps beside
/// them: an integer or a bool, one slot after the reals, its value as a real (exact for
/// integers up to 2^53), copied and never differentiated.
///
/// ```
/// use tapeless_runtime::__private::DataSlot;
///
/// let slot: f64 = 41usize.to_slot();
/// assert_eq!(<usize as DataSlot>::from_slot(slot + 1.0), 42);
/// assert!(<bool as DataSlot>::from_slot(true.to_slot::<f64>()));
/// ```
#[doc(hidden)]
pub trait DataSlot: Copy {
    /// The value as a slot among reals.
    fn to_slot<S: Real>(self) -> S;
    /// The value back from its slot.
    fn from_slot<S: Real>(slot: S) -> Self;
}

macro_rules! int_slots {
    ($($t:ty),*) => {$(
        impl DataSlot for $t {
            #[inline]
            fn to_slot<S: Real>(self) -> S {
                S::from_f64(self as f64)
            }
            #[inline]
            fn from_slot<S: Real>(slot: S) -> Self {
                slot.to_f64() as $t
            }
        }
    )*};
}

int_slots!(usize, isize, u8, u16, u32, u64, i8, i16, i32, i64);

impl DataSlot for bool {
    #[inline]
    fn to_slot<S: Real>(self) -> S {
        S::from_f64(if self { 1.0 } else { 0.0 })
    }
    #[inline]
    fn from_slot<S: Real>(slot: S) -> Self {
        slot.to_f64() != 0.0
    }
}

/// A struct argument of the generated companions through which an annotated caller passes a
/// struct it holds as its reals (a struct taken from a call, `let s2 = step(&s, h);`): the
/// struct itself, or the slice of its reals in field order. Implemented by `#[differentiable]`
/// on the struct: for the struct always, for `[S]` and `Vec<S>` when every field is real.
///
/// ```
/// use tapeless_runtime::__private::{AddAdjoint, AsStruct};
///
/// struct Pair {
///     a: f64,
///     b: f64,
/// }
///
/// // What `#[differentiable]` generates for a struct of reals, written out.
/// impl AsStruct<Pair> for [f64] {
///     fn as_struct(&self) -> Pair {
///         Pair { a: self[0], b: self[1] }
///     }
/// }
/// impl AddAdjoint<Pair> for [f64] {
///     fn add_adjoint(&mut self, p: &Pair) {
///         self[0] += p.a;
///         self[1] += p.b;
///     }
/// }
///
/// let p: Pair = AsStruct::<Pair>::as_struct(&[1.0, 2.0][..]);
/// let mut reals = [0.5, 0.5];
/// AddAdjoint::<Pair>::add_adjoint(&mut reals[..], &p);
/// assert_eq!(reals, [1.5, 2.5]);
/// ```
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an annotated function holds `{T}` as its reals, which needs every field real (`f64`, `[f64; N]`, nested structs of reals), or, for a struct taken from a call, an integer or a bool",
    label = "the struct held as its reals here has `Vec` or other data fields, nested structs with integer fields, or (a `&mut` struct passed whole beside its fields) integer or bool fields",
    note = "step such a struct in place (`fn step(s: &mut State, ..)`, its fields not used beside the call), or take its real fields and pass them on (`&mut s.x`, the fields taken from the call)"
)]
pub trait AsStruct<T> {
    /// The struct, a copy.
    fn as_struct(&self) -> T;
}

/// The adjoint of a struct argument (see [`AsStruct`]): the struct's adjoint, or the slice of
/// the adjoints of its reals, into which an adjoint of the struct is added.
///
/// ```
/// use tapeless_runtime::__private::AddAdjoint;
///
/// // Every struct adds an adjoint of itself real by real (`Struct::for_each_real_mut`).
/// fn add<T: AddAdjoint<T>>(into: &mut T, adjoint: &T) {
///     into.add_adjoint(adjoint);
/// }
/// ```
#[doc(hidden)]
pub trait AddAdjoint<T> {
    /// `self += adjoint`, real by real.
    fn add_adjoint(&mut self, adjoint: &T);

    /// The struct (shaped as `shape`) a callee's reverse companion accumulates into for
    /// `self`; [`AddAdjoint::store_adjoint`] gives it back. By default a zero added back, as
    /// [`AddAdjoint::add_adjoint`] does; the generated impls and the struct's own start from
    /// `self`'s adjoint and store it back, so that the callee adds its terms to `self`'s in the
    /// order a callee taking the adjoint directly does (the same roundings).
    fn adjoint_in(&self, shape: &T) -> T
    where
        T: Struct,
    {
        shape.zero_like()
    }

    /// Gives back the adjoint of [`AddAdjoint::adjoint_in`] after the callee added to it.
    fn store_adjoint(&mut self, adjoint: &T) {
        self.add_adjoint(adjoint);
    }
}

impl<T: Struct> AsStruct<T> for T {
    fn as_struct(&self) -> T {
        let copy = self.map_reals(&mut |v| v);
        // `Self::At<Self::Scalar>` is `Self` for every generated struct; the reals go through a
        // zero of `Self` so that no bound says so.
        let mut out = self.zero_like();
        let reals = copy.to_reals();
        let mut k = 0usize;
        out.for_each_real_mut(&mut |v| {
            *v = reals[k];
            k += 1;
        });
        out
    }
}

impl<T: Struct> AddAdjoint<T> for T {
    fn add_adjoint(&mut self, adjoint: &T) {
        let reals = adjoint.to_reals();
        let mut k = 0usize;
        self.for_each_real_mut(&mut |v| {
            *v += reals[k];
            k += 1;
        });
    }

    fn adjoint_in(&self, _shape: &T) -> T {
        AsStruct::<T>::as_struct(self)
    }

    fn store_adjoint(&mut self, adjoint: &T) {
        let reals = adjoint.to_reals();
        let mut k = 0usize;
        self.for_each_real_mut(&mut |v| {
            *v = reals[k];
            k += 1;
        });
    }
}
