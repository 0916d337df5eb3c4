use tapeless::differentiable;

#[differentiable]
enum State {
    A(f64),
}

fn main() {}
