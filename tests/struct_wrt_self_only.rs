//! A method differentiated in its receiver only, `#[differentiable(wrt(self))] fn loss(&self, x:
//! &[f64], target: &[f64])`, the training loss of a small network whose weights are the
//! struct's `Vec<f64>` fields: its `loss_grad` method takes `&self` and data only, so it is the
//! `f64` one (nothing else would say which scalar; it did not compile, "type annotations
//! needed"). Checked three ways through `loss_jvp` and `loss_vjp` (central differences, the
//! dot-product test, tangent against adjoint) and `loss_grad` equal to `loss_vjp` to the bit.

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
#[derive(Clone, Debug)]
struct Net {
    w: Vec<f64>,
    b: Vec<f64>,
    n_in: usize,
}

impl Net {
    #[differentiable]
    fn forward(&self, x: &[f64]) -> Vec<f64> {
        let n_out = self.b.len();
        let mut y = vec![0.0; n_out];
        for o in 0..n_out {
            let mut s = self.b[o];
            for i in 0..self.n_in {
                s += self.w[o * self.n_in + i] * x[i];
            }
            y[o] = s.tanh();
        }
        y
    }

    #[differentiable(wrt(self))]
    fn loss(&self, x: &[f64], target: &[f64]) -> f64 {
        let y = self.forward(x);
        y.iter()
            .zip(target)
            .map(|(a, t)| (a - t).powi(2))
            .sum::<f64>()
    }
}

fn net_of(v: &[f64]) -> Net {
    Net {
        w: v[..6].to_vec(),
        b: v[6..].to_vec(),
        n_in: 3,
    }
}

const X: [f64; 3] = [0.5, -1.0, 2.0];
const T: [f64; 2] = [0.2, 0.3];

#[test]
fn a_loss_in_its_receiver_only_three_ways() {
    let v: Vec<f64> = (0..8).map(|i| 0.1 * i as f64 - 0.3).collect();
    check(
        &Case {
            name: "loss",
            inputs: 8,
            outputs: 1,
            f: &|v| vec![net_of(v).loss(&X, &T)],
            jvp: &|v, d| {
                let (r, t) = net_of(v).loss_jvp(&net_of(d), &X, &T);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let mut bar = net_of(&[0.0; 8]);
                let r = net_of(v).loss_vjp(&mut bar, &X, &T, w[0]);
                (vec![r], [bar.w, bar.b].concat())
            },
        },
        &v,
        801,
    );
    // `loss_grad` needs no turbofish: it is the `f64` gradient, `loss_vjp` seeded with 1.
    let net = net_of(&v);
    let (l, g) = net.loss_grad(&X, &T);
    let mut bar = net_of(&[0.0; 8]);
    let l2 = net.loss_vjp(&mut bar, &X, &T, 1.0);
    assert_eq!((l, g.w, g.b), (l2, bar.w, bar.b));
}
