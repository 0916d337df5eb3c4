use tapeless::differentiable;

// The comparator compares the second items of pairs that are not `(index, value)`.
#[differentiable]
fn best_weight(x: &[f64], y: &[f64]) -> f64 {
    let (a, b) = x.iter().zip(y).max_by(|p, q| p.1.total_cmp(q.1)).unwrap();
    a * b
}

fn main() {}
