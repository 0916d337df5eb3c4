//! Struct values the way users write them: `_grad` of functions that pass a struct whole to an
//! annotated call and of methods calling methods of `self`. Every derivative is proved three
//! ways (central finite differences, the dot-product test, tangent against adjoint), and the
//! gradients' Hessian-vector products at dual numbers against differences of gradients and for
//! symmetry. Field and local names are adversarial (`result`, `x_bar`, `value`).

mod common;

use common::{assert_close, check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

/// Parameters whose field names are the generated code's words.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Spring {
    result: f64,
    x_bar: f64,
    value: f64,
}

/// A callee taking the struct whole.
#[differentiable]
fn restoring(x: f64, s: &Spring) -> f64 {
    let result = s.result * x + s.x_bar * x * x * x;
    result / s.value
}

/// Passes `s` whole to `restoring` in a loop and reads its fields itself: the `_grad` of the
/// function gathers both into one struct.
#[differentiable]
fn settle(x0: f64, s: &Spring, x_bar: f64) -> f64 {
    let mut x = x0;
    let mut result = 0.0;
    for _ in 0..4 {
        let value = restoring(x, s);
        x -= 0.1 * value;
        result += value * value + s.value * x_bar;
    }
    result + s.x_bar * x
}

fn spring_from(v: &[f64]) -> Spring {
    Spring {
        result: v[0],
        x_bar: v[1],
        value: v[2],
    }
}

/// The inputs of `settle` in order: `x0`, the spring's reals, `x_bar`.
const S: [f64; 5] = [0.7, 1.3, 0.2, 1.9, -0.4];

fn settle_grad_of(x: &[f64]) -> (f64, Vec<f64>) {
    let (value, (x0_bar, s_bar, x_bar_bar)) = settle_grad(x[0], &spring_from(&x[1..4]), x[4]);
    let mut g = vec![x0_bar];
    g.extend(s_bar.to_reals());
    g.push(x_bar_bar);
    (value, g)
}

#[test]
fn the_gradient_of_a_function_passing_a_struct_whole() {
    let f = |x: &[f64]| vec![settle(x[0], &spring_from(&x[1..4]), x[4])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (s, s_dot) = (spring_from(&x[1..4]), spring_from(&d[1..4]));
        let (v, t) = settle_jvp(x[0], d[0], &s, &s_dot, x[4], d[4]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (v, g) = settle_grad_of(x);
        (vec![v], g.iter().map(|g| g * w[0]).collect())
    };
    let case = Case {
        name: "settle_grad(x0, s: &Spring, x_bar) calling restoring(x, s)",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &S, 31);
    // The gradient is the reverse companion with a unit seed.
    let s = spring_from(&S[1..4]);
    let mut s_bar = s.zero_like();
    let (mut x0_bar, mut x_bar_bar) = (0.0, 0.0);
    let v = settle_vjp(S[0], &mut x0_bar, &s, &mut s_bar, S[4], &mut x_bar_bar, 1.0);
    let (value, g) = settle_grad_of(&S);
    assert_eq!(value, v);
    let mut from_vjp = vec![x0_bar];
    from_vjp.extend(s_bar.to_reals());
    from_vjp.push(x_bar_bar);
    assert_eq!(g, from_vjp);
    // Hessian-vector products: the gradient at dual numbers.
    let mut draws = Draws::new(32);
    let (u, w) = (draws.vec(5), draws.vec(5));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(S[k], [dir[k]]);
        let s = Spring::<Dual<f64, 1>> {
            result: d(1),
            x_bar: d(2),
            value: d(3),
        };
        let (_, (a, s_bar, b)) = settle_grad(d(0), &s, d(4));
        let mut out = vec![a.tangents[0]];
        out.extend(s_bar.to_reals().iter().map(|v| v.tangents[0]));
        out.push(b.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&settle_grad_of(x).1);
    let report = check_hvp(gradient, &S, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// A damped oscillator whose methods call each other, with adversarial field names.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Oscillator {
    result: f64,
    x_bar: f64,
    m: f64,
}

impl Oscillator {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.result * x * (1.0 + 0.1 * x * x)
    }

    #[differentiable]
    fn accel(&self, x: f64, v: f64) -> f64 {
        (self.force(x) - self.x_bar * v) / self.m
    }

    /// A method calling a method calling a method, with `self` passed to a free function.
    #[differentiable]
    fn energy(&self, x_bar: &[f64], h: f64) -> f64 {
        let mut result = [x_bar[0], x_bar[1]];
        for _ in 0..4 {
            let value = self.accel(result[0], result[1]);
            result[1] += h * value;
            result[0] += h * result[1];
        }
        result[0] * result[0] + 0.5 * result[1] * result[1] + stiffness(self)
    }
}

#[differentiable]
fn stiffness(o: &Oscillator) -> f64 {
    o.result * o.result / o.m
}

fn oscillator_from(v: &[f64]) -> Oscillator {
    Oscillator {
        result: v[0],
        x_bar: v[1],
        m: v[2],
    }
}

/// The oscillator's reals, the initial state, the step.
const Y: [f64; 6] = [2.0, 0.3, 1.5, 0.8, -0.2, 0.05];

fn energy_grad_of(x: &[f64]) -> (f64, Vec<f64>) {
    let (v, (o_bar, u_bar, h_bar)) = Oscillator::energy_grad_at(&oscillator_from(x), &x[3..5], x[5]);
    let mut g = o_bar.to_reals();
    g.extend(u_bar);
    g.push(h_bar);
    (v, g)
}

#[test]
fn the_gradient_of_a_method_calling_methods_of_self() {
    let f = |x: &[f64]| vec![oscillator_from(x).energy(&x[3..5], x[5])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (o, o_dot) = (oscillator_from(x), oscillator_from(d));
        let (v, t) = Oscillator::energy_jvp_at(&o, &o_dot, &x[3..5], &d[3..5], x[5], d[5]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (v, g) = energy_grad_of(x);
        (vec![v], g.iter().map(|g| g * w[0]).collect())
    };
    let case = Case {
        name: "Oscillator::energy_grad_at(&self, x_bar, h)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Y, 33);
    let mut draws = Draws::new(34);
    let (u, w) = (draws.vec(6), draws.vec(6));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(Y[k], [dir[k]]);
        let o = Oscillator::<Dual<f64, 1>> {
            result: d(0),
            x_bar: d(1),
            m: d(2),
        };
        let (_, (o_bar, u_bar, h_bar)) = Oscillator::energy_grad_at(&o, &[d(3), d(4)], d(5));
        let mut out: Vec<f64> = o_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.extend(u_bar.iter().map(|v| v.tangents[0]));
        out.push(h_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&energy_grad_of(x).1);
    let report = check_hvp(gradient, &Y, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
    // The method form: `self` lifted to the scalar type, its gradient still returned.
    let o = oscillator_from(&Y);
    let (v, (self_bar, u_bar, _)) = o.energy_grad(&Y[3..5], Y[5]);
    let (value, g) = energy_grad_of(&Y);
    assert_eq!(v, value);
    assert_close(self_bar.result, g[0], 1e-15, "d energy / d result");
    assert_close(u_bar[1], g[4], 1e-15, "d energy / d x_bar[1]");
}
