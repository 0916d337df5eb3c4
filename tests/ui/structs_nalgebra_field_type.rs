use nalgebra::SVector;
use tapeless::differentiable;

// An nalgebra field of `f32`: the struct is generated at every scalar type.
#[differentiable]
struct Body {
    x: SVector<f32, 3>,
}

fn main() {}
