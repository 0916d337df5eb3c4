//! Valid programs the random generator and the idiomatic examples found refused (issue 12,
//! tests/random-programs/README.md), now accepted. Each derivative is proved three ways:
//! central finite differences, the dot-product test to 1e-12, tangent against adjoint.

mod common;

use common::{check, Case};
use tapeless::differentiable;

/// A model whose parameter `k` is data in `energy` (`wrt(x)` leaves `self` out).
#[differentiable]
#[derive(Clone)]
struct Model {
    k: f64,
}

impl Model {
    /// Differentiated in `x` only: the companions take `self` as it is, at `f64`.
    #[differentiable(wrt(x))]
    fn energy(&self, x: &[f64], y: &[f64]) -> f64 {
        self.k * x[0] * x[1].sin() * y[0] + x[1] * y[1]
    }
}

#[test]
fn wrt_on_a_self_method_leaves_self_as_data() {
    let m = Model { k: 1.7 };
    let y = [0.3, -1.2];
    let f = |x: &[f64]| vec![m.energy(x, &y)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = m.energy_jvp(x, d, &y);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut x_bar = vec![0.0; 2];
        let v = m.energy_vjp(x, &mut x_bar, &y, w[0]);
        (vec![v], x_bar)
    };
    let case = Case {
        name: "Model::energy wrt(x)",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.8, 0.4], 31);
    // The associated forms take the receiver at `f64`, and `_grad` agrees with `_vjp`.
    let x = [0.8, 0.4];
    let (v, g) = m.energy_grad(&x, &y);
    let mut x_bar = [0.0; 2];
    assert_eq!(Model::energy_vjp_at(&m, &x, &mut x_bar, &y, 1.0), v);
    assert_eq!(g, x_bar.to_vec());
    assert_eq!(m.energy_generic(&x, &y), v);
}
