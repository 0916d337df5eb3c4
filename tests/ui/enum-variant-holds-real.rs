use tapeless::differentiable;

#[differentiable]
#[derive(Clone, Copy)]
enum Forcing {
    Constant(f64),
    Off,
}

fn main() {}
