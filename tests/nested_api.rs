//! The second-derivative API on generated companions: Hessians of functions with loops and
//! branches, Jacobians of an in-place right-hand side both ways, and mixed second derivatives.

mod common;

use common::{assert_close, Draws};
use tapeless::nested::{
    hessian, hvp, hvp_lanes, jacobian, jacobian_forward, jacobian_reverse, mixed_hvp, Gradient,
    MixedGradient, VectorFunction,
};
use tapeless::{differentiable, Real, UserError};

#[differentiable]
fn branchy(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let a = x[i] * x[(i + 1) % n];
        if a > 0.0 {
            s += a.sin() * x[i];
        } else {
            s += (a * a + 1.0).ln();
        }
    }
    for i in (0..n).rev() {
        s = s * 0.9 + x[i].tanh() * s.cos();
    }
    s
}

struct Branchy;
impl Gradient for Branchy {
    fn gradient<S: Real>(&self, x: &[S], grad: &mut [S]) -> Result<S, UserError> {
        Ok(branchy_vjp(x, grad, S::one()))
    }
}

fn gradient_f64(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    branchy_vjp(x, &mut g, 1.0);
    g
}

#[test]
fn hessian_of_loops_and_branches_is_symmetric_and_matches_differences_of_gradients() {
    let mut rng = Draws::new(8);
    let x = rng.vec(9);
    let h = hessian(&Branchy, &x).unwrap();
    let step = 1e-5;
    for j in 0..9 {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[j] += step;
        xm[j] -= step;
        let (gp, gm) = (gradient_f64(&xp), gradient_f64(&xm));
        for i in 0..9 {
            assert_close(h[i][j], h[j][i], 1e-12, "symmetry");
            let fd = (gp[i] - gm[i]) / (2.0 * step);
            assert!(
                (h[i][j] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "H[{i}][{j}] = {} vs {fd}",
                h[i][j]
            );
        }
    }
    // One product and eight lanes agree with the dense Hessian.
    let v = rng.vec(9);
    let r = hvp(&Branchy, &x, &v).unwrap();
    assert_eq!(r.value, branchy(&x));
    assert_eq!(r.gradient, gradient_f64(&x));
    let lanes: Vec<Vec<f64>> = (0..8).map(|_| rng.vec(9)).collect();
    let out = hvp_lanes(
        &Branchy,
        &x,
        core::array::from_fn::<&[f64], 8, _>(|k| &lanes[k][..]),
    )
    .unwrap();
    for (k, hv) in out.iter().enumerate() {
        for i in 0..9 {
            let dense: f64 = (0..9).map(|j| h[i][j] * lanes[k][j]).sum();
            assert_close(hv[i], dense, 1e-12, "lane against dense");
        }
    }
}

#[differentiable]
fn lorenz96(du: &mut [f64], u: &[f64], forcing: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing;
    }
}

/// Lorenz-96 as a function of the state, with the forcing fixed; optionally with extra inputs
/// that do not enter, to make the function wide.
struct L96 {
    n: usize,
}

impl VectorFunction for L96 {
    fn outputs(&self) -> usize {
        self.n
    }
    fn eval<S: Real>(&self, x: &[S], y: &mut [S]) {
        lorenz96_generic(y, &x[..self.n], S::from_f64(8.0));
    }
    fn vjp<S: Real>(&self, x: &[S], y_bar: &[S], x_bar: &mut [S]) {
        let mut y = vec![S::zero(); self.n];
        let mut yb = y_bar.to_vec();
        let mut fb = S::zero();
        lorenz96_vjp(
            &mut y,
            &mut yb,
            &x[..self.n],
            &mut x_bar[..self.n],
            S::from_f64(8.0),
            &mut fb,
        );
    }
}

#[test]
fn jacobian_both_ways_and_against_the_closed_form() {
    let n = 10;
    let x: Vec<f64> = (0..n).map(|i| (0.7 * i as f64).sin() * 3.0).collect();
    let f = L96 { n };
    let mut du = vec![0.0; n];
    lorenz96(&mut du, &x, 8.0);
    let mut y = vec![0.0; n];
    f.eval(&x, &mut y);
    assert_eq!(du, y);
    let forward = jacobian_forward(&f, &x).unwrap();
    let reverse = jacobian_reverse(&f, &x).unwrap();
    assert_eq!(jacobian(&f, &x).unwrap(), forward, "square: forward lanes");
    for i in 0..n {
        for j in 0..n {
            let mut expected = 0.0;
            if j == (i + 1) % n {
                expected += x[(i + n - 1) % n];
            }
            if j == (i + n - 2) % n {
                expected -= x[(i + n - 1) % n];
            }
            if j == (i + n - 1) % n {
                expected += x[(i + 1) % n] - x[(i + n - 2) % n];
            }
            if j == i {
                expected -= 1.0;
            }
            assert_eq!(forward[i][j], expected, "forward J[{i}][{j}]");
            assert_eq!(reverse[i][j], expected, "reverse J[{i}][{j}]");
        }
    }
    // A wide function (more inputs than outputs) goes by adjoint rows.
    let mut wide_x = x.clone();
    wide_x.extend([1.0, 2.0, 3.0]);
    let wide = jacobian(&f, &wide_x).unwrap();
    assert_eq!(wide.len(), n);
    assert_eq!(&wide[3][..n], &reverse[3][..]);
    assert_eq!(&wide[3][n..], &[0.0, 0.0, 0.0]);
}

#[differentiable]
fn misfit(x: &[f64], theta: &[f64]) -> f64 {
    let mut j = 0.0;
    for i in 0..x.len() {
        let r = x[i] * theta[i % theta.len()] - (x[i] * theta[0]).sin();
        j += 0.5 * r * r;
    }
    j
}

struct Misfit;
impl MixedGradient for Misfit {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        theta: &[S],
        x_bar: &mut [S],
        theta_bar: &mut [S],
    ) -> Result<S, UserError> {
        Ok(misfit_vjp(x, x_bar, theta, theta_bar, S::one()))
    }
}

#[test]
fn mixed_second_derivative_matches_differences_of_the_parameter_gradient() {
    let x = [0.4, -1.2, 0.8, 2.0];
    let theta = [0.7, 1.3];
    let v = [1.0, -0.5, 0.25, 0.3];
    let mut xb = [0.0; 4];
    let mut tb = [0.0; 2];
    assert_eq!(
        Misfit.gradient(&x, &theta, &mut xb, &mut tb).unwrap(),
        misfit(&x, &theta)
    );
    let (hxx_v, htx_v) = mixed_hvp(&Misfit, &x, &theta, &v).unwrap();
    let grads = |x: &[f64]| {
        let (mut xb, mut tb) = (vec![0.0; 4], vec![0.0; 2]);
        misfit_vjp(x, &mut xb, &theta[..], &mut tb, 1.0);
        (xb, tb)
    };
    let h = 1e-6;
    let xp: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + h * b).collect();
    let xm: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a - h * b).collect();
    let ((gxp, gtp), (gxm, gtm)) = (grads(&xp), grads(&xm));
    for i in 0..4 {
        let fd = (gxp[i] - gxm[i]) / (2.0 * h);
        assert!(
            (hxx_v[i] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "Hxx v [{i}]"
        );
    }
    for k in 0..2 {
        let fd = (gtp[k] - gtm[k]) / (2.0 * h);
        assert!(
            (htx_v[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "Htx v [{k}]"
        );
    }
}

#[differentiable]
fn piecewise_chain(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        if x[i] > 0.0 {
            s += x[i] * x[i] * x[i];
        } else {
            s += x[i] * x[i];
        }
        if i + 1 < n {
            s += x[i] * x[i + 1];
        }
    }
    s
}

struct PiecewiseChain;
impl Gradient for PiecewiseChain {
    fn gradient<S: Real>(&self, x: &[S], grad: &mut [S]) -> Result<S, UserError> {
        Ok(piecewise_chain_vjp(x, grad, S::one()))
    }
}

#[test]
fn hessian_of_loops_and_branches_matches_the_closed_form() {
    // H_ii = 6 x_i where x_i > 0, else 2; H_{i,i+1} = H_{i+1,i} = 1.
    let x = [0.7, -0.4, 1.3, -2.0, 0.2];
    assert_eq!(piecewise_chain(&x), piecewise_chain_generic(&x[..]));
    let h = hessian(&PiecewiseChain, &x).unwrap();
    for (i, row) in h.iter().enumerate() {
        for (j, &hij) in row.iter().enumerate() {
            let expected = if i == j {
                if x[i] > 0.0 {
                    6.0 * x[i]
                } else {
                    2.0
                }
            } else if i + 1 == j || j + 1 == i {
                1.0
            } else {
                0.0
            };
            assert_close(hij, expected, 1e-14, &format!("H[{i}][{j}]"));
        }
    }
}
