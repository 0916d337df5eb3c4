use tapeless::differentiable;

// `take` after `filter` counts the items kept, which a loop over positions cannot.
#[differentiable]
fn first_positive(x: &[f64]) -> f64 {
    x.iter().filter(|v| **v > 0.0).take(2).sum()
}

fn main() {}
