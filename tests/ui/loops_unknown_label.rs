use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..u.len() {
        for j in 0..u.len() {
            if u[j] < 0.0 {
                continue 'cols;
            }
            s += u[i] * u[j];
        }
    }
    s
}

fn main() {}
