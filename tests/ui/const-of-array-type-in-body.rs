use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    const IDX: [usize; 2] = [0, 2];
    x[IDX[0]] * x[IDX[1]]
}

fn main() {}
