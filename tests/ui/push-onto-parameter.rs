use tapeless::differentiable;

#[differentiable]
fn grow(v: &mut Vec<f64>, x: f64) {
    v.push(x);
}

fn main() {}
