//! Issue 12, item 5: a block as a value, `let y = { let t = x.sin(); t * y };` (a scope of its
//! own, its tail the value, also nested and after shadowing), and `a.swap(i, j)` of arrays,
//! `&mut` slices and sub-slices (the indices evaluated once and checked as `swap` checks them).
//! Checked three ways (central differences, the dot-product test, tangent against adjoint),
//! equal to the code written without them to the bit, H v at dual numbers against differences
//! of gradients, adversarial names.

mod common;

use common::fixed::{hessian_and_gradient, three_ways};
use common::{check, check_scalar, Case};
use tapeless::{differentiable, Dual};

#[differentiable]
fn blocks(x: f64, y: f64) -> f64 {
    let x = x * y;
    let y = {
        let t = x.sin();
        t * y
    };
    let z = {
        let x = if y > 0.0 {
            let x = x + 1.0;
            x * x
        } else {
            x
        };
        let w = {
            let result = x.exp();
            result * 0.5
        };
        w + x
    };
    z + y
}

fn blocks_by_hand(x: f64, y: f64) -> f64 {
    let x1 = x * y;
    let y1 = x1.sin() * y;
    let x2 = if y1 > 0.0 {
        (x1 + 1.0) * (x1 + 1.0)
    } else {
        x1
    };
    let z = x2.exp() * 0.5 + x2;
    z + y1
}

/// Swaps of a fixed-size array, a sub-slice and with computed indices.
#[differentiable]
fn swapped(u: [f64; 4]) -> [f64; 4] {
    let mut v = u;
    v.swap(0, 3);
    v[1] *= v[0];
    let k = 1;
    v[1..].swap(k, 0);
    v.swap(k + 1, k + 2);
    v[3] = v[3].sin() * v[2];
    v
}

fn swapped_by_hand(u: [f64; 4]) -> [f64; 4] {
    let mut v = [u[3], u[1], u[2], u[0]];
    v[1] *= v[0];
    v = [v[0], v[2], v[1], v[3]];
    v = [v[0], v[1], v[3], v[2]];
    v[3] = v[3].sin() * v[2];
    v
}

/// A swap in a `&mut` slice inside a loop, with names of the generated code's.
#[differentiable]
fn reversed(__swap: &mut [f64]) -> f64 {
    let n = __swap.len();
    for i in 0..n / 2 {
        __swap.swap(i, n - 1 - i);
        __swap[i] *= 1.0 + 0.1 * i as f64;
    }
    __swap
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 + 1.0) * v * v)
        .sum::<f64>()
}

#[differentiable]
fn swap_cost(u: [f64; 4]) -> f64 {
    let v = swapped(u);
    let s = {
        let a = v[0] * v[1];
        a + v[2].cos()
    };
    s * v[3]
}

#[test]
fn block_values_three_ways() {
    assert_eq!(blocks(0.7, 1.3), blocks_by_hand(0.7, 1.3));
    assert_eq!(blocks(0.7, -1.3), blocks_by_hand(0.7, -1.3));
    for y in [1.3, -1.3] {
        check_scalar(
            "blocks",
            &|x| blocks(x, y),
            &|x, d| blocks_jvp(x, d, y, 0.0),
            &|x, b, w| {
                let mut yb = 0.0;
                blocks_vjp(x, b, y, &mut yb, w)
            },
            0.7,
            701,
        );
    }
    check(
        &Case {
            name: "blocks in y",
            inputs: 2,
            outputs: 1,
            f: &|v| vec![blocks(v[0], v[1])],
            jvp: &|v, d| {
                let (r, t) = blocks_jvp(v[0], d[0], v[1], d[1]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut a, mut b) = (0.0, 0.0);
                let r = blocks_vjp(v[0], &mut a, v[1], &mut b, w[0]);
                (vec![r], vec![a, b])
            },
        },
        &[0.7, 1.3],
        702,
    );
}

#[test]
fn swaps_three_ways() {
    let u = [0.4, -0.7, 0.9, 0.3];
    assert_eq!(swapped(u), swapped_by_hand(u));
    three_ways("swapped", swapped, swapped_jvp, swapped_vjp, 703);
    let x = [0.4, -0.7, 0.9, 0.3, 1.2];
    check(
        &Case {
            name: "reversed",
            inputs: 5,
            outputs: 1,
            f: &|v| vec![reversed(&mut v.to_vec())],
            jvp: &|v, d| {
                let (r, t) = reversed_jvp(&mut v.to_vec(), &mut d.to_vec());
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let mut g = vec![0.0; 5];
                let r = reversed_vjp(&mut v.to_vec(), &mut g, w[0]);
                (vec![r], g)
            },
        },
        &x,
        704,
    );
}

#[test]
fn the_hessian_through_swaps_and_blocks() {
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9, 0.3];
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        swap_cost_vjp(x, &mut g[..], 1.0);
        g
    };
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        swap_cost_vjp(xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    hessian_and_gradient(x, &swap_cost, &grad, &hv);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_swap_past_a_sub_slice_panics_as_std_does() {
    // `v[1..]` has three elements: index 3 is past it (but not past `v`).
    let mut g = [0.0; 4];
    swap_past_vjp([0.4, -0.7, 0.9, 0.3], &mut g[..], &[1.0; 4]);
}

#[differentiable]
fn swap_past(u: [f64; 4]) -> [f64; 4] {
    let mut v = u;
    v[1..].swap(0, 3);
    v
}
