//! Unit tests of `linalg`: values against nalgebra, adjoints by the dot-product test.

use super::*;
use crate::Dual;
use nalgebra::{DMatrix, DVector, Matrix2x3, SMatrix, Vector2, Vector3};

fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn random(r: usize, c: usize, seed: &mut u64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| lcg(seed))
}

/// `<c_bar, dA B + A dB> = <A_bar, dA> + <B_bar, dB>` for the product rules: the
/// dot-product test of the rules themselves.
#[test]
fn product_adjoints_pass_the_dot_product_test() {
    let mut s = 7;
    // The last two: every dimension above 5, one `gemm` each.
    for (m, k, n) in [
        (3, 4, 1),
        (2, 5, 3),
        (1, 1, 1),
        (4, 2, 6),
        (7, 9, 6),
        (40, 11, 32),
    ] {
        let (a, b) = (random(m, k, &mut s), random(k, n, &mut s));
        let (da, db) = (random(m, k, &mut s), random(k, n, &mut s));
        let c_bar = random(m, n, &mut s);
        let dc = &da * &b + &a * &db;
        let mut a_bar = DMatrix::zeros(m, k);
        let mut b_bar = DMatrix::zeros(k, n);
        mul_adjoint_lhs_acc(&mut a_bar, &c_bar, &b, 1.0);
        mul_adjoint_rhs_acc(&mut b_bar, &a, &c_bar, 1.0);
        let lhs = c_bar.dot(&dc);
        let rhs = a_bar.dot(&da) + b_bar.dot(&db);
        assert!(
            (lhs - rhs).abs() <= 1e-13 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
        // Against the products written out (to rounding: a `gemm` sums in another order),
        // and a second call adds to the first.
        let close = |x: &DMatrix<f64>, y: &DMatrix<f64>| (x - y).amax() <= 1e-14 * y.amax();
        assert!(close(&a_bar, &(&c_bar * b.transpose())), "{m} {k} {n}");
        assert!(close(&b_bar, &(a.transpose() * &c_bar)), "{m} {k} {n}");
        let (mut a_twice, mut b_twice) = (a_bar.clone(), b_bar.clone());
        mul_adjoint_lhs_acc(&mut a_twice, &c_bar, &b, 1.0);
        mul_adjoint_rhs_acc(&mut b_twice, &a, &c_bar, 1.0);
        assert!(close(&a_twice, &(&a_bar * 2.0)) && close(&b_twice, &(&b_bar * 2.0)));
        // The allocating forms agree with the accumulating ones.
        assert_eq!(mul_adjoint_lhs(&c_bar, &b, 1.0), a_bar);
        assert_eq!(mul_adjoint_rhs(&a, &c_bar, 1.0), b_bar);
    }
}

#[test]
fn static_shapes_and_vectors_use_the_same_rules() {
    let a = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
    let x = Vector3::new(1.0, -2.0, 0.5);
    let seed = Vector2::new(0.25, -1.0);
    let mut a_bar = SMatrix::<f64, 2, 3>::zeros();
    let mut x_bar = Vector3::zeros();
    mul_adjoint_lhs_acc(&mut a_bar, &seed, &x, 1.0);
    mul_adjoint_rhs_acc(&mut x_bar, &a, &seed, 1.0);
    assert_eq!(a_bar, seed * x.transpose());
    assert_eq!(x_bar, a.transpose() * seed);
}

#[test]
fn rules_run_at_dual_numbers() {
    // d/dt of the adjoint of W x along x_dot = W^T seed is unchanged; of W: seed x_dot^T.
    type D = Dual<f64, 1>;
    let w = DMatrix::from_fn(2, 2, |i, j| D::constant((i + 2 * j) as f64));
    let x = DVector::from_fn(2, |i, _| D::new(i as f64, [1.0]));
    let seed = DVector::from_fn(2, |i, _| D::constant(1.0 + i as f64));
    let mut w_bar = DMatrix::from_element(2, 2, D::constant(0.0));
    mul_adjoint_lhs_acc(&mut w_bar, &seed, &x, D::constant(1.0));
    for i in 0..2 {
        for j in 0..2 {
            assert_eq!(w_bar[(i, j)].value, (1.0 + i as f64) * j as f64);
            assert_eq!(w_bar[(i, j)].tangents[0], 1.0 + i as f64);
        }
    }
    let y = &w * &x;
    assert_eq!(y[1].tangents[0], w[(1, 0)].value + w[(1, 1)].value);
}

#[test]
fn plain_kernels_at_dual_numbers_agree_with_nalgebra() {
    type D = Dual<f64, 2>;
    let mut s = 9;
    let mut dual = |r: usize, c: usize| {
        DMatrix::from_fn(r, c, |_, _| D::new(lcg(&mut s), [lcg(&mut s), lcg(&mut s)]))
    };
    for (m, k, n) in [(3, 5, 1), (4, 2, 3), (1, 7, 2), (6, 9, 1)] {
        let (a, b, seed) = (dual(m, k), dual(k, n), dual(m, n));
        let close = |x: &DMatrix<D>, y: &DMatrix<D>| {
            x.iter().zip(y.iter()).all(|(p, q)| {
                (p.value - q.value).abs() < 1e-14
                    && (0..2).all(|l| (p.tangents[l] - q.tangents[l]).abs() < 1e-14)
            })
        };
        assert!(close(&mul(&a, &b), &(&a * &b)));
        let mut lhs = dual(m, k);
        let mut expected = lhs.clone();
        mul_adjoint_lhs_acc(&mut lhs, &seed, &b, D::from_f64(0.5));
        expected += &seed * b.transpose() * D::from_f64(0.5);
        assert!(close(&lhs, &expected));
        let mut rhs = dual(k, n);
        let mut expected = rhs.clone();
        mul_adjoint_rhs_acc(&mut rhs, &a, &seed, D::from_f64(-2.0));
        expected += a.transpose() * &seed * D::from_f64(-2.0);
        assert!(close(&rhs, &expected));
    }
}

#[test]
fn norms_match_nalgebra_bit_for_bit() {
    let mut s = 3;
    let m = random(7, 3, &mut s);
    assert_eq!(norm_squared(&m), m.norm_squared());
    assert_eq!(norm(&m), m.norm());
    let v = DVector::from_fn(40, |_, _| lcg(&mut s));
    assert_eq!(norm_squared(&v), v.norm_squared());
}

#[test]
fn dual_zero_is_zero_in_every_lane() {
    use num_traits::Zero;
    assert!(Dual::<f64, 1>::zero().is_zero());
    assert!(!Dual::<f64, 1>::new(0.0, [1.0]).is_zero());
}
