//! A `&mut` struct passed whole to an annotated call while the caller uses its fields too
//! (`inner(s, h); s.x[1] *= 0.5;`), and a `&mut self` method using fields of `self` that calls
//! methods of `self` (`self.x[0] += self.force(v);`, `let k = self.rhs(&self.x);`,
//! `self.kick(h); self.drift(h);`): the struct is held as its reals in the flattened function
//! (`structs/reals.rs`). Each derivative is proved three ways (central finite differences, the
//! dot-product test, tangent against adjoint), a scalar result has its Hessian-vector product
//! at dual numbers checked against differences of gradients, names are adversarial (`result`,
//! `x_bar`, `__adj0`), one caller is made by `macro_rules!`, and each model equals to the bit
//! the same model written with fields only.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 2],
    t: f64,
}

/// A step in place, called with the caller's `&mut State`.
#[differentiable]
fn inner(s: &mut State, h: f64) {
    s.x[0] += h * s.x[1].sin();
    s.t += h;
}

/// Reads a state: `&*s` passed to it.
#[differentiable]
fn energy(s: &State) -> f64 {
    0.5 * (s.x[0] * s.x[0] + s.x[1] * s.x[1]) + 0.1 * s.t
}

/// The caller passes `s` whole and uses its fields around the calls.
#[differentiable]
fn outer(s: &mut State, h: f64) {
    inner(s, h);
    s.x[1] *= 0.5 + 0.1 * s.x[0];
    let e = energy(&*s);
    inner(&mut *s, e * h);
    s.t += s.x[1] * h;
}

/// The same model with fields only (the callees written out).
#[differentiable]
fn outer_fields(s: &mut State, h: f64) {
    s.x[0] += h * s.x[1].sin();
    s.t += h;
    s.x[1] *= 0.5 + 0.1 * s.x[0];
    let e = 0.5 * (s.x[0] * s.x[0] + s.x[1] * s.x[1]) + 0.1 * s.t;
    let g = e * h;
    s.x[0] += g * s.x[1].sin();
    s.t += g;
    s.t += s.x[1] * h;
}

/// Adversarial names: the struct named `result`, locals named as generated ones.
#[differentiable]
fn adversarial(result: &mut State, x_bar: f64) {
    let __adj0 = result.x[0] * x_bar;
    let result_reals = __adj0 * 0.5;
    inner(result, __adj0);
    result.x[1] -= result_reals * result.t;
}

/// A struct result of the state beside the state passed whole and its fields.
#[differentiable]
fn advanced(s: &State, h: f64) -> State {
    State {
        x: [s.x[0] + h * s.x[1], s.x[1] * s.x[0].cos()],
        t: s.t + h,
    }
}

#[differentiable]
fn blended(s: &mut State, h: f64) {
    let s2 = advanced(&*s, h);
    inner(s, h);
    s.x[1] += 0.5 * s2.x[0] * s.t;
}

macro_rules! stepper {
    ($name:ident, $factor:expr) => {
        #[differentiable]
        fn $name(s: &mut State, h: f64) {
            s.x[0] *= $factor;
            inner(s, h);
            s.x[1] += s.x[0] * h;
        }
    };
}

stepper!(from_a_macro, 0.9);

fn state_from(v: &[f64]) -> State {
    State {
        x: [v[0], v[1]],
        t: v[2],
    }
}

/// The three checks of an in-place step `(s, h)` of `State`, at `x = (s, h)`.
fn check_step(
    name: &str,
    f: fn(&mut State, f64),
    jvp: fn(&mut State, &mut State, f64, f64),
    vjp: fn(&mut State, &mut State, f64, &mut f64),
    seed: u64,
) {
    let value = |x: &[f64]| {
        let mut s = state_from(x);
        f(&mut s, x[3]);
        s.to_reals()
    };
    let tangent = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        jvp(&mut s, &mut s_dot, x[3], d[3]);
        (s.to_reals(), s_dot.to_reals())
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let (mut s, mut s_bar) = (state_from(x), state_from(w));
        let mut h_bar = 0.0;
        vjp(&mut s, &mut s_bar, x[3], &mut h_bar);
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        (s.to_reals(), g)
    };
    let case = Case {
        name,
        inputs: 4,
        outputs: 3,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &[0.7, -0.4, 0.2, 0.3], seed);
    check(&case, &[-1.1, 0.9, 1.5, 0.05], seed + 1);
}

#[test]
fn a_mut_struct_passed_whole_beside_its_fields() {
    check_step("outer(s, h)", outer, outer_jvp, outer_vjp, 10);
    check_step(
        "adversarial(result, x_bar)",
        adversarial,
        adversarial_jvp,
        adversarial_vjp,
        20,
    );
    check_step("blended(s, h)", blended, blended_jvp, blended_vjp, 25);
    check_step(
        "from_a_macro(s, h)",
        from_a_macro,
        from_a_macro_jvp,
        from_a_macro_vjp,
        30,
    );
}

#[test]
fn a_mut_struct_passed_whole_equals_the_fields_model_to_the_bit() {
    let x = [0.7, -0.4, 0.2, 0.3];
    let d = [0.3, 0.1, -0.2, 0.5];
    let (mut a, mut b) = (state_from(&x), state_from(&x));
    outer(&mut a, x[3]);
    outer_fields(&mut b, x[3]);
    assert_eq!(a, b);
    let (mut a, mut a_dot, mut b, mut b_dot) = (
        state_from(&x),
        state_from(&d),
        state_from(&x),
        state_from(&d),
    );
    outer_jvp(&mut a, &mut a_dot, x[3], d[3]);
    outer_fields_jvp(&mut b, &mut b_dot, x[3], d[3]);
    assert_eq!((a, a_dot), (b, b_dot));
    let (mut a, mut a_bar, mut b, mut b_bar) = (
        state_from(&x),
        state_from(&d),
        state_from(&x),
        state_from(&d),
    );
    let (mut ha, mut hb) = (0.0, 0.0);
    outer_vjp(&mut a, &mut a_bar, x[3], &mut ha);
    outer_fields_vjp(&mut b, &mut b_bar, x[3], &mut hb);
    assert_eq!((a, a_bar), (b, b_bar));
    assert_eq!(ha.to_bits(), hb.to_bits());
}

/// A spring whose `&mut self` methods use its fields and call methods of `self`.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Spring {
    k: f64,
    x: [f64; 2],
}

impl Spring {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.k * x
    }

    #[differentiable]
    fn rhs(&self, x: &[f64]) -> f64 {
        self.k * x[0] * x[1]
    }

    #[differentiable]
    fn kick(&mut self, h: f64) {
        self.x[1] += h * self.force(self.x[0].sin());
    }

    #[differentiable]
    fn drift(&mut self, h: f64) {
        self.x[0] += h * self.x[1];
    }

    /// Fields of `self` beside `&self` and `&mut self` methods of `self`.
    #[differentiable]
    fn step(&mut self, h: f64) {
        self.x[0] += self.force(h);
        let k = self.rhs(&self.x);
        self.kick(h);
        self.drift(h);
        self.x[1] *= 1.0 - k * h;
    }

    /// The same with fields only.
    #[differentiable]
    fn step_fields(&mut self, h: f64) {
        self.x[0] += -self.k * h;
        let k = self.k * self.x[0] * self.x[1];
        self.x[1] += h * (-self.k * self.x[0].sin());
        self.x[0] += h * self.x[1];
        self.x[1] *= 1.0 - k * h;
    }

    /// A scalar of the stepped state (for H v).
    #[differentiable]
    fn energy_after(&mut self, h: f64) -> f64 {
        self.step(h);
        self.x[0] * self.x[0] + self.k * self.x[1] * self.x[1]
    }
}

fn spring_from(v: &[f64]) -> Spring {
    Spring {
        k: v[0],
        x: [v[1], v[2]],
    }
}

#[test]
fn a_mut_self_method_calling_methods_of_self_beside_its_fields() {
    let f = |x: &[f64]| {
        let mut o = spring_from(x);
        o.step(x[3]);
        o.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut o, mut o_dot) = (spring_from(x), spring_from(d));
        Spring::step_jvp_at(&mut o, &mut o_dot, x[3], d[3]);
        (o.to_reals(), o_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut o, mut o_bar) = (spring_from(x), spring_from(w));
        let mut h_bar = 0.0;
        Spring::step_vjp_at(&mut o, &mut o_bar, x[3], &mut h_bar);
        let mut g = o_bar.to_reals();
        g.push(h_bar);
        (o.to_reals(), g)
    };
    let case = Case {
        name: "Spring::step(&mut self, h) calling force, rhs, kick, drift",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.4, -0.3, 0.1], 40);
    check(&case, &[0.5, -1.2, 0.8, 0.25], 41);
}

#[test]
fn a_mut_self_method_equals_the_fields_method_to_the_bit() {
    let x = [2.0, 0.4, -0.3, 0.1];
    let d = [0.3, -0.7, 0.2, 0.4];
    let (mut a, mut b) = (spring_from(&x), spring_from(&x));
    a.step(x[3]);
    b.step_fields(x[3]);
    assert_eq!(a, b);
    let (mut a, mut a_dot, mut b, mut b_dot) = (
        spring_from(&x),
        spring_from(&d),
        spring_from(&x),
        spring_from(&d),
    );
    Spring::step_jvp_at(&mut a, &mut a_dot, x[3], d[3]);
    Spring::step_fields_jvp_at(&mut b, &mut b_dot, x[3], d[3]);
    assert_eq!((a, a_dot), (b, b_dot));
    let (mut a, mut a_bar, mut b, mut b_bar) = (
        spring_from(&x),
        spring_from(&d),
        spring_from(&x),
        spring_from(&d),
    );
    let (mut ha, mut hb) = (0.0, 0.0);
    Spring::step_vjp_at(&mut a, &mut a_bar, x[3], &mut ha);
    Spring::step_fields_vjp_at(&mut b, &mut b_bar, x[3], &mut hb);
    assert_eq!((a, a_bar), (b, b_bar));
    assert_eq!(ha.to_bits(), hb.to_bits());
}

/// The gradient of `energy_after` in `(k, x, h)`.
fn energy_gradient(x: &[f64], g: &mut [f64]) {
    let mut o = spring_from(x);
    let mut o_bar = o.zero_like();
    let mut h_bar = 0.0;
    Spring::energy_after_vjp_at(&mut o, &mut o_bar, x[3], &mut h_bar, 1.0);
    let mut all = o_bar.to_reals();
    all.push(h_bar);
    g.copy_from_slice(&all);
}

#[test]
fn hessian_vector_product_of_a_mut_self_method_at_dual_numbers() {
    let x = [2.0, 0.4, -0.3, 0.1];
    let mut draws = common::Draws::new(50);
    let (u, w) = (draws.vec(4), draws.vec(4));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = x
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let mut o: Spring<Dual<f64, 1>> = spring_from(&x).lift();
        o.set_reals(&z[..3]).expect("three reals");
        let mut o_bar = o.zero_like();
        let mut h_bar = Dual::constant(0.0);
        Spring::energy_after_vjp_at(&mut o, &mut o_bar, z[3], &mut h_bar, Dual::constant(1.0));
        let mut all: Vec<f64> = o_bar.to_reals().iter().map(|d| d.tangents[0]).collect();
        all.push(h_bar.tangents[0]);
        all
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(energy_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_mut_fields_and_whole");
}

/// Parameters nested in a state.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Coef {
    a: f64,
    b: f64,
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Model {
    u: [f64; 3],
    c: Coef,
}

impl Model {
    /// A `&mut self` method of the state.
    #[differentiable]
    fn relax(&mut self, h: f64) {
        for i in 0..3 {
            self.u[i] -= h * self.c.a * self.u[i];
        }
    }
}

/// A right-hand side of the state, read whole.
#[differentiable]
fn tendency(m: &Model, i: usize) -> f64 {
    m.c.b * m.u[(i + 1) % 3] - m.u[i]
}

/// A time loop with the state's method, a free function reading it whole, and its fields
/// (nested ones too) written beside them.
#[differentiable]
fn integrate(m: &mut Model, h: f64, n: usize) {
    for _ in 0..n {
        m.relax(h);
        for i in 0..3 {
            let f = tendency(&*m, i);
            m.u[i] += h * f;
        }
        m.c.b += h * m.u[0] * m.c.a;
    }
}

/// The same with fields only.
#[differentiable]
fn integrate_fields(m: &mut Model, h: f64, n: usize) {
    for _ in 0..n {
        for i in 0..3 {
            m.u[i] -= h * m.c.a * m.u[i];
        }
        for i in 0..3 {
            let f = m.c.b * m.u[(i + 1) % 3] - m.u[i];
            m.u[i] += h * f;
        }
        m.c.b += h * m.u[0] * m.c.a;
    }
}

fn model_from(v: &[f64]) -> Model {
    Model {
        u: [v[0], v[1], v[2]],
        c: Coef { a: v[3], b: v[4] },
    }
}

#[test]
fn a_time_loop_with_methods_and_nested_fields_of_a_mut_struct() {
    let n = 4;
    let f = |x: &[f64]| {
        let mut m = model_from(x);
        integrate(&mut m, x[5], n);
        m.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut m, mut m_dot) = (model_from(x), model_from(d));
        integrate_jvp(&mut m, &mut m_dot, x[5], d[5], n);
        (m.to_reals(), m_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut m, mut m_bar) = (model_from(x), model_from(w));
        let mut h_bar = 0.0;
        integrate_vjp(&mut m, &mut m_bar, x[5], &mut h_bar, n);
        let mut g = m_bar.to_reals();
        g.push(h_bar);
        (m.to_reals(), g)
    };
    let case = Case {
        name: "integrate(m: &mut Model, h, n): m.relax(h), tendency(&*m, i), m.c.b",
        inputs: 6,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, -0.3, 0.8, 0.7, 1.3, 0.05], 60);
    // Equal to the bit to the model written with fields.
    let x = [0.5, -0.3, 0.8, 0.7, 1.3, 0.05];
    let d = [0.1, 0.4, -0.2, 0.3, -0.5, 0.6];
    let (mut a, mut a_dot, mut b, mut b_dot) = (
        model_from(&x),
        model_from(&d),
        model_from(&x),
        model_from(&d),
    );
    integrate_jvp(&mut a, &mut a_dot, x[5], d[5], n);
    integrate_fields_jvp(&mut b, &mut b_dot, x[5], d[5], n);
    assert_eq!((a, a_dot), (b, b_dot));
    let (mut a, mut a_bar, mut b, mut b_bar) = (
        model_from(&x),
        model_from(&d),
        model_from(&x),
        model_from(&d),
    );
    let (mut ha, mut hb) = (0.0, 0.0);
    integrate_vjp(&mut a, &mut a_bar, x[5], &mut ha, n);
    integrate_fields_vjp(&mut b, &mut b_bar, x[5], &mut hb, n);
    assert_eq!((a, a_bar), (b, b_bar));
    // `relax` adds its terms of `h_bar` as one sum of its own: the same terms, another
    // association (the last bit may differ).
    common::assert_close(ha, hb, 1e-14, "h_bar of integrate against the fields model");
}

/// A free function stepping a spring in place.
#[differentiable]
fn damp(s: &mut Spring, h: f64) {
    s.x[1] -= h * s.k * s.x[1];
}

impl Spring {
    /// `self` passed whole to a free function beside its fields.
    #[differentiable]
    fn damped(&mut self, h: f64) {
        damp(self, h);
        self.x[0] += h * self.x[1];
    }
}

#[test]
fn a_mut_self_method_passing_self_to_a_free_function() {
    let f = |x: &[f64]| {
        let mut o = spring_from(x);
        o.damped(x[3]);
        o.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut o, mut o_dot) = (spring_from(x), spring_from(d));
        Spring::damped_jvp_at(&mut o, &mut o_dot, x[3], d[3]);
        (o.to_reals(), o_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut o, mut o_bar) = (spring_from(x), spring_from(w));
        let mut h_bar = 0.0;
        Spring::damped_vjp_at(&mut o, &mut o_bar, x[3], &mut h_bar);
        let mut g = o_bar.to_reals();
        g.push(h_bar);
        (o.to_reals(), g)
    };
    let case = Case {
        name: "Spring::damped(&mut self, h) calling damp(self, h)",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.4, -0.3, 0.1], 70);
}

/// A struct with integer and bool fields passed whole beside its fields (held as its reals with
/// the integers in slots after them; the UI case that refused it once compiled and panicked in
/// the companions when the merge of integer slots let it through).
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Counted {
    x: [f64; 2],
    n: usize,
    on: bool,
}

#[differentiable]
fn counted_inner(s: &mut Counted, h: f64) {
    if s.on {
        s.x[0] += h * s.x[1] * s.n as f64;
    }
}

#[differentiable]
fn counted_outer(s: &mut Counted, h: f64) {
    counted_inner(s, h);
    s.x[1] *= 0.5 + s.x[0];
}

/// The same with the callee's body written in place.
#[differentiable]
fn counted_fields(s: &mut Counted, h: f64) {
    if s.on {
        s.x[0] += h * s.x[1] * s.n as f64;
    }
    s.x[1] *= 0.5 + s.x[0];
}

#[test]
fn a_mut_struct_with_integer_fields_passed_whole_beside_its_fields() {
    let make = |v: &[f64]| Counted {
        x: [v[0], v[1]],
        n: 3,
        on: true,
    };
    let value = |x: &[f64]| {
        let mut s = make(x);
        counted_outer(&mut s, x[2]);
        s.x.to_vec()
    };
    let tangent = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (make(x), make(d));
        counted_outer_jvp(&mut s, &mut s_dot, x[2], d[2]);
        (s.x.to_vec(), s_dot.x.to_vec())
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let (mut s, mut s_bar) = (make(x), make(w));
        let mut h_bar = 0.0;
        counted_outer_vjp(&mut s, &mut s_bar, x[2], &mut h_bar);
        (s.x.to_vec(), vec![s_bar.x[0], s_bar.x[1], h_bar])
    };
    let case = Case {
        name: "counted_outer(s, h)",
        inputs: 3,
        outputs: 2,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &[1.0, 2.0, 0.1], 40);
    // By hand at x = (1, 2), h = 0.1, n = 3: x0' = 1.6, x1' = 2 (0.5 + x0') = 4.2; the adjoint of
    // x1' is (x1, 0.5 + x0' + x1 h n, x1 x1 n) = (2, 2.7, 12).
    let (mut s, mut s_bar, mut h_bar) = (make(&[1.0, 2.0]), make(&[0.0, 1.0]), 0.0);
    counted_outer_vjp(&mut s, &mut s_bar, 0.1, &mut h_bar);
    assert_eq!(s.x, [1.6, 4.2]);
    assert!((s_bar.x[0] - 2.0).abs() < 1e-15 && (s_bar.x[1] - 2.7).abs() < 1e-15);
    assert!((h_bar - 12.0).abs() < 1e-14);
    // Equal to the bit to the fields-only model, the integer fields kept.
    let (mut a, mut b) = (make(&[0.7, -0.4]), make(&[0.7, -0.4]));
    let (mut ab, mut bb) = (make(&[0.3, 0.9]), make(&[0.3, 0.9]));
    let (mut ha, mut hb) = (0.0, 0.0);
    counted_outer_vjp(&mut a, &mut ab, 0.2, &mut ha);
    counted_fields_vjp(&mut b, &mut bb, 0.2, &mut hb);
    assert_eq!((a, ab, ha), (b, bb, hb));
}
