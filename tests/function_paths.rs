//! Functions named where a closure is expected: `.map(f64::sin)`, `.map(f64::exp)` after a
//! closure, `.map(sq)` of an annotated `fn(f64) -> f64`, `.map(scale)` of a closure stored in a
//! `let`, `.fold(0.0, add2)` of an annotated function of two reals, `.fold(f64::NEG_INFINITY,
//! f64::max)`, over slices, arrays and `Vec`s (`.collect()` of a mapped iterator), and
//! `x.map(f64::tanh)` of a nalgebra vector; adversarial names (a function called `arg0`, the
//! name of the generated closure's argument) and a `macro_rules!` function. Each derivative is
//! proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint) and by Hessian-vector products at dual numbers against differences of gradients;
//! each function equals, to the bit in value, tangent and gradient, the same function written
//! with closures.

mod common;

use common::slices::{prove, Scalar, D};
use common::{check, Case, Draws};
use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn sq(v: f64) -> f64 {
    v * v.cos()
}

#[differentiable]
fn add2(acc: f64, b: f64) -> f64 {
    acc * 0.5 + b * b.sin()
}

/// Named functions over a slice: `f64` methods, annotated functions, a stored closure.
#[differentiable]
fn named(x: &[f64]) -> f64 {
    let scale = |v: f64| 2.0 * v + v * v;
    let a = x.iter().copied().map(f64::sin).sum::<f64>();
    let b = x.iter().map(|v| v * 0.3).map(f64::exp).product::<f64>();
    let c = x.iter().copied().map(sq).map(scale).sum::<f64>();
    let d = x.iter().copied().fold(0.0, add2);
    let e = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    a + b * c + d * e
}

/// `named` written with closures.
// The same code as the function it is compared with, written with closures.
#[allow(clippy::redundant_closure)]
#[differentiable]
fn named_as_closures(x: &[f64]) -> f64 {
    let scale = |v: f64| 2.0 * v + v * v;
    let a = x.iter().copied().map(|v| v.sin()).sum::<f64>();
    let b = x.iter().map(|v| v * 0.3).map(|v| v.exp()).product::<f64>();
    let c = x.iter().copied().map(|v| scale(sq(v))).sum::<f64>();
    let d = x.iter().copied().fold(0.0, |acc, v| add2(acc, v));
    let e = x.iter().copied().fold(f64::NEG_INFINITY, |m, v| m.max(v));
    a + b * c + d * e
}

/// Over an array and a `Vec` collected from a mapped iterator.
#[differentiable]
fn arrays_and_vecs(x: &[f64; 4]) -> f64 {
    let y: Vec<f64> = x.iter().copied().map(f64::tanh).collect();
    let z: Vec<f64> = y
        .iter()
        .copied()
        .zip(x.iter())
        .map(|(a, b)| a * b)
        .collect();
    z.iter().copied().map(sq).sum::<f64>() + y.iter().copied().fold(1.0, add2)
}

/// `arrays_and_vecs` written with closures.
// The same code as the function it is compared with, written with closures.
#[allow(clippy::redundant_closure)]
#[differentiable]
fn arrays_and_vecs_as_closures(x: &[f64; 4]) -> f64 {
    let y: Vec<f64> = x.iter().copied().map(|v| v.tanh()).collect();
    let z: Vec<f64> = y
        .iter()
        .copied()
        .zip(x.iter())
        .map(|(a, b)| a * b)
        .collect();
    z.iter().copied().map(|v| sq(v)).sum::<f64>() + y.iter().copied().fold(1.0, |a, v| add2(a, v))
}

/// A nalgebra vector mapped by named functions.
#[differentiable]
fn nalgebra_named(x: &DVector<f64>) -> f64 {
    let t = x.map(f64::tanh);
    t.dot(x) + x.map(f64::exp).sum() * t.map(f64::sin).norm_squared()
}

/// `nalgebra_named` written with closures.
#[differentiable]
fn nalgebra_as_closures(x: &DVector<f64>) -> f64 {
    let t = x.map(|v| v.tanh());
    t.dot(x) + x.map(|v| v.exp()).sum() * t.map(|v| v.sin()).norm_squared()
}

/// A vector-valued map of a nalgebra vector.
#[differentiable]
fn nalgebra_vector(x: &DVector<f64>) -> DVector<f64> {
    x.map(f64::tanh).component_mul(x) + x.map(f64::cos)
}

/// A function whose name is the generated closure's argument, and locals named like generated
/// code.
#[differentiable]
fn arg0(arg1: f64) -> f64 {
    arg1.sin() * arg1
}

#[differentiable]
fn r#adversarial(x_bar: &[f64]) -> f64 {
    let result = x_bar.iter().copied().map(arg0).sum::<f64>();
    let __adj0 = x_bar.iter().copied().fold(result, add2);
    let r#arg0 = __adj0 * result;
    r#arg0 + x_bar.iter().copied().map(f64::cos).sum::<f64>()
}

macro_rules! named_fn {
    ($name:ident, $f:path, $g:ident) => {
        /// A function written by a macro: the functions named come from `macro_rules!`.
        #[differentiable]
        fn $name(x: &[f64]) -> f64 {
            x.iter().copied().map($f).sum::<f64>() * x.iter().copied().fold(0.5, $g)
        }
    };
}

named_fn!(macro_named, f64::sinh, add2);

const X: [f64; 4] = [0.5, -0.3, 1.1, 0.7];

/// `Scalar` of a function of a slice and its companions.
macro_rules! scalar {
    ($f:ident, $jvp:ident, $vjp:ident) => {
        Scalar {
            name: stringify!($f),
            f: &|x| $f(x),
            jvp: &|x, d| $jvp(x, d),
            vjp: &|x, g, y| $vjp(x, g, y),
            vjp_dual: &|x, g, y| $vjp(x, g, y),
        }
    };
}

#[test]
fn named_functions_three_ways() {
    prove(&scalar!(named, named_jvp, named_vjp), &X, 1);
    prove(
        &scalar!(adversarial, adversarial_jvp, adversarial_vjp),
        &X,
        2,
    );
    prove(
        &scalar!(macro_named, macro_named_jvp, macro_named_vjp),
        &X,
        3,
    );
}

#[test]
fn named_functions_equal_closures_to_the_bit() {
    let d = [0.3, -0.2, 0.7, 0.1];
    assert_eq!(named(&X).to_bits(), named_as_closures(&X).to_bits());
    assert_eq!(named_jvp(&X, &d), named_as_closures_jvp(&X, &d));
    let (mut ga, mut gb) = ([0.0; 4], [0.0; 4]);
    let va = named_vjp(&X, &mut ga, 1.0);
    let vb = named_as_closures_vjp(&X, &mut gb, 1.0);
    assert_eq!((va, ga), (vb, gb));
}

#[test]
fn arrays_and_vecs_three_ways_and_to_the_bit() {
    let s = Scalar {
        name: "arrays_and_vecs",
        f: &|x| arrays_and_vecs(x.try_into().unwrap()),
        jvp: &|x, d| arrays_and_vecs_jvp(x.try_into().unwrap(), d),
        vjp: &|x, g, y| arrays_and_vecs_vjp(x.try_into().unwrap(), g, y),
        vjp_dual: &|x, g, y| arrays_and_vecs_vjp(x.try_into().unwrap(), g, y),
    };
    prove(&s, &X, 4);
    let d = [0.3, -0.2, 0.7, 0.1];
    assert_eq!(
        arrays_and_vecs(&X).to_bits(),
        arrays_and_vecs_as_closures(&X).to_bits()
    );
    assert_eq!(
        arrays_and_vecs_jvp(&X, &d),
        arrays_and_vecs_as_closures_jvp(&X, &d)
    );
    let (mut ga, mut gb) = ([0.0; 4], [0.0; 4]);
    let va = arrays_and_vecs_vjp(&X, &mut ga, 1.0);
    let vb = arrays_and_vecs_as_closures_vjp(&X, &mut gb, 1.0);
    assert_eq!((va, ga), (vb, gb));
}

/// The gradient of `nalgebra_named` at `x` (`f64` or dual numbers) added into `g`.
fn nalgebra_gradient<T: tapeless::Real>(x: &[T], g: &mut [T], y: T) -> T {
    let mut bar = DVector::from_column_slice(g);
    let v = nalgebra_named_vjp(&DVector::from_column_slice(x), &mut bar, y);
    g.copy_from_slice(bar.as_slice());
    v
}

#[test]
fn nalgebra_maps_three_ways_and_to_the_bit() {
    let s = Scalar {
        name: "nalgebra_named",
        f: &|x| nalgebra_named(&DVector::from_column_slice(x)),
        jvp: &|x, d| {
            nalgebra_named_jvp(
                &DVector::from_column_slice(x),
                &DVector::from_column_slice(d),
            )
        },
        vjp: &nalgebra_gradient::<f64>,
        vjp_dual: &nalgebra_gradient::<D>,
    };
    prove(&s, &X, 5);
    let x = DVector::from_column_slice(&X);
    let d = DVector::from_column_slice(&[0.3, -0.2, 0.7, 0.1]);
    assert_eq!(
        nalgebra_named(&x).to_bits(),
        nalgebra_as_closures(&x).to_bits()
    );
    assert_eq!(nalgebra_named_jvp(&x, &d), nalgebra_as_closures_jvp(&x, &d));
    let (mut ga, mut gb) = (DVector::zeros(4), DVector::zeros(4));
    let va = nalgebra_named_vjp(&x, &mut ga, 1.0);
    let vb = nalgebra_as_closures_vjp(&x, &mut gb, 1.0);
    assert_eq!((va, ga), (vb, gb));
}

#[test]
fn nalgebra_vector_map_three_ways() {
    let n = 5;
    let v = |x: &[f64]| DVector::from_column_slice(x);
    let f = |x: &[f64]| nalgebra_vector(&v(x)).as_slice().to_vec();
    let jvp = |x: &[f64], d: &[f64]| {
        let (y, dy) = nalgebra_vector_jvp(&v(x), &v(d));
        (y.as_slice().to_vec(), dy.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let mut x_bar = DVector::zeros(n);
        let y = nalgebra_vector_vjp(&v(x), &mut x_bar, &v(y_bar));
        (y.as_slice().to_vec(), x_bar.as_slice().to_vec())
    };
    let case = Case {
        name: "nalgebra_vector",
        inputs: n,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(6).vec(n), 6);
}
