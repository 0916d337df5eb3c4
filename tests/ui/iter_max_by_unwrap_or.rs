use tapeless::differentiable;

// An empty iterator must panic as `unwrap` does: a default value is not supported.
#[differentiable]
fn largest_or_zero(x: &[f64]) -> f64 {
    x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap_or(0.0)
}

fn main() {}
