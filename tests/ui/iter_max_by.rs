use tapeless::differentiable;

#[differentiable]
fn largest(x: &[f64]) -> f64 {
    let mut m = 0.0;
    for v in x.iter().copied().max_by(|a, b| a.total_cmp(b)) {
        m = v;
    }
    m
}

fn main() {}
