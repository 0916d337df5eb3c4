use tapeless::differentiable;

fn next(k: usize) -> Result<usize, ()> {
    if k < 3 { Ok(k + 1) } else { Err(()) }
}

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    let mut k = 0;
    while let Ok(j) = next(k) {
        y = y * 0.5 + j as f64;
        k = j;
    }
    y
}

fn main() {}
