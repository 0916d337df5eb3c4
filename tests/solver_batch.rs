//! The learned solver on a batch (issue 14 item 4): the batched step is the per-window
//! `solver_step` column by column, its adjoint agrees with central differences of the step, and
//! the batch's hypergradient (network and inner costs batched, one backward sweep) is the sum of
//! the per-window hypergradients to rounding.

use nalgebra::DMatrix;
use tapeless::hyper::{BatchAdjoints, BatchInputs, BatchUpdate};
use tapeless_problems::solver::{initial_parameters, layout, solver_step, Window, MEMORY, STATE};
use tapeless_problems::solver_batch::{hypergradient, SolverBatch};

/// Initial weights with every entry (the zero biases too) moved by a deterministic pattern, so
/// that every tensor's adjoint is exercised.
fn theta() -> Vec<f64> {
    let mut theta = initial_parameters(&layout(STATE), 7);
    for (i, t) in theta.iter_mut().enumerate() {
        *t += 0.01 * (0.37 * i as f64).sin();
    }
    theta
}

fn matrix(rows: usize, cols: usize, seed: f64, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        scale * (seed + 1.3 * i as f64 + 2.9 * j as f64).sin()
    })
}

struct Point {
    x: DMatrix<f64>,
    g: DMatrix<f64>,
    c: DMatrix<f64>,
}

fn point(b: usize) -> Point {
    Point {
        x: matrix(STATE, b, 0.1, 3.0),
        g: matrix(STATE, b, 0.7, 40.0),
        c: matrix(MEMORY, b, 1.9, 0.5),
    }
}

fn step(solver: &SolverBatch, theta: &[f64], p: &Point) -> (DMatrix<f64>, DMatrix<f64>) {
    let net = solver.unpack(theta);
    let (mut x, mut c) = (p.x.clone(), p.c.clone());
    let at = BatchInputs {
        theta,
        grad: &p.g,
        x: &p.x,
        carry: &p.c,
    };
    solver.step(&net, at, &mut x, &mut c).unwrap();
    (x, c)
}

#[test]
fn the_batched_step_is_the_per_window_step_column_by_column() {
    let (solver, theta, b) = (SolverBatch::new(), theta(), 5);
    let p = point(b);
    let (x, c) = step(&solver, &theta, &p);
    let net = solver.unpack(&theta);
    for w in 0..b {
        let out = solver_step(
            &net.w_x,
            &net.w_g,
            &net.w_s,
            &net.w_c,
            &net.b1,
            &net.w2,
            &net.b2,
            &net.w3,
            &net.b3,
            p.x.column(w).as_slice(),
            p.g.column(w).as_slice(),
            p.c.column(w).as_slice(),
        );
        let (xw, cw) = (x.column(w), c.column(w));
        let batched = xw.iter().chain(cw.iter());
        for (a, e) in batched.zip(&out) {
            assert!(
                (a - e).abs() <= 1e-14 * e.abs().max(1.0),
                "window {w}: {a} vs {e}"
            );
        }
    }
}

#[test]
fn the_batched_step_adjoint_agrees_with_central_differences() {
    let (solver, theta, b) = (SolverBatch::new(), theta(), 3);
    let p = point(b);
    // Output weights (adjoints of x_{k+1}, c_{k+1}) and an input direction.
    let (wx, wc) = (matrix(STATE, b, 4.1, 1.0), matrix(MEMORY, b, 5.3, 1.0));
    let (dx, dg, dc) = (
        matrix(STATE, b, 6.7, 1.0),
        matrix(STATE, b, 7.1, 10.0),
        matrix(MEMORY, b, 8.3, 1.0),
    );
    let dtheta: Vec<f64> = (0..theta.len()).map(|i| (0.71 * i as f64).cos()).collect();
    let objective = |t: f64| {
        let moved = Point {
            x: &p.x + &dx * t,
            g: &p.g + &dg * t,
            c: &p.c + &dc * t,
        };
        let th: Vec<f64> = theta.iter().zip(&dtheta).map(|(a, d)| a + t * d).collect();
        let (x, c) = step(&solver, &th, &moved);
        x.dot(&wx) + c.dot(&wc)
    };
    let h = 1e-6;
    let fd = (objective(h) - objective(-h)) / (2.0 * h);

    let net = solver.unpack(&theta);
    let (mut x_bar, mut c_bar) = (wx.clone(), wc.clone());
    let mut g_bar = DMatrix::zeros(STATE, b);
    let mut theta_bar = vec![0.0; theta.len()];
    let at = BatchInputs {
        theta: &theta,
        grad: &p.g,
        x: &p.x,
        carry: &p.c,
    };
    let bar = BatchAdjoints {
        x: &mut x_bar,
        carry: &mut c_bar,
        grad: &mut g_bar,
        theta: &mut theta_bar,
    };
    solver.step_vjp(&net, at, bar).unwrap();
    let adjoint = x_bar.dot(&dx)
        + g_bar.dot(&dg)
        + c_bar.dot(&dc)
        + theta_bar
            .iter()
            .zip(&dtheta)
            .map(|(a, d)| a * d)
            .sum::<f64>();
    assert!(
        (adjoint - fd).abs() <= 1e-7 * fd.abs(),
        "adjoint {adjoint} vs central differences {fd}"
    );
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

#[test]
fn a_batch_of_1_3_and_8_windows_gives_the_per_window_hypergradients_summed() {
    let theta = theta();
    let windows = Window::many(0..8);
    let solver = SolverBatch::new();
    for b in [1, 3, 8] {
        let batch = &windows[..b];
        let batched = hypergradient(&solver, batch, &theta).unwrap();
        let mut sum = vec![0.0; theta.len()];
        for (w, window) in batch.iter().enumerate() {
            let one = window.hypergradient(&theta).unwrap();
            assert!(
                (batched.losses[w] - one.loss).abs() <= 1e-12 * one.loss,
                "B = {b}, window {w}: loss {} vs {}",
                batched.losses[w],
                one.loss
            );
            sum.iter_mut().zip(&one.theta).for_each(|(s, t)| *s += t);
        }
        let d: Vec<f64> = batched.theta.iter().zip(&sum).map(|(a, e)| a - e).collect();
        let relative = norm(&d) / norm(&sum);
        eprintln!("B = {b}: |difference| / |sum| = {relative:e}");
        assert!(
            relative <= 1e-11,
            "B = {b}: relative difference {relative:e}"
        );
    }
}

/// One epoch on 8 windows (batches of 4, augmented backgrounds, no window clipped) batched and
/// per window: the same shuffles and phases, Adam steps from hypergradients equal to ~1e-12, so
/// weights equal to 1e-11 of their size (Adam divides by sqrt(v): a relative change of the
/// gradient moves a step by at most about as much, times the step size).
#[test]
fn one_epoch_on_8_windows_batched_gives_the_per_window_training_weights() {
    use tapeless::parallel::Serial;
    use tapeless_problems::solver::Training;
    let train = Window::many(0..8);
    let plan = Training {
        batch: 4,
        epochs: 30,
        learning_rate: 1e-3,
        clip: f64::INFINITY,
        augment: true,
    };
    let theta = theta();
    let (mut per_window, mut batched) = (plan.start(theta.clone(), 3), plan.start(theta, 3));
    let (mut losses_a, mut losses_b) = (Vec::new(), Vec::new());
    let a = plan
        .epoch(&Serial, &train, &mut per_window, |_, l| losses_a.push(l))
        .unwrap();
    let b = plan
        .epoch_batched(&SolverBatch::new(), &train, &mut batched, |_, l| {
            losses_b.push(l)
        })
        .unwrap();
    assert_eq!(losses_a.len(), 2);
    for (x, y) in losses_a.iter().zip(&losses_b).chain([(&a, &b)]) {
        assert!((x - y).abs() <= 1e-12 * x.abs(), "loss {x} vs {y}");
    }
    assert_eq!(per_window.state.rng, batched.state.rng);
    assert_eq!(per_window.order, batched.order);
    let (p, q) = (&per_window.state.params, &batched.state.params);
    let d: Vec<f64> = p.iter().zip(q).map(|(x, y)| x - y).collect();
    let relative = norm(&d) / norm(p);
    eprintln!("one epoch: |weights difference| / |weights| = {relative:e}");
    assert!(relative <= 1e-11, "weights differ by {relative:e}");
    let moved: Vec<f64> = p.iter().zip(&self::theta()).map(|(x, y)| x - y).collect();
    assert!(norm(&moved) > 1e3 * norm(&d), "the epoch moved the weights");
}
