//! Element writes of nalgebra vectors and matrices, as scientists write them: the Lorenz-63
//! right-hand side filled element by element (`let mut du = SVector::<f64, 3>::zeros(); du[0] =
//! ..; du`), matrices built by `m[(i, j)] = ..` and `m[(i, j)] += ..` in loops and under `if`,
//! compound writes (`-=`, `*=`, `/=`), reads of written elements, whole-matrix operations after
//! the writes (`&m * x`, `.norm()`), an element overwritten after a product read it (the reverse
//! sweep restores it), `for v in y.iter_mut() { *v *= a; }`, and vectors and matrices made from
//! sub-slices (`DVector::from_column_slice(&u[1..])`). Each is checked three ways (central
//! differences, the dot-product test, tangent against adjoint), the scalar ones also by
//! Hessian-vector products at dual numbers, with adversarial names and a `macro_rules!`
//! caller; the right-hand side written by elements equals to the bit the one written with
//! `Vector3::new(..)`, value and gradient, through an RK4 step.

mod common;

use common::{assert_hvp, check, Case, Draws};
use nalgebra::{DMatrix, DVector, SVector, Vector3};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

type V3 = SVector<f64, 3>;

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
}

/// The Lorenz-63 right-hand side as a nalgebra user writes it.
#[differentiable]
fn lorenz(u: &SVector<f64, 3>, p: &Params) -> SVector<f64, 3> {
    let mut du = SVector::<f64, 3>::zeros();
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
    du
}

/// The same with `Vector3::zeros()`.
#[differentiable]
fn lorenz_vector3(u: &SVector<f64, 3>, p: &Params) -> SVector<f64, 3> {
    let mut du = Vector3::zeros();
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
    du
}

/// The same right-hand side by element writes of an array made a vector after.
#[differentiable]
fn lorenz_array(u: &SVector<f64, 3>, p: &Params) -> SVector<f64, 3> {
    let mut du = [0.0; 3];
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
    SVector::<f64, 3>::from_column_slice(&du)
}

/// The same right-hand side built from its elements at once.
#[differentiable]
fn lorenz_new(u: &SVector<f64, 3>, p: &Params) -> SVector<f64, 3> {
    Vector3::new(
        p.sigma * (u[1] - u[0]),
        u[0] * (p.rho - u[2]) - u[1],
        u[0] * u[1] - p.beta * u[2],
    )
}

#[differentiable]
fn rk4(u: &SVector<f64, 3>, p: &Params, h: f64) -> SVector<f64, 3> {
    let k1 = lorenz(u, p);
    let k2 = lorenz(&(u + k1 * (0.5 * h)), p);
    let k3 = lorenz(&(u + k2 * (0.5 * h)), p);
    let k4 = lorenz(&(u + k3 * h), p);
    u + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0)
}

#[differentiable]
fn rk4_array(u: &SVector<f64, 3>, p: &Params, h: f64) -> SVector<f64, 3> {
    let k1 = lorenz_array(u, p);
    let k2 = lorenz_array(&(u + k1 * (0.5 * h)), p);
    let k3 = lorenz_array(&(u + k2 * (0.5 * h)), p);
    let k4 = lorenz_array(&(u + k3 * h), p);
    u + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0)
}

#[differentiable]
fn rk4_new(u: &SVector<f64, 3>, p: &Params, h: f64) -> SVector<f64, 3> {
    let k1 = lorenz_new(u, p);
    let k2 = lorenz_new(&(u + k1 * (0.5 * h)), p);
    let k3 = lorenz_new(&(u + k2 * (0.5 * h)), p);
    let k4 = lorenz_new(&(u + k3 * h), p);
    u + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0)
}

/// The right-hand side of a run-time length (Lorenz-96), by element writes of a `DVector`.
#[differentiable]
fn l96(x: &DVector<f64>, f: f64) -> DVector<f64> {
    let n = x.len();
    let mut dx = DVector::zeros(n);
    for i in 0..n {
        dx[i] = (x[(i + 1) % n] - x[(i + n - 2) % n]) * x[(i + n - 1) % n] - x[i] + f;
    }
    dx
}

/// A matrix built element by element in loops and under `if`, with compound writes, reads of
/// written elements, and whole-matrix operations after the writes.
#[differentiable]
fn built(x: &DVector<f64>, a: f64) -> f64 {
    let n = x.nrows();
    let mut m = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            m[(i, j)] = x[i] * x[j] * a;
            if i == j {
                m[(i, j)] += 1.0 + a * a;
            } else if i > j {
                m[(i, j)] -= m[(j, i)] * 0.5;
            }
        }
    }
    m[(0, 1)] *= a;
    m[(1, 0)] /= 1.0 + a * a;
    let y = &m * x;
    let mut z = y.clone();
    z[0] /= a;
    z[1] -= y[0] * y[0];
    z[2] *= z[1];
    z.norm() + m[(1, 0)] * m[(2, 2)]
}

/// Elements overwritten after a product, a norm and a dot product read them: the reverse sweep
/// restores them before it needs the old values.
#[differentiable]
fn overwritten(x: &DVector<f64>, a: f64) -> f64 {
    let mut v = x * a;
    let mut m = DMatrix::from_element(2, 3, 0.5);
    let first = (&m * &v).norm_squared();
    for j in 0..3 {
        m[(j % 2, j)] = v[j].sin();
        v[j] = v[j] * v[j];
    }
    let second = (m.transpose() * (&m * &v)).dot(&v) + v.norm();
    for k in 0..3 {
        v[k] += m[(1, k)] * first;
    }
    first + second * v.sum()
}

/// Element writes of a call's result, and of a vector after a call read it whole: the call's
/// reverse sweep sees the vector it was given.
#[differentiable]
fn around_calls(x: &DVector<f64>, a: f64) -> f64 {
    let mut k = l96(x, a);
    k[0] += a * k[1];
    let mut v = x * 2.0;
    let before = l96(&v, a);
    v[1] = before[2] * k[0];
    v[2] *= before[0];
    let after = l96(&v, a);
    after.dot(&before) + k.norm_squared() + v[1]
}

/// `iter_mut()` of a vector.
#[differentiable]
fn scaled(x: &DVector<f64>, a: f64) -> f64 {
    let mut y = x.clone();
    for v in y.iter_mut() {
        *v *= a;
    }
    for (i, v) in y.iter_mut().enumerate() {
        *v = *v * *v + (i as f64) * a;
    }
    y.sum() + y.norm()
}

/// Vectors and matrices made from sub-slices.
#[differentiable]
fn from_parts(u: &[f64], k: usize) -> f64 {
    let x = DVector::from_column_slice(&u[1..]);
    let m = DMatrix::from_column_slice(2, 2, &u[k..k + 4]);
    let head = &u[..2];
    let h = DVector::from_column_slice(head);
    let r = SVector::<f64, 2>::from_row_slice(&u[2..4]);
    (m * h).dot(&r) * x.norm()
}

/// Locals named as generated ones (`result`, `x_bar`, `__adj0`, `__rows`, the adjoint names of
/// other locals, a raw identifier).
#[differentiable]
fn adversarial(x: &DVector<f64>, h: f64) -> f64 {
    let n = x.len();
    let mut result = DVector::zeros(n);
    let mut __adj0 = DMatrix::zeros(n, 2);
    let mut x_bar = x.clone();
    for __rows in 0..n {
        result[__rows] = x[__rows] * h;
        __adj0[(__rows, 1)] = result[__rows].sin();
        __adj0[(__rows, 0)] += h * __adj0[(__rows, 1)];
        x_bar[__rows] *= __adj0[(__rows, 0)];
    }
    let mut result_bar = __adj0.transpose() * &result;
    result_bar[1] -= x_bar[0];
    let r#type = result_bar.norm_squared();
    r#type + result[0] + x_bar.sum()
}

macro_rules! written_by_macro {
    ($name:ident, $scale:expr) => {
        #[differentiable]
        fn $name(x: &DVector<f64>, a: f64) -> f64 {
            let mut w = DVector::zeros(x.len());
            for i in 0..x.len() {
                w[i] = x[i] * a * $scale;
            }
            w[0] += a;
            w.dot(x)
        }
    };
}

written_by_macro!(from_macro, 2.0);

fn params(v: &[f64]) -> Params {
    Params {
        sigma: v[0],
        rho: v[1],
        beta: v[2],
    }
}

fn dvec(x: &[f64]) -> DVector<f64> {
    DVector::from_column_slice(x)
}

/// A scalar function of `(x: &DVector<f64>, a: f64)` with its companions.
struct VecScalar {
    name: &'static str,
    f: fn(&DVector<f64>, f64) -> f64,
    jvp: Jvp,
    vjp: fn(&DVector<f64>, &mut DVector<f64>, f64, &mut f64, f64) -> f64,
    hvp_vjp: HvpVjp,
}

type D1 = Dual<f64, 1>;
type Jvp = fn(&DVector<f64>, &DVector<f64>, f64, f64) -> (f64, f64);
type HvpVjp = fn(&DVector<D1>, &mut DVector<D1>, D1, &mut D1, D1) -> D1;

macro_rules! vec_scalar {
    ($f:ident, $jvp:ident, $vjp:ident) => {
        VecScalar {
            name: stringify!($f),
            f: $f,
            jvp: $jvp,
            vjp: $vjp::<f64>,
            hvp_vjp: $vjp::<D1>,
        }
    };
}

impl VecScalar {
    fn gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let n = x.len() - 1;
        let (mut x_bar, mut a_bar) = (DVector::zeros(n), 0.0);
        let v = (self.vjp)(&dvec(&x[..n]), &mut x_bar, x[n], &mut a_bar, 1.0);
        let mut g = x_bar.as_slice().to_vec();
        g.push(a_bar);
        (v, g)
    }

    /// The three checks at `x` (the vector, then `a`), and H v at dual numbers.
    fn check(&self, x: &[f64], seed: u64) {
        let n = x.len() - 1;
        let f = |x: &[f64]| vec![(self.f)(&dvec(&x[..n]), x[n])];
        let jvp = |x: &[f64], d: &[f64]| {
            let (v, t) = (self.jvp)(&dvec(&x[..n]), &dvec(&d[..n]), x[n], d[n]);
            (vec![v], vec![t])
        };
        let vjp = |x: &[f64], y_bar: &[f64]| {
            let (v, mut g) = self.gradient(x);
            g.iter_mut().for_each(|g| *g *= y_bar[0]);
            (vec![v], g)
        };
        let case = Case {
            name: self.name,
            inputs: n + 1,
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, x, seed);
        let hvp = |dir: &[f64]| -> Vec<f64> {
            let z: Vec<D1> = x
                .iter()
                .zip(dir)
                .map(|(v, d)| Dual::new(*v, [*d]))
                .collect();
            let mut x_bar = DVector::from_element(n, Dual::constant(0.0));
            let mut a_bar = Dual::constant(0.0);
            let xs = DVector::from_column_slice(&z[..n]);
            (self.hvp_vjp)(&xs, &mut x_bar, z[n], &mut a_bar, Dual::constant(1.0));
            let mut all: Vec<f64> = x_bar.iter().map(|d| d.tangents[0]).collect();
            all.push(a_bar.tangents[0]);
            all
        };
        let mut draws = Draws::new(seed + 100);
        let (u, w) = (draws.vec(n + 1), draws.vec(n + 1));
        let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&self.gradient(x).1);
        let report = check_hvp(gradient, x, &u, &hvp(&u), &w, &hvp(&w), 1e-6).expect("lengths fit");
        assert_hvp(&report, self.name);
    }
}

#[test]
fn matrices_built_by_element_writes_in_loops_and_branches_pass_the_three_checks() {
    let case = vec_scalar!(built, built_jvp, built_vjp);
    case.check(&[0.5, -1.0, 2.0, 0.75], 3);
    case.check(&[1.5, 0.25, -0.5, 1.25, -2.0], 4);
}

#[test]
fn elements_overwritten_after_products_read_them_are_restored() {
    vec_scalar!(overwritten, overwritten_jvp, overwritten_vjp).check(&[0.3, -0.7, 1.1, 0.9], 5);
}

#[test]
fn element_writes_of_call_results_and_of_call_arguments_pass_the_three_checks() {
    vec_scalar!(around_calls, around_calls_jvp, around_calls_vjp)
        .check(&[0.3, -0.7, 1.1, 0.4, 1.3], 14);
}

#[test]
fn iter_mut_of_a_vector_passes_the_three_checks() {
    vec_scalar!(scaled, scaled_jvp, scaled_vjp).check(&[0.3, -0.7, 1.1, 0.4, 1.3], 6);
    let x = dvec(&[1.0, 2.0]);
    // y = 2 x = (2, 4), then y_i^2 + 2 i = (4, 18).
    assert_eq!(scaled(&x, 2.0), 22.0 + 340.0f64.sqrt());
}

#[test]
fn adversarial_names_and_a_macro_rules_caller_pass_the_three_checks() {
    vec_scalar!(adversarial, adversarial_jvp, adversarial_vjp).check(&[0.3, -0.7, 1.1, 0.4], 7);
    vec_scalar!(from_macro, from_macro_jvp, from_macro_vjp).check(&[0.3, -0.7, 1.1, 0.4], 8);
    let x = dvec(&[1.0, 2.0]);
    assert_eq!(from_macro(&x, 0.5), 1.0 * 1.0 + 2.0 * 2.0 + 0.5);
}

#[test]
fn the_lorenz96_rhs_by_element_writes_passes_the_three_checks() {
    let n = 6;
    let f = |x: &[f64]| l96(&dvec(&x[..n]), x[n]).as_slice().to_vec();
    let jvp = |x: &[f64], d: &[f64]| {
        let (y, t) = l96_jvp(&dvec(&x[..n]), &dvec(&d[..n]), x[n], d[n]);
        (y.as_slice().to_vec(), t.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (mut x_bar, mut f_bar) = (DVector::zeros(n), 0.0);
        let y = l96_vjp(&dvec(&x[..n]), &mut x_bar, x[n], &mut f_bar, &dvec(y_bar));
        let mut g = x_bar.as_slice().to_vec();
        g.push(f_bar);
        (y.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "l96",
        inputs: n + 1,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(9).vec(n + 1), 9);
}

#[test]
fn vectors_and_matrices_from_sub_slices_pass_the_three_checks() {
    let (n, k) = (7, 2);
    let f = |x: &[f64]| vec![from_parts(x, k)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = from_parts_jvp(x, d, k);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let mut u_bar = vec![0.0; n];
        let v = from_parts_vjp(x, &mut u_bar, k, y_bar[0]);
        (vec![v], u_bar)
    };
    let case = Case {
        name: "from_parts",
        inputs: n,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(10).vec(n), 10);
    let u = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let m = DMatrix::from_column_slice(2, 2, &u[k..k + 4]);
    let want = (m * dvec(&u[..2])).dot(&SVector::<f64, 2>::new(3.0, 4.0)) * dvec(&u[1..]).norm();
    assert_eq!(from_parts(&u, k), want);
}

/// `(u, p, h)` flat, seven reals, to the RK4 step's value and gradient of `<seed, step>`.
type Step = fn(&V3, &mut V3, &Params, &mut Params, f64, &mut f64, &V3) -> V3;

fn step_gradient(vjp: Step, x: &[f64], seed: &V3) -> (V3, Vec<f64>) {
    let p = params(&x[3..6]);
    let (mut u_bar, mut p_bar, mut h_bar) = (V3::zeros(), p.zero_like(), 0.0);
    let y = vjp(
        &V3::from_column_slice(&x[..3]),
        &mut u_bar,
        &p,
        &mut p_bar,
        x[6],
        &mut h_bar,
        seed,
    );
    let mut g = u_bar.as_slice().to_vec();
    g.extend(p_bar.to_reals());
    g.push(h_bar);
    (y, g)
}

/// The element-written right-hand side against the same written `Vector3::new(..)` and by
/// element writes of an array, through an RK4 step: values and tangents equal to the bit; the
/// gradient equal to the bit to the array's, and to `new`'s up to the order of one sum (the
/// reverse sweep of `du[0] = a; du[1] = b; du[2] = c;` visits `c` first, as it visits
/// statements, that of `new(a, b, c)` visits `a` first, as it visits the elements of an array
/// literal `[a, b, c]`: `u_bar[0]` sums the same three terms in the other order).
#[test]
fn the_lorenz63_rhs_by_element_writes_equals_the_one_by_new_to_the_bit() {
    let mut draws = Draws::new(11);
    let mut sums_reordered = 0;
    for _ in 0..8 {
        let u = V3::from_column_slice(&draws.vec(3)) * 10.0;
        let p = params(&[10.0, 28.0, 8.0 / 3.0]);
        assert_eq!(lorenz(&u, &p), lorenz_new(&u, &p));
        assert_eq!(lorenz_vector3(&u, &p), lorenz_new(&u, &p));
        assert_eq!(lorenz_array(&u, &p), lorenz_new(&u, &p));
        assert_eq!(rk4(&u, &p, 0.01), rk4_new(&u, &p, 0.01));
        let mut x = u.as_slice().to_vec();
        x.extend([10.0, 28.0, 8.0 / 3.0, 0.01]);
        let seed = V3::from_column_slice(&draws.vec(3));
        let (y1, g1) = step_gradient(rk4_vjp::<f64>, &x, &seed);
        let (y2, g2) = step_gradient(rk4_array_vjp::<f64>, &x, &seed);
        let (y3, g3) = step_gradient(rk4_new_vjp::<f64>, &x, &seed);
        assert_eq!((y1, &g1), (y2, &g2));
        assert_eq!(y1, y3);
        for (a, b) in g1.iter().zip(&g3) {
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * a.abs(),
                "{a:e} vs {b:e}"
            );
        }
        sums_reordered += usize::from(g1 != g3);
        let d = V3::from_column_slice(&draws.vec(3));
        let dp = params(&draws.vec(3));
        let (a, ta) = rk4_jvp(&u, &d, &p, &dp, 0.01, 0.5);
        let (b, tb) = rk4_new_jvp(&u, &d, &p, &dp, 0.01, 0.5);
        let (c, tc) = rk4_array_jvp(&u, &d, &p, &dp, 0.01, 0.5);
        assert_eq!((a, ta), (b, tb));
        assert_eq!((a, ta), (c, tc));
    }
    // The comparison with `new` is not vacuous: some gradients differ in their last bits.
    println!("gradients differing from `new`'s in their last bits: {sums_reordered} of 8");
}

#[test]
fn the_rk4_step_of_the_element_written_rhs_passes_the_three_checks() {
    let f = |x: &[f64]| {
        rk4(&V3::from_column_slice(&x[..3]), &params(&x[3..6]), x[6])
            .as_slice()
            .to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (y, t) = rk4_jvp(
            &V3::from_column_slice(&x[..3]),
            &V3::from_column_slice(&d[..3]),
            &params(&x[3..6]),
            &params(&d[3..6]),
            x[6],
            d[6],
        );
        (y.as_slice().to_vec(), t.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (y, g) = step_gradient(rk4_vjp::<f64>, x, &V3::from_column_slice(y_bar));
        (y.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "rk4 of the element-written rhs",
        inputs: 7,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01], 12);
    check(&case, &[-2.0, 0.5, 20.0, 9.0, 30.0, 2.0, 0.02], 13);
}
