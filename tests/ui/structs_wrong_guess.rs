use tapeless::differentiable;

#[differentiable]
struct Params {
    n: f64,
}

// `p.n` is used as a loop bound, so it is taken to be an integer of the struct's field type:
// a real field used so is a type error at the bound, never a zero derivative.
#[differentiable]
fn f(x: f64, p: &Params) -> f64 {
    let mut s = 0.0;
    for _ in 0..p.n {
        s += x;
    }
    s
}

fn main() {}
