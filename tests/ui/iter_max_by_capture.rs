use tapeless::differentiable;

// The comparator may only compare its two parameters: a weight it captures would decide the
// order through a value of the function.
#[differentiable]
fn weighted_largest(x: &[f64], w: f64) -> f64 {
    x.iter().copied().max_by(|a, b| (a * w).total_cmp(&(b * w))).unwrap()
}

fn main() {}
