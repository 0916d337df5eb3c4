use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    k: f64,
}

// A struct result is built by the body's tail literal: a local returned whole is refused on it.
#[differentiable]
fn scaled(p: &Params, c: f64) -> Params {
    let r = Params { k: p.k * c };
    r
}

fn main() {}
