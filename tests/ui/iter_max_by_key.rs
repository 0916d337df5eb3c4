use tapeless::differentiable;

// `max_by_key` with an integer key over pairs (an `f64` key is not `Ord`).
#[differentiable]
fn last_positive(x: &[f64]) -> f64 {
    let (_, v) = x.iter().enumerate().max_by_key(|p| p.0 % 3).unwrap();
    v * 2.0
}

fn main() {}
