use tapeless::differentiable;

// A real behind a type the struct attribute does not know.
#[differentiable]
struct Params {
    k: Option<f64>,
}

fn main() {}
