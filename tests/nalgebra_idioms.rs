//! nalgebra as scientists write it: the Lorenz-63 RK4 step of `SVector`s with the stages'
//! types left to inference (`let k1 = lorenz(s, p);`), stage arguments borrowed from
//! expressions (`lorenz(&(s + k1 * h), p)`), the state copied by `*s0` and reassigned from a call
//! (`s = rk4(&s, p, dt);`), and vectors and matrices built from their elements (`Vector3::new`,
//! `Matrix2::new`, `from_row_slice`). Each is checked three ways (central differences, the
//! dot-product test, tangent against adjoint), the scalar cost also by Hessian-vector products at
//! dual numbers, and the idiomatic step against the same step written with every type and
//! temporary spelled out, to the bit.

mod common;

use common::{assert_hvp, check, Case, Draws};
use nalgebra::{DMatrix, DVector, Matrix2, SMatrix, SVector, Vector2, Vector3};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

type V3 = SVector<f64, 3>;

/// The Lorenz-63 right-hand side, its result built by `SVector::<f64, 3>::new`.
#[differentiable]
fn lorenz(s: &SVector<f64, 3>, p: &SVector<f64, 3>) -> SVector<f64, 3> {
    SVector::<f64, 3>::new(
        p[0] * (s[1] - s[0]),
        s[0] * (p[1] - s[2]) - s[1],
        s[0] * s[1] - p[2] * s[2],
    )
}

/// One RK4 step as written first: untyped stages, arguments borrowed from expressions.
#[differentiable]
fn rk4(s: &SVector<f64, 3>, p: &SVector<f64, 3>, dt: f64) -> SVector<f64, 3> {
    let k1 = lorenz(s, p);
    let k2 = lorenz(&(s + k1 * (0.5 * dt)), p);
    let k3 = lorenz(&(s + k2 * (0.5 * dt)), p);
    let k4 = lorenz(&(s + k3 * dt), p);
    s + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (dt / 6.0)
}

/// The trajectory's final energy: the state copied by `*s0`, reassigned from the step.
#[differentiable]
fn final_energy(s0: &SVector<f64, 3>, p: &SVector<f64, 3>, dt: f64) -> f64 {
    let mut s = *s0;
    for _ in 0..40 {
        s = rk4(&s, p, dt);
    }
    s.dot(&s)
}

/// The same right-hand side, step and cost with every type and temporary written out, as the
/// macro needed them before.
#[differentiable]
fn lorenz_typed(s: &SVector<f64, 3>, p: &SVector<f64, 3>) -> SVector<f64, 3> {
    let e = [
        p[0] * (s[1] - s[0]),
        s[0] * (p[1] - s[2]) - s[1],
        s[0] * s[1] - p[2] * s[2],
    ];
    SVector::<f64, 3>::from_column_slice(&e)
}

#[differentiable]
fn rk4_typed(s: &SVector<f64, 3>, p: &SVector<f64, 3>, dt: f64) -> SVector<f64, 3> {
    let k1: SVector<f64, 3> = lorenz_typed(s, p);
    let s2 = s + k1 * (0.5 * dt);
    let k2: SVector<f64, 3> = lorenz_typed(&s2, p);
    let s3 = s + k2 * (0.5 * dt);
    let k3: SVector<f64, 3> = lorenz_typed(&s3, p);
    let s4 = s + k3 * dt;
    let k4: SVector<f64, 3> = lorenz_typed(&s4, p);
    s + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (dt / 6.0)
}

#[differentiable]
#[allow(clippy::clone_on_copy)] // `.clone()`: the copy the macro needed before `*s0`
fn final_energy_typed(s0: &SVector<f64, 3>, p: &SVector<f64, 3>, dt: f64) -> f64 {
    let mut s = s0.clone();
    for _ in 0..40 {
        let next: SVector<f64, 3> = rk4_typed(&s, p, dt);
        s = next;
    }
    s.dot(&s)
}

/// Matrices from arrays row by row and from their elements (`new` lists a matrix's elements
/// row by row, a vector's in order), locals named as generated temporaries are.
#[differentiable]
fn built(u: &[f64], a: f64, b: f64) -> SVector<f64, 2> {
    let m = SMatrix::<f64, 2, 3>::from_row_slice(u);
    let __elems = Matrix2::new(a, b * a, -b, a.sin());
    let result = Vector3::new(a, b, a * b);
    let head = [u[0], u[1]];
    let x_bar = Vector2::from_row_slice(&head);
    __elems * (m * result) + SVector::<f64, 2>::new(b, 1.0) + x_bar
}

/// `Matrix2::from_row_slice` of a slice: rows first, as the function reads it.
#[differentiable]
fn row_major(u: &[f64], x: &[f64]) -> f64 {
    let m = Matrix2::from_row_slice(u);
    let v = Vector2::from_column_slice(x);
    let y = m * v;
    y[0] * 10.0 + y[1]
}

/// A network layer and its misfit, the layer's result bound without its type: a difference
/// with the target says it is a vector.
#[differentiable]
fn layer(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x).map(|v| v.tanh())
}

#[differentiable(wrt(w, x))]
fn layer_misfit(w: &DMatrix<f64>, x: &DVector<f64>, target: &DVector<f64>) -> f64 {
    let y = layer(w, x);
    (y - target).norm_squared()
}

#[differentiable(wrt(w, x))]
fn layer_misfit_typed(w: &DMatrix<f64>, x: &DVector<f64>, target: &DVector<f64>) -> f64 {
    let y: DVector<f64> = layer(w, x);
    (y - target).norm_squared()
}

/// A layer whose weights are read from a flat slice with their shape, row by row and column
/// by column.
#[differentiable]
fn flat_layer(w: &[f64], b: &[f64], x: &DVector<f64>, rows: usize, cols: usize) -> f64 {
    let m = DMatrix::from_row_slice(rows, cols, w);
    let c = DMatrix::from_column_slice(rows, cols, w);
    let bias = DVector::from_column_slice(b);
    let y = (m * x + bias).map(|v| v.tanh()) + c * x;
    y.norm_squared()
}

/// An accumulator started at zeros (`DVector::zeros(w.nrows())`), columns added with weights,
/// a constant shift and an identity: matrices made at the scalar type, without derivatives.
#[differentiable]
fn accumulated(w: &DMatrix<f64>, x: &[f64], c: f64) -> f64 {
    let mut a = DVector::zeros(w.nrows());
    for j in 0..w.ncols() {
        a += w.column(j) * x[j];
    }
    let shift = DVector::from_element(w.nrows(), 0.5);
    let b = a + shift * c;
    let id = DMatrix::<f64>::identity(w.nrows(), w.nrows());
    let y = id * b.clone() * 2.0;
    let mut z = SVector::<f64, 3>::zeros();
    z += SVector::<f64, 3>::new(c, x[0], x[1]) * c;
    y.dot(&b) + z.norm_squared()
}

macro_rules! energy_of {
    ($name:ident, $steps:expr) => {
        #[differentiable]
        fn $name(s0: &SVector<f64, 3>, p: &SVector<f64, 3>, dt: f64) -> f64 {
            let mut s = *s0;
            for _ in 0..$steps {
                s = rk4(&s, p, dt);
            }
            s.dot(&s)
        }
    };
}

energy_of!(energy_from_macro, 40);

const P: [f64; 3] = [10.0, 28.0, 8.0 / 3.0];
const DT: f64 = 0.01;

fn v3(x: &[f64]) -> V3 {
    V3::from_column_slice(x)
}

/// `(s0, p, dt)` flat, seven reals.
fn energy_case<'a>(
    name: &'a str,
    f: &'a dyn Fn(&[f64]) -> Vec<f64>,
    jvp: common::Companion<'a>,
    vjp: common::Companion<'a>,
) -> Case<'a> {
    Case {
        name,
        inputs: 7,
        outputs: 1,
        f,
        jvp,
        vjp,
    }
}

fn energy_gradient(x: &[f64]) -> (f64, Vec<f64>) {
    let (mut s_bar, mut p_bar, mut dt_bar) = (V3::zeros(), V3::zeros(), 0.0);
    let e = final_energy_vjp(
        &v3(&x[..3]),
        &mut s_bar,
        &v3(&x[3..6]),
        &mut p_bar,
        x[6],
        &mut dt_bar,
        1.0,
    );
    let mut g: Vec<f64> = s_bar.iter().chain(p_bar.iter()).copied().collect();
    g.push(dt_bar);
    (e, g)
}

#[test]
fn the_idiomatic_lorenz63_cost_passes_the_three_checks() {
    let f = |x: &[f64]| vec![final_energy(&v3(&x[..3]), &v3(&x[3..6]), x[6])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (e, de) = final_energy_jvp(
            &v3(&x[..3]),
            &v3(&d[..3]),
            &v3(&x[3..6]),
            &v3(&d[3..6]),
            x[6],
            d[6],
        );
        (vec![e], vec![de])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (e, mut g) = energy_gradient(x);
        g.iter_mut().for_each(|v| *v *= y_bar[0]);
        (vec![e], g)
    };
    let x = [1.0, 1.0, 1.0, P[0], P[1], P[2], DT];
    check(&energy_case("final_energy", &f, &jvp, &vjp), &x, 5);
}

#[test]
fn the_idiomatic_step_equals_the_step_with_written_types_to_the_bit() {
    let mut draws = Draws::new(17);
    for _ in 0..4 {
        let s0 = v3(&draws.vec(3));
        let p = V3::new(P[0], P[1], P[2]);
        let (a, b) = (rk4(&s0, &p, DT), rk4_typed(&s0, &p, DT));
        assert_eq!(a, b);
        assert_eq!(final_energy(&s0, &p, DT), final_energy_typed(&s0, &p, DT));
        let seed = v3(&draws.vec(3));
        let mut bars = [V3::zeros(), V3::zeros(), V3::zeros(), V3::zeros()];
        let (mut dt1, mut dt2) = (0.0, 0.0);
        let [s1, p1, s2, p2] = &mut bars;
        let y1 = rk4_vjp(&s0, s1, &p, p1, DT, &mut dt1, &seed);
        let y2 = rk4_typed_vjp(&s0, s2, &p, p2, DT, &mut dt2, &seed);
        assert_eq!((y1, *s1, *p1, dt1), (y2, *s2, *p2, dt2));
        let dir = v3(&draws.vec(3));
        let (_, t1) = rk4_jvp(&s0, &dir, &p, &V3::zeros(), DT, 0.5);
        let (_, t2) = rk4_typed_jvp(&s0, &dir, &p, &V3::zeros(), DT, 0.5);
        assert_eq!(t1, t2);
    }
    let x = [0.5, -1.0, 2.0, P[0], P[1], P[2], DT];
    let mut g_macro = (V3::zeros(), V3::zeros(), 0.0);
    let e = energy_from_macro_vjp(
        &v3(&x[..3]),
        &mut g_macro.0,
        &v3(&x[3..6]),
        &mut g_macro.1,
        x[6],
        &mut g_macro.2,
        1.0,
    );
    let (e2, g) = energy_gradient(&x);
    assert_eq!(e, e2);
    assert_eq!(g_macro.0.as_slice(), &g[..3]);
    assert_eq!((g_macro.1.as_slice(), g_macro.2), (&g[3..6], g[6]));
}

#[test]
fn hessian_vector_products_of_the_idiomatic_cost_at_dual_numbers() {
    let x = [1.0, 1.0, 1.0, P[0], P[1], P[2], DT];
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = x
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let dual3 = |a: &[Dual<f64, 1>]| SVector::<Dual<f64, 1>, 3>::from_column_slice(a);
        let zero = || SVector::<Dual<f64, 1>, 3>::from_element(Dual::constant(0.0));
        let (mut s_bar, mut p_bar, mut dt_bar) = (zero(), zero(), Dual::constant(0.0));
        final_energy_vjp(
            &dual3(&z[..3]),
            &mut s_bar,
            &dual3(&z[3..6]),
            &mut p_bar,
            z[6],
            &mut dt_bar,
            Dual::constant(1.0),
        );
        let mut all: Vec<f64> = s_bar
            .iter()
            .chain(p_bar.iter())
            .map(|d| d.tangents[0])
            .collect();
        all.push(dt_bar.tangents[0]);
        all
    };
    let mut draws = Draws::new(23);
    let (mut u, mut w) = (draws.vec(7), draws.vec(7));
    // The step size's direction scaled to its size, so that differences of gradients stay in
    // the region where they are accurate.
    u[6] *= 1e-3;
    w[6] *= 1e-3;
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&energy_gradient(x).1);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert_hvp(&report, "final_energy");
}

#[test]
fn matrices_built_from_elements_and_rows_pass_the_three_checks() {
    let f = |x: &[f64]| built(&x[..6], x[6], x[7]).as_slice().to_vec();
    let jvp = |x: &[f64], d: &[f64]| {
        let (y, dy) = built_jvp(&x[..6], &d[..6], x[6], d[6], x[7], d[7]);
        (y.as_slice().to_vec(), dy.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (mut u_bar, mut a_bar, mut b_bar) = (vec![0.0; 6], 0.0, 0.0);
        let y = built_vjp(
            &x[..6],
            &mut u_bar,
            x[6],
            &mut a_bar,
            x[7],
            &mut b_bar,
            &Vector2::from_column_slice(y_bar),
        );
        u_bar.extend([a_bar, b_bar]);
        (y.as_slice().to_vec(), u_bar)
    };
    let case = Case {
        name: "built",
        inputs: 8,
        outputs: 2,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(29).vec(8), 3);
}

/// `from_row_slice` of a matrix was once read column by column by the companions: their value
/// and gradient differed from the function's.
#[test]
fn a_matrix_from_rows_is_read_row_by_row() {
    let (u, x) = ([1.0, 2.0, 3.0, 4.0], [1.0, 0.0]);
    assert_eq!(row_major(&u, &x), 13.0);
    assert_eq!(row_major_generic::<f64>(&u, &x), 13.0);
    let (v, (gu, gx)) = row_major_grad(&u[..], &x[..]);
    assert_eq!(v, 13.0);
    assert_eq!(gu, vec![10.0, 0.0, 1.0, 0.0]);
    assert_eq!(gx, vec![13.0, 24.0]);
}

#[test]
fn an_untyped_network_result_is_a_vector_and_passes_the_three_checks() {
    let target = DVector::from_column_slice(&[0.25, -0.5, 0.75]);
    let unpack = |x: &[f64]| {
        (
            DMatrix::from_column_slice(3, 2, &x[..6]),
            DVector::from_column_slice(&x[6..]),
        )
    };
    let f = |x: &[f64]| {
        let (w, v) = unpack(x);
        vec![layer_misfit(&w, &v, &target)]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let ((w, v), (dw, dv)) = (unpack(x), unpack(d));
        let (y, dy) = layer_misfit_jvp(&w, &dw, &v, &dv, &target);
        (vec![y], vec![dy])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (w, v) = unpack(x);
        let (mut w_bar, mut v_bar) = (DMatrix::zeros(3, 2), DVector::zeros(2));
        let y = layer_misfit_vjp(&w, &mut w_bar, &v, &mut v_bar, &target, y_bar[0]);
        let g: Vec<f64> = w_bar.iter().chain(v_bar.iter()).copied().collect();
        (vec![y], g)
    };
    let case = Case {
        name: "layer_misfit",
        inputs: 8,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    let x = Draws::new(37).vec(8);
    check(&case, &x, 7);
    let (w, v) = unpack(&x);
    let mut bars = (
        DMatrix::zeros(3, 2),
        DVector::zeros(2),
        DMatrix::zeros(3, 2),
        DVector::zeros(2),
    );
    let y1 = layer_misfit_vjp(&w, &mut bars.0, &v, &mut bars.1, &target, 1.0);
    let y2 = layer_misfit_typed_vjp(&w, &mut bars.2, &v, &mut bars.3, &target, 1.0);
    assert_eq!((y1, &bars.0, &bars.1), (y2, &bars.2, &bars.3));
}

#[test]
fn matrices_read_from_flat_slices_with_their_shape_pass_the_three_checks() {
    // Six weights, two biases, three inputs.
    let f = |p: &[f64]| {
        let x = DVector::from_column_slice(&p[8..]);
        vec![flat_layer(&p[..6], &p[6..8], &x, 2, 3)]
    };
    let jvp = |p: &[f64], d: &[f64]| {
        let (x, dx) = (
            DVector::from_column_slice(&p[8..]),
            DVector::from_column_slice(&d[8..]),
        );
        let (y, dy) = flat_layer_jvp(&p[..6], &d[..6], &p[6..8], &d[6..8], &x, &dx, 2, 3);
        (vec![y], vec![dy])
    };
    let vjp = |p: &[f64], y_bar: &[f64]| {
        let x = DVector::from_column_slice(&p[8..]);
        let (mut w_bar, mut b_bar, mut x_bar) = (vec![0.0; 6], vec![0.0; 2], DVector::zeros(3));
        let y = flat_layer_vjp(
            &p[..6],
            &mut w_bar,
            &p[6..8],
            &mut b_bar,
            &x,
            &mut x_bar,
            2,
            3,
            y_bar[0],
        );
        w_bar.extend(b_bar);
        w_bar.extend(x_bar.iter());
        (vec![y], w_bar)
    };
    let case = Case {
        name: "flat_layer",
        inputs: 11,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(41).vec(11), 9);
}

#[test]
fn matrices_made_without_derivatives_start_accumulators() {
    // A 2 x 3 matrix, three weights, a real.
    let f = |p: &[f64]| {
        let w = DMatrix::from_column_slice(2, 3, &p[..6]);
        vec![accumulated(&w, &p[6..9], p[9])]
    };
    let jvp = |p: &[f64], d: &[f64]| {
        let (w, dw) = (
            DMatrix::from_column_slice(2, 3, &p[..6]),
            DMatrix::from_column_slice(2, 3, &d[..6]),
        );
        let (y, dy) = accumulated_jvp(&w, &dw, &p[6..9], &d[6..9], p[9], d[9]);
        (vec![y], vec![dy])
    };
    let vjp = |p: &[f64], y_bar: &[f64]| {
        let w = DMatrix::from_column_slice(2, 3, &p[..6]);
        let (mut w_bar, mut x_bar, mut c_bar) = (DMatrix::zeros(2, 3), vec![0.0; 3], 0.0);
        let y = accumulated_vjp(
            &w,
            &mut w_bar,
            &p[6..9],
            &mut x_bar,
            p[9],
            &mut c_bar,
            y_bar[0],
        );
        let mut g: Vec<f64> = w_bar.iter().copied().collect();
        g.extend(x_bar);
        g.push(c_bar);
        (vec![y], g)
    };
    let case = Case {
        name: "accumulated",
        inputs: 10,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(43).vec(10), 11);
}
