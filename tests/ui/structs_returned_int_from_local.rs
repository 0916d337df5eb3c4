use tapeless::differentiable;

#[differentiable]
struct Count {
    k: f64,
    n: usize,
}

// An integer field of a result is computed from parameters: the shape is built before the body.
#[differentiable]
fn bump(c: &Count, h: f64) -> Count {
    let m = c.n * 2;
    Count { k: c.k * h, n: m + 1 }
}

fn main() {}
