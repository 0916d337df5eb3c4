//! Struct values the way users write them: `_grad` of functions that pass a struct whole to an
//! annotated call and of methods calling methods of `self`. Every derivative is proved three
//! ways (central finite differences, the dot-product test, tangent against adjoint), and the
//! gradients' Hessian-vector products at dual numbers against differences of gradients and for
//! symmetry. Field and local names are adversarial (`result`, `x_bar`, `value`).

mod common;

use common::{assert_close, check, check_scalar, Case, Draws};
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
    let (v, (o_bar, u_bar, h_bar)) =
        Oscillator::energy_grad_at(&oscillator_from(x), &x[3..5], x[5]);
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

/// A model whose cost is differentiated only in the state (`wrt(x0)` on a `&self` method).
#[differentiable]
#[derive(Clone, Debug)]
struct Decay {
    k: f64,
    x_bar: f64,
}

impl Decay {
    #[differentiable]
    fn step(&self, x: f64, h: f64) -> f64 {
        x - h * self.k * x * (1.0 + self.x_bar * x)
    }

    /// Reads fields of `self` and passes `self` to `self.step`: `self` is differentiated inside,
    /// and its derivative left out of the companions.
    #[differentiable(wrt(x0))]
    fn misfit(&self, x0: &[f64], obs: &[f64]) -> f64 {
        let mut result = 0.0;
        for i in 0..x0.len() {
            let mut value = self.step(x0[i], 0.1);
            value -= 0.1 * self.k * value * (1.0 + self.x_bar * value);
            result += (value - obs[i]) * (value - obs[i]);
        }
        result + decay_rate(x0[0], self)
    }
}

/// A free function taking the struct whole, called with `self`.
#[differentiable]
fn decay_rate(x: f64, d: &Decay) -> f64 {
    d.k * x * x
}

/// A free function with a struct passed whole outside `wrt(..)`.
#[differentiable(wrt(x))]
fn decayed(x: f64, d: &Decay) -> f64 {
    decay_rate(x, d) * d.x_bar + x.sin()
}

#[test]
fn a_struct_passed_whole_outside_wrt_is_a_constant() {
    let d = Decay { k: 0.9, x_bar: 0.3 };
    check_scalar(
        "decayed(x, d: &Decay) with wrt(x)",
        &|x| decayed(x, &d),
        &|x, t| decayed_jvp(x, t, &d),
        &|x, x_bar, w| decayed_vjp(x, x_bar, &d, w),
        0.6,
        41,
    );
    let (v, g) = decayed_grad(0.6, &d);
    assert_eq!(v, decayed(0.6, &d));
    let mut x_bar = 0.0;
    decayed_vjp(0.6, &mut x_bar, &d, 1.0);
    assert_eq!(g, x_bar);
    // At dual numbers, the struct stays at `f64`: d/dx of the gradient.
    let (_, h) = decayed_grad(Dual::<f64, 1>::new(0.6, [1.0]), &d);
    let fd = (decayed_grad(0.6 + 1e-6, &d).1 - decayed_grad(0.6 - 1e-6, &d).1) / 2e-6;
    assert_close(h.tangents[0], fd, 1e-7, "second derivative of decayed");
}

#[test]
fn a_method_differentiated_in_its_arguments_only() {
    let model = Decay { k: 0.9, x_bar: 0.3 };
    let obs = [0.5, -0.25, 1.5];
    let x0 = [0.8, -0.1, 2.0];
    let f = |x: &[f64]| vec![model.misfit(x, &obs)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = model.misfit_jvp(x, d, &obs);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (v, g) = model.misfit_grad(x, &obs);
        (vec![v], g.iter().map(|g| g * w[0]).collect())
    };
    let case = Case {
        name: "Decay::misfit(&self, x0, obs) with wrt(x0)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x0, 35);
    // The reverse companion takes `self` at `f64` and no adjoint of it.
    let mut x0_bar = [0.0; 3];
    let v = model.misfit_vjp(&x0, &mut x0_bar, &obs, 1.0);
    let (value, g) = Decay::misfit_grad_at(&model, &x0, &obs);
    assert_eq!((v, x0_bar.to_vec()), (value, g));
    // Hessian-vector products at dual numbers, the model and the observations data at `f64`.
    let mut draws = Draws::new(36);
    let (u, w) = (draws.vec(3), draws.vec(3));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let x: Vec<Dual<f64, 1>> = (0..3).map(|k| Dual::new(x0[k], [dir[k]])).collect();
        let (_, g) = model.misfit_grad(&x, &obs);
        g.iter().map(|v| v.tangents[0]).collect()
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&model.misfit_grad(x, &obs).1);
    let report = check_hvp(gradient, &x0, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// A state held in a struct local.
#[differentiable]
#[derive(Clone, Debug)]
struct State {
    result: f64,
    x_bar: f64,
    q: [f64; 2],
}

/// A struct that is not annotated: a struct local needs no annotation.
struct Pair {
    a: f64,
    inner: Inner,
}

struct Inner {
    b: f64,
}

/// Struct locals built by literals, re-assigned a literal reading their old fields in a loop
/// (`s = State { .. }`), an array field written by index, a nested literal, and fields read in
/// a macro.
#[differentiable]
fn orbit(x0: f64, v0: f64, k: f64, h: f64) -> f64 {
    let mut s = State {
        result: x0,
        x_bar: v0,
        q: [0.0, 1.0],
    };
    for i in 0..6 {
        s = State {
            result: s.result + h * s.x_bar,
            x_bar: s.x_bar - h * k * s.result.sin(),
            q: [s.q[0] + s.result * s.result, s.q[1] * (1.0 + h * s.x_bar)],
        };
        s.q[i % 2] += 0.01 * s.x_bar;
    }
    let value = Pair {
        a: s.q[0] * k,
        inner: Inner { b: s.result },
    };
    debug_assert!(value.inner.b > -1e9);
    value.a + value.inner.b * s.q[1] + 0.5 * s.x_bar * s.x_bar
}

/// `orbit`'s inputs.
const O: [f64; 4] = [0.4, -0.3, 1.7, 0.1];

#[test]
fn struct_locals_built_and_rebuilt_by_literals() {
    let f = |x: &[f64]| vec![orbit(x[0], x[1], x[2], x[3])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = orbit_jvp(x[0], d[0], x[1], d[1], x[2], d[2], x[3], d[3]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut g = [0.0; 4];
        let [a, b, c, d] = &mut g;
        let v = orbit_vjp(x[0], a, x[1], b, x[2], c, x[3], d, w[0]);
        (vec![v], g.to_vec())
    };
    let case = Case {
        name: "orbit: let s = State { .. }; s = State { .. } in a loop",
        inputs: 4,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &O, 37);
    let (value, g) = orbit_grad(O[0], O[1], O[2], O[3]);
    assert_eq!(value, orbit(O[0], O[1], O[2], O[3]));
    let gradient = |x: &[f64], out: &mut [f64]| {
        let (_, g) = orbit_grad(x[0], x[1], x[2], x[3]);
        out.copy_from_slice(&[g.0, g.1, g.2, g.3]);
    };
    assert_close(g.0, vjp(&O, &[1.0]).1[0], 1e-15, "d orbit / d x0");
    let mut draws = Draws::new(38);
    let (u, w) = (draws.vec(4), draws.vec(4));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(O[k], [dir[k]]);
        let (_, g) = orbit_grad(d(0), d(1), d(2), d(3));
        [g.0, g.1, g.2, g.3].iter().map(|v| v.tangents[0]).collect()
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &O, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// A struct local beside a struct parameter, and shadowing it: `s.value` in the literal is the
/// parameter's field, `s.a` after the `let` the local's.
#[differentiable]
fn shadowed(s: &Spring, x: f64) -> f64 {
    let a = s.result * x;
    let s = Pair {
        a: a + s.value * x,
        inner: Inner { b: s.x_bar.cos() },
    };
    let mut result = State {
        result: s.a,
        x_bar: s.inner.b,
        q: [x, x * x],
    };
    result.q[1] *= result.result;
    result.q[0] * result.x_bar + result.q[1]
}

fn shadowed_grad_of(x: &[f64]) -> (f64, Vec<f64>) {
    let (v, (s_bar, x_bar)) = shadowed_grad(&spring_from(x), x[3]);
    let mut g = s_bar.to_reals();
    g.push(x_bar);
    (v, g)
}

#[test]
fn a_struct_local_shadows_a_struct_parameter() {
    let x = [0.9, -0.6, 1.4, 0.75];
    let f = |x: &[f64]| vec![shadowed(&spring_from(x), x[3])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = shadowed_jvp(&spring_from(x), &spring_from(d), x[3], d[3]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = spring_from(x);
        let mut s_bar = s.zero_like();
        let mut x_bar = 0.0;
        let v = shadowed_vjp(&s, &mut s_bar, x[3], &mut x_bar, w[0]);
        let mut g = s_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "shadowed(s: &Spring, x) with let s = Pair { .. }",
        inputs: 4,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 39);
    assert_eq!(shadowed_grad_of(&x).1, vjp(&x, &[1.0]).1);
    let mut draws = Draws::new(40);
    let (u, w) = (draws.vec(4), draws.vec(4));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(x[k], [dir[k]]);
        let s = Spring::<Dual<f64, 1>> {
            result: d(0),
            x_bar: d(1),
            value: d(2),
        };
        let (_, (s_bar, x_bar)) = shadowed_grad(&s, d(3));
        let mut out: Vec<f64> = s_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.push(x_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&shadowed_grad_of(x).1);
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}
