use tapeless::differentiable;

// `obs[k][0]` on the right of `&&` would be read before `k < n` guards it.
#[differentiable(wrt(x))]
fn count(x: f64, obs: &[[f64; 2]], n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..obs.len() {
        if k < n && obs[k][0] > 0.5 {
            s += x;
        }
    }
    s
}

fn main() {}
