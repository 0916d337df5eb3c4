//! Issue 12, item 3: `.for_each(|item| ..)` as a statement, the `for` loop it is: over
//! `iter_mut()` (writing each element), zipped, enumerated, summing into a captured local.
//! Proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint), by Hessian-vector products at dual numbers, and equal to the bit to the same
//! function written with `for` loops.

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

#[differentiable]
fn with_for_each(x: &[f64]) -> f64 {
    let mut y = x.to_vec();
    y.iter_mut().for_each(|v| *v = v.sin() * 2.0);
    y.iter_mut()
        .zip(x.iter())
        .for_each(|(a, b): (&mut f64, &f64)| {
            *a += b * b;
        });
    let mut result = 0.0;
    y.iter()
        .enumerate()
        .for_each(|(i, v)| result += v * (i as f64 + 1.0));
    (0..x.len()).for_each(|i| result += x[i] * y[i]);
    result
}

#[differentiable]
fn with_for_loops(x: &[f64]) -> f64 {
    let mut y = x.to_vec();
    for v in y.iter_mut() {
        *v = v.sin() * 2.0;
    }
    for (a, b) in y.iter_mut().zip(x.iter()) {
        *a += b * b;
    }
    let mut result = 0.0;
    for (i, v) in y.iter().enumerate() {
        result += v * (i as f64 + 1.0);
    }
    for i in 0..x.len() {
        result += x[i] * y[i];
    }
    result
}

#[test]
fn for_each_is_the_for_loop() {
    let s = scalar!(with_for_each, with_for_each_jvp, with_for_each_vjp);
    let x = [0.3, -1.2, 0.8, 2.1];
    prove(&s, &x, 70);
    let (mut ga, mut gb) = ([0.0; 4], [0.0; 4]);
    let va = with_for_each_vjp(&x, &mut ga, 1.0);
    let vb = with_for_loops_vjp(&x, &mut gb, 1.0);
    assert_eq!(va.to_bits(), vb.to_bits());
    assert_eq!(ga.map(f64::to_bits), gb.map(f64::to_bits));
}
