//! Arrays of arrays of reals that generated code holds flat (`<[[S; K]]>::as_flattened`), seen
//! in their nested shape again where they are passed on to another differentiable function,
//! whose companions take `&[[S; K]]`.
//!
//! The view is std's `<[S]>::as_chunks` (no copy), with the length checked to be whole rows.

/// `flat` (whose length is a multiple of `K`) as its rows of `K` elements; `K` is inferred from
/// where the result goes.
///
/// ```
/// let x = [[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let rows: &[[f64; 3]] = tapeless_runtime::__private::as_rows(x.as_flattened());
/// assert_eq!(rows, &x[..]);
/// ```
#[inline(always)]
pub fn as_rows<S, const K: usize>(flat: &[S]) -> &[[S; K]] {
    assert!(
        K != 0 && flat.len().is_multiple_of(K),
        "{} reals are no whole rows of {K}",
        flat.len()
    );
    flat.as_chunks::<K>().0
}

/// `flat` (whose length is a multiple of `K`) as its rows of `K` elements, to be written.
///
/// ```
/// let mut x = [[0.0_f64; 2]; 2];
/// let rows: &mut [[f64; 2]] = tapeless_runtime::__private::as_rows_mut(x.as_flattened_mut());
/// rows[1][0] = 3.0;
/// assert_eq!(x, [[0.0, 0.0], [3.0, 0.0]]);
/// ```
#[inline(always)]
pub fn as_rows_mut<S, const K: usize>(flat: &mut [S]) -> &mut [[S; K]] {
    assert!(
        K != 0 && flat.len().is_multiple_of(K),
        "{} reals are no whole rows of {K}",
        flat.len()
    );
    flat.as_chunks_mut::<K>().0
}

/// An array of arrays of reals that a companion returns (`Vec<[S; K]>`, `[[S; K]; N]`), made
/// from the flat values generated code holds.
pub trait FromFlatRows<S>: Sized {
    /// The rows of `flat`, whose length is a multiple of the rows' (and, for `[[S; K]; N]`,
    /// `K * N`).
    fn from_flat(flat: &[S]) -> Self;
}

impl<S: Copy, const K: usize> FromFlatRows<S> for Vec<[S; K]> {
    #[inline]
    fn from_flat(flat: &[S]) -> Self {
        as_rows(flat).to_vec()
    }
}

impl<S: Copy, const K: usize, const N: usize> FromFlatRows<S> for [[S; K]; N] {
    #[inline]
    fn from_flat(flat: &[S]) -> Self {
        assert_eq!(flat.len(), K * N, "{N} rows of {K} reals");
        core::array::from_fn(|k| core::array::from_fn(|j| flat[K * k + j]))
    }
}

/// `flat` as the array of arrays the function returns, its type inferred from the result's.
///
/// ```
/// let rows: [[f64; 2]; 2] = tapeless_runtime::__private::rows_from_flat(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(rows, [[1.0, 2.0], [3.0, 4.0]]);
/// ```
#[inline]
pub fn rows_from_flat<S, T: FromFlatRows<S>>(flat: &[S]) -> T {
    T::from_flat(flat)
}

/// An array of arrays of reals that a callee returns (`Vec<[S; K]>`, `[[S; K]; N]`, or the pair
/// of the value and its tangent), as the flat `Vec<S>` (or pair) the caller holds.
pub trait IntoFlatRows {
    /// The flat values.
    type Flat;
    /// The values in order, row after row.
    fn into_flat(self) -> Self::Flat;
}

impl<S, const K: usize> IntoFlatRows for Vec<[S; K]> {
    type Flat = Vec<S>;
    #[inline]
    fn into_flat(self) -> Vec<S> {
        self.into_flattened()
    }
}

impl<S: Copy, const K: usize, const N: usize> IntoFlatRows for [[S; K]; N] {
    type Flat = Vec<S>;
    #[inline]
    fn into_flat(self) -> Vec<S> {
        self.as_flattened().to_vec()
    }
}

impl<A: IntoFlatRows, B: IntoFlatRows> IntoFlatRows for (A, B) {
    type Flat = (A::Flat, B::Flat);
    #[inline]
    fn into_flat(self) -> Self::Flat {
        (self.0.into_flat(), self.1.into_flat())
    }
}

/// A callee's array of arrays of reals (or the pair of it and its tangent) as the caller holds
/// it, flat.
///
/// ```
/// let flat = tapeless_runtime::__private::flat_rows(vec![[1.0_f64, 2.0], [3.0, 4.0]]);
/// assert_eq!(flat, vec![1.0, 2.0, 3.0, 4.0]);
/// ```
#[inline]
pub fn flat_rows<T: IntoFlatRows>(rows: T) -> T::Flat {
    rows.into_flat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_partial_rows() {
        let x: Vec<[f64; 3]> = (0..4).map(|k| [k as f64, 0.5, -(k as f64)]).collect();
        assert_eq!(as_rows::<f64, 3>(x.as_flattened()), &x[..]);
        let empty: &[[f64; 3]] = as_rows(&[]);
        assert!(empty.is_empty());
        assert!(std::panic::catch_unwind(|| as_rows::<f64, 3>(&[1.0; 4]).len()).is_err());
        assert!(std::panic::catch_unwind(|| as_rows::<f64, 0>(&[]).len()).is_err());
        let mut y = x.clone();
        as_rows_mut::<f64, 3>(y.as_flattened_mut())[2][1] = 7.0;
        assert_eq!(y[2], [2.0, 7.0, -2.0]);
        let back: Vec<[f64; 3]> = rows_from_flat(x.as_flattened());
        assert_eq!(back, x);
        let fixed: [[f64; 3]; 4] = rows_from_flat(x.as_flattened());
        assert_eq!(
            flat_rows((fixed, x.clone())),
            (flat_rows(fixed), flat_rows(x))
        );
        assert!(
            std::panic::catch_unwind(|| rows_from_flat::<f64, [[f64; 3]; 2]>(&[0.0; 3])).is_err()
        );
    }
}
