use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    k: f64,
    m: f64,
}

// A struct result is built by the body's tail literal, or is a local whose literal names every
// field: a local built with `..base` returned whole is refused on it.
#[differentiable]
fn scaled(p: &Params, c: f64) -> Params {
    let r = Params { k: p.k * c, ..*p };
    r
}

fn main() {}
