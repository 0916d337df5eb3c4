use tapeless::differentiable;

#[differentiable]
fn picked(x: &[f64]) -> f64 {
    let mut idx: Vec<usize> = Vec::new();
    for k in 0..x.len() {
        idx.push(k);
    }
    x[idx[0]]
}

fn main() {}
