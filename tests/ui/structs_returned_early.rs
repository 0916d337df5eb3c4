use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

// A function returning a struct returns by its tail literal only: `return` is refused on it.
#[differentiable]
fn clipped(p: &Params, c: f64) -> Params {
    if c > 1.0 {
        return Params { k: p.k };
    }
    Params { k: p.k * c }
}

fn main() {}
