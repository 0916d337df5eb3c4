use tapeless::differentiable;

#[differentiable]
static STATE: [f64; 2] = [1.0, 2.0];

fn main() {}
