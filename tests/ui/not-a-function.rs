use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
}

fn main() {}
