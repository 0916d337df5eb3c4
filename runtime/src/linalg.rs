//! Derivative rules and adjoint storage of nalgebra matrices and vectors.
//!
//! `#[differentiable]` accepts `DVector<f64>`, `DMatrix<f64>`, `SVector<f64, N>`,
//! `SMatrix<f64, R, C>` (by value or by reference) and combines them with `+ - *`, division by a
//! real, `.transpose()`, `.map(|v| ..)`, `.component_mul(..)`, `.dot(..)`, `.sum()`, `.norm()`,
//! `.norm_squared()`, elements, columns and rows, and `DVector::from_column_slice(&u)` of real
//! arrays. The generated primal and tangent use nalgebra's own operations on matrices of the
//! scalar type `S`; the adjoint calls the rules of this module, which accumulate into existing
//! adjoints with nalgebra's BLAS-like kernels (`ger`, `gemm_tr`) and never allocate, except the
//! functions that return a new matrix (for operands that are expressions rather than variables).
//!
//! Everything is generic over the scalar `S: Real`, so the adjoint evaluated at dual numbers is
//! a Hessian-vector product, and over nalgebra's dimensions and storages, so rustc picks the
//! shapes: the adjoint of `c = a * b` is `a_bar += c_bar b^T`, `b_bar += a^T c_bar` whether `b`
//! is a vector or a matrix.
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use tapeless_runtime::linalg;
//!
//! // y = W x: the adjoints of W and x for a seed y_bar.
//! let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
//! let x = DVector::from_vec(vec![1.0, -1.0, 0.5]);
//! let y_bar = DVector::from_vec(vec![1.0, 2.0]);
//! let mut w_bar = DMatrix::zeros(2, 3);
//! let mut x_bar = DVector::zeros(3);
//! linalg::mul_adjoint_lhs_acc(&mut w_bar, &y_bar, &x, 1.0);
//! linalg::mul_adjoint_rhs_acc(&mut x_bar, &w, &y_bar, 1.0);
//! assert_eq!(w_bar, &y_bar * x.transpose());
//! assert_eq!(x_bar, w.transpose() * &y_bar);
//! ```
//!
//! The module also holds the runtime's conjugate-gradient solver on matrix-free products,
//! [`conjugate_gradients`].

mod cg;
pub use cg::{conjugate_gradients, ConjugateGradients};

use crate::storage::ZerosLike;
use crate::Real;
use nalgebra::allocator::Allocator;
use nalgebra::constraint::{
    AreMultipliable, DimEq, SameNumberOfColumns, SameNumberOfRows, ShapeConstraint,
};
use nalgebra::{
    DMatrixViewMut, DefaultAllocator, Dim, Dyn, IsContiguous, Matrix, MatrixView, OMatrix,
    RawStorage, Storage, StorageMut,
};

/// A zero matrix of the shape of `self`: the initial adjoint of a matrix variable.
///
/// ```
/// use nalgebra::DVector;
/// let z = tapeless_runtime::zeros_like(&DVector::from_vec(vec![1.0_f64, 2.0]));
/// assert_eq!(z, DVector::zeros(2));
/// ```
impl<S: Real, R: Dim, C: Dim, St: RawStorage<S, R, C>> ZerosLike for Matrix<S, R, C, St>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Zeros = OMatrix<S, R, C>;
    fn zeros_like(&self) -> OMatrix<S, R, C> {
        let (r, c) = self.shape_generic();
        OMatrix::zeros_generic(r, c)
    }
}

fn assert_same_shape(what: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(
        a == b,
        "tapeless: {what} of matrices of shapes {a:?} and {b:?}"
    );
}

/// `dst += src`, element by element: how adjoints of matrices are accumulated.
///
/// ```
/// use nalgebra::Vector2;
/// let mut a = Vector2::new(1.0, 2.0);
/// tapeless_runtime::linalg::accumulate(&mut a, &Vector2::new(0.5, 0.25));
/// assert_eq!(a, Vector2::new(1.5, 2.25));
/// ```
#[inline]
pub fn accumulate<S, R1, C1, SA, R2, C2, SB>(
    dst: &mut Matrix<S, R1, C1, SA>,
    src: &Matrix<S, R2, C2, SB>,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: StorageMut<S, R1, C1>,
    SB: Storage<S, R2, C2>,
{
    assert_same_shape("adjoint accumulation", dst.shape(), src.shape());
    for (d, &s) in dst.iter_mut().zip(src.iter()) {
        *d += s;
    }
}

/// `dst += alpha * src`, element by element.
///
/// ```
/// use nalgebra::Vector2;
/// let mut a = Vector2::new(1.0, 2.0);
/// tapeless_runtime::linalg::accumulate_scaled(&mut a, &Vector2::new(1.0, 1.0), -2.0);
/// assert_eq!(a, Vector2::new(-1.0, 0.0));
/// ```
#[inline]
pub fn accumulate_scaled<S, R1, C1, SA, R2, C2, SB>(
    dst: &mut Matrix<S, R1, C1, SA>,
    src: &Matrix<S, R2, C2, SB>,
    alpha: S,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: StorageMut<S, R1, C1>,
    SB: Storage<S, R2, C2>,
{
    assert_same_shape("adjoint accumulation", dst.shape(), src.shape());
    for (d, &s) in dst.iter_mut().zip(src.iter()) {
        *d += alpha * s;
    }
}

/// `dst += value` in every element: the adjoint of `.sum()`, which broadcasts its seed.
///
/// ```
/// use nalgebra::Vector2;
/// let mut a = Vector2::new(1.0, 2.0);
/// tapeless_runtime::linalg::accumulate_fill(&mut a, 0.5);
/// assert_eq!(a, Vector2::new(1.5, 2.5));
/// ```
#[inline]
pub fn accumulate_fill<S, R, C, SA>(dst: &mut Matrix<S, R, C, SA>, value: S)
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: StorageMut<S, R, C>,
{
    for d in dst.iter_mut() {
        *d += value;
    }
}

/// `dst[k] += alpha * src[k]` over the elements of `src` in column-major order: the adjoint of
/// `DVector::from_column_slice(u)` into `u`'s adjoint.
///
/// ```
/// use nalgebra::Vector2;
/// let mut u_bar = [1.0, 2.0];
/// tapeless_runtime::linalg::accumulate_into_slice(&mut u_bar, &Vector2::new(0.5, 0.25), 2.0);
/// assert_eq!(u_bar, [2.0, 2.5]);
/// ```
#[inline]
pub fn accumulate_into_slice<S, R, C, SA>(dst: &mut [S], src: &Matrix<S, R, C, SA>, alpha: S)
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
{
    assert_eq!(
        dst.len(),
        src.len(),
        "tapeless: adjoint of a vector built from an array of another length"
    );
    for (d, &s) in dst.iter_mut().zip(src.iter()) {
        *d += alpha * s;
    }
}

/// `dst.column(j) += alpha * src`: the adjoint of `m.column(j)` into `m`'s adjoint.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// let mut m_bar = Matrix2::zeros();
/// tapeless_runtime::linalg::accumulate_column(&mut m_bar, 1, &Vector2::new(1.0, 2.0), 0.5);
/// assert_eq!(m_bar, Matrix2::new(0.0, 0.5, 0.0, 1.0));
/// ```
#[inline]
pub fn accumulate_column<S, R1, C1, SA, R2, C2, SB>(
    dst: &mut Matrix<S, R1, C1, SA>,
    j: usize,
    src: &Matrix<S, R2, C2, SB>,
    alpha: S,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: StorageMut<S, R1, C1>,
    SB: Storage<S, R2, C2>,
{
    let mut col = dst.column_mut(j);
    accumulate_scaled(&mut col, src, alpha);
}

/// `dst.row(i) += alpha * src`: the adjoint of `m.row(i)` into `m`'s adjoint.
///
/// ```
/// use nalgebra::{Matrix2, RowVector2};
/// let mut m_bar = Matrix2::zeros();
/// tapeless_runtime::linalg::accumulate_row(&mut m_bar, 0, &RowVector2::new(1.0, 2.0), 1.0);
/// assert_eq!(m_bar, Matrix2::new(1.0, 2.0, 0.0, 0.0));
/// ```
#[inline]
pub fn accumulate_row<S, R1, C1, SA, R2, C2, SB>(
    dst: &mut Matrix<S, R1, C1, SA>,
    i: usize,
    src: &Matrix<S, R2, C2, SB>,
    alpha: S,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: StorageMut<S, R1, C1>,
    SB: Storage<S, R2, C2>,
{
    let mut row = dst.row_mut(i);
    accumulate_scaled(&mut row, src, alpha);
}

/// `alpha * m`, a new matrix.
///
/// ```
/// use nalgebra::Vector2;
/// assert_eq!(tapeless_runtime::linalg::scaled(&Vector2::new(1.0, 2.0), 3.0), Vector2::new(3.0, 6.0));
/// ```
#[inline]
pub fn scaled<S, R, C, SA>(m: &Matrix<S, R, C, SA>, alpha: S) -> OMatrix<S, R, C>
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
    DefaultAllocator: Allocator<R, C>,
{
    m.map(|v| alpha * v)
}

/// A matrix of the shape of `like` with `value` in every element.
///
/// ```
/// use nalgebra::Vector2;
/// assert_eq!(tapeless_runtime::linalg::filled_like(&Vector2::new(1.0, 2.0), 0.5), Vector2::new(0.5, 0.5));
/// ```
#[inline]
pub fn filled_like<S, R, C, SA>(like: &Matrix<S, R, C, SA>, value: S) -> OMatrix<S, R, C>
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
    DefaultAllocator: Allocator<R, C>,
{
    let (r, c) = like.shape_generic();
    OMatrix::from_element_generic(r, c, value)
}

/// Plain loops over contiguous column-major storage, for scalars with
/// [`Real::PLAIN_KERNELS`]: `m` is the number of rows of the left factor.
mod plain {
    use crate::Real;

    /// `out (m x n) += alpha * a (m x k) * b (k x n)`.
    pub fn gemm<S: Real>(out: &mut [S], a: &[S], b: &[S], m: usize, k: usize, alpha: S) {
        if m == 0 || k == 0 {
            return;
        }
        for (oc, bc) in out.chunks_exact_mut(m).zip(b.chunks_exact(k)) {
            for (ac, &bpj) in a.chunks_exact(m).zip(bc) {
                let s = alpha * bpj;
                for (o, &x) in oc.iter_mut().zip(ac) {
                    *o += x * s;
                }
            }
        }
    }

    /// `dst (m x k) += alpha * seed (m x n) * b^T`, `b` being `k x n`.
    pub fn gemm_nt<S: Real>(dst: &mut [S], seed: &[S], b: &[S], m: usize, k: usize, alpha: S) {
        if m == 0 || k == 0 {
            return;
        }
        for (sc, bc) in seed.chunks_exact(m).zip(b.chunks_exact(k)) {
            for (dc, &bpj) in dst.chunks_exact_mut(m).zip(bc) {
                let s = alpha * bpj;
                for (d, &x) in dc.iter_mut().zip(sc) {
                    *d += x * s;
                }
            }
        }
    }

    /// `dst (k x n) += alpha * a^T * seed`, `a` being `m x k` and `seed` `m x n`.
    pub fn gemm_tn<S: Real>(dst: &mut [S], a: &[S], seed: &[S], m: usize, k: usize, alpha: S) {
        if m == 0 || k == 0 {
            return;
        }
        for (dc, sc) in dst.chunks_exact_mut(k).zip(seed.chunks_exact(m)) {
            for (d, ac) in dc.iter_mut().zip(a.chunks_exact(m)) {
                *d += alpha * dot(ac, sc);
            }
        }
    }

    /// `<a, b>` with four partial sums, so that the loop pipelines.
    fn dot<S: Real>(a: &[S], b: &[S]) -> S {
        let mut acc = [S::zero(); 4];
        let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (x, y) in ca.zip(cb) {
            for l in 0..4 {
                acc[l] += x[l] * y[l];
            }
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (&x, &y) in ra.iter().zip(rb) {
            s += x * y;
        }
        s
    }
}

/// `a * b`, the product of matrices (or of a matrix and a vector): nalgebra's, or plain loops
/// for scalars with [`Real::PLAIN_KERNELS`] (dual numbers). Generated code multiplies matrices
/// with it, so the value at `f64` is nalgebra's, bit for bit.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use tapeless_runtime::{linalg, Dual};
/// let a = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let x = DVector::from_vec(vec![1.0, -1.0]);
/// assert_eq!(linalg::mul(&a, &x), &a * &x);
/// let ad = a.map(Dual::<f64, 1>::constant);
/// let xd = x.map(|v| Dual::new(v, [1.0]));
/// let y = linalg::mul(&ad, &xd);
/// assert_eq!((y[0].value, y[0].tangents[0]), (-1.0, 3.0));
/// ```
#[inline]
pub fn mul<S, R1, C1, SA, R2, C2, SB>(
    a: &Matrix<S, R1, C1, SA>,
    b: &Matrix<S, R2, C2, SB>,
) -> OMatrix<S, R1, C2>
where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: Storage<S, R1, C1> + IsContiguous,
    SB: Storage<S, R2, C2> + IsContiguous,
    DefaultAllocator: Allocator<R1, C2>,
    ShapeConstraint: AreMultipliable<R1, C1, R2, C2>,
{
    if !S::PLAIN_KERNELS {
        return a * b;
    }
    assert_eq!(
        a.ncols(),
        b.nrows(),
        "tapeless: product of matrices of shapes {:?} and {:?}",
        a.shape(),
        b.shape()
    );
    let mut out = OMatrix::zeros_generic(a.shape_generic().0, b.shape_generic().1);
    plain::gemm(
        out.as_mut_slice(),
        a.as_slice(),
        b.as_slice(),
        a.nrows(),
        a.ncols(),
        S::one(),
    );
    out
}

/// `dst += alpha * seed * b^T`: the adjoint of `c = a * b` with respect to `a`, for a seed
/// `c_bar`, as one rank-one update (`ger`) per column of `b` (one for a matrix-vector product),
/// one `gemm` when every dimension is above 5 (a batch's matrix-matrix product), or plain loops
/// for scalars with [`Real::PLAIN_KERNELS`].
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// let (seed, b) = (DVector::from_vec(vec![1.0, 2.0]), DVector::from_vec(vec![3.0, 4.0, 5.0]));
/// let mut a_bar = DMatrix::zeros(2, 3);
/// tapeless_runtime::linalg::mul_adjoint_lhs_acc(&mut a_bar, &seed, &b, 2.0);
/// assert_eq!(a_bar, &seed * b.transpose() * 2.0);
/// ```
#[inline]
pub fn mul_adjoint_lhs_acc<S, R1, C1, SA, R2, C2, SS, R3, C3, SB>(
    dst: &mut Matrix<S, R1, C1, SA>,
    seed: &Matrix<S, R2, C2, SS>,
    b: &Matrix<S, R3, C3, SB>,
    alpha: S,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SA: StorageMut<S, R1, C1> + IsContiguous,
    SS: Storage<S, R2, C2> + IsContiguous,
    SB: Storage<S, R3, C3> + IsContiguous,
    ShapeConstraint: DimEq<R1, R2> + DimEq<C1, R3>,
{
    assert!(
        seed.ncols() == b.ncols() && dst.shape() == (seed.nrows(), b.nrows()),
        "tapeless: adjoint of a product with mismatched shapes"
    );
    if S::PLAIN_KERNELS {
        let (m, k) = dst.shape();
        plain::gemm_nt(
            dst.as_mut_slice(),
            seed.as_slice(),
            b.as_slice(),
            m,
            k,
            alpha,
        );
        return;
    }
    let (m, k, n) = (seed.nrows(), b.nrows(), seed.ncols());
    if [m, k, n].iter().all(|&d| d > GEMM_ABOVE) {
        // `b^T` is `b`'s storage read row by row: the whole product in one `gemm`.
        let b_t = (b.as_slice(), (k, 1));
        gemm_acc(
            dst.as_mut_slice(),
            (m, k, n),
            alpha,
            (seed.as_slice(), (1, m)),
            b_t,
        );
        return;
    }
    for j in 0..b.ncols() {
        dst.ger(alpha, &seed.column(j), &b.column(j), S::one());
    }
}

/// Products whose every dimension is above this go through one `gemm` (nalgebra hands
/// `f64`/`f32` ones to matrixmultiply: packed, blocked, SIMD kernels) instead of one `ger` or
/// `gemv` per column, which would stream the whole matrix once per column (a batch of `n`
/// columns reads a weight matrix `n` times). nalgebra's own threshold for matrixmultiply; at
/// or below it (matrix-vector products among them) the column-wise forms and their rounding
/// are kept.
const GEMM_ABOVE: usize = 5;

/// `dst += alpha a b` for `dst` contiguous `m x n` column-major and `a` (`m x k`), `b`
/// (`k x n`) given by their storage and (row, column) strides, through nalgebra's `gemm`;
/// `dims` is `(m, n, k)`.
fn gemm_acc<S: Real>(
    dst: &mut [S],
    (m, n, k): (usize, usize, usize),
    alpha: S,
    (a, (ra, ca)): (&[S], (usize, usize)),
    (b, (rb, cb)): (&[S], (usize, usize)),
) {
    type View<'a, S> = MatrixView<'a, S, Dyn, Dyn, Dyn, Dyn>;
    let a = View::from_slice_with_strides_generic(a, Dyn(m), Dyn(k), Dyn(ra), Dyn(ca));
    let b = View::from_slice_with_strides_generic(b, Dyn(k), Dyn(n), Dyn(rb), Dyn(cb));
    let mut out = DMatrixViewMut::from_slice(dst, m, n);
    out.gemm(alpha, &a, &b, S::one());
}

/// `dst += alpha * a^T * seed`: the adjoint of `c = a * b` with respect to `b`, for a seed
/// `c_bar` (`gemv_tr` column by column, through `gemm_tr`; one `gemm` when every dimension is
/// above 5, a batch's matrix-matrix product; or plain loops for scalars with
/// [`Real::PLAIN_KERNELS`]).
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// let a = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let seed = DVector::from_vec(vec![1.0, -1.0]);
/// let mut b_bar = DVector::zeros(3);
/// tapeless_runtime::linalg::mul_adjoint_rhs_acc(&mut b_bar, &a, &seed, 1.0);
/// assert_eq!(b_bar, a.transpose() * &seed);
/// ```
#[inline]
pub fn mul_adjoint_rhs_acc<S, R1, C1, SD, R2, C2, SA, R3, C3, SS>(
    dst: &mut Matrix<S, R1, C1, SD>,
    a: &Matrix<S, R2, C2, SA>,
    seed: &Matrix<S, R3, C3, SS>,
    alpha: S,
) where
    S: Real,
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SD: StorageMut<S, R1, C1> + IsContiguous,
    SA: Storage<S, R2, C2> + IsContiguous,
    SS: Storage<S, R3, C3> + IsContiguous,
    ShapeConstraint:
        SameNumberOfRows<R1, C2> + SameNumberOfColumns<C1, C3> + AreMultipliable<C2, R2, R3, C3>,
{
    if S::PLAIN_KERNELS {
        assert!(
            a.nrows() == seed.nrows() && dst.shape() == (a.ncols(), seed.ncols()),
            "tapeless: adjoint of a product with mismatched shapes"
        );
        let (m, k) = a.shape();
        plain::gemm_tn(
            dst.as_mut_slice(),
            a.as_slice(),
            seed.as_slice(),
            m,
            k,
            alpha,
        );
        return;
    }
    let (m, k, n) = (a.nrows(), a.ncols(), seed.ncols());
    if [m, k, n].iter().all(|&d| d > GEMM_ABOVE) {
        // `a^T` is `a`'s storage read row by row: the whole product in one `gemm`.
        let a_t = (a.as_slice(), (m, 1));
        gemm_acc(
            dst.as_mut_slice(),
            (k, n, m),
            alpha,
            a_t,
            (seed.as_slice(), (1, m)),
        );
        return;
    }
    dst.gemm_tr(alpha, a, seed, S::one());
}

/// `alpha * seed * b^T`, a new matrix: [`mul_adjoint_lhs_acc`] for an operand that is an
/// expression rather than a variable.
///
/// ```
/// use nalgebra::{DVector, Matrix2x3};
/// let (seed, b) = (DVector::from_vec(vec![1.0, 2.0]), DVector::from_vec(vec![3.0, 4.0, 5.0]));
/// let g = tapeless_runtime::linalg::mul_adjoint_lhs(&seed, &b, 1.0);
/// assert_eq!(g, &seed * b.transpose());
/// # let _ = Matrix2x3::<f64>::zeros();
/// ```
#[inline]
pub fn mul_adjoint_lhs<S, R2, C2, SS, R3, C3, SB>(
    seed: &Matrix<S, R2, C2, SS>,
    b: &Matrix<S, R3, C3, SB>,
    alpha: S,
) -> OMatrix<S, R2, R3>
where
    S: Real,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SS: Storage<S, R2, C2> + IsContiguous,
    SB: Storage<S, R3, C3> + IsContiguous,
    DefaultAllocator: Allocator<R2, R3>,
{
    let mut out = OMatrix::zeros_generic(seed.shape_generic().0, b.shape_generic().0);
    mul_adjoint_lhs_acc(&mut out, seed, b, alpha);
    out
}

/// `alpha * a^T * seed`, a new matrix: [`mul_adjoint_rhs_acc`] for an operand that is an
/// expression rather than a variable.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// let a = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let seed = DVector::from_vec(vec![1.0, 1.0]);
/// assert_eq!(tapeless_runtime::linalg::mul_adjoint_rhs(&a, &seed, 1.0), a.transpose() * &seed);
/// ```
#[inline]
pub fn mul_adjoint_rhs<S, R2, C2, SA, R3, C3, SS>(
    a: &Matrix<S, R2, C2, SA>,
    seed: &Matrix<S, R3, C3, SS>,
    alpha: S,
) -> OMatrix<S, C2, C3>
where
    S: Real,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SA: Storage<S, R2, C2> + IsContiguous,
    SS: Storage<S, R3, C3> + IsContiguous,
    DefaultAllocator: Allocator<C2, C3>,
    ShapeConstraint: AreMultipliable<C2, R2, R3, C3>,
{
    let mut out = OMatrix::zeros_generic(a.shape_generic().1, seed.shape_generic().1);
    mul_adjoint_rhs_acc(&mut out, a, seed, alpha);
    out
}

/// The value of `m`, leaving zeros in its place: the adjoint of a matrix variable before an
/// assignment that overwrites it.
///
/// ```
/// use nalgebra::Vector2;
/// let mut a = Vector2::new(1.0, 2.0);
/// assert_eq!(tapeless_runtime::linalg::take(&mut a), Vector2::new(1.0, 2.0));
/// assert_eq!(a, Vector2::zeros());
/// ```
#[inline]
pub fn take<S, R, C>(m: &mut OMatrix<S, R, C>) -> OMatrix<S, R, C>
where
    S: Real,
    R: Dim,
    C: Dim,
    DefaultAllocator: Allocator<R, C>,
{
    let zeros = m.zeros_like();
    core::mem::replace(m, zeros)
}

/// The sum of squares of the elements, as nalgebra's `norm_squared` computes it (column by
/// column), for any scalar type.
///
/// ```
/// use nalgebra::Vector2;
/// assert_eq!(tapeless_runtime::linalg::norm_squared(&Vector2::new(3.0, 4.0)), 25.0);
/// ```
#[inline]
pub fn norm_squared<S, R, C, SA>(m: &Matrix<S, R, C, SA>) -> S
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
{
    let mut res = S::zero();
    for j in 0..m.ncols() {
        let col = m.column(j);
        res += col.dot(&col);
    }
    res
}

/// The Euclidean (Frobenius) norm, `norm_squared(m).sqrt()`.
///
/// ```
/// use nalgebra::Vector2;
/// assert_eq!(tapeless_runtime::linalg::norm(&Vector2::new(3.0, 4.0)), 5.0);
/// ```
#[inline]
pub fn norm<S, R, C, SA>(m: &Matrix<S, R, C, SA>) -> S
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
{
    norm_squared(m).sqrt()
}

/// `seed / |m|`, or zero at `m == 0` (the convention of `hypot` at the origin): the factor by
/// which the adjoint of `|m|` scales `m`, and the tangent's factor of `<m, m_dot>`.
///
/// ```
/// use nalgebra::Vector2;
/// use tapeless_runtime::linalg::per_norm;
/// assert_eq!(per_norm(&Vector2::new(3.0, 4.0), 10.0), 2.0);
/// assert_eq!(per_norm(&Vector2::new(0.0, 0.0), 10.0), 0.0);
/// ```
#[inline]
pub fn per_norm<S, R, C, SA>(m: &Matrix<S, R, C, SA>, seed: S) -> S
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<S, R, C>,
{
    let n = norm(m);
    if n == S::zero() {
        S::zero()
    } else {
        seed / n
    }
}

/// Data that is not differentiated (an `f64` matrix parameter outside `wrt(..)`), in the
/// scalar type.
///
/// ```
/// use nalgebra::Vector2;
/// let m: Vector2<f32> = tapeless_runtime::linalg::lift(&Vector2::new(1.0, 2.0));
/// assert_eq!(m, Vector2::new(1.0_f32, 2.0));
/// ```
#[inline]
pub fn lift<S, R, C, SA>(m: &Matrix<f64, R, C, SA>) -> OMatrix<S, R, C>
where
    S: Real,
    R: Dim,
    C: Dim,
    SA: Storage<f64, R, C>,
    DefaultAllocator: Allocator<R, C>,
{
    m.map(S::from_f64)
}

/// The entry check of a companion: a tangent or adjoint matrix has the shape of its value.
#[doc(hidden)]
#[inline]
pub fn check_shape(
    function: &str,
    argument: &str,
    found: (usize, usize),
    value: &str,
    expected: (usize, usize),
) {
    if found != expected {
        panic!(
            "{function}: `{argument}` has shape {found:?} but `{value}` has shape {expected:?}; a tangent or adjoint has the shape of its value"
        );
    }
}

#[cfg(test)]
mod tests;
