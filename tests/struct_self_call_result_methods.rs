//! The result of a struct-result method of `self` used through its own methods without its
//! type written: `let k1 = self.rhs(s); k1.norm2() + k1.x`. The caller holds it at the type of
//! the struct parameters the call passes (`s: &State`), which rustc checks is the result's
//! (`ResultIs`). Every derivative is proved three ways (central finite differences, the
//! dot-product test, tangent against adjoint) and by Hessian-vector products at dual numbers
//! against differences of gradients and for symmetry; each method equals to the bit the same
//! method with the result's type written. Names are adversarial (`x_bar`, `__adj0`, a field
//! `result`), and one caller is written by `macro_rules!`.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    y: f64,
    result: f64,
}

impl State {
    #[differentiable]
    fn norm2(&self) -> f64 {
        self.x * self.x + self.y * self.y + self.result * self.x
    }

    #[differentiable]
    fn weighted(&self, w: f64) -> f64 {
        w * self.x.sin() + self.y * self.result
    }
}

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Model {
    a: f64,
    b: f64,
}

impl Model {
    #[differentiable]
    fn rhs(&self, s: &State) -> State {
        State {
            x: self.a * s.y,
            y: -s.x * self.b,
            result: s.x * s.y + s.result,
        }
    }

    /// The result's methods called, its fields read, its type not written.
    #[differentiable]
    fn energy(&self, s: &State) -> f64 {
        let k1 = self.rhs(s);
        k1.norm2() + k1.x
    }

    /// `energy` with the result's type written.
    #[differentiable]
    fn energy_typed(&self, s: &State) -> f64 {
        let k1: State = self.rhs(s);
        k1.norm2() + k1.x
    }

    /// Two results, a method with an argument bound first, adversarial names.
    #[differentiable]
    fn stepped(&self, s: &State, h: f64) -> f64 {
        let x_bar = self.rhs(s);
        let __adj0 = x_bar.weighted(h);
        let k2 = self.rhs(s);
        __adj0 * h + x_bar.y * k2.norm2()
    }

    /// `stepped` with the results' types written.
    #[differentiable]
    fn stepped_typed(&self, s: &State, h: f64) -> f64 {
        let x_bar: State = self.rhs(s);
        let __adj0 = x_bar.weighted(h);
        let k2: State = self.rhs(s);
        __adj0 * h + x_bar.y * k2.norm2()
    }
}

impl Model {
    /// A midpoint step's second stage taken from a literal local, both stages' methods called.
    #[differentiable]
    fn midpoint(&self, s: &State, h: f64) -> f64 {
        let k1 = self.rhs(s);
        let y1 = State {
            x: s.x + 0.5 * h * k1.x,
            y: s.y + 0.5 * h * k1.y,
            result: s.result + 0.5 * h * k1.result,
        };
        let k2 = self.rhs(&y1);
        k2.norm2() + k1.weighted(h) * k2.result
    }

    /// `midpoint` with the results' types written.
    #[differentiable]
    fn midpoint_typed(&self, s: &State, h: f64) -> f64 {
        let k1: State = self.rhs(s);
        let y1 = State {
            x: s.x + 0.5 * h * k1.x,
            y: s.y + 0.5 * h * k1.y,
            result: s.result + 0.5 * h * k1.result,
        };
        let k2: State = self.rhs(&y1);
        k2.norm2() + k1.weighted(h) * k2.result
    }
}

macro_rules! energy_by_macro {
    ($name:ident, $k:ident) => {
        impl Model {
            /// A caller written by a macro.
            #[differentiable]
            fn $name(&self, s: &State, h: f64) -> f64 {
                let $k = self.rhs(s);
                $k.norm2() * s.x + $k.weighted(h)
            }
        }
    };
}

energy_by_macro!(by_macro, result);

impl Model {
    /// `by_macro` written out, the type written.
    #[differentiable]
    fn by_macro_typed(&self, s: &State, h: f64) -> f64 {
        let result: State = self.rhs(s);
        result.norm2() * s.x + result.weighted(h)
    }
}

fn model(x: &[f64]) -> Model {
    Model { a: x[0], b: x[1] }
}

fn state(x: &[f64]) -> State {
    State {
        x: x[2],
        y: x[3],
        result: x[4],
    }
}

fn at<T: Copy>(x: &[T]) -> (Model<T>, State<T>) {
    (
        Model { a: x[0], b: x[1] },
        State {
            x: x[2],
            y: x[3],
            result: x[4],
        },
    )
}

const X: [f64; 6] = [0.8, -1.3, 0.6, 0.45, -0.9, 0.3];

type D = Dual<f64, 1>;

/// The three checks, bit-equality to the typed form, and H v at dual numbers, of a method
/// `m.$f(&s, ..)` of the inputs (a, b, x, y, result, extra...).
macro_rules! prove {
    ($name:expr, $n:expr, $seed:expr, $f:ident, $jvp:ident, $vjp:ident, $vjp_at:ident,
     $typed:ident, $typed_vjp:ident; $($h:ident),*) => {{
        let f = |x: &[f64]| {
            let (m, s) = at(x);
            $(let $h = x[5];)*
            vec![m.$f(&s $(, $h)*)]
        };
        let jvp = |x: &[f64], d: &[f64]| {
            let (m, s) = at(x);
            let (m_dot, s_dot) = at(d);
            $(let $h = (x[5], d[5]);)*
            let (v, t) = m.$jvp(&m_dot, &s, &s_dot $(, $h.0, $h.1)*);
            (vec![v], vec![t])
        };
        let grad = |x: &[f64], w: f64| {
            let (m, s) = at(x);
            let (mut m_bar, mut s_bar) = at(&[0.0; 5]);
            let mut g = Vec::new();
            $(let $h = x[5]; let mut h_bar = 0.0;)*
            let v = m.$vjp(&mut m_bar, &s, &mut s_bar $(, $h, &mut h_bar)*, w);
            g.extend([m_bar.a, m_bar.b, s_bar.x, s_bar.y, s_bar.result]);
            $(let _ = $h; g.push(h_bar);)*
            (v, g)
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let (v, g) = grad(x, w[0]);
            (vec![v], g)
        };
        let case = Case { name: $name, inputs: $n, outputs: 1, f: &f, jvp: &jvp, vjp: &vjp };
        let x = &X[..$n];
        check(&case, x, $seed);
        // Equal to the bit to the method with the result's type written.
        let (m, s) = at(x);
        $(let $h = x[5];)*
        assert_eq!(m.$f(&s $(, $h)*), m.$typed(&s $(, $h)*), "{}: value", $name);
        let (mut m1, mut s1) = at(&[0.0; 5]);
        let (mut m2, mut s2) = at(&[0.0; 5]);
        $(let _ = $h; let mut h1 = 0.0; let mut h2 = 0.0;)*
        let v1 = m.$vjp(&mut m1, &s, &mut s1 $(, $h, &mut h1)*, 1.0);
        let v2 = m.$typed_vjp(&mut m2, &s, &mut s2 $(, $h, &mut h2)*, 1.0);
        assert_eq!((v1, m1, s1), (v2, m2, s2), "{}: gradient", $name);
        $(assert_eq!(h1, h2, "{}: gradient in {}", $name, stringify!($h));)*
        // H v at dual numbers against differences of gradients.
        let mut draws = Draws::new($seed + 1);
        let (u, w) = (draws.vec($n), draws.vec($n));
        let hvp = |dir: &[f64]| -> Vec<f64> {
            let z: Vec<D> = (0..$n).map(|i| Dual::new(x[i], [dir[i]])).collect();
            let (m, s) = at(&z);
            let zero = [Dual::constant(0.0); 5];
            let (mut m_bar, mut s_bar) = at(&zero);
            let mut g = Vec::new();
            $(let $h = z[5]; let mut h_bar = Dual::constant(0.0);)*
            Model::$vjp_at(&m, &mut m_bar, &s, &mut s_bar $(, $h, &mut h_bar)*, Dual::constant(1.0));
            g.extend([m_bar.a, m_bar.b, s_bar.x, s_bar.y, s_bar.result]);
            $(let _ = $h; g.push(h_bar);)*
            g.iter().map(|d: &D| d.tangents[0]).collect()
        };
        let (hu, hw) = (hvp(&u), hvp(&w));
        let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&grad(x, 1.0).1);
        let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
        common::assert_hvp(&report, $name);
    }};
}

#[test]
fn a_self_call_result_whose_methods_are_called_untyped() {
    prove!(
        "energy: let k1 = self.rhs(s); k1.norm2() + k1.x",
        5, 101, energy, energy_jvp, energy_vjp, energy_vjp_at, energy_typed, energy_typed_vjp;
    );
    let x = [1.0, 2.0, 0.5, -1.5, 0.25];
    assert_eq!(model(&x).energy(&state(&x)), {
        let k1 = model(&x).rhs(&state(&x));
        k1.norm2() + k1.x
    });
}

#[test]
fn two_self_call_results_with_adversarial_names() {
    prove!(
        "stepped: let x_bar = self.rhs(s); x_bar.weighted(h); let k2 = self.rhs(s); k2.norm2()",
        6, 103, stepped, stepped_jvp, stepped_vjp, stepped_vjp_at, stepped_typed,
        stepped_typed_vjp; h
    );
}

#[test]
fn a_macro_rules_caller_with_a_result_named_result() {
    prove!(
        "by_macro: let result = self.rhs(s); result.norm2() * s.x + result.weighted(h)",
        6, 107, by_macro, by_macro_jvp, by_macro_vjp, by_macro_vjp_at, by_macro_typed,
        by_macro_typed_vjp; h
    );
}

#[test]
fn a_self_call_passed_a_struct_literal_local() {
    prove!(
        "midpoint: let k2 = self.rhs(&y1) with let y1 = State { .. }; k2.norm2()",
        6, 109, midpoint, midpoint_jvp, midpoint_vjp, midpoint_vjp_at, midpoint_typed,
        midpoint_typed_vjp; h
    );
}
