use tapeless::differentiable;

#[differentiable]
struct Pair(f64, f64);

fn main() {}
