use tapeless::differentiable;

fn log_value(_t: f64) {}

#[differentiable(constants(log_value))]
fn f(x: f64) -> f64 {
    log_value(x);
    x * x
}

fn main() {}
