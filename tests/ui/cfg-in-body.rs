use tapeless::differentiable;

// A statement under `#[cfg]` is removed from `f` by rustc; the companions could not follow it,
// so the attribute is refused rather than dropped (it once gave a tangent of 1394.5 against
// 1.4 by differences).
#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x * 1.4;
    #[cfg(any())]
    {
        y = y.exp() * 1000.0;
    }
    #[allow(unused_parens)]
    let z = (y);
    z
}

fn main() {}
