use tapeless::differentiable;

// A struct generic over a length is not differentiable yet; a function is.
#[differentiable]
struct Model<const N: usize> {
    x: [f64; N],
    forcing: f64,
}

fn main() {}
