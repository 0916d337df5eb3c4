use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

fn main() {}
