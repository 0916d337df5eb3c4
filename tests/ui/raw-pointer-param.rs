use tapeless::differentiable;

#[differentiable]
fn read(p: *const f64) -> f64 {
    unsafe { *p }
}

fn main() {}
