//! Data passed on to METHODS that keep it outside their own `wrt(..)`: the 4D-Var pattern of a
//! model struct, `#[differentiable(wrt(self, u))] fn misfit(&self, u: &[f64], obs: &[f64])`
//! called from another method as `self.misfit(&u, &obs[k * n..])` (the caller in `wrt(self,
//! x0)` or only `wrt(x0)`), with a real and a `&Vec<f64>` data parameter, and on a struct a
//! free function holds as its reals (`m2.misfit(&u, obs)`, `m2` returned by a call). A
//! caller cannot see its callee's `wrt(..)`: the method's hidden companions for callers
//! (`Self::__tl_p_misfit_jvp`, `__tl_m_misfit_jvp`) take a data parameter as callers send it
//! and read its `f64` value; an active argument there is refused at compile time
//! (`tests/ui/active-argument-to-method-data-parameter.rs`). Each derivative is checked three
//! ways (central differences, the dot-product test, tangent against adjoint) and by
//! Hessian-vector products at dual numbers against differences of gradients, with locals named
//! as generated code would (`obs_bar`, `result`, `__adj0`) and a `macro_rules!` caller.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

const N: usize = 4;
const STEPS: usize = 3;

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Model {
    a: f64,
    b: f64,
}

impl Model {
    /// The misfit at one time: the observations are data.
    #[differentiable(wrt(self, u))]
    fn misfit(&self, u: &[f64], obs: &[f64]) -> f64 {
        let mut result = 0.0;
        for i in 0..u.len() {
            let obs_bar = self.a * u[i] - obs[i];
            result += obs_bar * obs_bar;
        }
        result
    }

    /// A real weight and weights in a `&Vec<f64>`, both outside `wrt(..)`, named as generated
    /// adjoints are.
    #[allow(clippy::ptr_arg)] // `&Vec<f64>` parameters are part of what is tested
    #[differentiable(wrt(self, u))]
    fn weighted(&self, u: &[f64], __adj0: f64, obs_bar: &Vec<f64>) -> f64 {
        let mut s = 0.0;
        for i in 0..u.len() {
            s += __adj0 * obs_bar[i] * (self.b * u[i]).sin();
        }
        s
    }

    /// One step of the model, in place.
    #[differentiable(wrt(self, u))]
    fn advance(&self, u: &mut [f64]) {
        let n = u.len();
        let v = u.to_vec();
        for i in 0..n {
            u[i] = v[i] + self.b * (v[(i + 1) % n] * v[i]).sin();
        }
    }

    /// The cost in the model and the initial state.
    #[differentiable(wrt(self, x0))]
    fn cost(&self, x0: &[f64], obs: &[f64], weight: f64, w: &Vec<f64>) -> f64 {
        let n = x0.len();
        let mut u = x0.to_vec();
        let mut j = 0.0;
        for k in 0..STEPS {
            self.advance(&mut u);
            j += self.misfit(&u, &obs[k * n..]);
        }
        let result = 2.0 * weight;
        j + self.weighted(&u, result, w) + self.misfit(&u, obs)
    }

    /// The cost in the initial state only: the model is data in the caller too.
    #[differentiable(wrt(x0))]
    fn cost_x0(&self, x0: &[f64], obs: &[f64]) -> f64 {
        let n = x0.len();
        let mut u = x0.to_vec();
        let mut j = 0.0;
        for k in 0..STEPS {
            self.advance(&mut u);
            let obs_bar = &obs[k * n..];
            j += self.misfit(&u, obs_bar);
        }
        j
    }
}

/// The model a free function holds as its reals (returned by a call).
#[differentiable]
fn rescaled(m: &Model, c: f64) -> Model {
    Model {
        a: m.a * c,
        b: m.b + 0.1 * c,
    }
}

/// A free function calling the method on a struct it holds, with data.
#[differentiable(wrt(m, x0))]
fn held_cost(m: &Model, x0: &[f64], obs: &[f64]) -> f64 {
    let n = x0.len();
    let m2: Model = rescaled(m, 1.5);
    let mut u = x0.to_vec();
    for i in 0..n {
        u[i] = u[i] * (1.0 + 0.2 * u[i]);
    }
    let mut j = m2.misfit(&u, obs);
    for k in 1..STEPS {
        j += m2.misfit(&u, &obs[k * n..]);
    }
    j
}

fn model_from(v: &[f64]) -> Model {
    Model { a: v[0], b: v[1] }
}

struct Data {
    obs: Vec<f64>,
    weight: f64,
    w: Vec<f64>,
}

fn data(seed: u64) -> Data {
    let mut d = Draws::new(seed);
    Data {
        obs: d.vec(N * STEPS),
        weight: 0.5 + d.next().abs(),
        w: d.vec(N),
    }
}

fn hand_cost(m: &Model, x0: &[f64], d: &Data) -> f64 {
    let n = x0.len();
    let misfit =
        |u: &[f64], obs: &[f64]| -> f64 { (0..n).map(|i| (m.a * u[i] - obs[i]).powi(2)).sum() };
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..STEPS {
        let v = u.clone();
        for i in 0..n {
            u[i] = v[i] + m.b * (v[(i + 1) % n] * v[i]).sin();
        }
        j += misfit(&u, &d.obs[k * n..]);
    }
    let weighted: f64 = (0..n)
        .map(|i| 2.0 * d.weight * d.w[i] * (m.b * u[i]).sin())
        .sum();
    j + weighted + misfit(&u, &d.obs)
}

/// `cost` as a function of `(a, b, x0)`.
fn value(x: &[f64], d: &Data) -> f64 {
    model_from(x).cost(&x[2..], &d.obs, d.weight, &d.w)
}

fn cost_vjp_flat(x: &[f64], w: f64, d: &Data) -> (f64, Vec<f64>) {
    let m = model_from(x);
    let mut m_bar = m.zero_like();
    let mut x0_bar = vec![0.0; N];
    let v = Model::cost_vjp_at(
        &m,
        &mut m_bar,
        &x[2..],
        &mut x0_bar,
        &d.obs,
        d.weight,
        &d.w,
        w,
    );
    let mut g = m_bar.to_reals();
    g.extend(x0_bar);
    (v, g)
}

#[test]
fn the_cost_equals_a_hand_written_sum() {
    for seed in 1..4 {
        let d = data(seed);
        let x = Draws::new(seed + 10).vec(N + 2);
        let (j, h) = (value(&x, &d), hand_cost(&model_from(&x), &x[2..], &d));
        assert!((j - h).abs() <= 1e-13 * h.abs(), "{j} vs {h}");
        assert_eq!(cost_vjp_flat(&x, 1.0, &d).0, j);
    }
}

#[test]
fn data_passed_to_methods_passes_three_checks() {
    for seed in 1..4 {
        let d = data(seed);
        let case = Case {
            name: "method cost passing data to methods outside their wrt",
            inputs: N + 2,
            outputs: 1,
            f: &|x| vec![value(x, &d)],
            jvp: &|x, t| {
                let (v, dv) = Model::cost_jvp_at(
                    &model_from(x),
                    &model_from(t),
                    &x[2..],
                    &t[2..],
                    &d.obs,
                    d.weight,
                    &d.w,
                );
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let (v, g) = cost_vjp_flat(x, w[0], &d);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(N + 2), seed + 30);
    }
}

#[test]
fn hessian_vector_products_at_dual_numbers() {
    for seed in 1..4 {
        let d = data(seed);
        let x = Draws::new(seed + 40).vec(N + 2);
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
            let m = Model { a: xd[0], b: xd[1] };
            let mut m_bar = m.zero_like();
            let mut x0_bar = vec![Dual::constant(0.0); N];
            let w = Dual::constant(1.0);
            Model::cost_vjp_at(
                &m,
                &mut m_bar,
                &xd[2..],
                &mut x0_bar,
                &d.obs,
                d.weight,
                &d.w,
                w,
            );
            let mut g = m_bar.to_reals();
            g.extend(x0_bar);
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(N + 2), draws.vec(N + 2));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(
            |x: &[f64], g: &mut [f64]| {
                g.copy_from_slice(&cost_vjp_flat(x, 1.0, &d).1);
            },
            &x,
            &u,
            &hu,
            &w,
            &hw,
            1e-5,
        )
        .expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{report:?}");
    }
}

#[test]
fn a_method_caller_outside_its_own_model_passes_three_checks() {
    for seed in 1..4 {
        let d = data(seed);
        let m = model_from(&Draws::new(seed + 5).vec(2));
        let case = Case {
            name: "cost_x0: self outside the caller's wrt, data to self.misfit",
            inputs: N,
            outputs: 1,
            f: &|x| vec![m.cost_x0(x, &d.obs)],
            jvp: &|x, t| {
                let (v, dv) = m.cost_x0_jvp(x, t, &d.obs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = m.cost_x0_vjp(x, &mut g, &d.obs, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(N), seed + 30);
        // The same misfits as the caller in the model too, at the same model.
        let x0 = Draws::new(seed + 21).vec(N);
        let j = m.cost_x0(&x0, &d.obs);
        let mut both = vec![m.a, m.b];
        both.extend(&x0);
        let mut g = vec![0.0; N];
        m.cost_x0_vjp(&x0, &mut g, &d.obs, 1.0);
        let (_, g_both) = cost_x0_in_both(&both, &d.obs);
        assert!(j.is_finite());
        for i in 0..N {
            assert!((g[i] - g_both[2 + i]).abs() <= 1e-13 * (1.0 + g[i].abs()));
        }
    }
}

/// `cost_x0`'s gradient in the model too, through a `macro_rules!` caller of the same loop.
fn cost_x0_in_both(x: &[f64], obs: &[f64]) -> (f64, Vec<f64>) {
    let m = model_from(x);
    let mut m_bar = m.zero_like();
    let mut x0_bar = vec![0.0; N];
    let v = Model::macro_cost_vjp_at(&m, &mut m_bar, &x[2..], &mut x0_bar, obs, 1.0);
    let mut g = m_bar.to_reals();
    g.extend(x0_bar);
    (v, g)
}

/// A caller written by a `macro_rules!` macro, passing data on to `self.misfit`.
macro_rules! method_caller {
    ($name:ident, $callee:ident) => {
        impl Model {
            #[differentiable(wrt(self, x0))]
            fn $name(&self, x0: &[f64], obs: &[f64]) -> f64 {
                let n = x0.len();
                let mut __adj0 = x0.to_vec();
                let mut j = 0.0;
                for k in 0..STEPS {
                    self.advance(&mut __adj0);
                    j += self.$callee(&__adj0, &obs[k * n..]);
                }
                j
            }
        }
    };
}

method_caller!(macro_cost, misfit);

#[test]
fn a_macro_rules_caller_passes_three_checks() {
    for seed in 1..4 {
        let obs = Draws::new(seed).vec(N * STEPS);
        let case = Case {
            name: "macro_rules! method caller of self.misfit(u, obs)",
            inputs: N + 2,
            outputs: 1,
            f: &|x| vec![model_from(x).macro_cost(&x[2..], &obs)],
            jvp: &|x, t| {
                let (v, dv) = Model::macro_cost_jvp_at(
                    &model_from(x),
                    &model_from(t),
                    &x[2..],
                    &t[2..],
                    &obs,
                );
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let m = model_from(x);
                let mut m_bar = m.zero_like();
                let mut x0_bar = vec![0.0; N];
                let v = Model::macro_cost_vjp_at(&m, &mut m_bar, &x[2..], &mut x0_bar, &obs, w[0]);
                let mut g = m_bar.to_reals();
                g.extend(x0_bar);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(N + 2), seed + 30);
    }
}

fn held_vjp(x: &[f64], w: f64, obs: &[f64]) -> (f64, Vec<f64>) {
    let m = model_from(x);
    let mut m_bar = m.zero_like();
    let mut x0_bar = vec![0.0; N];
    let v = held_cost_vjp(&m, &mut m_bar, &x[2..], &mut x0_bar, obs, w);
    let mut g = m_bar.to_reals();
    g.extend(x0_bar);
    (v, g)
}

#[test]
fn a_method_on_a_held_struct_with_data_passes_three_checks_and_hvp() {
    for seed in 1..4 {
        let obs = Draws::new(seed).vec(N * STEPS);
        let case = Case {
            name: "m2.misfit(&u, obs) on a struct held by a free function",
            inputs: N + 2,
            outputs: 1,
            f: &|x| vec![held_cost(&model_from(x), &x[2..], &obs)],
            jvp: &|x, t| {
                let (v, dv) = held_cost_jvp(&model_from(x), &model_from(t), &x[2..], &t[2..], &obs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let (v, g) = held_vjp(x, w[0], &obs);
                (vec![v], g)
            },
        };
        let x = Draws::new(seed + 20).vec(N + 2);
        check(&case, &x, seed + 30);
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
            let m = Model { a: xd[0], b: xd[1] };
            let mut m_bar = m.zero_like();
            let mut x0_bar = vec![Dual::constant(0.0); N];
            held_cost_vjp(
                &m,
                &mut m_bar,
                &xd[2..],
                &mut x0_bar,
                &obs,
                Dual::constant(1.0),
            );
            let mut g = m_bar.to_reals();
            g.extend(x0_bar);
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(N + 2), draws.vec(N + 2));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(
            |x: &[f64], g: &mut [f64]| g.copy_from_slice(&held_vjp(x, 1.0, &obs).1),
            &x,
            &u,
            &hu,
            &w,
            &hw,
            1e-5,
        )
        .expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{report:?}");
    }
}
