use tapeless::differentiable;

#[differentiable]
fn rows(x: &[f64; 2]) -> f64 {
    let mut traj = Vec::new();
    let p = [x[0], x[1]];
    traj.push(p);
    traj[0][1]
}

fn main() {}
