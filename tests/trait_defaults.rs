//! Default method bodies of a trait, differentiated for every implementing type: several
//! models implement one trait, each differentiating its own right-hand side, and share the
//! trait's default energy and 4D-Var cost (`#[differentiable]` on the trait and on its default
//! methods, `#[differentiable(defaults)]` on each implementation). A default calling a required
//! method, a default calling another default, a default one model overrides (and another
//! default calls the override), an implementation written by a `macro_rules!` macro. Each
//! derivative proved three ways (central differences, the dot-product test, tangent against
//! adjoint), the costs' Hessian-vector products at dual numbers against differences of
//! gradients, the values equal to the bit to the same bodies written in each implementation;
//! the default bodies' locals have adversarial names.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

const H: f64 = 0.01;
const STEPS: usize = 12;
const OBS: [f64; STEPS] = [1.1, 1.3, 1.2, 1.6, 1.5, 1.9, 2.0, 1.8, 2.3, 2.2, 2.6, 2.4];

/// What a study does with any model of three variables.
#[differentiable]
trait Model {
    /// The right-hand side of `u' = f(u)`, each model's own.
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    /// A weighted energy of the tendency: a default body calling the required method.
    #[differentiable]
    fn tendency_energy(&self, u: &[f64]) -> f64 {
        let mut result = [0.0; 3];
        self.rhs(&mut result, u);
        let mut x_bar = 0.0;
        for k in 0..3 {
            x_bar += result[k] * result[k] * (1.0 + 0.1 * u[k]);
        }
        x_bar
    }

    /// A default calling another default (or its override).
    #[differentiable]
    fn score(&self, u: &[f64]) -> f64 {
        let __adj0 = self.tendency_energy(u);
        __adj0.sqrt() + u[0] * u[2]
    }

    /// The 4D-Var misfit of `STEPS` explicit Euler steps from `x0`, in `x0` only (`obs` data).
    #[differentiable(wrt(x0))]
    fn cost(&self, x0: &[f64], obs: &[f64]) -> f64 {
        let mut u = [x0[0], x0[1], x0[2]];
        let mut self_bar = [0.0; 3];
        let mut j = 0.0;
        for k in 0..STEPS {
            self.rhs(&mut self_bar, &u);
            for i in 0..3 {
                u[i] += H * self_bar[i];
            }
            j += (u[0] - obs[k]).powi(2);
        }
        j
    }
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Lorenz {
    sigma: f64,
    rho: f64,
    beta: f64,
}

#[differentiable(defaults)]
impl Model for Lorenz {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        du[0] = self.sigma * (u[1] - u[0]);
        du[1] = u[0] * (self.rho - u[2]) - u[1];
        du[2] = u[0] * u[1] - self.beta * u[2];
    }
}

/// A second model, overriding one default (which the default `score` then calls).
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Decay {
    k: f64,
    c: f64,
}

#[differentiable(defaults)]
impl Model for Decay {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        for i in 0..3 {
            du[i] = -self.k * u[i] + self.c * u[(i + 1) % 3];
        }
    }

    #[differentiable]
    fn tendency_energy(&self, u: &[f64]) -> f64 {
        let mut du = [0.0; 3];
        self.rhs(&mut du, u);
        du[0] * du[0] + du[1] * du[1] + du[2] * du[2]
    }
}

/// An implementation written by a `macro_rules!` macro.
macro_rules! linear_model {
    ($name:ident, $a:ident) => {
        #[differentiable]
        #[derive(Clone, Debug, PartialEq)]
        struct $name {
            $a: f64,
        }

        #[differentiable(defaults)]
        impl Model for $name {
            #[differentiable]
            fn rhs(&self, du: &mut [f64], u: &[f64]) {
                du[0] = self.$a * u[1];
                du[1] = -self.$a * u[0];
                du[2] = u[0] * u[1] - u[2];
            }
        }
    };
}

linear_model!(Rotation, omega);

/// Code generic over the trait calls the default methods as written.
fn total<M: Model>(m: &M, u: &[f64]) -> f64 {
    m.score(u) + m.cost(u, &OBS)
}

fn lorenz(v: &[f64]) -> Lorenz {
    Lorenz {
        sigma: v[0],
        rho: v[1],
        beta: v[2],
    }
}

fn decay(v: &[f64]) -> Decay {
    Decay { k: v[0], c: v[1] }
}

/// The gradients of `tendency_energy` and `score` of `M` (the model's reals, then `u`), checked
/// three ways at `x`, the model's reals first.
macro_rules! check_energy_and_score {
    ($ty:ty, $from:expr, $x:expr, $seed:expr) => {{
        let (x, n): (&[f64], usize) = ($x, $x.len() - 3);
        let from = $from;
        let f = |x: &[f64]| vec![from(&x[..n]).tendency_energy(&x[n..])];
        let jvp = |x: &[f64], d: &[f64]| {
            let (m, m_dot) = (from(&x[..n]), from(&d[..n]));
            let (v, t) = <$ty>::tendency_energy_jvp_at(&m, &m_dot, &x[n..], &d[n..]);
            (vec![v], vec![t])
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let m = from(&x[..n]);
            let mut m_bar = m.zero_like();
            let mut u_bar = vec![0.0; 3];
            let v = m.tendency_energy_vjp(&mut m_bar, &x[n..], &mut u_bar, w[0]);
            let mut g = m_bar.to_reals();
            g.extend(u_bar);
            (vec![v], g)
        };
        let case = Case {
            name: concat!(stringify!($ty), "::tendency_energy"),
            inputs: x.len(),
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, x, $seed);
        let f = |x: &[f64]| vec![from(&x[..n]).score(&x[n..])];
        let jvp = |x: &[f64], d: &[f64]| {
            let (m, m_dot) = (from(&x[..n]), from(&d[..n]));
            let (v, t) = m.score_jvp(&m_dot, &x[n..], &d[n..]);
            (vec![v], vec![t])
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let m = from(&x[..n]);
            let mut m_bar = m.zero_like();
            let mut u_bar = vec![0.0; 3];
            let v = <$ty>::score_vjp_at(&m, &mut m_bar, &x[n..], &mut u_bar, w[0]);
            let mut g = m_bar.to_reals();
            g.extend(u_bar);
            (vec![v], g)
        };
        let case = Case {
            name: concat!(stringify!($ty), "::score"),
            inputs: x.len(),
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, x, $seed + 1);
    }};
}

#[test]
fn a_default_calling_the_required_method_and_another_default() {
    check_energy_and_score!(Lorenz, lorenz, &[10.0, 28.0, 8.0 / 3.0, 1.2, -0.7, 20.5], 1);
    check_energy_and_score!(Lorenz, lorenz, &[9.0, 20.0, 2.0, -0.4, 0.9, 3.0], 3);
    check_energy_and_score!(
        Rotation,
        |v: &[f64]| Rotation { omega: v[0] },
        &[1.3, 0.4, -0.8, 1.1],
        5
    );
}

#[test]
fn a_default_one_model_overrides() {
    // `score` is the trait's default, calling Decay's own `tendency_energy`.
    check_energy_and_score!(Decay, decay, &[0.7, 0.2, 1.5, -2.0, 0.6], 7);
    let m = decay(&[0.7, 0.2]);
    let u = [1.5, -2.0, 0.6];
    let du = [
        -0.7 * 1.5 + 0.2 * -2.0,
        -0.7 * -2.0 + 0.2 * 0.6,
        -0.7 * 0.6 + 0.2 * 1.5,
    ];
    let own = du[0] * du[0] + du[1] * du[1] + du[2] * du[2];
    assert_eq!(m.tendency_energy(&u), own, "the override, not the default");
    assert_eq!(m.score(&u), own.sqrt() + u[0] * u[2]);
    let (v, _) = m.score_jvp(&m.zero_like(), &u, &[0.0; 3]);
    assert_eq!(
        v,
        m.score(&u),
        "the companion of the default calls the override"
    );
}

#[test]
fn the_shared_4dvar_cost_of_two_models_and_its_hessian() {
    let l = lorenz(&[10.0, 28.0, 8.0 / 3.0]);
    let d = decay(&[0.7, 0.2]);
    for (name, x0, seed) in [
        ("Lorenz", [1.2, -0.7, 20.5], 11),
        ("Decay", [1.5, -2.0, 0.6], 13),
    ] {
        let value = |x: &[f64]| match name {
            "Lorenz" => l.cost(x, &OBS),
            _ => d.cost(x, &OBS),
        };
        let f = |x: &[f64]| vec![value(x)];
        let jvp = |x: &[f64], t: &[f64]| {
            let (v, t) = match name {
                "Lorenz" => l.cost_jvp(x, t, &OBS),
                _ => d.cost_jvp(x, t, &OBS),
            };
            (vec![v], vec![t])
        };
        let grad = |x: &[f64], g: &mut [f64], w: f64| match name {
            "Lorenz" => l.cost_vjp(x, g, &OBS, w),
            _ => d.cost_vjp(x, g, &OBS, w),
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let mut g = vec![0.0; 3];
            let v = grad(x, &mut g, w[0]);
            (vec![v], g)
        };
        let case = Case {
            name,
            inputs: 3,
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, &x0, seed);
        // H v by the adjoint at dual numbers (the model and the data stay `f64`).
        let hvp = |dir: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x0
                .iter()
                .zip(dir)
                .map(|(&a, &b)| Dual::new(a, [b]))
                .collect();
            let mut g = [Dual::constant(0.0); 3];
            match name {
                "Lorenz" => l.cost_vjp(&xd[..], &mut g[..], &OBS, Dual::constant(1.0)),
                _ => d.cost_vjp(&xd[..], &mut g[..], &OBS, Dual::constant(1.0)),
            };
            g.iter().map(|gi| gi.tangents[0]).collect()
        };
        let gradient = |x: &[f64], g: &mut [f64]| {
            grad(x, g, 1.0);
        };
        let mut draws = common::Draws::new(seed + 100);
        let (a, b) = (draws.vec(3), draws.vec(3));
        let (ha, hb) = (hvp(&a), hvp(&b));
        let report = check_hvp(gradient, &x0, &a, &ha, &b, &hb, 1e-6).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{name}: {report:?}");
    }
}

/// Lorenz's `cost` written in its own inherent `impl`: the default's companions give the same
/// bits.
#[differentiable]
impl Lorenz {
    #[differentiable(wrt(x0))]
    fn cost_written_here(&self, x0: &[f64], obs: &[f64]) -> f64 {
        let mut u = [x0[0], x0[1], x0[2]];
        let mut du = [0.0; 3];
        let mut j = 0.0;
        for k in 0..STEPS {
            self.rhs(&mut du, &u);
            for i in 0..3 {
                u[i] += H * du[i];
            }
            j += (u[0] - obs[k]).powi(2);
        }
        j
    }
}

#[test]
fn the_defaults_companions_equal_the_same_body_written_in_the_impl() {
    let l = lorenz(&[10.0, 28.0, 8.0 / 3.0]);
    for x0 in [[1.2, -0.7, 20.5], [-3.0, 2.0, 15.0]] {
        let (mut g1, mut g2) = ([0.0; 3], [0.0; 3]);
        let v1 = l.cost_vjp(&x0[..], &mut g1[..], &OBS, 1.0);
        let v2 = l.cost_written_here_vjp(&x0[..], &mut g2[..], &OBS, 1.0);
        assert_eq!((v1, g1), (v2, g2));
        assert_eq!(v1, l.cost(&x0, &OBS));
    }
    // Generic code over the trait calls the defaults as written.
    let u = [1.2, -0.7, 20.5];
    assert_eq!(total(&l, &u), l.score(&u) + l.cost_written_here(&u, &OBS));
}

/// A model in another module, the trait imported by `use` (which imports its replay too); the
/// names the default bodies use (`H`, `STEPS`) are in scope there as well.
mod springs {
    use super::{Model, H, STEPS};
    use tapeless::differentiable;

    #[differentiable]
    #[derive(Clone, Debug, PartialEq)]
    pub struct Spring {
        pub k: f64,
    }

    #[differentiable(defaults)]
    impl Model for Spring {
        #[differentiable]
        fn rhs(&self, du: &mut [f64], u: &[f64]) {
            du[0] = u[1];
            du[1] = -self.k * u[0] * (1.0 + 0.1 * u[0] * u[0]);
            du[2] = -u[2] + u[0];
        }
    }

    /// The default cost computed by hand.
    pub fn cost_by_hand(m: &Spring, x0: [f64; 3], obs: &[f64]) -> f64 {
        let (mut u, mut j) = (x0, 0.0);
        for o in obs.iter().take(STEPS) {
            let mut du = [0.0; 3];
            m.rhs(&mut du, &u);
            for i in 0..3 {
                u[i] += H * du[i];
            }
            j += (u[0] - o).powi(2);
        }
        j
    }
}

#[test]
fn a_model_in_another_module() {
    use springs::Spring;
    let from = |v: &[f64]| Spring { k: v[0] };
    check_energy_and_score!(Spring, from, &[2.0, 0.5, -0.3, 1.2], 21);
    let m = Spring { k: 2.0 };
    let f = |x: &[f64]| vec![m.cost(x, &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = m.cost_jvp(x, d, &OBS);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut g = vec![0.0; 3];
        let v = m.cost_vjp(x, &mut g, &OBS, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "Spring::cost",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, -0.3, 1.2], 23);
    let x0 = [0.5, -0.3, 1.2];
    assert_eq!(m.cost(&x0, &OBS), springs::cost_by_hand(&m, x0, &OBS));
    let (v, _) = m.cost_jvp(&x0[..], &[0.0; 3][..], &OBS);
    assert_eq!(v, springs::cost_by_hand(&m, x0, &OBS));
}
