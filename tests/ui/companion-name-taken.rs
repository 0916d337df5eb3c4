use tapeless::differentiable;

// `#[differentiable]` on `f` defines `f_generic`, `f_jvp`, `f_vjp` and `f_grad` beside it: a
// function of the user's with one of those names is defined twice.
#[differentiable]
fn f(x: f64) -> f64 {
    x * x
}

fn f_generic(x: f64) -> f64 {
    x
}

fn main() {
    let _ = f_generic(1.0);
}
