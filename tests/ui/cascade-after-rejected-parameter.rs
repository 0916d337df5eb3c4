use tapeless::differentiable;

// One mistake, one error: the uses of `u` below are not reported again.
#[differentiable]
fn f(u: &std::collections::VecDeque<f64>) -> f64 {
    let a = u[0] * u[1];
    a + u[2]
}

fn main() {}
