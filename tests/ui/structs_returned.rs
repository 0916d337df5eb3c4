use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    k: f64,
}

// A struct result is not supported yet: write the fields into a `&mut Params` parameter.
#[differentiable]
fn scaled(p: &Params, c: f64) -> Params {
    Params { k: p.k * c }
}

fn main() {}
