use tapeless::{differentiable, Real};

// A generic function is read at `f64`, in the same subset: the scalar's value is not
// differentiable.
#[differentiable]
fn f<S: Real>(x: S) -> S {
    let v = x.to_f64();
    x * S::from_f64(v)
}

fn main() {}
