//! `#[differentiable]` on an `impl` block: methods of a *trait* impl differentiated, their
//! companions in an inherent `impl` of the type beside it (a trait impl can hold only the
//! trait's members), and an inherent block annotated once. Each derivative is proved three ways
//! (finite differences, the dot-product test, tangent against adjoint) and a Hessian-vector
//! product at dual numbers; the locals have adversarial names.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

/// What a study does with any model: the trait the user's code is generic over.
trait Model {
    /// The right-hand side of `u' = f(u)`.
    fn rhs(&self, du: &mut [f64], u: &[f64]);
    /// A scalar energy of the state.
    fn energy(&self, u: &[f64]) -> f64;
    /// A scaling that needs no model.
    fn squash(x: f64) -> f64;
    /// A constant of the model, read in a differentiated method as `Self::WEIGHT`.
    const WEIGHT: f64;
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Lorenz {
    sigma: f64,
    rho: f64,
    beta: f64,
}

#[differentiable]
impl Model for Lorenz {
    const WEIGHT: f64 = 0.25;

    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        let result = self.rho - u[2];
        let __adj0 = u[0] * u[1];
        du[0] = self.sigma * (u[1] - u[0]);
        du[1] = u[0] * result - u[1];
        du[2] = __adj0 - self.beta * u[2];
    }

    #[differentiable]
    fn energy(&self, u: &[f64]) -> f64 {
        let mut self_bar = 0.0;
        for k in 0..3 {
            self_bar += u[k] * u[k];
        }
        Self::WEIGHT * self.sigma * self_bar + self.rho * u[0] * u[2].sin() / self.beta
    }

    #[differentiable]
    fn squash(x: f64) -> f64 {
        x / (1.0 + x * x).sqrt()
    }
}

/// A second model of the same trait: each type gets companions of its own.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Decay {
    k: f64,
}

#[differentiable]
impl Model for Decay {
    const WEIGHT: f64 = 2.0;

    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        for i in 0..u.len() {
            du[i] = -self.k * u[i];
        }
    }

    // Not marked: left as written.
    fn energy(&self, u: &[f64]) -> f64 {
        Self::WEIGHT * u.iter().map(|v| v * v).sum::<f64>()
    }

    fn squash(x: f64) -> f64 {
        x
    }
}

/// Code generic over the trait still calls the methods as written.
fn explicit_euler<M: Model>(m: &M, u: &mut [f64], h: f64, steps: usize) {
    let mut du = vec![0.0; u.len()];
    for _ in 0..steps {
        m.rhs(&mut du, u);
        for (a, d) in u.iter_mut().zip(&du) {
            *a += h * d;
        }
    }
}

fn lorenz_from(v: &[f64]) -> Lorenz {
    let mut m = Lorenz {
        sigma: 0.0,
        rho: 0.0,
        beta: 0.0,
    };
    m.set_reals(v).expect("three reals");
    m
}

const AT: [f64; 6] = [10.0, 28.0, 8.0 / 3.0, 1.2, -0.7, 20.5];

#[test]
fn a_trait_method_differentiated_in_its_receiver_and_state() {
    let f = |x: &[f64]| {
        let mut du = vec![0.0; 3];
        lorenz_from(&x[..3]).rhs(&mut du, &x[3..]);
        du
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut du, mut du_dot) = (vec![0.0; 3], vec![0.0; 3]);
        Lorenz::rhs_jvp_at(
            &lorenz_from(&x[..3]),
            &lorenz_from(&d[..3]),
            &mut du,
            &mut du_dot,
            &x[3..],
            &d[3..],
        );
        (du, du_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = lorenz_from(&x[..3]);
        let mut m_bar = m.zero_like();
        let (mut du, mut du_bar) = (vec![0.0; 3], w.to_vec());
        let mut u_bar = vec![0.0; 3];
        Lorenz::rhs_vjp_at(&m, &mut m_bar, &mut du, &mut du_bar, &x[3..], &mut u_bar);
        let mut g = m_bar.to_reals();
        g.extend(u_bar);
        (du, g)
    };
    let case = Case {
        name: "<Lorenz as Model>::rhs",
        inputs: 6,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AT, 31);
    // The method form of the companions, and the trait method untouched.
    let m = lorenz_from(&AT[..3]);
    let (mut du, mut du_bar, mut u_bar) = ([0.0; 3], [1.0, 0.0, 0.0], [0.0; 3]);
    let mut m_bar = m.zero_like();
    m.rhs_vjp(&mut m_bar, &mut du, &mut du_bar, &AT[3..], &mut u_bar);
    assert_eq!(m_bar.sigma, AT[4] - AT[3], "d du0 / d sigma");
    assert_eq!(u_bar, [-m.sigma, m.sigma, 0.0]);
    let mut u = [1.0, 1.0, 1.0];
    explicit_euler(&m, &mut u, 0.001, 3);
    let mut v = [1.0, 1.0, 1.0];
    for _ in 0..3 {
        let mut d = [0.0; 3];
        m.rhs_generic(&mut d, &v[..]);
        for k in 0..3 {
            v[k] += 0.001 * d[k];
        }
    }
    assert_eq!(u, v, "the trait method and the generic companion agree");
}

#[test]
fn a_trait_method_with_a_value_and_its_hessian_at_dual_numbers() {
    let f = |x: &[f64]| vec![lorenz_from(&x[..3]).energy(&x[3..])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = Lorenz::energy_jvp_at(
            &lorenz_from(&x[..3]),
            &lorenz_from(&d[..3]),
            &x[3..],
            &d[3..],
        );
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = lorenz_from(&x[..3]);
        let mut m_bar = m.zero_like();
        let mut u_bar = vec![0.0; 3];
        let v = Lorenz::energy_vjp_at(&m, &mut m_bar, &x[3..], &mut u_bar, w[0]);
        let mut g = m_bar.to_reals();
        g.extend(u_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "<Lorenz as Model>::energy",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AT, 32);
    // H v in the state by the adjoint at dual numbers, against differences of gradients.
    let m = lorenz_from(&AT[..3]);
    let u = &AT[3..];
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let ud: Vec<Dual<f64, 1>> = u
            .iter()
            .zip(dir)
            .map(|(&a, &b)| Dual::new(a, [b]))
            .collect();
        let mut self_bar = m.lift::<Dual<f64, 1>>().zero_like();
        let mut u_bar = vec![Dual::constant(0.0); 3];
        m.energy_vjp(&mut self_bar, &ud, &mut u_bar, Dual::constant(1.0));
        u_bar.iter().map(|d| d.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (_, gu)) = m.energy_grad(x);
        g.copy_from_slice(&gu);
    };
    let mut draws = common::Draws::new(33);
    let (a, b) = (draws.vec(3), draws.vec(3));
    let (ha, hb) = (hvp(&a), hvp(&b));
    let report = check_hvp(gradient, u, &a, &ha, &b, &hb, 1e-6).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
}

#[test]
fn an_associated_function_of_a_trait_impl() {
    common::check_scalar(
        "<Lorenz as Model>::squash",
        &Lorenz::squash,
        &Lorenz::squash_jvp,
        &|x, x_bar, w| Lorenz::squash_vjp(x, x_bar, w),
        0.8,
        34,
    );
    let d = Lorenz::squash_jvp(Dual::<f64, 1>::new(0.8, [1.0]), Dual::constant(1.0)).1;
    // d/dx of x (1 + x^2)^(-3/2) is the second derivative of squash.
    let exact = (-3.0 * 0.8) / (1.0f64 + 0.64).powf(2.5);
    common::assert_close(d.tangents[0], exact, 1e-12, "squash''");
}

#[test]
fn two_types_of_one_trait_each_with_its_companions() {
    let f = |x: &[f64]| {
        let mut du = vec![0.0; 2];
        Decay { k: x[0] }.rhs(&mut du, &x[1..]);
        du
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut du, mut du_dot) = (vec![0.0; 2], vec![0.0; 2]);
        Decay { k: x[0] }.rhs_jvp(&Decay { k: d[0] }, &mut du, &mut du_dot, &x[1..], &d[1..]);
        (du, du_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut m_bar = Decay { k: 0.0 };
        let (mut du, mut du_bar) = (vec![0.0; 2], w.to_vec());
        let mut u_bar = vec![0.0; 2];
        Decay { k: x[0] }.rhs_vjp(&mut m_bar, &mut du, &mut du_bar, &x[1..], &mut u_bar);
        (du, [vec![m_bar.k], u_bar].concat())
    };
    let case = Case {
        name: "<Decay as Model>::rhs",
        inputs: 3,
        outputs: 2,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, 1.5, -2.0], 35);
    assert_eq!(Decay { k: 1.0 }.energy(&[1.0, 2.0]), 10.0);
}

/// An inherent `impl` annotated once: the marked methods are expanded in place.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Spring {
    k: f64,
}

#[differentiable]
impl Spring {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.k * x * x.abs()
    }

    fn stiffness(&self) -> f64 {
        self.k
    }
}

#[test]
fn an_inherent_impl_annotated_once() {
    let f = |x: &[f64]| vec![Spring { k: x[0] }.force(x[1])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = Spring { k: x[0] }.force_jvp(&Spring { k: d[0] }, x[1], d[1]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut s_bar = Spring { k: 0.0 };
        let mut x_bar = 0.0;
        let v = Spring { k: x[0] }.force_vjp(&mut s_bar, x[1], &mut x_bar, w[0]);
        (vec![v], vec![s_bar.k, x_bar])
    };
    let case = Case {
        name: "Spring::force",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[3.0, -0.4], 36);
    assert_eq!(Spring { k: 2.0 }.stiffness(), 2.0);
}
