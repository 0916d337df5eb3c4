//! Once refused (`a Vec that grows by push is not supported`): a trajectory stored by `push`
//! compiles, with no warning, and its derivative is that of the last state, `0.9^n`.
#![deny(warnings)]

use tapeless::differentiable;

#[differentiable]
fn trajectory(x0: f64, n: usize) -> f64 {
    let mut traj = Vec::with_capacity(n);
    let mut u = x0;
    for _ in 0..n {
        u = u * 0.9 + 0.1;
        traj.push(u);
    }
    traj[n - 1]
}

fn main() {
    let mut x0_bar = 0.0;
    let value = trajectory_vjp(2.0, &mut x0_bar, 4, 1.0);
    assert_eq!(value, trajectory(2.0, 4));
    assert!((x0_bar - 0.9f64.powi(4)).abs() < 1e-15, "{x0_bar}");
    let (_, dot) = trajectory_jvp(2.0, 1.0, 4);
    assert_eq!(dot, x0_bar);
}
