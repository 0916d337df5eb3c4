//! `#[differentiable]` on methods: the receiver's real fields are differentiated like a struct
//! parameter's, and the companions are associated items of the same `impl`:
//! `Self::f_vjp_at(this, this_bar, ..)` at any scalar, and for `&self` the method
//! `self.f_vjp(self_bar, ..)`. Each derivative is proved three ways (finite differences, the
//! dot-product test, tangent against adjoint), and a Hessian-vector product at dual numbers.

mod common;

use common::{assert_close, check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

/// A chain of springs: a stiffness, a rest length, the number of springs used.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Chain {
    k: f64,
    rest: f64,
    n: usize,
}

impl Chain {
    /// The elastic energy of the positions `x`.
    #[differentiable]
    fn energy(&self, x: &[f64]) -> f64 {
        let mut e = 0.0;
        for i in 0..self.n {
            let d = x[i + 1] - x[i] - self.rest;
            e += 0.5 * self.k * d * d;
        }
        e
    }

    /// The forces on the interior masses, written into `f`.
    #[differentiable]
    fn forces(&self, f: &mut [f64], x: &[f64]) {
        for i in 1..self.n {
            f[i] = self.k * (x[i + 1] - 2.0 * x[i] + x[i - 1]);
        }
    }

    /// Stiffens the chain in place: a `&mut self` method.
    #[differentiable]
    fn stiffen(&mut self, c: f64) {
        self.k *= 1.0 + c * c;
    }

    /// A constant of the type, read in a method as `Self::GRAVITY`.
    const GRAVITY: f64 = 9.81;

    /// Elastic and gravitational energy: the body names the type's constant.
    #[differentiable]
    fn total_energy(&self, x: &[f64], m: f64) -> f64 {
        let g: f64 = Self::GRAVITY;
        let mut e = 0.0;
        for i in 0..self.n {
            let d = x[i + 1] - x[i] - self.rest;
            e += 0.5 * self.k * d * d + m * g * x[i];
        }
        e
    }

    /// An associated function without the struct: `associated` says it is in an `impl`.
    #[differentiable(associated)]
    fn spring_force(k: f64, d: f64) -> f64 {
        -k * d * d.abs()
    }

    /// An associated function taking the struct as `&Self`.
    #[differentiable]
    fn tension(chain: &Self, stretch: f64) -> f64 {
        chain.k * (stretch - chain.rest)
    }
}

fn chain() -> Chain {
    Chain {
        k: 2.0,
        rest: 0.5,
        n: 3,
    }
}

fn chain_from(v: &[f64]) -> Chain {
    let mut c = chain();
    c.set_reals(v).expect("two reals");
    c
}

#[test]
fn a_method_with_self_differentiated_in_its_receiver_and_arguments() {
    let f = |x: &[f64]| vec![chain_from(&x[..2]).energy(&x[2..])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) =
            Chain::energy_jvp_at(&chain_from(&x[..2]), &chain_from(&d[..2]), &x[2..], &d[2..]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let c = chain_from(&x[..2]);
        let mut c_bar = c.zero_like();
        let mut x_bar = vec![0.0; 4];
        let v = Chain::energy_vjp_at(&c, &mut c_bar, &x[2..], &mut x_bar, w[0]);
        let mut g = c_bar.to_reals();
        g.extend(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "Chain::energy(&self, x)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.5, 0.0, 0.7, 1.1, 1.9], 11);
    // Called as methods: `self` at the scalar type of the other arguments.
    let c = chain();
    let x = [0.0, 0.7, 1.1, 1.9];
    let (e, (c_bar, x_bar)) = c.energy_grad(&x[..]);
    assert_eq!(e, c.energy(&x));
    let mut c_bar2 = c.zero_like();
    let mut x_bar2 = [0.0; 4];
    assert_eq!(c.energy_vjp(&mut c_bar2, &x, &mut x_bar2, 1.0), e);
    assert_eq!((c_bar, x_bar), (c_bar2, x_bar2.to_vec()));
    let (_, t) = c.energy_jvp(
        &Chain {
            k: 1.0,
            rest: 0.0,
            n: 3,
        },
        &x,
        &[0.0; 4],
    );
    assert_close(t, e / c.k, 1e-14, "d energy / d k = energy / k");
    assert_eq!(c.energy_generic(&x[..]), e);
}

#[test]
fn hessian_vector_product_of_a_method_at_dual_numbers() {
    let c = chain();
    let x = [0.0, 0.7, 1.1, 1.9];
    let mut draws = common::Draws::new(12);
    let (u, w) = (draws.vec(4), draws.vec(4));
    // `self` lifted to dual numbers with zero tangents: H u in the positions.
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let xd: Vec<Dual<f64, 1>> = x
            .iter()
            .zip(dir)
            .map(|(&a, &b)| Dual::new(a, [b]))
            .collect();
        let mut self_bar = c.lift::<Dual<f64, 1>>().zero_like();
        let mut x_bar = vec![Dual::constant(0.0); 4];
        c.energy_vjp(&mut self_bar, &xd, &mut x_bar, Dual::constant(1.0));
        x_bar.iter().map(|d| d.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (_, gx)) = c.energy_grad(x);
        g.copy_from_slice(&gx);
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
    // The energy is quadratic: H u is k times the chain's Laplacian of u.
    assert_close(hu[0], c.k * (u[0] - u[1]), 1e-12, "(H u)[0]");
}

#[test]
fn a_method_writing_into_an_argument() {
    let f = |x: &[f64]| {
        let mut out = vec![0.0; 4];
        chain_from(&x[..2]).forces(&mut out, &x[2..]);
        out
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut out, mut out_dot) = (vec![0.0; 4], vec![0.0; 4]);
        Chain::forces_jvp_at(
            &chain_from(&x[..2]),
            &chain_from(&d[..2]),
            &mut out,
            &mut out_dot,
            &x[2..],
            &d[2..],
        );
        (out, out_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let c = chain_from(&x[..2]);
        let mut c_bar = c.zero_like();
        let (mut out, mut out_bar) = (vec![0.0; 4], w.to_vec());
        let mut x_bar = vec![0.0; 4];
        Chain::forces_vjp_at(&c, &mut c_bar, &mut out, &mut out_bar, &x[2..], &mut x_bar);
        let mut g = c_bar.to_reals();
        g.extend(x_bar);
        (out, g)
    };
    let case = Case {
        name: "Chain::forces(&self, f, x)",
        inputs: 6,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.5, 0.0, 0.7, 1.1, 1.9], 13);
}

#[test]
fn a_mut_self_method_and_an_associated_function() {
    // `stiffen(&mut self, c)`: k' = k (1 + c^2).
    let f = |x: &[f64]| {
        let mut ch = chain_from(&x[..2]);
        ch.stiffen(x[2]);
        ch.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut ch, mut ch_dot) = (chain_from(&x[..2]), chain_from(&d[..2]));
        Chain::stiffen_jvp_at(&mut ch, &mut ch_dot, x[2], d[2]);
        (ch.to_reals(), ch_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut ch = chain_from(&x[..2]);
        let mut ch_bar = chain_from(w);
        let mut c_bar = 0.0;
        Chain::stiffen_vjp_at(&mut ch, &mut ch_bar, x[2], &mut c_bar);
        let mut g = ch_bar.to_reals();
        g.push(c_bar);
        (ch.to_reals(), g)
    };
    let case = Case {
        name: "Chain::stiffen(&mut self, c)",
        inputs: 3,
        outputs: 2,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.5, 0.3], 14);
    // `tension(chain: &Self, stretch)`.
    let f = |x: &[f64]| vec![Chain::tension(&chain_from(&x[..2]), x[2])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = Chain::tension_jvp(&chain_from(&x[..2]), &chain_from(&d[..2]), x[2], d[2]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let ch = chain_from(&x[..2]);
        let mut ch_bar = ch.zero_like();
        let mut s_bar = 0.0;
        let v = Chain::tension_vjp(&ch, &mut ch_bar, x[2], &mut s_bar, w[0]);
        let mut g = ch_bar.to_reals();
        g.push(s_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "Chain::tension(chain: &Self, stretch)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, 0.5, 1.25], 15);
    let (t, (ch_bar, s_bar)) = Chain::tension_grad(&chain(), 1.25);
    assert_eq!(t, Chain::tension(&chain(), 1.25));
    assert_eq!((ch_bar.k, ch_bar.rest, s_bar), (0.75, -2.0, 2.0));
}

#[test]
fn a_method_naming_a_constant_of_the_type() {
    let c = chain();
    let x = [0.0, 0.7, 1.1, 1.9];
    let f = |v: &[f64]| vec![c.total_energy(&v[..4], v[4])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (a, b) = c.total_energy_jvp(&c.zero_like(), &v[..4], &d[..4], v[4], d[4]);
        (vec![a], vec![b])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let mut self_bar = c.zero_like();
        let mut g = vec![0.0; 4];
        let mut m_bar = 0.0;
        let a = c.total_energy_vjp(&mut self_bar, &v[..4], &mut g, v[4], &mut m_bar, w[0]);
        g.push(m_bar);
        (vec![a], g)
    };
    let case = Case {
        name: "Chain::total_energy(&self, x, m) with Self::GRAVITY",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    let mut at = x.to_vec();
    at.push(0.3);
    check(&case, &at, 16);
    let (_, (_, _, m_bar)) = c.total_energy_grad(&x[..], 0.3);
    assert_close(
        m_bar,
        Chain::GRAVITY * (0.0 + 0.7 + 1.1),
        1e-14,
        "d energy / d m",
    );
}

#[test]
fn an_associated_function_without_the_struct() {
    let f = |v: &[f64]| vec![Chain::spring_force(v[0], v[1])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (a, b) = Chain::spring_force_jvp(v[0], d[0], v[1], d[1]);
        (vec![a], vec![b])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let (mut k_bar, mut d_bar) = (0.0, 0.0);
        let a = Chain::spring_force_vjp(v[0], &mut k_bar, v[1], &mut d_bar, w[0]);
        (vec![a], vec![k_bar, d_bar])
    };
    let case = Case {
        name: "Chain::spring_force(k, d)",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.0, -0.75], 17);
    let (v, (k_bar, d_bar)) = Chain::spring_force_grad(2.0, -0.75);
    assert_eq!(v, Chain::spring_force(2.0, -0.75));
    assert_close(k_bar, 0.5625, 1e-15, "d / d k");
    assert_close(d_bar, -3.0, 1e-15, "d / d d = -2 k |d|");
}
