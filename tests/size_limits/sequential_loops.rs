// Written by expand/tests/size_limits.rs (`TAPELESS_BLESS=1 cargo test -p tapeless-expand`).
#[differentiable]
fn sequential_loops(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    for i in 0..u.len() {
        s *= u[i];
    }
    s
}
