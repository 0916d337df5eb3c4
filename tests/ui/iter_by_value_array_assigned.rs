use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut v = [x, 2.0 * x];
    let mut s = 0.0;
    // `for a in v` iterates over a copy of `v`: it does not see `v[1]` change.
    for a in v {
        v[1] = 10.0 * a;
        s += a;
    }
    s + v[1]
}

fn main() {}
