use tapeless::differentiable;

// A const generic parameter of a differentiable function is a length, a `usize`.
#[differentiable]
fn f<const K: u32>(x: f64) -> f64 {
    x * K as f64
}

fn main() {}
