//! nalgebra matrices and vectors inside `#[differentiable]`: products, transposes, maps, sums,
//! norms, dot products, scaling and elements, each checked by the shared oracle (finite
//! differences, the dot-product test, tangent against adjoint), and a dense network's cost by
//! forward over reverse (Hessian-vector products against differences of gradients, symmetry).

mod common;

use common::{assert_close, check, Case, Draws};
use nalgebra::{DMatrix, DVector, SMatrix, SVector};
use tapeless::check::central_difference;
use tapeless::{differentiable, Dual, Real};

#[differentiable]
fn matvec(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    w * x
}

#[differentiable]
fn products(a: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> DMatrix<f64> {
    let ab = a * b;
    let d = &ab - c * 0.5;
    let g = a.transpose() * &d;
    2.0 * g
}

#[differentiable]
fn layer(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x + b).map(|v| v.tanh())
}

#[differentiable]
fn maps(x: &DVector<f64>) -> DVector<f64> {
    let y = x.map(|v| v * v.exp() - 2.0 * v.sin());
    -(y.component_mul(x)) + x.map(|t| 1.0 / (1.0 + t * t))
}

#[differentiable]
fn scaling(s: f64, x: &DVector<f64>) -> DVector<f64> {
    s * x - x / (s * s + 1.0) + x * s.sin()
}

#[differentiable]
fn reductions(x: &DVector<f64>, y: &DVector<f64>) -> f64 {
    x.dot(y) + x.norm() * y.sum() + 0.5 * x.norm_squared() + x[1] * y[0]
}

#[differentiable]
fn elements(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.component_mul(b).sum() + a[(0, 1)] * b[(1, 0)] + (a * b.transpose()).norm()
}

#[differentiable]
fn fixed_size(m: &SMatrix<f64, 2, 3>, v: SVector<f64, 3>) -> SVector<f64, 2> {
    (m * v).map(|t| t.sin() * t)
}

/// A dense network, `tanh` hidden layers.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
fn mlp(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    x: &DVector<f64>,
) -> DVector<f64> {
    let h1 = (w1 * x + b1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    w3 * &h2 + b3
}

/// The network's squared misfit to a target.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
fn mlp_cost(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    x: &DVector<f64>,
    target: &DVector<f64>,
) -> f64 {
    let h1 = (w1 * x + b1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    let y = w3 * &h2 + b3;
    0.5 * (y - target).norm_squared()
}

/// The same cost through a call of the network: matrices passed by reference and by value.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
fn mlp_cost_by_call(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    x: &DVector<f64>,
    target: &DVector<f64>,
) -> f64 {
    let y: DVector<f64> = mlp(w1, b1, w2, b2, w3, b3, x);
    let r = y - target;
    0.5 * half_norm(r.clone(), &r)
}

/// `<a, b>` of vectors passed by value and by reference.
#[differentiable]
fn half_norm(a: DVector<f64>, b: &DVector<f64>) -> f64 {
    a.dot(b)
}

/// Data outside `wrt(..)` stays `f64` in every companion.
#[differentiable(wrt(w, x))]
fn misfit(w: &DMatrix<f64>, x: &DVector<f64>, target: &DVector<f64>) -> f64 {
    let t = target.clone();
    let r = w * x - t;
    0.5 * r.dot(&r)
}

/// The shapes of a function's matrix arguments, to flatten them (column-major) for the oracle.
struct Layout(Vec<(usize, usize)>);

impl Layout {
    fn len(&self) -> usize {
        self.0.iter().map(|(r, c)| r * c).sum()
    }

    fn unpack(&self, x: &[f64]) -> Vec<DMatrix<f64>> {
        let mut k = 0;
        self.0
            .iter()
            .map(|&(r, c)| {
                let m = DMatrix::from_column_slice(r, c, &x[k..k + r * c]);
                k += r * c;
                m
            })
            .collect()
    }

    fn zeros(&self) -> Vec<DMatrix<f64>> {
        self.0.iter().map(|&(r, c)| DMatrix::zeros(r, c)).collect()
    }
}

fn vector(m: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_column_slice(m.as_slice())
}

fn flat(ms: &[&DMatrix<f64>]) -> Vec<f64> {
    ms.iter().flat_map(|m| m.as_slice().to_vec()).collect()
}

fn flat_vectors(vs: &[&DVector<f64>]) -> Vec<f64> {
    vs.iter().flat_map(|v| v.as_slice().to_vec()).collect()
}

#[test]
fn matrix_vector_product() {
    let l = Layout(vec![(3, 4), (4, 1)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        matvec(&p[0], &vector(&p[1])).as_slice().to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = matvec_jvp(&p[0], &t[0], &vector(&p[1]), &vector(&t[1]));
        (v.as_slice().to_vec(), dv.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut b = l.zeros();
        let mut x_bar = vector(&b[1]);
        let seed = DVector::from_column_slice(y_bar);
        let v = matvec_vjp(&p[0], &mut b[0], &vector(&p[1]), &mut x_bar, &seed);
        (
            v.as_slice().to_vec(),
            flat(&[&b[0], &DMatrix::from_column_slice(4, 1, x_bar.as_slice())]),
        )
    };
    let case = Case {
        name: "matvec",
        inputs: l.len(),
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(11).vec(l.len()), 1);
}

#[test]
fn matrix_products_transposes_and_scaling() {
    let l = Layout(vec![(2, 3), (3, 4), (2, 4)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        products(&p[0], &p[1], &p[2]).as_slice().to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = products_jvp(&p[0], &t[0], &p[1], &t[1], &p[2], &t[2]);
        (v.as_slice().to_vec(), dv.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut b = l.zeros();
        let seed = DMatrix::from_column_slice(3, 4, y_bar);
        let [b0, b1, b2] = &mut b[..] else {
            unreachable!()
        };
        let v = products_vjp(&p[0], b0, &p[1], b1, &p[2], b2, &seed);
        (v.as_slice().to_vec(), flat(&[b0, b1, b2]))
    };
    let case = Case {
        name: "products",
        inputs: l.len(),
        outputs: 12,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(12).vec(l.len()), 2);
}

#[test]
fn affine_layer_with_tanh() {
    let l = Layout(vec![(5, 3), (5, 1), (3, 1)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        layer(&p[0], &vector(&p[1]), &vector(&p[2]))
            .as_slice()
            .to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = layer_jvp(
            &p[0],
            &t[0],
            &vector(&p[1]),
            &vector(&t[1]),
            &vector(&p[2]),
            &vector(&t[2]),
        );
        (v.as_slice().to_vec(), dv.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut w_bar = DMatrix::zeros(5, 3);
        let (mut b_bar, mut x_bar) = (DVector::zeros(5), DVector::zeros(3));
        let seed = DVector::from_column_slice(y_bar);
        let v = layer_vjp(
            &p[0],
            &mut w_bar,
            &vector(&p[1]),
            &mut b_bar,
            &vector(&p[2]),
            &mut x_bar,
            &seed,
        );
        let mut g = flat(&[&w_bar]);
        g.extend(flat_vectors(&[&b_bar, &x_bar]));
        (v.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "layer",
        inputs: l.len(),
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(13).vec(l.len()), 3);
}

#[test]
fn element_wise_maps_and_products() {
    let n = 6;
    let f = |x: &[f64]| maps(&DVector::from_column_slice(x)).as_slice().to_vec();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, dv) = maps_jvp(
            &DVector::from_column_slice(x),
            &DVector::from_column_slice(d),
        );
        (v.as_slice().to_vec(), dv.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let mut x_bar = DVector::zeros(n);
        let v = maps_vjp(
            &DVector::from_column_slice(x),
            &mut x_bar,
            &DVector::from_column_slice(y_bar),
        );
        (v.as_slice().to_vec(), x_bar.as_slice().to_vec())
    };
    let case = Case {
        name: "maps",
        inputs: n,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(14).vec(n), 4);
}

#[test]
fn scaling_by_a_differentiated_real() {
    let n = 4;
    let f = |x: &[f64]| {
        scaling(x[0], &DVector::from_column_slice(&x[1..]))
            .as_slice()
            .to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, dv) = scaling_jvp(
            x[0],
            d[0],
            &DVector::from_column_slice(&x[1..]),
            &DVector::from_column_slice(&d[1..]),
        );
        (v.as_slice().to_vec(), dv.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (mut s_bar, mut x_bar) = (0.0, DVector::zeros(n));
        let v = scaling_vjp(
            x[0],
            &mut s_bar,
            &DVector::from_column_slice(&x[1..]),
            &mut x_bar,
            &DVector::from_column_slice(y_bar),
        );
        let mut g = vec![s_bar];
        g.extend(x_bar.iter());
        (v.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "scaling",
        inputs: n + 1,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(15).vec(n + 1), 5);
}

#[test]
fn dot_products_norms_sums_and_elements() {
    let n = 5;
    let split = |x: &[f64]| {
        (
            DVector::from_column_slice(&x[..n]),
            DVector::from_column_slice(&x[n..]),
        )
    };
    let f = |x: &[f64]| {
        let (a, b) = split(x);
        vec![reductions(&a, &b)]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let ((a, b), (da, db)) = (split(x), split(d));
        let (v, dv) = reductions_jvp(&a, &da, &b, &db);
        (vec![v], vec![dv])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (a, b) = split(x);
        let (mut a_bar, mut b_bar) = (DVector::zeros(n), DVector::zeros(n));
        let v = reductions_vjp(&a, &mut a_bar, &b, &mut b_bar, y_bar[0]);
        (vec![v], flat_vectors(&[&a_bar, &b_bar]))
    };
    let case = Case {
        name: "reductions",
        inputs: 2 * n,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(16).vec(2 * n), 6);

    let l = Layout(vec![(3, 2), (3, 2)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        vec![elements(&p[0], &p[1])]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = elements_jvp(&p[0], &t[0], &p[1], &t[1]);
        (vec![v], vec![dv])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut b = l.zeros();
        let [b0, b1] = &mut b[..] else { unreachable!() };
        let v = elements_vjp(&p[0], b0, &p[1], b1, y_bar[0]);
        (vec![v], flat(&[b0, b1]))
    };
    let case = Case {
        name: "elements",
        inputs: l.len(),
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(17).vec(l.len()), 7);
}

#[test]
fn static_shapes_by_reference_and_by_value() {
    let unpack = |x: &[f64]| {
        (
            SMatrix::<f64, 2, 3>::from_column_slice(&x[..6]),
            SVector::<f64, 3>::from_column_slice(&x[6..]),
        )
    };
    let f = |x: &[f64]| {
        let (m, v) = unpack(x);
        fixed_size(&m, v).as_slice().to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let ((m, v), (dm, dv)) = (unpack(x), unpack(d));
        let (y, dy) = fixed_size_jvp(&m, &dm, v, dv);
        (y.as_slice().to_vec(), dy.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (m, v) = unpack(x);
        let (mut m_bar, mut v_bar) = (SMatrix::<f64, 2, 3>::zeros(), SVector::<f64, 3>::zeros());
        let y = fixed_size_vjp(
            &m,
            &mut m_bar,
            v,
            &mut v_bar,
            &SVector::<f64, 2>::from_column_slice(y_bar),
        );
        let mut g = m_bar.as_slice().to_vec();
        g.extend(v_bar.iter());
        (y.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "fixed_size",
        inputs: 9,
        outputs: 2,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(18).vec(9), 8);
}

/// A network's parameters, flattened: `w1 b1 w2 b2 w3 b3 x`.
fn network_layout(n_in: usize, hidden: usize, n_out: usize) -> Layout {
    Layout(vec![
        (hidden, n_in),
        (hidden, 1),
        (hidden, hidden),
        (hidden, 1),
        (n_out, hidden),
        (n_out, 1),
        (n_in, 1),
    ])
}

/// Parameters scaled so that the hidden layers are neither linear nor saturated.
fn network_point(l: &Layout, seed: u64) -> Vec<f64> {
    let mut rng = Draws::new(seed);
    let mut x = Vec::new();
    for &(r, c) in &l.0 {
        let scale = if c > 1 { 1.0 / (c as f64).sqrt() } else { 0.5 };
        x.extend((0..r * c).map(|_| scale * rng.next()));
    }
    x
}

#[test]
fn dense_network_output() {
    let l = network_layout(4, 6, 3);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        let v: Vec<DVector<f64>> = [1, 3, 5, 6].iter().map(|&k| vector(&p[k])).collect();
        mlp(&p[0], &v[0], &p[2], &v[1], &p[4], &v[2], &v[3])
            .as_slice()
            .to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let v: Vec<DVector<f64>> = [1, 3, 5, 6].iter().map(|&k| vector(&p[k])).collect();
        let dv: Vec<DVector<f64>> = [1, 3, 5, 6].iter().map(|&k| vector(&t[k])).collect();
        let (y, dy) = mlp_jvp(
            &p[0], &t[0], &v[0], &dv[0], &p[2], &t[2], &v[1], &dv[1], &p[4], &t[4], &v[2], &dv[2],
            &v[3], &dv[3],
        );
        (y.as_slice().to_vec(), dy.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let v: Vec<DVector<f64>> = [1, 3, 5, 6].iter().map(|&k| vector(&p[k])).collect();
        let mut w: Vec<DMatrix<f64>> = [0, 2, 4].iter().map(|&k| p[k].map(|_| 0.0)).collect();
        let mut b: Vec<DVector<f64>> = v.iter().map(|v| v.map(|_| 0.0)).collect();
        let [w1, w2, w3] = &mut w[..] else {
            unreachable!()
        };
        let [b1, b2, b3, xb] = &mut b[..] else {
            unreachable!()
        };
        let y = mlp_vjp(
            &p[0],
            w1,
            &v[0],
            b1,
            &p[2],
            w2,
            &v[1],
            b2,
            &p[4],
            w3,
            &v[2],
            b3,
            &v[3],
            xb,
            &DVector::from_column_slice(y_bar),
        );
        let g = [
            w1.as_slice(),
            b1.as_slice(),
            w2.as_slice(),
            b2.as_slice(),
            w3.as_slice(),
            b3.as_slice(),
            xb.as_slice(),
        ]
        .concat();
        (y.as_slice().to_vec(), g)
    };
    let case = Case {
        name: "mlp",
        inputs: l.len(),
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &network_point(&l, 19), 9);
}

/// The network cost's parameters at any scalar type, from flat values and tangents.
struct Network<S> {
    w: [DMatrix<S>; 3],
    b: [DVector<S>; 3],
    x: DVector<S>,
}

impl<S: tapeless::Real> Network<S> {
    fn new(l: &Layout, values: &[f64], lift: impl Fn(usize, f64) -> S) -> Self {
        let mut k = 0;
        let mut parts: Vec<DMatrix<S>> = Vec::new();
        for &(r, c) in &l.0 {
            parts.push(DMatrix::from_fn(r, c, |i, j| {
                let at = k + i + j * r;
                lift(at, values[at])
            }));
            k += r * c;
        }
        let v = |m: &DMatrix<S>| DVector::from_column_slice(m.as_slice());
        Network {
            w: [parts[0].clone(), parts[2].clone(), parts[4].clone()],
            b: [v(&parts[1]), v(&parts[3]), v(&parts[5])],
            x: v(&parts[6]),
        }
    }

    fn zeros(&self) -> Self {
        Network {
            w: self.w.clone().map(|m| m.map(|_| S::from_f64(0.0))),
            b: self.b.clone().map(|m| m.map(|_| S::from_f64(0.0))),
            x: self.x.map(|_| S::from_f64(0.0)),
        }
    }

    fn flat(&self) -> Vec<S> {
        let [w1, w2, w3] = &self.w;
        let [b1, b2, b3] = &self.b;
        [
            w1.as_slice(),
            b1.as_slice(),
            w2.as_slice(),
            b2.as_slice(),
            w3.as_slice(),
            b3.as_slice(),
            self.x.as_slice(),
        ]
        .concat()
    }

    /// `mlp_cost_vjp` at `S`: the value, and the gradient accumulated into `bar`.
    fn vjp(&self, bar: &mut Self, target: &DVector<S>) -> S {
        let [w1, w2, w3] = &self.w;
        let [b1, b2, b3] = &self.b;
        let [w1b, w2b, w3b] = &mut bar.w;
        let [b1b, b2b, b3b] = &mut bar.b;
        let mut t_bar = target.map(|_| S::from_f64(0.0));
        mlp_cost_vjp(
            w1,
            w1b,
            b1,
            b1b,
            w2,
            w2b,
            b2,
            b2b,
            w3,
            w3b,
            b3,
            b3b,
            &self.x,
            &mut bar.x,
            target,
            &mut t_bar,
            S::from_f64(1.0),
        )
    }
}

fn gradient(l: &Layout, x: &[f64], target: &DVector<f64>) -> Vec<f64> {
    let n = Network::new(l, x, |_, v| v);
    let mut bar = n.zeros();
    n.vjp(&mut bar, target);
    bar.flat()
}

/// `H v` by the adjoint evaluated at dual numbers (forward over reverse).
fn hvp(l: &Layout, x: &[f64], v: &[f64], target: &DVector<f64>) -> Vec<f64> {
    let n = Network::new(l, x, |k, value| Dual::<f64, 1>::new(value, [v[k]]));
    let mut bar = n.zeros();
    let t = target.map(Dual::constant);
    n.vjp(&mut bar, &t);
    bar.flat().iter().map(|d| d.tangents[0]).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn dense_network_cost_gradient_and_hessian_vector_products() {
    let l = network_layout(4, 6, 3);
    let x = network_point(&l, 21);
    let target = DVector::from_vec(vec![0.3, -0.2, 0.1]);
    // Gradient: the oracle's three checks on the scalar cost.
    let f = |x: &[f64]| {
        let n = Network::new(&l, x, |_, v| v);
        let [w1, w2, w3] = &n.w;
        let [b1, b2, b3] = &n.b;
        vec![mlp_cost(w1, b1, w2, b2, w3, b3, &n.x, &target)]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (n, t) = (Network::new(&l, x, |_, v| v), Network::new(&l, d, |_, v| v));
        let z = target.map(|_| 0.0);
        let (v, dv) = mlp_cost_jvp(
            &n.w[0], &t.w[0], &n.b[0], &t.b[0], &n.w[1], &t.w[1], &n.b[1], &t.b[1], &n.w[2],
            &t.w[2], &n.b[2], &t.b[2], &n.x, &t.x, &target, &z,
        );
        (vec![v], vec![dv])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let g = gradient(&l, x, &target);
        (f(x), g.iter().map(|v| v * y_bar[0]).collect())
    };
    let case = Case {
        name: "mlp_cost",
        inputs: l.len(),
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 10);

    // The convenience gradient agrees with the adjoint.
    let n = Network::new(&l, &x, |_, v| v);
    let (value, (w1b, b1b, ..)) = mlp_cost_grad(
        &n.w[0], &n.b[0], &n.w[1], &n.b[1], &n.w[2], &n.b[2], &n.x, &target,
    );
    assert_eq!(value, f(&x)[0]);
    let g = gradient(&l, &x, &target);
    assert_eq!(w1b.as_slice(), &g[..24]);
    assert_eq!(b1b.as_slice(), &g[24..30]);

    // Forward over reverse: H v against central differences of gradients, and symmetry.
    let mut rng = Draws::new(22);
    let (u, v) = (rng.vec(l.len()), rng.vec(l.len()));
    let hv = hvp(&l, &x, &v, &target);
    let hu = hvp(&l, &x, &u, &target);
    let h = 1e-5;
    let shifted = |s: f64| -> Vec<f64> { x.iter().zip(&v).map(|(a, b)| a + s * b).collect() };
    let (gp, gm) = (
        gradient(&l, &shifted(h), &target),
        gradient(&l, &shifted(-h), &target),
    );
    let scale = hv.iter().fold(1.0_f64, |m, a| m.max(a.abs()));
    for (k, (a, (p, m))) in hv.iter().zip(gp.iter().zip(&gm)).enumerate() {
        let fd = (p - m) / (2.0 * h);
        assert!(
            (a - fd).abs() <= 1e-6 * scale,
            "H v component {k}: {a:e} vs differences {fd:e}"
        );
    }
    assert_close(dot(&u, &hv), dot(&v, &hu), 1e-12, "u^T H v = v^T H u");

    // Through calls of differentiable functions: the same value, gradient and H v.
    let by_call = |x: &[f64], v: &[f64]| {
        let n = Network::new(&l, x, |k, value| Dual::<f64, 1>::new(value, [v[k]]));
        let mut bar = n.zeros();
        let t = target.map(Dual::constant);
        let mut t_bar = t.map(|_| Dual::constant(0.0));
        let [w1, w2, w3] = &n.w;
        let [b1, b2, b3] = &n.b;
        let [w1b, w2b, w3b] = &mut bar.w;
        let [b1b, b2b, b3b] = &mut bar.b;
        let value = mlp_cost_by_call_vjp(
            w1,
            w1b,
            b1,
            b1b,
            w2,
            w2b,
            b2,
            b2b,
            w3,
            w3b,
            b3,
            b3b,
            &n.x,
            &mut bar.x,
            &t,
            &mut t_bar,
            Dual::constant(1.0),
        );
        (value, bar.flat())
    };
    let nx = Network::new(&l, &x, |_, v| v);
    let plain = mlp_cost_by_call(
        &nx.w[0], &nx.b[0], &nx.w[1], &nx.b[1], &nx.w[2], &nx.b[2], &nx.x, &target,
    );
    assert_close(plain, f(&x)[0], 1e-15, "the user's function through a call");
    let (value, flat) = by_call(&x, &v);
    assert_close(value.value, f(&x)[0], 1e-15, "value through a call");
    for (k, (a, (b, c))) in flat.iter().zip(g.iter().zip(&hv)).enumerate() {
        assert_close(
            a.value,
            *b,
            1e-13,
            &format!("gradient component {k} through a call"),
        );
        assert_close(
            a.tangents[0],
            *c,
            1e-12,
            &format!("H v component {k} through a call"),
        );
    }
    let zeros = vec![0.0; l.len()];
    let nz = Network::new(&l, &x, |_, v| v);
    let tz = target.map(|_| 0.0);
    let (_, jv) = mlp_cost_by_call_jvp(
        &nz.w[0],
        &nz.w[0].map(|_| 0.0),
        &nz.b[0],
        &nz.b[0].map(|_| 0.0),
        &nz.w[1],
        &nz.w[1].map(|_| 0.0),
        &nz.b[1],
        &nz.b[1].map(|_| 0.0),
        &nz.w[2],
        &nz.w[2].map(|_| 0.0),
        &nz.b[2],
        &nz.b[2].map(|_| 0.0),
        &nz.x,
        &Network::new(&l, &zeros, |_, v| v).x,
        &target,
        &tz,
    );
    assert_eq!(jv, 0.0);
    let dir = Network::new(&l, &v, |_, v| v);
    let (_, jv) = mlp_cost_by_call_jvp(
        &nz.w[0], &dir.w[0], &nz.b[0], &dir.b[0], &nz.w[1], &dir.w[1], &nz.b[1], &dir.b[1],
        &nz.w[2], &dir.w[2], &nz.b[2], &dir.b[2], &nz.x, &dir.x, &target, &tz,
    );
    assert_close(
        jv,
        dot(&g, &v),
        1e-12,
        "tangent through a call against the gradient",
    );
}

#[test]
fn full_size_network_hessian_vector_product() {
    // The shape of the learned solver's network: 40 -> 512 (tanh) -> 512 (tanh) -> 40.
    let l = network_layout(40, 512, 40);
    let x = network_point(&l, 23);
    let target = DVector::from_fn(40, |i, _| (i as f64 * 0.3).sin());
    let v = Draws::new(24).vec(l.len());
    let hv = hvp(&l, &x, &v, &target);
    let mut fd = vec![0.0; hv.len()];
    central_difference(
        |x, g| g.copy_from_slice(&gradient(&l, x, &target)),
        &x,
        &v,
        1e-5,
        &mut fd,
    )
    .expect("lengths fit");
    let err: f64 = hv
        .iter()
        .zip(&fd)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = hv.iter().map(|a| a * a).sum::<f64>().sqrt();
    assert!(
        err <= 1e-6 * norm,
        "|H v - differences| = {err:e}, |H v| = {norm:e}"
    );
}

#[test]
fn data_outside_wrt_stays_f64_also_at_dual_numbers() {
    let w = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 0.25, 2.0, 0.0, 1.0]);
    let x = DVector::from_vec(vec![1.0, 2.0, -1.0]);
    let target = DVector::from_vec(vec![0.5, 0.5]);
    let (value, (w_bar, x_bar)) = misfit_grad(&w, &x, &target);
    assert_eq!(value, misfit(&w, &x, &target));
    let r = &w * &x - &target;
    assert_eq!(w_bar, &r * x.transpose());
    assert_eq!(x_bar, w.transpose() * &r);
    // H v along x at dual numbers, with the target still `f64`: W^T W v.
    let wd = w.map(Dual::<f64, 1>::constant);
    let dir = DVector::from_vec(vec![1.0, 0.0, 0.5]);
    let xd = DVector::from_fn(3, |i, _| Dual::new(x[i], [dir[i]]));
    let mut wb = wd.map(|_| Dual::constant(0.0));
    let mut xb = xd.map(|_| Dual::constant(0.0));
    misfit_vjp(&wd, &mut wb, &xd, &mut xb, &target, Dual::constant(1.0));
    let expected = w.transpose() * (&w * &dir);
    for i in 0..3 {
        assert_close(xb[i].tangents[0], expected[i], 1e-14, "W^T W v");
    }
}

/// A recurrence on a matrix-valued state: reassignment in a loop and in a branch.
#[differentiable]
fn recurrence(a: &DMatrix<f64>, b: &DVector<f64>, h0: &DVector<f64>, steps: usize) -> f64 {
    let mut h = h0.clone();
    for k in 0..steps {
        h = (a * &h).map(|v| v.tanh()) + &h * 0.5;
        h += b;
        if k % 2 == 1 {
            h -= &h.component_mul(b) * 0.25;
        }
    }
    h.norm_squared()
}

#[test]
fn matrix_state_reassigned_in_loops_and_branches() {
    let l = Layout(vec![(4, 4), (4, 1), (4, 1)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        vec![recurrence(&p[0], &vector(&p[1]), &vector(&p[2]), 5)]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = recurrence_jvp(
            &p[0],
            &t[0],
            &vector(&p[1]),
            &vector(&t[1]),
            &vector(&p[2]),
            &vector(&t[2]),
            5,
        );
        (vec![v], vec![dv])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut a_bar = DMatrix::zeros(4, 4);
        let (mut b_bar, mut h_bar) = (DVector::zeros(4), DVector::zeros(4));
        let v = recurrence_vjp(
            &p[0],
            &mut a_bar,
            &vector(&p[1]),
            &mut b_bar,
            &vector(&p[2]),
            &mut h_bar,
            5,
            y_bar[0],
        );
        let mut g = flat(&[&a_bar]);
        g.extend(flat_vectors(&[&b_bar, &h_bar]));
        (vec![v], g)
    };
    let case = Case {
        name: "recurrence",
        inputs: l.len(),
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &network_point(&l, 25), 11);
}

#[test]
fn companions_run_at_f32() {
    let w = DMatrix::from_row_slice(2, 3, &[0.5_f32, -1.0, 0.25, 2.0, 0.0, 1.0]);
    let (b, x) = (
        DVector::from_vec(vec![0.1_f32, -0.2]),
        DVector::from_vec(vec![1.0_f32, 2.0, -1.0]),
    );
    let y32 = layer_generic(&w, &b, &x);
    let y64 = layer(&w.map(f64::from), &b.map(f64::from), &x.map(f64::from));
    for i in 0..2 {
        assert!((f64::from(y32[i]) - y64[i]).abs() < 1e-6);
    }
    let (_, dy) = layer_jvp(
        &w,
        &w.map(|_| 0.0),
        &b,
        &b.map(|_| 0.0),
        &x,
        &x.map(|_| 1.0),
    );
    assert!(dy.iter().all(|v| v.is_finite()));
}

/// A network applied to a state held in a slice, as in an ODE solver's step.
#[differentiable]
fn network_step(w: &DMatrix<f64>, u: &[f64]) -> Vec<f64> {
    let x = DVector::from_column_slice(u);
    let y = (w * &x).map(|v| v.tanh());
    let mut out = vec![0.0; u.len()];
    for i in 0..u.len() {
        out[i] = u[i] + 0.1 * y[i];
    }
    out
}

#[test]
fn vectors_built_from_slices() {
    let n = 4;
    let split = |x: &[f64]| {
        (
            DMatrix::from_column_slice(n, n, &x[..n * n]),
            x[n * n..].to_vec(),
        )
    };
    let f = |x: &[f64]| {
        let (w, u) = split(x);
        network_step(&w, &u)
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let ((w, u), (dw, du)) = (split(x), split(d));
        network_step_jvp(&w, &dw, &u, &du)
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let (w, u) = split(x);
        let (mut w_bar, mut u_bar) = (DMatrix::zeros(n, n), vec![0.0; n]);
        let v = network_step_vjp(&w, &mut w_bar, &u, &mut u_bar, y_bar);
        let mut g = w_bar.as_slice().to_vec();
        g.extend(u_bar);
        (v, g)
    };
    let case = Case {
        name: "network_step",
        inputs: n * n + n,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &network_point(&Layout(vec![(n, n), (n, 1)]), 26), 12);
}

/// A matrix and a real as one tuple result.
#[differentiable]
fn affine_and_energy(w: &DMatrix<f64>, x: &DVector<f64>) -> (DVector<f64>, f64) {
    let y = w * x;
    let e = 0.5 * y.norm_squared();
    (y, e)
}

/// Calls it, binding a tuple of a vector and a real.
#[differentiable]
fn tuple_caller(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let (y, e): (DVector<f64>, f64) = affine_and_energy(w, x);
    e * y.sum() + y[0]
}

#[test]
fn tuple_results_with_matrices_and_calls_binding_them() {
    let l = Layout(vec![(3, 2), (2, 1)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        let (y, e) = affine_and_energy(&p[0], &vector(&p[1]));
        let mut out = y.as_slice().to_vec();
        out.push(e);
        out.push(tuple_caller(&p[0], &vector(&p[1])));
        out
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let ((y, e), (dy, de)) =
            affine_and_energy_jvp(&p[0], &t[0], &vector(&p[1]), &vector(&t[1]));
        let (c, dc) = tuple_caller_jvp(&p[0], &t[0], &vector(&p[1]), &vector(&t[1]));
        let mut v = y.as_slice().to_vec();
        v.extend([e, c]);
        let mut dv = dy.as_slice().to_vec();
        dv.extend([de, dc]);
        (v, dv)
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut b = l.zeros();
        let mut x_bar = vector(&b[1]);
        let seed = (DVector::from_column_slice(&y_bar[..3]), y_bar[3]);
        let (y, e) = affine_and_energy_vjp(
            &p[0],
            &mut b[0],
            &vector(&p[1]),
            &mut x_bar,
            (&seed.0, seed.1),
        );
        let c = tuple_caller_vjp(&p[0], &mut b[0], &vector(&p[1]), &mut x_bar, y_bar[4]);
        let mut v = y.as_slice().to_vec();
        v.extend([e, c]);
        let mut g = b[0].as_slice().to_vec();
        g.extend(x_bar.iter());
        (v, g)
    };
    let case = Case {
        name: "tuples",
        inputs: l.len(),
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(27).vec(l.len()), 13);
}

/// Columns and rows of a matrix variable.
#[differentiable]
fn columns_and_rows(m: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let c = m.column(1);
    let r = m.row(0);
    let s = r * x;
    c.dot(x) * s[0] + (m.transpose() * c).norm()
}

#[test]
fn columns_and_rows_of_matrices() {
    let l = Layout(vec![(3, 3), (3, 1)]);
    let f = |x: &[f64]| {
        let p = l.unpack(x);
        vec![columns_and_rows(&p[0], &vector(&p[1]))]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (l.unpack(x), l.unpack(d));
        let (v, dv) = columns_and_rows_jvp(&p[0], &t[0], &vector(&p[1]), &vector(&t[1]));
        (vec![v], vec![dv])
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = l.unpack(x);
        let mut m_bar = DMatrix::zeros(3, 3);
        let mut x_bar = DVector::zeros(3);
        let v = columns_and_rows_vjp(&p[0], &mut m_bar, &vector(&p[1]), &mut x_bar, y_bar[0]);
        let mut g = m_bar.as_slice().to_vec();
        g.extend(x_bar.iter());
        (vec![v], g)
    };
    let case = Case {
        name: "columns_and_rows",
        inputs: l.len(),
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Draws::new(28).vec(l.len()), 14);
}

/// A ReLU layer and a softplus, for forward over forward and third order.
#[differentiable]
fn relu_softplus(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = (w * x).map(|v| v.max(0.0));
    h.map(|v| (1.0 + v.exp()).ln()).sum() + 0.5 * x.norm_squared()
}

#[test]
fn second_and_third_order_through_matrix_code() {
    type D = Dual<f64, 1>;
    type DD = Dual<Dual<f64, 1>, 1>;
    let w = DMatrix::from_row_slice(3, 2, &[0.5, -1.0, 0.25, 2.0, -0.3, 1.0]);
    let x = DVector::from_vec(vec![0.7, 0.4]);
    let v = DVector::from_vec(vec![0.3, -0.8]);
    // H v by forward over reverse, along x.
    let hv = |x: &DVector<f64>| -> DVector<f64> {
        let wd = w.map(D::constant);
        let xd = DVector::from_fn(2, |i, _| D::new(x[i], [v[i]]));
        let (mut wb, mut xb) = (wd.map(|_| D::constant(0.0)), xd.map(|_| D::constant(0.0)));
        relu_softplus_vjp(&wd, &mut wb, &xd, &mut xb, D::constant(1.0));
        xb.map(|d| d.tangents[0])
    };
    let h_v = hv(&x);
    let (value, _) = relu_softplus_jvp(&w, &w.map(|_| 0.0), &x, &v);
    assert_eq!(value, relu_softplus(&w, &x));
    // v^T H v by forward over forward: the tangent of the tangent.
    let wd = w.map(D::constant);
    let xd = DVector::from_fn(2, |i, _| D::new(x[i], [v[i]]));
    let (_, d) = relu_softplus_jvp(&wd, &w.map(|_| D::constant(0.0)), &xd, &v.map(D::constant));
    assert_close(
        d.tangents[0],
        v.dot(&h_v),
        1e-13,
        "v^T H v, forward over forward",
    );
    // Third order: the adjoint at duals of duals; its second-order lanes are d/dt (H v) along v.
    let xdd = DVector::from_fn(2, |i, _| {
        DD::new(D::new(x[i], [v[i]]), [D::new(v[i], [0.0])])
    });
    let wdd = w.map(DD::from_f64);
    let (mut wb, mut xb) = (
        wdd.map(|_| DD::from_f64(0.0)),
        xdd.map(|_| DD::from_f64(0.0)),
    );
    relu_softplus_vjp(&wdd, &mut wb, &xdd, &mut xb, DD::from_f64(1.0));
    let h = 1e-4;
    let (hp, hm) = (hv(&(&x + &v * h)), hv(&(&x - &v * h)));
    for i in 0..2 {
        assert_close(
            xb[i].value.tangents[0],
            h_v[i],
            1e-13,
            "H v inside the nested dual",
        );
        let fd = (hp[i] - hm[i]) / (2.0 * h);
        assert!(
            (xb[i].tangents[0].tangents[0] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "third derivative component {i}: {:e} vs {fd:e}",
            xb[i].tangents[0].tangents[0]
        );
    }
}

/// A borrowed parameter returned as a copy, and a by-value one returned as it is.
#[differentiable]
fn copies(x: &DVector<f64>, y: DVector<f64>) -> (DVector<f64>, DVector<f64>) {
    (x.clone(), y)
}

#[test]
fn parameters_returned_as_results() {
    let (x, y) = (
        DVector::from_vec(vec![1.0, 2.0]),
        DVector::from_vec(vec![3.0]),
    );
    assert_eq!(copies(&x, y.clone()), (x.clone(), y.clone()));
    let ((a, b), (da, db)) = copies_jvp(&x, &x.map(|v| 2.0 * v), y.clone(), y.map(|v| -v));
    assert_eq!(
        (a, b, da, db),
        (x.clone(), y.clone(), x.map(|v| 2.0 * v), y.map(|v| -v))
    );
    let (mut xb, mut yb) = (DVector::zeros(2), DVector::zeros(1));
    let seed = (
        DVector::from_vec(vec![0.5, 0.25]),
        DVector::from_vec(vec![4.0]),
    );
    copies_vjp(&x, &mut xb, y.clone(), &mut yb, (&seed.0, &seed.1));
    assert_eq!((xb, yb), seed);
}
