//! Gather-form adjoints of stencil loops (`expand/src/transform/adjoint/stencil.rs`): a loop that
//! writes only `w[i]` from reads `r[i + c]`, `r[i - c]`, `r[(i + c) % n]`, `r[(i + n - c) % n]`
//! of arrays it does not write gets its adjoint as a gather over the read index, with the
//! boundary iterations peeled off. Each function here is stamped twice from one body: as
//! written (gather form) and with `#[differentiable(stencil = false)]` (the scatter form).
//! Both are checked three ways (finite differences, the dot-product test, tangent against
//! adjoint, in `common::check`), and against each other: the same values and the same adjoints
//! bit for bit (to rounding for periodic arrays shorter than the stencil), for every length from the shortest the loop accepts (where the interior
//! is empty and everything is boundary) up, in `f_vjp` and through a caller (which calls the
//! reverse-only `__f_rev`). Loops that must not be recognised (they read the array they write,
//! write at another index, or carry an accumulator) keep the scatter form: both stamps agree bit
//! for bit.

mod common;

use common::{check, Case, Draws};
use tapeless::differentiable;

/// Stamps `$gather` (the gather form) and `$scatter` (`stencil = false`) from one function.
macro_rules! both {
    ($gather:ident, $scatter:ident, ($($params:tt)*) $(-> $ret:ty)? $body:block) => {
        #[differentiable]
        fn $gather($($params)*) $(-> $ret)? $body
        #[differentiable(stencil = false)]
        fn $scatter($($params)*) $(-> $ret)? $body
    };
}

// Lorenz-96: periodic indices; the forcing as a scalar and as an element (`p[0]`) that does
// not move with the loop.
both!(l96, l96_scatter, (du: &mut [f64], u: &[f64], forcing: f64, p: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing * p[1] + p[0];
    }
});

// A 3-point Laplacian with a nonlinear term and a coefficient array; the end points are not
// written.
both!(laplacian, laplacian_scatter, (w: &mut [f64], u: &[f64], c: &[f64], k: f64) {
    let n = u.len();
    for i in 1..n - 1 {
        w[i] = k * (u[i - 1] - 2.0 * u[i] + u[i + 1]) + c[i] * u[i] * u[i] + (i as f64) * u[i + 1].sin();
    }
});

// A 5-point stencil with two outputs, reading two arrays.
both!(five_point, five_point_scatter, (a: &mut [f64], b: &mut [f64], u: &[f64], v: &[f64], s: f64) {
    let n = u.len();
    for i in 2..n - 2 {
        a[i] = u[i - 2] * v[i + 2] + s * u[i + 1].sin() - 0.25 * u[i];
        b[i] = (u[i - 1] * u[i + 1]).exp() * s - v[i] * u[i + 2] + v[i - 1].powi(2);
    }
});

// Not stencils: reads the array it writes (a recurrence).
both!(recurrence, recurrence_scatter, (w: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 1..n {
        w[i] = u[i] * w[i - 1] + u[i - 1];
    }
});

// Not a stencil: writes at another index than the loop's.
both!(shifted_write, shifted_write_scatter, (w: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 0..n - 1 {
        w[i + 1] = u[i] * u[i + 1];
    }
});

// Not a stencil: a loop-carried accumulator.
both!(carried, carried_scatter, (u: &[f64]) -> f64 {
    let n = u.len();
    let mut s = 0.0;
    for i in 1..n {
        s = s * 0.5 + u[i] * u[i - 1];
    }
    s
});

// Callers: their `_vjp` calls the stencil's reverse-only companion `__f_rev`.
macro_rules! caller {
    ($name:ident, $callee:ident) => {
        #[differentiable]
        fn $name(u: &[f64], forcing: f64) -> f64 {
            let n = u.len();
            let mut du = vec![0.0; n];
            let p = vec![0.25, 1.5];
            $callee(&mut du, u, forcing, &p);
            let mut s = 0.0;
            for i in 0..n {
                s += du[i] * du[i] * (1.0 + 0.1 * (i as f64));
            }
            s
        }
    };
}
caller!(l96_cost, l96);
caller!(l96_cost_scatter, l96_scatter);

/// The same bits: the gather form adds each element's terms in the scatter form's order.
fn assert_same_bits(a: &[f64], b: &[f64], what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a), bits(b), "{what}: gather {a:?}, scatter {b:?}");
}

/// Relative agreement to rounding of two adjoints.
fn assert_rounding(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().chain(b).fold(1.0_f64, |m, x| m.max(x.abs()));
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 4e-15 * scale,
            "{what}: entry {k}: gather {x:e}, scatter {y:e}"
        );
    }
}

/// `l96` as a flat case: inputs `(w0, u, forcing, p0, p1)`, outputs `w`.
type L96Vjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64], f64, &mut f64, &[f64], &mut [f64]);

fn l96_case_vjp(vjp: L96Vjp, n: usize, x: &[f64], y_bar: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut w = x[..n].to_vec();
    let mut w_bar = y_bar.to_vec();
    let mut u_bar = vec![0.0; n];
    let (mut f_bar, mut p_bar) = (0.0, [0.0; 2]);
    vjp(
        &mut w,
        &mut w_bar,
        &x[n..2 * n],
        &mut u_bar,
        x[2 * n],
        &mut f_bar,
        &x[2 * n + 1..],
        &mut p_bar,
    );
    let mut grad = w_bar;
    grad.extend(u_bar);
    grad.push(f_bar);
    grad.extend(p_bar);
    (w, grad)
}

#[test]
fn lorenz96_gather_form_is_right_three_ways() {
    for n in [4, 7, 40] {
        let x = Draws::new(n as u64).vec(2 * n + 3);
        let case = Case {
            name: "l96",
            inputs: 2 * n + 3,
            outputs: n,
            f: &|x| {
                let mut w = x[..n].to_vec();
                l96(&mut w, &x[n..2 * n], x[2 * n], &x[2 * n + 1..]);
                w
            },
            jvp: &|x, d| {
                let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
                l96_jvp(
                    &mut w,
                    &mut w_dot,
                    &x[n..2 * n],
                    &d[n..2 * n],
                    x[2 * n],
                    d[2 * n],
                    &x[2 * n + 1..],
                    &d[2 * n + 1..],
                );
                (w, w_dot)
            },
            vjp: &|x, y| l96_case_vjp(l96_vjp, n, x, y),
        };
        check(&case, &x, 11);
    }
}

#[test]
fn lorenz96_gather_equals_scatter_at_every_length() {
    for n in (2..=12).chain([40]) {
        let mut rng = Draws::new(100 + n as u64);
        let x = rng.vec(2 * n + 3);
        let y_bar = rng.vec(n);
        let (wg, gg) = l96_case_vjp(l96_vjp, n, &x, &y_bar);
        let (ws, gs) = l96_case_vjp(l96_scatter_vjp, n, &x, &y_bar);
        assert_eq!(wg, ws, "n = {n}: values");
        assert_rounding(&gg, &gs, &format!("l96 n = {n}"));
        // On short periodic arrays (below 3 widths of the stencil, here 3) the boundary
        // iterations wrap around and add an element's terms in another order; from 9 on,
        // every element gets the same terms in the same order.
        if n >= 9 {
            assert_same_bits(&gg, &gs, &format!("l96 n = {n}"));
        }
        // The incoming adjoint of the overwritten output is consumed.
        assert!(gg[..n].iter().all(|&v| v == 0.0), "n = {n}: {gg:?}");
    }
}

#[test]
fn callers_reverse_only_companion_agrees_with_scatter() {
    for n in [3, 5, 6, 7, 9, 40] {
        let u = Draws::new(7 + n as u64).vec(n);
        let (mut g1, mut f1) = (vec![0.0; n], 0.0);
        let (mut g2, mut f2) = (vec![0.0; n], 0.0);
        let v1 = l96_cost_vjp(&u, &mut g1, 8.0, &mut f1, 1.0);
        let v2 = l96_cost_scatter_vjp(&u, &mut g2, 8.0, &mut f2, 1.0);
        assert_eq!(v1.to_bits(), v2.to_bits());
        assert_eq!(v1.to_bits(), l96_cost(&u, 8.0).to_bits());
        assert_rounding(&g1, &g2, &format!("l96_cost n = {n}"));
        assert_rounding(&[f1], &[f2], "forcing");
        if n >= 9 {
            assert_same_bits(&g1, &g2, &format!("l96_cost n = {n}"));
            assert_same_bits(&[f1], &[f2], "forcing");
        }
        // And against finite differences of the cost.
        let h = 1e-6;
        for k in [0, n / 2, n - 1] {
            let (mut up, mut um) = (u.clone(), u.clone());
            up[k] += h;
            um[k] -= h;
            let fd = (l96_cost(&up, 8.0) - l96_cost(&um, 8.0)) / (2.0 * h);
            assert!(
                (fd - g1[k]).abs() <= 1e-6 * g1[k].abs().max(1.0),
                "{fd} {}",
                g1[k]
            );
        }
    }
}

/// The flat case of `laplacian` (inputs `(w0, u, c, k)`, outputs `w`) through `vjp`.
type LapVjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64], &[f64], &mut [f64], f64, &mut f64);

fn lap_vjp(vjp: LapVjp, n: usize, x: &[f64], y_bar: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut w = x[..n].to_vec();
    let mut w_bar = y_bar.to_vec();
    let (mut u_bar, mut c_bar, mut k_bar) = (vec![0.0; n], vec![0.0; n], 0.0);
    let (u, c) = (&x[n..2 * n], &x[2 * n..3 * n]);
    vjp(
        &mut w,
        &mut w_bar,
        u,
        &mut u_bar,
        c,
        &mut c_bar,
        x[3 * n],
        &mut k_bar,
    );
    let mut grad = w_bar;
    grad.extend(u_bar);
    grad.extend(c_bar);
    grad.push(k_bar);
    (w, grad)
}

#[test]
fn laplacian_with_boundaries_is_right_and_equals_scatter() {
    for n in [3, 6, 25] {
        let x = Draws::new(3 * n as u64).vec(3 * n + 1);
        let case = Case {
            name: "laplacian",
            inputs: 3 * n + 1,
            outputs: n,
            f: &|x| {
                let mut w = x[..n].to_vec();
                laplacian(&mut w, &x[n..2 * n], &x[2 * n..3 * n], x[3 * n]);
                w
            },
            jvp: &|x, d| {
                let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
                laplacian_jvp(
                    &mut w,
                    &mut w_dot,
                    &x[n..2 * n],
                    &d[n..2 * n],
                    &x[2 * n..3 * n],
                    &d[2 * n..3 * n],
                    x[3 * n],
                    d[3 * n],
                );
                (w, w_dot)
            },
            vjp: &|x, y| lap_vjp(laplacian_vjp, n, x, y),
        };
        check(&case, &x, 5);
    }
    for n in 1..=12 {
        let mut rng = Draws::new(200 + n as u64);
        let x = rng.vec(3 * n + 1);
        let y_bar = rng.vec(n);
        let (wg, gg) = lap_vjp(laplacian_vjp, n, &x, &y_bar);
        let (ws, gs) = lap_vjp(laplacian_scatter_vjp, n, &x, &y_bar);
        assert_eq!(wg, ws, "n = {n}: values");
        assert_same_bits(&gg, &gs, &format!("laplacian n = {n}"));
        // The end points are not written: their adjoints pass through.
        if n >= 1 {
            assert_eq!(gg[0], y_bar[0]);
            assert_eq!(gg[n - 1], if n > 2 { y_bar[n - 1] } else { gg[n - 1] });
        }
    }
}

/// The flat case of `five_point` (inputs `(a0, b0, u, v, s)`, outputs `(a, b)`) through `vjp`.
type FiveVjp = fn(
    &mut [f64],
    &mut [f64],
    &mut [f64],
    &mut [f64],
    &[f64],
    &mut [f64],
    &[f64],
    &mut [f64],
    f64,
    &mut f64,
);

fn five_vjp(vjp: FiveVjp, n: usize, x: &[f64], y_bar: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (mut a, mut b) = (x[..n].to_vec(), x[n..2 * n].to_vec());
    let (mut a_bar, mut b_bar) = (y_bar[..n].to_vec(), y_bar[n..].to_vec());
    let (mut u_bar, mut v_bar, mut s_bar) = (vec![0.0; n], vec![0.0; n], 0.0);
    vjp(
        &mut a,
        &mut a_bar,
        &mut b,
        &mut b_bar,
        &x[2 * n..3 * n],
        &mut u_bar,
        &x[3 * n..4 * n],
        &mut v_bar,
        x[4 * n],
        &mut s_bar,
    );
    a.extend(b);
    let mut grad = a_bar;
    grad.extend(b_bar);
    grad.extend(u_bar);
    grad.extend(v_bar);
    grad.push(s_bar);
    (a, grad)
}

#[test]
fn five_point_two_outputs_is_right_and_equals_scatter() {
    for n in [5, 9, 30] {
        let x = Draws::new(5 * n as u64).vec(4 * n + 1);
        let case = Case {
            name: "five_point",
            inputs: 4 * n + 1,
            outputs: 2 * n,
            f: &|x| {
                let (mut a, mut b) = (x[..n].to_vec(), x[n..2 * n].to_vec());
                five_point(&mut a, &mut b, &x[2 * n..3 * n], &x[3 * n..4 * n], x[4 * n]);
                a.extend(b);
                a
            },
            jvp: &|x, d| {
                let (mut a, mut b) = (x[..n].to_vec(), x[n..2 * n].to_vec());
                let (mut a_dot, mut b_dot) = (d[..n].to_vec(), d[n..2 * n].to_vec());
                five_point_jvp(
                    &mut a,
                    &mut a_dot,
                    &mut b,
                    &mut b_dot,
                    &x[2 * n..3 * n],
                    &d[2 * n..3 * n],
                    &x[3 * n..4 * n],
                    &d[3 * n..4 * n],
                    x[4 * n],
                    d[4 * n],
                );
                a.extend(b);
                a_dot.extend(b_dot);
                (a, a_dot)
            },
            vjp: &|x, y| five_vjp(five_point_vjp, n, x, y),
        };
        check(&case, &x, 9);
    }
    for n in 2..=14 {
        let mut rng = Draws::new(300 + n as u64);
        let x = rng.vec(4 * n + 1);
        let y_bar = rng.vec(2 * n);
        let (vg, gg) = five_vjp(five_point_vjp, n, &x, &y_bar);
        let (vs, gs) = five_vjp(five_point_scatter_vjp, n, &x, &y_bar);
        assert_eq!(vg, vs, "n = {n}: values");
        assert_same_bits(&gg, &gs, &format!("five_point n = {n}"));
    }
}

/// `(w0, u) -> w` functions through their `_vjp`.
type PairVjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64]);

fn pair_vjp(vjp: PairVjp, n: usize, x: &[f64], y_bar: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut w = x[..n].to_vec();
    let mut w_bar = y_bar.to_vec();
    let mut u_bar = vec![0.0; n];
    vjp(&mut w, &mut w_bar, &x[n..], &mut u_bar);
    w_bar.extend(u_bar);
    (w, w_bar)
}

type PairJvp = fn(&mut [f64], &mut [f64], &[f64], &[f64]);

fn pair_case(name: &str, n: usize, f: fn(&mut [f64], &[f64]), jvp: PairJvp, vjp: PairVjp) {
    let x = Draws::new(n as u64 + 17).vec(2 * n);
    let case = Case {
        name,
        inputs: 2 * n,
        outputs: n,
        f: &|x| {
            let mut w = x[..n].to_vec();
            f(&mut w, &x[n..]);
            w
        },
        jvp: &|x, d| {
            let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
            jvp(&mut w, &mut w_dot, &x[n..], &d[n..]);
            (w, w_dot)
        },
        vjp: &|x, y| pair_vjp(vjp, n, x, y),
    };
    check(&case, &x, 3);
}

#[test]
fn loops_that_are_not_stencils_keep_the_scatter_form() {
    for n in [2, 5, 12] {
        pair_case("recurrence", n, recurrence, recurrence_jvp, recurrence_vjp);
        pair_case(
            "shifted_write",
            n,
            shifted_write,
            shifted_write_jvp,
            shifted_write_vjp,
        );
        let mut rng = Draws::new(n as u64);
        let x = rng.vec(2 * n);
        let y_bar = rng.vec(n);
        // Not recognised: the same code in both stamps, so the same bits.
        for (g, s) in [
            (recurrence_vjp as PairVjp, recurrence_scatter_vjp as PairVjp),
            (shifted_write_vjp, shifted_write_scatter_vjp),
        ] {
            assert_eq!(pair_vjp(g, n, &x, &y_bar), pair_vjp(s, n, &x, &y_bar));
        }
        let u = &x[n..];
        let (mut g1, mut g2) = (vec![0.0; n], vec![0.0; n]);
        let v1 = carried_vjp(u, &mut g1, 1.5);
        let v2 = carried_scatter_vjp(u, &mut g2, 1.5);
        assert_eq!((v1.to_bits(), &g1), (v2.to_bits(), &g2));
        let x_dot = rng.vec(n);
        let (_, t) = carried_jvp(u, &x_dot);
        let adjoint_side: f64 = g1.iter().zip(&x_dot).map(|(a, b)| a * b).sum::<f64>() / 1.5;
        assert!((t - adjoint_side).abs() <= 1e-12 * t.abs().max(1e-300));
    }
}

#[test]
fn the_generic_primal_with_peeled_boundaries_computes_the_same_bits() {
    // `l96_generic` (run by right-hand sides, stages and forward sweeps) splits off the
    // boundaries and indexes the interior without `%`.
    for n in (2..=12).chain([40]) {
        let mut rng = Draws::new(400 + n as u64);
        let (u, p) = (rng.vec(n), rng.vec(2));
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        l96(&mut a, &u, 8.0, &p);
        l96_generic::<f64>(&mut b, &u, 8.0, &p);
        assert_same_bits(&a, &b, &format!("n = {n}"));
    }
}

// Problem L's right-hand side as `examples/support` writes it, for its tangent's bits.
#[differentiable]
fn l96_rhs(du: &mut [f64], u: &[f64], p: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0];
    }
}

/// `l96_rhs`'s tangent as the tangent transform writes it, every index with its `%` (what
/// `l96_rhs_jvp` printed before its boundaries were peeled off), by hand.
fn l96_rhs_tangent_by_hand(
    (du, du_dot): (&mut [f64], &mut [f64]),
    (u, u_dot): (&[f64], &[f64]),
    (p, p_dot): (&[f64], &[f64]),
) {
    let n = u.len();
    for i in 0..n {
        let (a, b, c) = ((i + 1) % n, (i + n - 2) % n, (i + n - 1) % n);
        du_dot[i] = (u_dot[a] - u_dot[b]) * u[c] + (u[a] - u[b]) * u_dot[c] - u_dot[i] + p_dot[0];
        du[i] = (u[a] - u[b]) * u[c] - u[i] + p[0];
    }
}

#[test]
fn the_tangent_with_peeled_boundaries_computes_the_same_bits() {
    // `l96_rhs_jvp` splits off the boundaries like the generic primal and indexes the
    // interior without `%`: at every length (from those whose interior is empty up), the same
    // values and tangents bit for bit as the tangent with every `%`.
    for n in (2..=12).chain([40]) {
        let mut rng = Draws::new(500 + n as u64);
        let (u, u_dot, p, p_dot) = (rng.vec(n), rng.vec(n), rng.vec(1), rng.vec(1));
        let (mut a, mut a_dot) = (vec![0.0; n], vec![0.0; n]);
        let (mut b, mut b_dot) = (vec![0.0; n], vec![0.0; n]);
        l96_rhs_jvp(&mut a, &mut a_dot, &u, &u_dot, &p, &p_dot);
        l96_rhs_tangent_by_hand((&mut b, &mut b_dot), (&u, &u_dot), (&p, &p_dot));
        assert_same_bits(&a, &b, &format!("n = {n}: values"));
        assert_same_bits(&a_dot, &b_dot, &format!("n = {n}: tangents"));
    }
}

// Elements at constant indices summed in locals by the gather's scalar loops (`p_bar[0]`), and
// one at an index known only when the program runs (`p[k]`, which may be `p[0]`: then nothing
// is summed in a local, and the two adjoints add into the same element).
both!(coefficients, coefficients_scatter, (du: &mut [f64], u: &[f64], p: &[f64], k: usize) {
    let n = u.len();
    for i in 0..n {
        du[i] = u[(i + 1) % n] * p[k] - u[(i + n - 1) % n] * p[0] + p[1];
    }
});

/// `coefficients` through `vjp`: `(du, du_bar, u, u_bar, p, p_bar, k)`.
type CoefVjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64], &[f64], &mut [f64], usize);

#[test]
fn scalar_sums_in_locals_equal_the_scatter_form_even_where_elements_alias() {
    for n in [2, 3, 5, 9, 40] {
        for k in [0, 1, 2] {
            let mut rng = Draws::new(600 + n as u64 + 7 * k as u64);
            let (u, p, y_bar) = (rng.vec(n), rng.vec(3), rng.vec(n));
            let run = |vjp: CoefVjp| {
                let (mut du, mut du_bar) = (vec![0.0; n], y_bar.clone());
                let (mut u_bar, mut p_bar) = (vec![0.0; n], vec![0.0; 3]);
                vjp(&mut du, &mut du_bar, &u, &mut u_bar, &p, &mut p_bar, k);
                (du, u_bar, p_bar)
            };
            let (dg, ug, pg) = run(coefficients_vjp);
            let (ds, us, ps) = run(coefficients_scatter_vjp);
            let what = format!("n = {n}, k = {k}");
            assert_same_bits(&dg, &ds, &what);
            assert_rounding(&ug, &us, &what);
            // The parameters' adjoints are sums over the loop in the same order either way.
            assert_same_bits(&pg, &ps, &what);
            // p_bar[j] = sum_i du_bar[i] * d du[i] / d p[j], by hand.
            let mut expected = [0.0; 3];
            for i in 0..n {
                expected[k] += y_bar[i] * u[(i + 1) % n];
                expected[0] -= y_bar[i] * u[(i + n - 1) % n];
                expected[1] += y_bar[i];
            }
            assert_rounding(&pg, &expected, &what);
        }
    }
}

// A periodic stencil reading the index as a number: its boundary iterations are written out
// with `i` resolved in `i as f64` too (`peel.rs`).
both!(indexed, indexed_scatter, (du: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = u[(i + 1) % n] * (i as f64 + 0.5) + u[(i + n - 1) % n].sin() * u[i];
    }
});

#[test]
fn a_periodic_stencil_reading_its_index_is_right_and_equals_scatter() {
    type Vjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64]);
    let run = |vjp: Vjp, n: usize, x: &[f64], y: &[f64]| {
        let (mut du, mut du_bar, mut u_bar) = (x[..n].to_vec(), y.to_vec(), vec![0.0; n]);
        vjp(&mut du, &mut du_bar, &x[n..], &mut u_bar);
        let mut grad = du_bar;
        grad.extend(u_bar);
        (du, grad)
    };
    for n in (2..=12).chain([40]) {
        let mut rng = Draws::new(700 + n as u64);
        let (x, y) = (rng.vec(2 * n), rng.vec(n));
        let (wg, gg) = run(indexed_vjp, n, &x, &y);
        let (ws, gs) = run(indexed_scatter_vjp, n, &x, &y);
        assert_same_bits(&wg, &ws, &format!("n = {n}: values"));
        assert_rounding(&gg, &gs, &format!("n = {n}"));
        if n >= 6 {
            assert_same_bits(&gg, &gs, &format!("n = {n}"));
        }
        if [2, 4, 7, 12].contains(&n) {
            let case = Case {
                name: "indexed",
                inputs: 2 * n,
                outputs: n,
                f: &|x| {
                    let mut w = x[..n].to_vec();
                    indexed(&mut w, &x[n..]);
                    w
                },
                jvp: &|x, d| {
                    let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
                    indexed_jvp(&mut w, &mut w_dot, &x[n..], &d[n..]);
                    (w, w_dot)
                },
                vjp: &|x, y| run(indexed_vjp, n, x, y),
            };
            check(&case, &x, 13);
        }
    }
}

// A periodic stencil wider than the boundary iterations written out (`peel.rs`): its boundary
// loops are kept as written, in the primal, the tangent and the adjoint.
both!(wide, wide_scatter, (du: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = u[(i + 9) % n] * u[i] + u[(i + n - 1) % n];
    }
});

#[test]
fn a_wide_periodic_stencil_keeps_its_boundary_loops_and_equals_scatter() {
    type Vjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64]);
    let run = |vjp: Vjp, n: usize, x: &[f64], y: &[f64]| {
        let (mut du, mut du_bar, mut u_bar) = (x[..n].to_vec(), y.to_vec(), vec![0.0; n]);
        vjp(&mut du, &mut du_bar, &x[n..], &mut u_bar);
        let mut grad = du_bar;
        grad.extend(u_bar);
        (du, grad)
    };
    for n in [3, 12, 25, 40] {
        let mut rng = Draws::new(800 + n as u64);
        let (x, y) = (rng.vec(2 * n), rng.vec(n));
        let (wg, gg) = run(wide_vjp, n, &x, &y);
        let (ws, gs) = run(wide_scatter_vjp, n, &x, &y);
        assert_same_bits(&wg, &ws, &format!("n = {n}: values"));
        assert_rounding(&gg, &gs, &format!("n = {n}"));
        let case = Case {
            name: "wide",
            inputs: 2 * n,
            outputs: n,
            f: &|x| {
                let mut w = x[..n].to_vec();
                wide(&mut w, &x[n..]);
                w
            },
            jvp: &|x, d| {
                let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
                wide_jvp(&mut w, &mut w_dot, &x[n..], &d[n..]);
                (w, w_dot)
            },
            vjp: &|x, y| run(wide_vjp, n, x, y),
        };
        check(&case, &x, 17);
    }
}

// The scalar loops' adjoint reads at the loop index through views of their ranges
// (`emit/rev.rs`, `gather_views`): the adjoints of a scalar (`s`) and of elements at constant
// indices (`view[0]`, `view[1]`) read `du_bar[k]` and the primal `u[k]` (at the loop index and
// beside it), in a loop that starts at 2 and stops one before the end, so that each view starts
// inside the array; the parameter named `view` and the loop variable `k` beside the
// temporaries' `__view` and `__k`.
both!(viewed, viewed_scatter, (du: &mut [f64], u: &[f64], view: &[f64], s: f64) {
    let n = u.len();
    for k in 2..n - 1 {
        du[k] = u[k + 1] * view[0] + u[k - 2] * u[k] * s + view[1] * u[k].sin() + s;
    }
});

#[test]
fn scalar_loops_reading_through_views_are_right_and_equal_scatter() {
    type Vjp = fn(&mut [f64], &mut [f64], &[f64], &mut [f64], &[f64], &mut [f64], f64, &mut f64);
    // Inputs `(du, u, view0, view1, s)`, outputs `du`.
    let run = |vjp: Vjp, n: usize, x: &[f64], y: &[f64]| {
        let (mut du, mut du_bar) = (x[..n].to_vec(), y.to_vec());
        let (mut u_bar, mut view_bar, mut s_bar) = (vec![0.0; n], vec![0.0; 2], 0.0);
        let (u, view) = (&x[n..2 * n], &x[2 * n..2 * n + 2]);
        vjp(
            &mut du,
            &mut du_bar,
            u,
            &mut u_bar,
            view,
            &mut view_bar,
            x[2 * n + 2],
            &mut s_bar,
        );
        let mut grad = du_bar;
        grad.extend(u_bar);
        grad.extend(view_bar);
        grad.push(s_bar);
        (du, grad)
    };
    for n in (3..=12).chain([40]) {
        let mut rng = Draws::new(900 + n as u64);
        let (x, y) = (rng.vec(2 * n + 3), rng.vec(n));
        let (wg, gg) = run(viewed_vjp, n, &x, &y);
        let (ws, gs) = run(viewed_scatter_vjp, n, &x, &y);
        assert_same_bits(&wg, &ws, &format!("n = {n}: values"));
        assert_rounding(&gg, &gs, &format!("n = {n}"));
        // The scalars' adjoints are sums over the loop in the same order either way.
        assert_same_bits(&gg[2 * n..], &gs[2 * n..], &format!("n = {n}: scalars"));
        // view_bar[0] = sum_k du_bar[k] u[k + 1], by hand, downwards as the adjoint runs.
        let expected: f64 = (2..n - 1).rev().fold(0.0, |a, k| a + y[k] * x[n + k + 1]);
        assert_eq!(gg[2 * n].to_bits(), expected.to_bits(), "n = {n}: {gg:?}");
        if [3, 5, 12, 40].contains(&n) {
            let case = Case {
                name: "viewed",
                inputs: 2 * n + 3,
                outputs: n,
                f: &|x| {
                    let mut w = x[..n].to_vec();
                    viewed(&mut w, &x[n..2 * n], &x[2 * n..2 * n + 2], x[2 * n + 2]);
                    w
                },
                jvp: &|x, d| {
                    let (mut w, mut w_dot) = (x[..n].to_vec(), d[..n].to_vec());
                    let (u, u_dot) = (&x[n..2 * n], &d[n..2 * n]);
                    let (v, v_dot) = (&x[2 * n..2 * n + 2], &d[2 * n..2 * n + 2]);
                    let (s, s_dot) = (x[2 * n + 2], d[2 * n + 2]);
                    viewed_jvp(&mut w, &mut w_dot, u, u_dot, v, v_dot, s, s_dot);
                    (w, w_dot)
                },
                vjp: &|x, y| run(viewed_vjp, n, x, y),
            };
            check(&case, &x, 19);
        }
    }
}
