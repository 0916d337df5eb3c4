use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
struct Chain {
    v: DVector<f64>,
    k: f64,
}

#[differentiable]
fn relax(c: &Chain, h: f64) -> Chain {
    Chain {
        v: c.v.clone(),
        k: c.k * (1.0 - h * c.v[0]),
    }
}

// A struct with a `DVector` field has no fixed number of reals: a caller cannot hold it.
#[differentiable]
fn run(c: &Chain, h: f64) -> f64 {
    let c2 = relax(c, h);
    c2.k
}

fn main() {}
