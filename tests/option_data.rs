//! `Option`s of reals and integers as data parameters (`weight: Option<f64>`, `every:
//! Option<usize>` outside `wrt(..)`): `if let Some(w) = weight` (with `else`, `else if let`),
//! `match` as statements and as values (`Some(w)`, `Some(_)`, `None`, `_`), `is_some()`,
//! `is_none()`, `unwrap_or(e)` with an active `e`, copies (`let v = weight;`), passed on to an annotated callee
//! (also `None` and `Some(0.5)` written there); adversarial
//! names and a `macro_rules!` function. Each derivative is proved three ways (central
//! differences, the dot-product test to 1e-12, tangent against adjoint) and by Hessian-vector
//! products at dual numbers against differences of gradients, at `Some` and at `None`.

mod common;

use common::slices::{prove, Scalar};
use tapeless::differentiable;

/// A weighted misfit whose weight and stride are optional.
#[differentiable(wrt(x))]
fn optional_weight(x: &[f64], weight: Option<f64>, every: Option<usize>) -> f64 {
    let mut s = 0.0;
    let step = every.unwrap_or(1);
    let mut i = 0;
    while i < x.len() {
        if let Some(w) = weight {
            s += w * x[i] * x[i];
        } else if let Some(k) = every {
            s += x[i].sin() * k as f64;
        } else {
            s += x[i].exp();
        }
        i += step;
    }
    let scale = match weight {
        Some(w) => w.abs() + x[0],
        None => x[1] * x[1],
    };
    s * scale
}

/// `match` as statements, `is_some`, `is_none`, `unwrap_or` of an active default.
#[differentiable(wrt(x))]
fn option_forms(x: &[f64], weight: Option<f64>) -> f64 {
    let mut s = x[0] * x[1];
    match weight {
        Some(_) => s += x[2].cos(),
        _ => {
            s *= 2.0;
        }
    }
    if weight.is_some() && x[0] > -10.0 {
        s += 1.5 * x[1];
    }
    if weight.is_none() {
        s += x[2] * x[2];
    }
    let w = weight.unwrap_or(x[1] * x[2]);
    let copy = weight;
    if let Some(c) = copy {
        s += c * x[2];
    }
    s + w * x[0]
}

/// A callee taking the `Option` as data.
#[differentiable(wrt(u))]
fn damped(u: &[f64], weight: Option<f64>) -> f64 {
    match weight {
        Some(w) => w * u.iter().map(|a| a * a).sum::<f64>(),
        None => u.iter().sum::<f64>(),
    }
}

/// The `Option` passed on.
#[differentiable(wrt(x))]
fn passes_on(x: &[f64], weight: Option<f64>) -> f64 {
    let mut u = vec![0.0; x.len()];
    for i in 0..x.len() {
        u[i] = x[i] * x[(i + 1) % x.len()];
    }
    damped(&u, weight) + damped(x, None) + damped(x, Some(0.5)) * damped(&u, Some(-2.0 * 0.25))
}

/// Values bound to names the generated code also uses.
#[differentiable(wrt(x))]
fn adversarial(x: &[f64], x_bar: Option<f64>) -> f64 {
    let mut result = 0.0;
    if let Some(__adj0) = x_bar {
        result += __adj0 * x[0];
    }
    let r#x_dot = match x_bar {
        Some(result_bar) => result_bar * x[1],
        None => x[1].sin(),
    };
    result + r#x_dot * x[2]
}

macro_rules! optional_fn {
    ($name:ident, $opt:ident, $w:ident) => {
        /// A function written by a macro: the `Option`, its test and its value come from
        /// `macro_rules!`.
        #[differentiable(wrt(x))]
        fn $name(x: &[f64], $opt: Option<f64>) -> f64 {
            let mut s = x[0] * x[1];
            if let Some($w) = $opt {
                s *= $w;
            }
            match $opt {
                Some($w) => s + $w * x[2],
                None => s - x[2],
            }
        }
    };
}

optional_fn!(macro_option, given, value);

const X: [f64; 3] = [0.5, -0.3, 1.1];

#[test]
fn optional_weight_three_ways() {
    for (seed, (weight, every)) in [
        (Some(1.5), Some(2)),
        (None, Some(2)),
        (None, None),
        (Some(-0.5), None),
    ]
    .into_iter()
    .enumerate()
    {
        let s = Scalar {
            name: "optional_weight",
            f: &|x| optional_weight(x, weight, every),
            jvp: &|x, d| optional_weight_jvp(x, d, weight, every),
            vjp: &|x, g, y| optional_weight_vjp(x, g, weight, every, y),
            vjp_dual: &|x, g, y| optional_weight_vjp(x, g, weight, every, y),
        };
        prove(&s, &X, 1 + seed as u64);
    }
}

#[test]
fn option_forms_three_ways() {
    for (seed, weight) in [Some(0.7), None].into_iter().enumerate() {
        let s = Scalar {
            name: "option_forms",
            f: &|x| option_forms(x, weight),
            jvp: &|x, d| option_forms_jvp(x, d, weight),
            vjp: &|x, g, y| option_forms_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| option_forms_vjp(x, g, weight, y),
        };
        prove(&s, &X, 11 + seed as u64);
    }
}

#[test]
fn option_passed_on_three_ways() {
    for (seed, weight) in [Some(0.7), None].into_iter().enumerate() {
        let s = Scalar {
            name: "passes_on",
            f: &|x| passes_on(x, weight),
            jvp: &|x, d| passes_on_jvp(x, d, weight),
            vjp: &|x, g, y| passes_on_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| passes_on_vjp(x, g, weight, y),
        };
        prove(&s, &X, 21 + seed as u64);
    }
}

#[test]
fn adversarial_names_three_ways() {
    for (seed, weight) in [Some(0.7), None].into_iter().enumerate() {
        let s = Scalar {
            name: "adversarial",
            f: &|x| adversarial(x, weight),
            jvp: &|x, d| adversarial_jvp(x, d, weight),
            vjp: &|x, g, y| adversarial_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| adversarial_vjp(x, g, weight, y),
        };
        prove(&s, &X, 31 + seed as u64);
    }
}

#[test]
fn macro_rules_function_three_ways() {
    for (seed, weight) in [Some(0.7), None].into_iter().enumerate() {
        let s = Scalar {
            name: "macro_option",
            f: &|x| macro_option(x, weight),
            jvp: &|x, d| macro_option_jvp(x, d, weight),
            vjp: &|x, g, y| macro_option_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| macro_option_vjp(x, g, weight, y),
        };
        prove(&s, &X, 41 + seed as u64);
    }
}
