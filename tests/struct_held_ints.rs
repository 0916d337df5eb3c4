//! Integer and bool fields of structs an annotated caller holds as its reals (a struct taken
//! from a call, or a literal assigned one): read as a loop bound, a condition, a cast, bound
//! with their type, passed on whole to annotated functions and methods. They are held in slots
//! beside the reals, copied and never differentiated. Every derivative is proved three ways
//! (central finite differences, the dot-product test, tangent against adjoint), the gradients'
//! Hessian-vector products at dual numbers against differences of gradients and for symmetry.
//! Names are adversarial (`result`, `x_bar`, `__adj0`).

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Model {
    dt: f64,
    steps: usize,
    periodic: bool,
    x: [f64; 3],
    shift: i32,
}

#[differentiable]
fn step(m: &Model, h: f64) -> Model {
    Model {
        dt: m.dt * (1.0 + h),
        steps: m.steps + 1,
        periodic: m.periodic,
        x: [
            m.x[0] + h * m.x[1],
            m.x[1] - h * m.x[0] * m.dt,
            m.x[2] * (1.0 - h),
        ],
        shift: m.shift,
    }
}

#[differentiable]
fn energy(m: &Model) -> f64 {
    let mut e = 0.0;
    for i in 0..3 {
        e += m.x[i] * m.x[i];
    }
    if m.periodic {
        e *= 2.0;
    }
    e * m.steps as f64
}

impl Model {
    #[differentiable]
    fn spread(&self, c: f64) -> f64 {
        let mut result = 0.0;
        for i in 0..self.steps {
            result += c * self.x[i % 3];
        }
        result
    }
}

/// A struct taken from a call: its integer and bool fields read, the struct passed on.
#[differentiable]
fn run(m: &Model, h: f64) -> f64 {
    let x_bar = step(m, h);
    let mut result = 0.0;
    for i in 0..x_bar.steps {
        result += x_bar.x[i % 3] * x_bar.dt;
    }
    if x_bar.periodic && result > -1e9 {
        result += x_bar.x[0];
    }
    if !x_bar.periodic {
        result -= x_bar.x[1];
    }
    let n: usize = x_bar.steps;
    for k in 1..x_bar.steps - 1 {
        result += 0.5 * x_bar.x[(k + 1) % 3];
    }
    result += x_bar.x[x_bar.steps % 3] * h;
    let __adj0 = step(&x_bar, h);
    result * __adj0.x[1]
        + energy(&__adj0)
        + x_bar.steps as f64 * __adj0.dt
        + n as f64 * x_bar.shift as f64
        + __adj0.spread(h)
}

/// A literal with integer and bool fields, stepped in a loop.
#[differentiable]
fn looped(a: f64, h: f64) -> f64 {
    let mut s = Model {
        dt: h,
        steps: 2,
        periodic: true,
        x: [a, 2.0 * a, a * a],
        shift: -3,
    };
    for _ in 0..3 {
        s = step(&s, h);
    }
    let mut result = s.x[0];
    for k in 0..s.steps {
        result += s.x[k % 3] * h;
    }
    if s.periodic {
        result *= 1.5;
    }
    result + energy(&s) * s.shift as f64
}

macro_rules! held_by_macro {
    ($name:ident, $field:ident) => {
        /// A caller written by a macro reading the held struct's integer field.
        #[differentiable]
        fn $name(m: &Model, h: f64) -> f64 {
            let m2 = step(m, h);
            let mut acc = 0.0;
            for i in 0..m2.$field {
                acc += m2.x[i % 3];
            }
            acc * energy(&m2)
        }
    };
}

held_by_macro!(by_macro, steps);

fn model<S: Copy>(v: &[S], steps: usize, periodic: bool, shift: i32) -> Model<S> {
    Model {
        dt: v[0],
        steps,
        periodic,
        x: [v[1], v[2], v[3]],
        shift,
    }
}

const MH: [f64; 5] = [0.3, 1.2, -0.5, 0.8, 0.05];

type F = fn(&Model, f64) -> f64;
type Jvp = fn(&Model, &Model, f64, f64) -> (f64, f64);
type Vjp = fn(&Model, &mut Model, f64, &mut f64, f64) -> f64;
type Grad<S> = fn(&Model<S>, S) -> (S, (Model<S>, S));

fn checks(
    name: &str,
    (f, jvp, vjp): (F, Jvp, Vjp),
    (grad, dual): (Grad<f64>, Grad<Dual<f64, 1>>),
    (steps, periodic, shift): (usize, bool, i32),
    seed: u64,
) {
    let value = |x: &[f64]| vec![f(&model(x, steps, periodic, shift), x[4])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (
            model(x, steps, periodic, shift),
            model(d, steps, periodic, shift),
        );
        let (v, t) = jvp(&m, &m_dot, x[4], d[4]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let m = model(x, steps, periodic, shift);
        let (mut m_bar, mut h_bar) = (m.zero_like(), 0.0);
        let v = vjp(&m, &mut m_bar, x[4], &mut h_bar, w[0]);
        // The integer and bool fields of the adjoint are the value's.
        assert_eq!((m_bar.steps, m_bar.periodic), (steps, periodic));
        let mut g = m_bar.to_reals();
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name,
        inputs: 5,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &MH, seed);
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (m_bar, h_bar)) = grad(&model(x, steps, periodic, shift), x[4]);
        let mut all = m_bar.to_reals();
        all.push(h_bar);
        g.copy_from_slice(&all);
    };
    let mut draws = Draws::new(seed + 1);
    let (u, w) = (draws.vec(5), draws.vec(5));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = (0..5).map(|k| Dual::new(MH[k], [dir[k]])).collect();
        let (_, (m_bar, h_bar)) = dual(&model(&d, steps, periodic, shift), d[4]);
        let mut out: Vec<f64> = m_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.push(h_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &MH, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "{name}: H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

#[test]
fn integer_and_bool_fields_of_a_struct_taken_from_a_call() {
    for (k, ints) in [(4, true, 2), (6, false, -1), (0, true, 0)]
        .into_iter()
        .enumerate()
    {
        checks(
            "run(m, h): x_bar.steps, x_bar.periodic, step(&x_bar, h)",
            (run, run_jvp, run_vjp),
            (run_grad, run_grad),
            ints,
            61 + 2 * k as u64,
        );
    }
    // The integer and bool fields change the value: they are read, not dropped.
    let m = model(&MH, 4, true, 2);
    let other = model(&MH, 5, true, 2);
    assert_ne!(run(&m, 0.05), run(&other, 0.05));
    let flipped = model(&MH, 4, false, 2);
    assert_ne!(run(&m, 0.05), run(&flipped, 0.05));
    // The companions' values are the function's.
    assert_eq!(run_grad(&m, 0.05).0, run(&m, 0.05));
    assert_eq!(run_jvp(&m, &m.zero_like(), 0.05, 0.0).0, run(&m, 0.05));
}

#[test]
fn a_literal_with_integer_and_bool_fields_stepped_in_a_loop() {
    let f = |x: &[f64]| vec![looped(x[0], x[1])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = looped_jvp(x[0], d[0], x[1], d[1]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = looped_vjp(x[0], &mut a, x[1], &mut b, w[0]);
        (vec![v], vec![a, b])
    };
    let case = Case {
        name: "looped(a, h): Model { steps: 2, periodic: true, .. } stepped",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    let x = [0.7, 0.1];
    check(&case, &x, 67);
    assert_eq!(looped_grad(x[0], x[1]).0, looped(x[0], x[1]));
    let mut draws = Draws::new(68);
    let (u, w) = (draws.vec(2), draws.vec(2));
    let hvp = |dir: &[f64]| {
        let (_, (a, b)) = looped_grad(Dual::new(x[0], [dir[0]]), Dual::new(x[1], [dir[1]]));
        vec![a.tangents[0], b.tangents[0]]
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (a, b)) = looped_grad(x[0], x[1]);
        g.copy_from_slice(&[a, b]);
    };
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "looped H v");
}

#[test]
fn a_macro_rules_caller_reading_an_integer_field() {
    checks(
        "by_macro(m, h): 0..m2.steps",
        (by_macro, by_macro_jvp, by_macro_vjp),
        (by_macro_grad, by_macro_grad),
        (3, false, 1),
        71,
    );
}
