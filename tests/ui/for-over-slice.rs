use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in u {
        s += v;
    }
    s
}

fn main() {}
