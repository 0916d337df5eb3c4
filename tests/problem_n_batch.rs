//! Problem N with batched windows (issue 14, item 2): the batch's losses and hypergradient (all
//! 304,168 entries) against the per-window path summed, for batches of 1, 3 and 8 windows, with
//! the network batched and the inner costs per window (to 1e-12 of the windows' magnitudes), and
//! with the inner costs batched too (to the hypergradient's own sensitivity to rounding: within
//! ten times what one ulp of a background component moves the per-window results); the
//! batched network's generated adjoint by the shared oracle (finite differences, the
//! dot-product test, tangent against adjoint) and column by column against the per-window
//! network; a batch of mismatched window data is an error naming the window.

use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::hyper::{
    BatchAdjoints, BatchError, BatchInputs, BatchUpdate, BatchWindow, UnrolledBatch,
};
use tapeless::nested::{NestedError, NoParameters};
use tapeless::InputError;
use tapeless_problems::l96::{InnerCost, OuterLoss};
use tapeless_problems::n::{initial_parameters, layout, mlp, Network, Window, ETA, STATE};
use tapeless_problems::n_batch::{mlp_batch, mlp_batch_jvp, mlp_batch_vjp, Batch, LearnedBatch};

mod common;

use common::{check, Case, Draws};

/// The shapes of a network `n -> h -> h -> n` applied to `b` columns, in the order of
/// `mlp_batch`'s real arguments other than `ones`: w1, b1, w2, b2, w3, b3, input.
fn shapes(n: usize, h: usize, b: usize) -> [(usize, usize); 7] {
    [(h, n), (h, 1), (h, h), (h, 1), (n, h), (n, 1), (n, b)]
}

/// The flat vector `x` cut into the seven matrices of `shapes` (column-major each).
fn unpack(shapes: &[(usize, usize); 7], x: &[f64]) -> Vec<DMatrix<f64>> {
    let mut offset = 0;
    shapes
        .iter()
        .map(|&(r, c)| {
            let m = DMatrix::from_column_slice(r, c, &x[offset..offset + r * c]);
            offset += r * c;
            m
        })
        .collect()
}

fn column(m: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_column_slice(m.as_slice())
}

/// The batched network, its tangent and its adjoint as functions of flat vectors (the row of
/// ones held constant).
fn network_case(n: usize, h: usize, b: usize, check_at: &[f64], seed: u64) {
    let s = shapes(n, h, b);
    let inputs: usize = s.iter().map(|(r, c)| r * c).sum();
    let ones = RowDVector::from_element(b, 1.0);
    let f = |x: &[f64]| {
        let p = unpack(&s, x);
        let v: Vec<DVector<f64>> = [1, 3, 5].iter().map(|&k| column(&p[k])).collect();
        mlp_batch(&p[0], &v[0], &p[2], &v[1], &p[4], &v[2], &ones, &p[6])
            .as_slice()
            .to_vec()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, t) = (unpack(&s, x), unpack(&s, d));
        let v: Vec<DVector<f64>> = [1, 3, 5].iter().map(|&k| column(&p[k])).collect();
        let dv: Vec<DVector<f64>> = [1, 3, 5].iter().map(|&k| column(&t[k])).collect();
        let (y, dy) = mlp_batch_jvp(
            &p[0],
            &t[0],
            &v[0],
            &dv[0],
            &p[2],
            &t[2],
            &v[1],
            &dv[1],
            &p[4],
            &t[4],
            &v[2],
            &dv[2],
            &ones,
            &RowDVector::zeros(b),
            &p[6],
            &t[6],
        );
        (y.as_slice().to_vec(), dy.as_slice().to_vec())
    };
    let vjp = |x: &[f64], y_bar: &[f64]| {
        let p = unpack(&s, x);
        let v: Vec<DVector<f64>> = [1, 3, 5].iter().map(|&k| column(&p[k])).collect();
        let mut w: Vec<DMatrix<f64>> = [0, 2, 4, 6].iter().map(|&k| p[k].map(|_| 0.0)).collect();
        let mut bb: Vec<DVector<f64>> = v.iter().map(|v| v.map(|_| 0.0)).collect();
        let [w1, w2, w3, xb] = &mut w[..] else {
            unreachable!()
        };
        let [b1, b2, b3] = &mut bb[..] else {
            unreachable!()
        };
        let mut ones_bar = RowDVector::zeros(b);
        let y = mlp_batch_vjp(
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
            &ones,
            &mut ones_bar,
            &p[6],
            xb,
            &DMatrix::from_column_slice(n, b, y_bar),
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
    check(
        &Case {
            name: "mlp_batch",
            inputs,
            outputs: n * b,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        },
        check_at,
        seed,
    );
}

/// A point of the network's inputs with weights scaled as a trained network's would be.
fn point(n: usize, h: usize, b: usize, seed: u64) -> Vec<f64> {
    let mut rng = Draws::new(seed);
    shapes(n, h, b)
        .iter()
        .flat_map(|&(r, c)| {
            let scale = if c > 1 && c != b {
                1.0 / (c as f64).sqrt()
            } else {
                0.5
            };
            (0..r * c).map(|_| scale * rng.next()).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_batched_network_passes_the_oracle_small_and_at_problem_n_size() {
    network_case(5, 7, 3, &point(5, 7, 3, 11), 12);
    network_case(STATE, 512, 4, &point(STATE, 512, 4, 13), 14);
}

#[test]
fn the_batched_network_is_the_network_column_by_column() {
    let layout = layout(STATE);
    let theta = initial_parameters(&layout);
    let net = Network::unpack(&layout, &theta);
    let ([w1, w2, w3], [b1, b2, b3]) = (&net.weights, &net.biases);
    let b = 5;
    let input = DMatrix::from_column_slice(STATE, b, &Draws::new(5).vec(STATE * b));
    let batched = mlp_batch(
        w1,
        b1,
        w2,
        b2,
        w3,
        b3,
        &RowDVector::from_element(b, 1.0),
        &input,
    );
    for w in 0..b {
        let one = mlp(w1, b1, w2, b2, w3, b3, &input.column(w).into_owned());
        for i in 0..STATE {
            let (a, e) = (batched[(i, w)], one[i]);
            assert!(
                (a - e).abs() <= 1e-14 * e.abs().max(1e-3),
                "column {w}, row {i}: {a:e} vs {e:e}"
            );
        }
    }
}

/// The batch's losses and hypergradient with the network batched (the inner costs per window)
/// against the per-window path summed in window order.
fn batch_equals_per_window(windows: &[Window]) {
    let theta = initial_parameters(&layout(STATE));
    let batched = Batch::new()
        .hypergradient_per_window_costs(windows, &theta)
        .unwrap();
    let (mut sum, mut magnitude) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
    for (w, window) in windows.iter().enumerate() {
        let one = window.hypergradient(&theta).unwrap();
        let (a, e) = (batched.losses[w], one.loss);
        assert!(
            (a - e).abs() <= 1e-12 * e.abs(),
            "B = {}, window {w}: loss {a:e} vs {e:e}",
            windows.len()
        );
        sum.iter_mut().zip(&one.theta).for_each(|(s, d)| *s += d);
        magnitude
            .iter_mut()
            .zip(&one.theta)
            .for_each(|(s, d)| *s += d.abs());
    }
    assert!(batched.phi.iter().all(|p| p.is_empty()));
    assert_eq!(batched.theta.len(), 304_168);
    // Entry by entry, relative to the sum of the windows' magnitudes `sum_w |dL_w/dtheta_j|`
    // (the scale of the rounding of a sum whose terms cancel: the windows' hypergradients
    // range over four decades), with a floor of 1e-6 of the largest entry.
    let largest = magnitude.iter().fold(0.0_f64, |m, v| m.max(*v));
    let mut worst = (0.0_f64, 0);
    for (j, ((a, e), m)) in batched.theta.iter().zip(&sum).zip(&magnitude).enumerate() {
        let error = (a - e).abs() / m.max(1e-6 * largest);
        if error > worst.0 {
            worst = (error, j);
        }
    }
    assert!(
        worst.0 <= 1e-12,
        "B = {}: entry {} of dL/dtheta: {:e} vs {:e} (error {:e} of the windows' magnitude)",
        windows.len(),
        worst.1,
        batched.theta[worst.1],
        sum[worst.1],
        worst.0
    );
    eprintln!(
        "B = {}: worst error {:e} at entry {}",
        windows.len(),
        worst.0,
        worst.1
    );
}

#[test]
fn a_batch_of_1_3_and_8_windows_gives_the_per_window_hypergradients_summed() {
    let windows = Window::many(0..8);
    batch_equals_per_window(&windows[..1]);
    batch_equals_per_window(&windows[5..8]);
    batch_equals_per_window(&windows);
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `a` against `e`: the normwise relative error, and the worst entry's error relative to its
/// own size with a floor of 1e-6 of the largest entry.
fn errors(a: &[f64], e: &[f64]) -> (f64, f64) {
    let largest = e.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let d: Vec<f64> = a.iter().zip(e).map(|(a, e)| a - e).collect();
    let worst = a
        .iter()
        .zip(e)
        .map(|(a, e)| (a - e).abs() / e.abs().max(1e-6 * largest))
        .fold(0.0_f64, f64::max);
    (norm(&d) / norm(e), worst)
}

/// The per-window path summed in window order: losses and hypergradient.
fn per_window(windows: &[Window], theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut sum = vec![0.0; theta.len()];
    let mut losses = Vec::new();
    for window in windows {
        let one = window.hypergradient(theta).unwrap();
        losses.push(one.loss);
        sum.iter_mut().zip(&one.theta).for_each(|(s, d)| *s += d);
    }
    (losses, sum)
}

/// How far window `w`'s per-window loss and hypergradient move when one component of its
/// background (the initial state and the background term) moves by one ulp, the largest over a
/// few components: the size of a rounding-level change of its inner gradients, seen at the
/// output. Absolute: `(|dL|, |d dL/dtheta|)`.
fn one_ulp_sensitivity(w: usize, theta: &[f64]) -> (f64, f64) {
    let one = Window::new(w).hypergradient(theta).unwrap();
    let mut most = (0.0_f64, 0.0_f64);
    for i in [0, 7, 21, 30] {
        let mut moved = Window::new(w);
        moved.data.xb[i] = f64::from_bits(moved.data.xb[i].to_bits() + 1);
        let m = moved.hypergradient(theta).unwrap();
        let d: Vec<f64> = m.theta.iter().zip(&one.theta).map(|(a, e)| a - e).collect();
        most = (most.0.max((m.loss - one.loss).abs()), most.1.max(norm(&d)));
    }
    most
}

/// The batch of windows `range` with the inner costs batched too against the per-window path:
/// each loss, and the summed hypergradient (normwise), within ten times what one ulp of a
/// background component moves the per-window results (summed over the windows), and within
/// 1e-13 relative besides that. The batched adjoint rounds differently from the generated one
/// (to about 1e-15 per inner gradient, `tests/l96_batch.rs`), and windows close to the inner
/// descent's stability limit amplify that: window 7's hypergradient moves by 2.6e-8 of its
/// norm under one ulp of `xb[30]`.
fn batched_costs_equal_per_window(windows: &[Window], sensitivities: &[(f64, f64)]) {
    let theta = initial_parameters(&layout(STATE));
    let batched = Batch::new().hypergradient(windows, &theta).unwrap();
    let (losses, sum) = per_window(windows, &theta);
    let b = windows.len();
    let mut theta_tolerance = 1e-13 * norm(&sum);
    for ((w, (a, e)), &(loss_change, theta_change)) in batched
        .losses
        .iter()
        .zip(&losses)
        .enumerate()
        .zip(sensitivities)
    {
        theta_tolerance += 10.0 * theta_change;
        assert!(
            (a - e).abs() <= 10.0 * loss_change + 1e-13 * e.abs(),
            "B = {b}, window {w}: loss {a:e} vs {e:e} (one ulp moves it by {loss_change:e})"
        );
    }
    assert!(batched.phi.iter().all(|p| p.is_empty()));
    assert_eq!(batched.theta.len(), 304_168);
    let (normwise, worst) = errors(&batched.theta, &sum);
    let d: Vec<f64> = batched.theta.iter().zip(&sum).map(|(a, e)| a - e).collect();
    eprintln!(
        "B = {b}, inner costs batched: normwise {normwise:e}, worst entry {worst:e}; \
         |difference| {:e}, tolerance {theta_tolerance:e}",
        norm(&d)
    );
    assert!(
        norm(&d) <= theta_tolerance,
        "B = {b}: |dL/dtheta difference| {:e} > {theta_tolerance:e}",
        norm(&d)
    );
}

#[test]
fn a_batch_with_batched_inner_costs_gives_the_per_window_hypergradients_to_rounding() {
    let windows = Window::many(0..8);
    let theta = initial_parameters(&layout(STATE));
    let sensitivities: Vec<(f64, f64)> = (0..8).map(|w| one_ulp_sensitivity(w, &theta)).collect();
    // One window takes the per-window costs (`BATCHED_COSTS_FROM`); two are batched.
    batched_costs_equal_per_window(&windows[..1], &sensitivities[..1]);
    batched_costs_equal_per_window(&windows[..2], &sensitivities[..2]);
    batched_costs_equal_per_window(&windows[5..8], &sensitivities[5..8]);
    batched_costs_equal_per_window(&windows, &sensitivities);
}

#[test]
fn the_batch_analyses_are_the_per_window_analyses() {
    let theta = initial_parameters(&layout(STATE));
    let windows = Window::many(3..6);
    let x = Batch::new().analyses(&windows, &theta).unwrap();
    for (w, window) in windows.iter().enumerate() {
        let one = window.analysis(&theta).unwrap();
        for i in 0..STATE {
            assert!((x[(i, w)] - one[i]).abs() <= 1e-12 * one[i].abs().max(1.0));
        }
    }
}

#[test]
fn mismatched_window_data_is_an_error_naming_the_window() {
    let windows = Window::many(0..3);
    let theta = initial_parameters(&layout(STATE));
    let learned = LearnedBatch::new(ETA);
    let costs: Vec<_> = windows
        .iter()
        .map(|w| NoParameters(InnerCost(&w.data)))
        .collect();
    let outers: Vec<_> = windows.iter().map(|w| OuterLoss(&w.truth)).collect();
    let short = &windows[2].data.xb[..39];
    let mut nan = windows[1].data.xb.clone();
    nan[7] = f64::NAN;
    fn batch<'a>(
        costs: &'a [NoParameters<InnerCost<'a>>],
        outers: &'a [OuterLoss<'a>],
        x0: [&'a [f64]; 3],
    ) -> Vec<BatchWindow<'a, NoParameters<InnerCost<'a>>, OuterLoss<'a>>> {
        (0..3)
            .map(|w| BatchWindow {
                cost: &costs[w],
                outer: &outers[w],
                x0: x0[w],
                phi: &[],
            })
            .collect()
    }
    let solver = UnrolledBatch::new(&learned, 5);
    let xb = |w: usize| &windows[w].data.xb[..];
    let error = solver
        .reverse(&batch(&costs, &outers, [xb(0), xb(1), short]), &theta)
        .unwrap_err();
    assert_eq!(
        error,
        BatchError::Window {
            window: 2,
            source: NestedError::Input(InputError::WrongLength {
                what: "x0 (every window of a batch has the state length of window 0)",
                expected: 40,
                found: 39,
            }),
        }
    );
    assert!(error.to_string().starts_with("window 2 of the batch: x0"));
    assert!(matches!(
        solver.solve(&batch(&costs, &outers, [xb(0), &nan, xb(2)]), &theta),
        Err(BatchError::Window {
            window: 1,
            source: NestedError::Input(InputError::NonFinite {
                what: "x0",
                index: 7,
                ..
            }),
        })
    ));
    assert!(matches!(
        solver.reverse(&batch(&costs, &outers, [xb(0), xb(1), xb(2)]), &theta[1..]),
        Err(BatchError::Batch(NestedError::Input(
            InputError::WrongLength { what: "theta", .. }
        )))
    ));
    let none: [BatchWindow<'_, NoParameters<InnerCost<'_>>, OuterLoss<'_>>; 0] = [];
    assert_eq!(solver.reverse(&none, &theta), Err(BatchError::Empty));
    // The weights of one window of a batch diverging are named too.
    let mut huge = theta.clone();
    huge.iter_mut().for_each(|t| *t *= 1e200);
    assert!(matches!(
        Batch::new().hypergradient(&windows, &huge),
        Err(BatchError::Window { window: 0, .. })
    ));
}

/// The batched step's adjoint (the generated network adjoint inside [`BatchUpdate::step_vjp`]) of
/// [`LearnedBatch`] at one step against its own tangent by finite differences of `step` along
/// a direction in the weights, the gradients and the states.
#[test]
fn the_batched_step_adjoint_agrees_with_differences_of_the_step() {
    let layout = layout(STATE);
    let theta = initial_parameters(&layout);
    let learned = LearnedBatch::new(ETA);
    let b = 3;
    let mut rng = Draws::new(21);
    let grad = DMatrix::from_column_slice(STATE, b, &rng.vec(STATE * b)) * 300.0;
    let x = DMatrix::from_column_slice(STATE, b, &rng.vec(STATE * b));
    let empty = DMatrix::zeros(0, b);
    let step = |theta: &[f64], grad: &DMatrix<f64>, x: &DMatrix<f64>| {
        let mut next = x.clone();
        let at = BatchInputs {
            theta,
            grad,
            x,
            carry: &empty,
        };
        learned
            .step(&learned.unpack(theta), at, &mut next, &mut empty.clone())
            .unwrap();
        next
    };
    let (theta_dot, grad_dot, x_dot) = (
        rng.vec(theta.len()),
        DMatrix::from_column_slice(STATE, b, &rng.vec(STATE * b)) * 300.0,
        DMatrix::from_column_slice(STATE, b, &rng.vec(STATE * b)),
    );
    let y_bar = DMatrix::from_column_slice(STATE, b, &rng.vec(STATE * b));
    // J x_dot by central differences (step is smooth; h relative to the inputs' size).
    let h = 1e-6;
    let moved = |s: f64| {
        let t: Vec<f64> = theta
            .iter()
            .zip(&theta_dot)
            .map(|(a, d)| a + s * d)
            .collect();
        step(&t, &(&grad + &grad_dot * s), &(&x + &x_dot * s))
    };
    let j_x_dot = (moved(h) - moved(-h)) / (2.0 * h);
    let (mut x_bar, mut grad_bar, mut theta_bar) = (
        y_bar.clone(),
        DMatrix::zeros(STATE, b),
        vec![0.0; theta.len()],
    );
    let at = BatchInputs {
        theta: &theta,
        grad: &grad,
        x: &x,
        carry: &empty,
    };
    learned
        .step_vjp(
            &learned.unpack(&theta),
            at,
            BatchAdjoints {
                x: &mut x_bar,
                carry: &mut empty.clone(),
                grad: &mut grad_bar,
                theta: &mut theta_bar,
            },
        )
        .unwrap();
    let lhs = y_bar.dot(&j_x_dot);
    let rhs = theta_bar
        .iter()
        .zip(&theta_dot)
        .map(|(a, d)| a * d)
        .sum::<f64>()
        + grad_bar.dot(&grad_dot)
        + x_bar.dot(&x_dot);
    assert!(
        (lhs - rhs).abs() <= 1e-7 * lhs.abs().max(rhs.abs()),
        "<y_bar, J x_dot> = {lhs:e} by differences, <J^T y_bar, x_dot> = {rhs:e}"
    );
}
