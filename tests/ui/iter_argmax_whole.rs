use tapeless::differentiable;

// The argmax's pair used as a value of its own.
#[differentiable]
fn peak(x: &[f64]) -> f64 {
    let p = [x.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap()];
    *p[0].1
}

fn main() {}
