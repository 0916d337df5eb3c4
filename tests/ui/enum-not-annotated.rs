use tapeless::differentiable;

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Euler,
    Heun,
}

#[differentiable(wrt(x))]
fn step(x: f64, h: f64, scheme: Scheme) -> f64 {
    if scheme == Scheme::Euler {
        x + h * x
    } else {
        x + h * (x + 0.5 * h * x)
    }
}

fn main() {}
