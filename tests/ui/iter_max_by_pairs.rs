use tapeless::differentiable;

// The comparator compares the items themselves: map pairs to the number compared first.
#[differentiable]
fn largest_product(x: &[f64], y: &[f64]) -> f64 {
    let best = x.iter().zip(y).max_by(|p, q| (p.0 * p.1).total_cmp(&(q.0 * q.1))).unwrap();
    best.0 * best.1
}

fn main() {}
