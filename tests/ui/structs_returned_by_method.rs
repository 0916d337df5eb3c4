use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

impl Params {
    // Without a receiver, the companions cannot build `Self` at the scalar type: the result
    // is built by the type's name.
    #[differentiable(associated)]
    fn with_k(k: f64) -> Self {
        Self { k: k * k }
    }
}

fn main() {}
