//! Integer fields of structs as the struct declares them (`i32`, `u64`, `i64`, `usize`), read by
//! annotated functions and passed on to calls: the flattened function takes `p.m` with the
//! field's own type (`<Q as FieldType<..>>::T`, resolved by rustc), where it took every integer
//! field as a `usize` (an `i32` field was a type error, found by ints15). A field passed bare
//! to a function, `h_step(q.c, q.n_bar)` (random-program bug 16), is taken at its declared type
//! whatever it is (`__tl::Sent`) and the callee's `jvp_paired` / `rev_paired` are called: an
//! integer reaches the callee's integer parameter, a real its real one. Struct parameters,
//! `self`, nested structs, negative values, names that look generated (`n_bar`, a raw
//! `r#type`), a `macro_rules!` caller; derivatives three ways (central differences, the
//! dot-product test, tangent against adjoint), H v at `Dual` against differences of gradients,
//! and every function equal to the bit to the same function taking the integers as parameters.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Debug)]
struct Grid {
    k: i32,
    s: f64,
}

#[differentiable]
#[derive(Clone, Debug)]
struct Q {
    c: f64,
    m: i32,
    n: u64,
    r#type: i64,
    n_bar: usize,
    w: [f64; 3],
    g: Grid,
}

#[differentiable]
pub fn h_step(a: f64, k: usize) -> f64 {
    a * a * k as f64
}

/// Every integer field read as declared: a negative `i32` offset, `u64` and `i64` counts, a
/// nested `i32`, and a `usize` field passed on to a call inside arithmetic.
#[differentiable]
fn periodic(q: &Q, x: &[f64]) -> f64 {
    let n = x.len();
    let mut result = q.c * q.m as f64;
    for i in 0..n {
        let j = (i as i32 + q.m).rem_euclid(n as i32) as usize;
        result += x[j] * x[i] * q.w[i % 3];
    }
    for t in 0..q.n {
        result += q.g.s * t as f64;
    }
    if q.r#type < 0 {
        result *= 0.5;
    }
    result * (q.g.k + q.m) as f64 + h_step(q.c, q.n_bar + 1)
}

/// The same function with the integers as parameters of their own.
#[differentiable]
#[allow(clippy::too_many_arguments)]
fn periodic_written(
    c: f64,
    m: i32,
    n: u64,
    ty: i64,
    n_bar: usize,
    w: &[f64],
    k: i32,
    s: f64,
    x: &[f64],
) -> f64 {
    let len = x.len();
    let mut result = c * m as f64;
    for i in 0..len {
        let j = (i as i32 + m).rem_euclid(len as i32) as usize;
        result += x[j] * x[i] * w[i % 3];
    }
    for t in 0..n {
        result += s * t as f64;
    }
    if ty < 0 {
        result *= 0.5;
    }
    result * (k + m) as f64 + h_step(c, n_bar + 1)
}

#[differentiable]
pub fn h_signed(a: f64, j: i32, t: i64, b: f64) -> f64 {
    a * j as f64 + t as f64 * a * b
}

/// Bug 16: integer and real fields passed bare, of the struct and of a nested one, with
/// adversarial names.
#[differentiable]
fn bare(q: &Q, x: f64) -> f64 {
    let result = h_step(q.c, q.n_bar) * x;
    result + h_signed(q.g.s, q.g.k, q.r#type, x) + h_signed(x, q.m, q.r#type, q.c)
}

/// The same, each integer field bound with its type first (what worked before).
#[differentiable]
fn bound(q: &Q, x: f64) -> f64 {
    let k: usize = q.n_bar;
    let gk: i32 = q.g.k;
    let t: i64 = q.r#type;
    let m: i32 = q.m;
    let result = h_step(q.c, k) * x;
    result + h_signed(q.g.s, gk, t, x) + h_signed(x, m, t, q.c)
}

/// An array field copied into a local (an adversarial name) and read and written as an array:
/// a copy, the struct's field unchanged.
#[differentiable]
#[allow(non_snake_case)]
fn copied(q: &Q, x: f64) -> f64 {
    let mut t__w = q.w;
    t__w[1] *= x;
    let mut s = 0.0;
    for i in 0..t__w.len() {
        s += t__w[i] * q.w[i];
    }
    s + h_step(t__w[0], q.n_bar)
}

/// The same with the copy written out element by element.
#[differentiable]
#[allow(non_snake_case)]
fn copied_written(q: &Q, x: f64) -> f64 {
    let mut t__w = [q.w[0], q.w[1], q.w[2]];
    t__w[1] *= x;
    let mut s = 0.0;
    for i in 0..3 {
        s += t__w[i] * q.w[i];
    }
    let k: usize = q.n_bar;
    s + h_step(t__w[0], k)
}

impl Q {
    /// Bug 16 in a `&self` method: `h_step(self.c, self.n_bar)`.
    #[differentiable]
    fn bare_self(&self, x: f64) -> f64 {
        h_step(self.c, self.n_bar) + h_signed(x, self.m, self.r#type, self.g.s)
    }

    /// `self`'s integer fields: an `i32` shift, an `i64` sign, a `u64` count.
    #[differentiable]
    fn shifted(&self, x: &[f64]) -> f64 {
        let n = x.len() as i32;
        let mut s = 0.0;
        for i in 0..x.len() {
            let j = (i as i32 - self.m).rem_euclid(n) as usize;
            s += self.c * x[i] * x[j];
        }
        s * (self.r#type * 2) as f64 + self.g.s * self.n as f64
    }
}

macro_rules! reader {
    ($name:ident, $field:ident) => {
        /// A caller written by a macro: the integer field is the macro's token.
        #[differentiable]
        fn $name(q: &Q, x: f64) -> f64 {
            x * q.c * q.$field as f64 + q.g.s * (q.$field - 1) as f64
        }
    };
}

reader!(by_macro, m);

macro_rules! sender {
    ($name:ident, $field:ident) => {
        /// A caller written by a macro passing the integer field bare.
        #[differentiable]
        fn $name(q: &Q, x: f64) -> f64 {
            h_step(x * q.c, q.$field)
        }
    };
}

sender!(sent_by_macro, n_bar);

fn q_at(m: i32, r: &[f64]) -> Q {
    let mut q = Q {
        c: 0.0,
        m,
        n: 3,
        r#type: -2,
        n_bar: 2,
        w: [0.0; 3],
        g: Grid { k: -5, s: 0.0 },
    };
    q.set_reals(r).expect("five reals");
    q
}

const X: [f64; 10] = [0.7, -0.4, 1.1, 0.3, -0.9, 0.5, 1.3, -0.2, 0.8, -0.6];

fn periodic_case(m: i32, seed: u64) {
    let f = |x: &[f64]| vec![periodic(&q_at(m, &x[..5]), &x[5..])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = periodic_jvp(&q_at(m, &x[..5]), &q_at(m, &d[..5]), &x[5..], &d[5..]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let q = q_at(m, &x[..5]);
        let mut q_bar = q.zero_like();
        let mut x_bar = vec![0.0; x.len() - 5];
        let v = periodic_vjp(&q, &mut q_bar, &x[5..], &mut x_bar, w[0]);
        let mut g = q_bar.to_reals();
        g.extend_from_slice(&x_bar);
        (vec![v], g)
    };
    let name = format!("periodic(q: &Q, x) at m = {m}");
    let case = Case {
        name: &name,
        inputs: 10,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, seed);
}

#[test]
fn integer_fields_as_declared_three_ways() {
    for (m, seed) in [(-2, 1), (0, 2), (3, 3)] {
        periodic_case(m, seed);
    }
}

#[test]
fn integer_fields_equal_to_the_bit_to_integer_parameters() {
    for m in [-7, -2, 0, 4] {
        let q = q_at(m, &X[..5]);
        let x = &X[5..];
        let written = |x: &[f64], q: &Q| {
            periodic_written(q.c, q.m, q.n, q.r#type, q.n_bar, &q.w, q.g.k, q.g.s, x)
        };
        assert_eq!(periodic(&q, x).to_bits(), written(x, &q).to_bits());
        let (_, (q_bar, x_bar_flat)) = periodic_grad(&q, x);
        let k: i32 = q.g.k;
        let (_, (c_bar, w_bar, s_bar, x_bar)) =
            periodic_written_grad(q.c, q.m, q.n, q.r#type, q.n_bar, &q.w, k, q.g.s, x);
        assert_eq!(q_bar.c.to_bits(), c_bar.to_bits());
        assert_eq!(q_bar.g.s.to_bits(), s_bar.to_bits());
        for (a, b) in q_bar.w.iter().zip(&w_bar) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        for (a, b) in x_bar_flat.iter().zip(&x_bar) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        // The integer fields come back as they went in.
        assert_eq!((q_bar.m, q_bar.n, q_bar.r#type, q_bar.g.k), (m, 3, -2, -5));
    }
}

#[test]
fn integer_fields_hessian_vector_products_at_dual() {
    let m = -2;
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (q_bar, x_bar)) = periodic_grad(&q_at(m, &x[..5]), &x[5..]);
        let mut all = q_bar.to_reals();
        all.extend_from_slice(&x_bar);
        g.copy_from_slice(&all);
    };
    let mut draws = Draws::new(11);
    let (u, w) = (draws.vec(10), draws.vec(10));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = (0..10).map(|k| Dual::new(X[k], [dir[k]])).collect();
        let mut q = q_at(m, &X[..5]).map_reals(&mut |v| Dual::new(v, [0.0]));
        q.set_reals(&d[..5]).expect("five reals");
        let mut q_bar = q.zero_like();
        let mut x_bar = vec![Dual::new(0.0, [0.0]); 5];
        periodic_vjp(&q, &mut q_bar, &d[5..], &mut x_bar, Dual::new(1.0, [0.0]));
        let mut out: Vec<f64> = q_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.extend(x_bar.iter().map(|v| v.tangents[0]));
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &X, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "periodic at Dual");
}

#[test]
fn integer_fields_of_self_three_ways() {
    for (m, seed) in [(-1, 21), (2, 22)] {
        let f = |x: &[f64]| vec![q_at(m, &x[..5]).shifted(&x[5..])];
        let jvp = |x: &[f64], d: &[f64]| {
            let (v, t) = Q::shifted_jvp_at(&q_at(m, &x[..5]), &q_at(m, &d[..5]), &x[5..], &d[5..]);
            (vec![v], vec![t])
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let q = q_at(m, &x[..5]);
            let mut q_bar = q.zero_like();
            let mut x_bar = vec![0.0; x.len() - 5];
            let v = Q::shifted_vjp_at(&q, &mut q_bar, &x[5..], &mut x_bar, w[0]);
            let mut g = q_bar.to_reals();
            g.extend_from_slice(&x_bar);
            (vec![v], g)
        };
        let case = Case {
            name: "Q::shifted(&self, x)",
            inputs: 10,
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, &X, seed);
    }
}

#[test]
fn an_integer_field_read_by_a_macro_rules_caller_three_ways() {
    let m = -3;
    let f = |x: &[f64]| vec![by_macro(&q_at(m, &x[..5]), x[5])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = by_macro_jvp(&q_at(m, &x[..5]), &q_at(m, &d[..5]), x[5], d[5]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let q = q_at(m, &x[..5]);
        let mut q_bar = q.zero_like();
        let mut x_bar = 0.0;
        let v = by_macro_vjp(&q, &mut q_bar, x[5], &mut x_bar, w[0]);
        let mut g = q_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "by_macro(q: &Q, x)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X[..6], 31);
    // By hand: d/dx = c m, d/ds = m - 1.
    let (_, (q_bar, _)) = by_macro_grad(&q_at(m, &X[..5]), X[5]);
    common::assert_close(q_bar.g.s, -4.0, 1e-15, "d by_macro / d g.s");
}

fn bare_case(name: &str, f: &dyn Fn(&Q, f64) -> f64, jvp: JvpQ, vjp: VjpQ, seed: u64) {
    let m = -2;
    let value = |x: &[f64]| vec![f(&q_at(m, &x[..5]), x[5])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(&q_at(m, &x[..5]), &q_at(m, &d[..5]), x[5], d[5]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let q = q_at(m, &x[..5]);
        let mut q_bar = q.zero_like();
        let mut x_bar = 0.0;
        let v = vjp(&q, &mut q_bar, x[5], &mut x_bar, w[0]);
        let mut g = q_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name,
        inputs: 6,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &X[..6], seed);
}

type JvpQ = fn(&Q, &Q, f64, f64) -> (f64, f64);
type VjpQ = fn(&Q, &mut Q, f64, &mut f64, f64) -> f64;

#[test]
fn integer_fields_passed_bare_three_ways() {
    bare_case("bare(q: &Q, x)", &|q, x| bare(q, x), bare_jvp, bare_vjp, 41);
    bare_case(
        "Q::bare_self",
        &|q, x| q.bare_self(x),
        Q::bare_self_jvp_at,
        Q::bare_self_vjp_at,
        42,
    );
    bare_case(
        "sent_by_macro",
        &|q, x| sent_by_macro(q, x),
        sent_by_macro_jvp,
        sent_by_macro_vjp,
        43,
    );
    bare_case("copied", &|q, x| copied(q, x), copied_jvp, copied_vjp, 44);
}

#[test]
fn an_array_field_copied_equal_to_the_bit_to_its_elements() {
    let q = q_at(1, &X[..5]);
    for &x in &X[5..] {
        assert_eq!(copied(&q, x).to_bits(), copied_written(&q, x).to_bits());
        let (_, (qa, xa)) = copied_grad(&q, x);
        let (_, (qb, xb)) = copied_written_grad(&q, x);
        assert_eq!(xa.to_bits(), xb.to_bits());
        for (u, v) in qa.to_reals().iter().zip(qb.to_reals()) {
            assert_eq!(u.to_bits(), v.to_bits());
        }
    }
}

#[test]
fn integer_fields_passed_bare_equal_to_the_bit_to_bound_ones() {
    for m in [-3, 0, 5] {
        let q = q_at(m, &X[..5]);
        for &x in &X[5..] {
            assert_eq!(bare(&q, x).to_bits(), bound(&q, x).to_bits());
            let (a, (qa, xa)) = bare_grad(&q, x);
            let (b, (qb, xb)) = bound_grad(&q, x);
            assert_eq!(a.to_bits(), b.to_bits());
            assert_eq!(xa.to_bits(), xb.to_bits());
            for (u, v) in qa.to_reals().iter().zip(qb.to_reals()) {
                assert_eq!(u.to_bits(), v.to_bits());
            }
            // The integer fields' adjoints are never written.
            assert_eq!((qa.m, qa.n_bar, qa.r#type, qa.g.k), (m, 2, -2, -5));
        }
    }
    // By hand: d/dc of h_step(c, 2) = 4 c x, plus d/dc of x m + t x c.
    let (q, x) = (q_at(3, &X[..5]), X[5]);
    let (_, (q_bar, _)) = bare_grad(&q, x);
    common::assert_close(q_bar.c, 4.0 * q.c * x - 2.0 * x, 1e-14, "d bare / d c");
}

#[test]
fn integer_fields_passed_bare_hessian_vector_products_at_dual() {
    let m = 4;
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (q_bar, x_bar)) = bare_grad(&q_at(m, &x[..5]), x[5]);
        let mut all = q_bar.to_reals();
        all.push(x_bar);
        g.copy_from_slice(&all);
    };
    let mut draws = Draws::new(51);
    let (u, w) = (draws.vec(6), draws.vec(6));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = (0..6).map(|k| Dual::new(X[k], [dir[k]])).collect();
        let mut q = q_at(m, &X[..5]).map_reals(&mut |v| Dual::new(v, [0.0]));
        q.set_reals(&d[..5]).expect("five reals");
        let (_, (q_bar, x_bar)) = bare_grad(&q, d[5]);
        let mut out: Vec<f64> = q_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.push(x_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &X[..6], &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "bare at Dual");
}
