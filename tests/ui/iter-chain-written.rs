use tapeless::differentiable;

#[differentiable]
fn f(a: &mut [f64], b: &mut [f64]) {
    // The items of a `chain` are read only.
    for v in a.iter_mut().chain(b.iter_mut()) {
        *v *= 2.0;
    }
}

fn main() {
    let (mut a, mut b) = ([1.0, 2.0], [3.0]);
    f(&mut a, &mut b);
}
