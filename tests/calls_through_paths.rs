//! An annotated function is found wherever the function is: through `use` imports, module
//! paths and `self::`/`super::`/`crate::` paths (issue 10, item 9: these once failed with
//! "cannot find function `__sq_rev`"). Each caller is checked three ways.

mod common;

use common::{check, Case};
use tapeless::differentiable;

mod physics {
    use tapeless::differentiable;

    #[differentiable]
    pub fn sq(x: f64) -> f64 {
        x * x
    }

    pub mod fields {
        use tapeless::differentiable;

        #[differentiable]
        pub fn scale(out: &mut [f64], u: &[f64], c: f64) {
            for i in 0..u.len() {
                out[i] = c * u[i];
            }
        }

        /// A caller inside the module tree, through `super::`.
        #[differentiable]
        pub fn energy(u: &[f64]) -> f64 {
            let mut e = 0.0;
            for i in 0..u.len() {
                e += super::sq(u[i]);
            }
            e
        }
    }
}

use crate::physics::sq;
use physics::fields::{self, scale as rescale};

/// Through a `use` of the function.
#[differentiable]
fn imported(x: f64) -> f64 {
    sq(x.sin()) + x
}

/// Through module paths, a renaming `use`, and a `use` of the module.
#[differentiable]
fn by_paths(u: &[f64]) -> f64 {
    let mut w = vec![0.0; u.len()];
    rescale(&mut w, u, 3.0);
    let mut v = vec![0.0; u.len()];
    physics::fields::scale(&mut v, &w, 0.5);
    fields::energy(&v) + crate::physics::sq(u[0])
}

#[test]
fn calls_through_use_and_paths() {
    let x = 0.7_f64;
    let (value, g) = imported_grad(x);
    assert_eq!(value, imported(x));
    assert!((g - (2.0 * x.sin() * x.cos() + 1.0)).abs() < 1e-15);
    check(
        &Case {
            name: "imported",
            inputs: 1,
            outputs: 1,
            f: &|x| vec![imported(x[0])],
            jvp: &|x, d| {
                let (v, t) = imported_jvp(x[0], d[0]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut b = 0.0;
                let v = imported_vjp(x[0], &mut b, w[0]);
                (vec![v], vec![b])
            },
        },
        &[x],
        81,
    );
    check(
        &Case {
            name: "by_paths",
            inputs: 3,
            outputs: 1,
            f: &|x| vec![by_paths(x)],
            jvp: &|x, d| {
                let (v, t) = by_paths_jvp(x, d);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut b = vec![0.0; 3];
                let v = by_paths_vjp(x, &mut b, w[0]);
                (vec![v], b)
            },
        },
        &[0.3, -1.2, 0.8],
        82,
    );
    // By hand: sum (1.5 u_i)^2 + u_0^2, gradient 4.5 u + 2 u_0 e_0.
    let u = [0.3, -1.2, 0.8];
    let (_, g) = by_paths_grad(&u[..]);
    let expected: [f64; 3] = [4.5 * 0.3 + 0.6, 4.5 * -1.2, 4.5 * 0.8];
    for (a, b) in g.iter().zip(expected) {
        assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    }
}
