use tapeless::differentiable;

// Not annotated: it has no companions. The call fails at the callee's name; annotate `helper`
// with `#[differentiable]`, or list it in `constants(helper)` if its result is a constant.
fn helper(x: f64) -> f64 {
    x.exp()
}

#[differentiable]
fn f(x: f64) -> f64 {
    helper(x) * x
}

fn main() {}
