use tapeless::differentiable;

#[differentiable]
struct Params<T> {
    k: T,
}

fn main() {}
