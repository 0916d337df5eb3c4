use tapeless::differentiable;

#[differentiable(wrt(u))]
fn misfit(u: &[f64], obs: &[f64]) -> f64 {
    u.iter().zip(obs).map(|(a, b)| (a - b) * (a - b)).sum()
}

#[differentiable(wrt(x0))]
fn cost(x0: &[f64], obs: &[f64]) -> f64 {
    // `x0` carries a derivative, but `misfit` does not differentiate its `obs`.
    misfit(obs, x0)
}

fn main() {
    let mut g = [0.0; 2];
    cost_vjp(&[1.0, 2.0], &mut g, &[0.5, 2.5], 1.0);
}
