// An index past a window of `windows(k)` (k a literal), written as a literal: every window has
// `k` elements, so the function panics wherever it reads one; the macro says so on the index.
use tapeless::differentiable;

#[differentiable]
fn past_the_window(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        s += w[0] * w[2];
    }
    s
}

#[differentiable]
fn past_the_window_in_map(x: &[f64]) -> f64 {
    x.windows(3).map(|w| w[3]).sum()
}

fn main() {}
