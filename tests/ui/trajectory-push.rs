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

fn main() {}
