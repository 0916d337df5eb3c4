//! The Lorenz-63 4D-Var study of `lorenz63_4dvar.rs`, written the way a Rust scientist writes
//! it instead of with the runtime's integrator and 4D-Var blocks: the state a `State` struct,
//! the parameters a struct whose `&self` methods call each other (the right-hand side returning
//! a `State`, a hand-written RK4 step with untyped stages `let k1 = self.rhs(s);` and stage
//! states as literals, the cost stepping the state `s = self.rk4(&s, H)` and reading its fields,
//! with an iterator sum for the background term, differentiated in `x0` only), its gradient
//! from `cost_grad` and Hessian-vector products from `cost_grad` at dual numbers. The same
//! damped Newton method finds the analysis. `J(xb)` and `RMSE(xb)` equal the other example's
//! to the last digit (the same floating-point operations in the same order); the gradient is
//! the macro's adjoint of the RK4 step, not the runtime's, so it rounds differently (15
//! digits), and the analysis follows (README: "The Lorenz-63 study written as Rust"). Every
//! printed digit is the same as when this example held its state in arrays.
//!
//! Run: `cargo run --release --example lorenz63_idiomatic`

use tapeless::{differentiable, Dual};

const H: f64 = 0.01;
const STEPS: usize = 100;
const OBS_EVERY: usize = 10;

/// The state of Lorenz's system.
#[differentiable]
#[derive(Clone, Copy, Debug)]
struct State {
    x: f64,
    y: f64,
    z: f64,
}

/// The parameters of Lorenz's system.
#[differentiable]
#[derive(Clone, Debug)]
struct Lorenz63 {
    sigma: f64,
    rho: f64,
    beta: f64,
}

impl Lorenz63 {
    /// dx/dt = sigma (y - x), dy/dt = x (rho - z) - y, dz/dt = x y - beta z.
    ///
    /// The reverse sweep takes a struct literal's fields first to last, as an array literal's
    /// elements: the adjoint of `x` adds the terms of `x`, then `y`, then `z`, as it does for
    /// `[dx, dy, dz]` (the same roundings: the digits this example printed with its state as an
    /// array).
    #[differentiable]
    fn rhs(&self, s: &State) -> State {
        let (x, y, z) = (s.x, s.y, s.z);
        State {
            x: self.sigma * (y - x),
            y: x * (self.rho - z) - y,
            z: x * y - self.beta * z,
        }
    }

    /// One classic Runge-Kutta step of size `h`.
    #[differentiable]
    fn rk4(&self, s: &State, h: f64) -> State {
        let k1 = self.rhs(s);
        let y1 = State {
            x: s.x + 0.5 * h * k1.x,
            y: s.y + 0.5 * h * k1.y,
            z: s.z + 0.5 * h * k1.z,
        };
        let k2 = self.rhs(&y1);
        let y2 = State {
            x: s.x + 0.5 * h * k2.x,
            y: s.y + 0.5 * h * k2.y,
            z: s.z + 0.5 * h * k2.z,
        };
        let k3 = self.rhs(&y2);
        let y3 = State {
            x: s.x + h * k3.x,
            y: s.y + h * k3.y,
            z: s.z + h * k3.z,
        };
        let k4 = self.rhs(&y3);
        State {
            x: s.x + h / 6.0 * (k1.x + 2.0 * k2.x + 2.0 * k3.x + k4.x),
            y: s.y + h / 6.0 * (k1.y + 2.0 * k2.y + 2.0 * k3.y + k4.y),
            z: s.z + h / 6.0 * (k1.z + 2.0 * k2.z + 2.0 * k3.z + k4.z),
        }
    }

    /// The 4D-Var cost of the initial state `x0`: the background misfit (variance 4) plus the
    /// misfits of x and z (variance 0.09) every `OBS_EVERY` steps; `obs` holds them as pairs
    /// `[x, z]`, data outside `wrt(..)`.
    #[differentiable(wrt(x0))]
    fn cost(&self, x0: &[f64], xb: &[f64], obs: &[[f64; 2]]) -> f64 {
        let mut j = x0
            .iter()
            .zip(xb)
            .map(|(x, b)| {
                let d = x - b;
                0.5 * d * (d / 4.0)
            })
            .sum::<f64>();
        let mut s = State {
            x: x0[0],
            y: x0[1],
            z: x0[2],
        };
        for k in 1..=STEPS {
            s = self.rk4(&s, H);
            if k % OBS_EVERY == 0 {
                let o = obs[k / OBS_EVERY - 1];
                let dx = s.x - o[0];
                let dz = s.z - o[1];
                j += 0.5 * dx * (dx / 0.09) + 0.5 * dz * (dz / 0.09);
            }
        }
        j
    }
}

fn trajectory(model: &Lorenz63, x0: State) -> Vec<State> {
    let mut states = vec![x0];
    for _ in 0..STEPS {
        let s = *states.last().expect("a state");
        states.push(model.rk4(&s, H));
    }
    states
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64).sqrt()
}

/// The determinant of a 3x3 matrix (Cramer's rule below).
fn det(m: [[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

fn main() {
    let model = Lorenz63 {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
    };
    // Truth, observations of x and z every 0.1 with a deterministic noise, background.
    let truth0 = [-5.8, -5.1, 24.3];
    let truth = trajectory(
        &model,
        State {
            x: truth0[0],
            y: truth0[1],
            z: truth0[2],
        },
    );
    let xb: Vec<f64> = truth0
        .iter()
        .enumerate()
        .map(|(i, x)| x + 1.5 * (1.3 * i as f64 + 0.4).cos())
        .collect();
    let noise = |k: usize, i: usize| 0.3 * (12.9898 * k as f64 + 78.233 * i as f64).sin();
    let obs: Vec<[f64; 2]> = (1..=STEPS / OBS_EVERY)
        .map(|k| {
            let s = truth[k * OBS_EVERY];
            [s.x + noise(k, 0), s.z + noise(k, 2)]
        })
        .collect();

    // `cost_grad`: the value and the gradient in `x0`.
    let j_and_grad = |x: &[f64]| model.cost_grad(x, &xb, &obs);
    // H v: the gradient at dual numbers (forward over reverse); the model and the data stay `f64`.
    let hessian_vector = |x: &[f64], v: &[f64]| -> Vec<f64> {
        let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let (_, x_bar) = model.cost_grad(&xd, &xb, &obs);
        x_bar.iter().map(|d| d.tangents[0]).collect()
    };

    let (j, g) = j_and_grad(&xb);
    println!(
        "Lorenz-63 4D-Var: {STEPS} RK4 steps of h = {H}, x and z observed every {OBS_EVERY} steps"
    );
    println!("J(xb)        = {j:.16e}");
    println!("|grad J(xb)| = {:.16e}", norm(&g));
    println!("RMSE(xb)     = {:.16e}", rmse(&xb, &truth0));
    // Damped Newton with the 3x3 Hessian from three Hessian-vector products.
    let mut x = xb.clone();
    let mut mu = 1.0;
    for it in 0..15 {
        let (j, g) = j_and_grad(&x);
        let columns: Vec<Vec<f64>> = (0..3)
            .map(|c| hessian_vector(&x, &[0, 1, 2].map(|i| if i == c { 1.0 } else { 0.0 })))
            .collect();
        loop {
            // Solve (H + mu I) s = -g by Cramer's rule.
            let a = |r: usize, c: usize| columns[c][r] + if r == c { mu } else { 0.0 };
            let m = [0, 1, 2].map(|r| [0, 1, 2].map(|c| a(r, c)));
            let d = det(m);
            let s: Vec<f64> = (0..3)
                .map(|c| {
                    let mut mc = m;
                    for (r, row) in mc.iter_mut().enumerate() {
                        row[c] = -g[r];
                    }
                    det(mc) / d
                })
                .collect();
            let trial: Vec<f64> = x.iter().zip(&s).map(|(a, b)| a + b).collect();
            if d > 0.0 && j_and_grad(&trial).0 < j {
                x = trial;
                mu = (mu / 3.0).max(1e-6);
                break;
            }
            mu *= 4.0;
            if mu > 1e12 {
                break;
            }
        }
        if it % 3 == 2 {
            let (j, g) = j_and_grad(&x);
            println!(
                "iteration {:2}: J = {j:.16e}  |grad J| = {:.6e}  RMSE = {:.6e}",
                it + 1,
                norm(&g),
                rmse(&x, &truth0)
            );
        }
    }
    let (j, g) = j_and_grad(&x);
    println!("analysis:     J = {j:.16e}  |grad J| = {:.6e}", norm(&g));
    println!("RMSE(analysis) = {:.16e}", rmse(&x, &truth0));
}
