use tapeless::differentiable;

// Arrays of arrays are read, not written.
#[differentiable(wrt(x))]
fn shift(x: &[f64], pos: &mut [[f64; 3]]) -> f64 {
    x[0] * pos[0][2]
}

fn main() {}
