//! Problem L's batched inner costs (`problems/src/l96_batch.rs`, issue 14 item 2): the costs,
//! gradients and Hessian-vector products of a batch of windows (component-major) against the
//! generated per-window adjoint (`cost_window_vjp`) and its forward-over-reverse product window
//! by window, the written-out product against the batched adjoint at dual numbers, and on their
//! own against central differences, the dot-product test with the tangent (the batched cost at
//! dual numbers) and the symmetry of the Hessian; through the `BatchCost` interface against
//! `PerWindowCosts` of the generated costs; the batched outer losses (`Losses`) against the
//! generated `trajectory_error_vjp` and differences, through `BatchLoss` against
//! `PerWindowLosses`; a batched cost or loss for another number of windows, or states of another
//! length than problem L's, is an error.

use nalgebra::DMatrix;
use tapeless::check::{check_hvp, check_jvp};
use tapeless::hyper::{
    BatchAdjoints, BatchCost, BatchError, BatchInputs, BatchLoss, BatchUpdate, PerWindowCosts,
    PerWindowLosses, UnrolledBatch,
};
use tapeless::nested::hvp;
use tapeless::nested::NestedError;
use tapeless::Dual;
use tapeless::InputError;
use tapeless_problems::l96::{self, cost_window, InnerCost, N, STEPS};
use tapeless_problems::l96_batch::{Costs, Losses};
use tapeless_problems::n::Window;
use tapeless_problems::n_batch::LearnedBatch;

mod common;

use common::Draws;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The largest component difference relative to the largest component.
fn relative(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// Window `b` of a component-major batch.
fn window_of(v: &[f64], b: usize, nb: usize) -> Vec<f64> {
    (0..N).map(|i| v[i * nb + b]).collect()
}

/// The windows `first..first + nb`, and states near their backgrounds (component-major).
fn batch(first: usize, nb: usize, seed: u64) -> (Vec<l96::Data>, Vec<f64>) {
    let data: Vec<l96::Data> = (first..first + nb).map(l96::window).collect();
    let v = Draws::new(seed).vec(N * nb);
    let x = (0..N * nb)
        .map(|k| data[k % nb].xb[k / nb] + 0.1 * v[k])
        .collect();
    (data, x)
}

#[test]
fn batched_costs_gradients_and_hessian_products_are_the_generated_ones_window_by_window() {
    for nb in [1, 3, 8] {
        let (data, x) = batch(2 * nb, nb, 5 + nb as u64);
        let costs = Costs::new(&data.iter().collect::<Vec<_>>());
        let mut grad = vec![0.0; N * nb];
        let j = costs.cost_and_gradient(&x, &mut grad);
        let v = Draws::new(40 + nb as u64).vec(N * nb);
        let (mut grad_d, mut hv) = (vec![0.0; N * nb], vec![0.0; N * nb]);
        let j_d = costs.hessian_vector(&x, &v, &mut grad_d, &mut hv);
        assert_eq!(
            j, j_d,
            "the costs at dual numbers are the costs, to the bit"
        );
        assert_eq!(grad, grad_d, "so are the gradients");
        assert_eq!(j, costs.cost(&x), "the adjoint's costs are the primal's");
        for (b, d) in data.iter().enumerate() {
            let xb = window_of(&x, b, nb);
            let mut g = vec![0.0; N];
            let jb = l96::cost_window_vjp(&xb, &mut g, &d.obs, &d.xb, STEPS, 1.0);
            // The primal is the generated one's expressions in the same order.
            assert_eq!(j[b], jb, "B = {nb}, window {b}: J");
            assert_eq!(j[b], cost_window(&xb, &d.obs, &d.xb, STEPS));
            let r = relative(&window_of(&grad, b, nb), &g);
            assert!(r < 1e-13, "B = {nb}, window {b}: gradient {r:e}");
            let generated = hvp(&InnerCost(d), &xb, &window_of(&v, b, nb)).unwrap();
            let r = relative(&window_of(&hv, b, nb), &generated.hessian_vector);
            assert!(r < 1e-12, "B = {nb}, window {b}: H v {r:e}");
            eprintln!("B = {nb}, window {b}: H v within {r:e} of the generated one");
        }
    }
}

#[test]
fn batched_gradient_passes_differences_and_the_dot_product_test_with_its_tangent() {
    let nb = 3;
    let (data, x) = batch(7, nb, 17);
    let costs = Costs::new(&data.iter().collect::<Vec<_>>());
    let mut grad = vec![0.0; N * nb];
    costs.cost_and_gradient(&x, &mut grad);
    let x_dot = Draws::new(18).vec(N * nb);
    // Tangent: the costs at dual numbers along x_dot, one directional derivative per window.
    let xd: Vec<Dual<f64, 1>> = x
        .iter()
        .zip(&x_dot)
        .map(|(&a, &d)| Dual::new(a, [d]))
        .collect();
    let tangent: Vec<f64> = costs.cost(&xd).iter().map(|j| j.tangents[0]).collect();
    let f = |x: &[f64], y: &mut [f64]| y.copy_from_slice(&costs.cost(x));
    let report = check_jvp(f, &x, &x_dot, &tangent, 1e-6).unwrap();
    assert!(report.passes(1e-7), "{report:?}");
    // Adjoint against tangent, window by window: <grad J_b, x_dot_b> = d J_b.
    for (b, &t) in tangent.iter().enumerate() {
        let (g, d) = (window_of(&grad, b, nb), window_of(&x_dot, b, nb));
        let adjoint = dot(&g, &d);
        let e = (adjoint - t).abs() / t.abs();
        assert!(e < 1e-12, "window {b}: {adjoint:e} vs {t:e} ({e:e})");
    }
    // A wrong gradient fails the same test.
    let mut wrong = grad.clone();
    wrong[5] *= 1.001;
    let adjoint = dot(
        &window_of(&wrong, 5 % nb, nb),
        &window_of(&x_dot, 5 % nb, nb),
    );
    assert!((adjoint - tangent[5 % nb]).abs() > 1e-9 * tangent[5 % nb].abs());
}

#[test]
fn batched_hessian_products_pass_differences_of_gradients_and_symmetry() {
    let nb = 4;
    let (data, x) = batch(11, nb, 23);
    let costs = Costs::new(&data.iter().collect::<Vec<_>>());
    let (u, w) = (Draws::new(24).vec(N * nb), Draws::new(25).vec(N * nb));
    let product = |v: &[f64]| {
        let (mut g, mut hv) = (vec![0.0; N * nb], vec![0.0; N * nb]);
        costs.hessian_vector(&x, v, &mut g, &mut hv);
        hv
    };
    let (hu, hw) = (product(&u), product(&w));
    let gradient = |x: &[f64], g: &mut [f64]| {
        costs.cost_and_gradient(x, g);
    };
    // The batch's Hessian is block-diagonal over the windows: one check for all.
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-5).unwrap();
    assert!(report.passes(1e-7, 1e-12), "{report:?}");
    for b in 0..nb {
        let (ub, wb) = (window_of(&u, b, nb), window_of(&w, b, nb));
        let (hub, hwb) = (window_of(&hu, b, nb), window_of(&hw, b, nb));
        let (a, c) = (dot(&wb, &hub), dot(&ub, &hwb));
        assert!(
            (a - c).abs() <= 1e-12 * a.abs(),
            "window {b}: {a:e} vs {c:e}"
        );
    }
}

#[test]
fn the_batch_cost_interface_is_the_per_window_costs() {
    let nb = 3;
    let (data, x) = batch(4, nb, 31);
    let costs = Costs::new(&data.iter().collect::<Vec<_>>());
    let inner: Vec<InnerCost<'_>> = data.iter().map(InnerCost).collect();
    let reference = PerWindowCosts(&inner);
    assert_eq!((costs.windows(), reference.windows()), (nb, nb));
    // Column w of an N x B matrix is window w.
    let xm = DMatrix::from_fn(N, nb, |i, b| x[i * nb + b]);
    let v = DMatrix::from_column_slice(N, nb, &Draws::new(32).vec(N * nb));
    let (mut g, mut g_ref) = (DMatrix::zeros(N, nb), DMatrix::from_element(N, nb, 7.0));
    costs.gradients(&xm, &mut g).unwrap();
    reference.gradients(&xm, &mut g_ref).unwrap();
    let r = relative(g.as_slice(), g_ref.as_slice());
    assert!(r < 1e-13, "gradients {r:e}");
    // Products are added to what is there.
    let start = DMatrix::from_element(N, nb, 1.0);
    let (mut h, mut h_ref) = (start.clone(), start.clone());
    costs.hvps(&xm, &v, &mut h).unwrap();
    reference.hvps(&xm, &v, &mut h_ref).unwrap();
    let r = relative(h.as_slice(), h_ref.as_slice());
    assert!(r < 1e-12, "products {r:e}");
    assert!((h - &start).amax() > 1.0, "the products are not zero");
}

#[test]
fn batched_outer_losses_are_the_generated_trajectory_errors() {
    let nb = 3;
    let windows = Window::many(2..2 + nb);
    let truths: Vec<&[f64]> = windows.iter().map(|w| &w.truth[..]).collect();
    let losses = Losses::new(&truths);
    let (_, x) = batch(2, nb, 41);
    let mut grad = vec![0.0; N * nb];
    let l = losses.loss_and_gradient(&x, &mut grad);
    for (b, w) in windows.iter().enumerate() {
        let xb = window_of(&x, b, nb);
        let mut g = vec![0.0; N];
        let lb = l96::trajectory_error_vjp(&xb, &mut g, &w.truth, 1.0);
        assert_eq!(l[b], l96::trajectory_error(&xb, &w.truth), "window {b}: L");
        let r = relative(&window_of(&grad, b, nb), &g);
        assert!(
            r < 1e-13 && (l[b] - lb).abs() <= 1e-15 * lb,
            "window {b}: gradient {r:e}"
        );
    }
    // Central differences of the losses along a direction, against the gradient.
    let x_dot = Draws::new(42).vec(N * nb);
    let f = |x: &[f64], y: &mut [f64]| {
        let mut g = vec![0.0; N * nb];
        y.copy_from_slice(&losses.loss_and_gradient(x, &mut g));
    };
    let directional: Vec<f64> = (0..nb)
        .map(|b| dot(&window_of(&grad, b, nb), &window_of(&x_dot, b, nb)))
        .collect();
    let report = check_jvp(f, &x, &x_dot, &directional, 1e-6).unwrap();
    assert!(report.passes(1e-8), "{report:?}");
    // Through the interface, against the generated losses one window at a time.
    let outers: Vec<l96::OuterLoss<'_>> = truths.iter().map(|t| l96::OuterLoss(t)).collect();
    let xm = DMatrix::from_fn(N, nb, |i, b| x[i * nb + b]);
    let (mut g, mut g_ref) = (DMatrix::from_element(N, nb, 3.0), DMatrix::zeros(N, nb));
    let l = losses.gradients(&xm, &mut g).unwrap();
    let l_ref = PerWindowLosses(&outers).gradients(&xm, &mut g_ref).unwrap();
    assert_eq!((l.len(), losses.windows()), (nb, nb));
    for (a, e) in l.iter().zip(&l_ref) {
        assert!((a - e).abs() <= 1e-15 * e);
    }
    assert!(relative(g.as_slice(), g_ref.as_slice()) < 1e-13);
}

/// `X <- X - 1e-5 G`, no parameters.
struct Descent;
impl BatchUpdate for Descent {
    type Unpacked = ();
    fn parameters(&self, _n: usize) -> usize {
        0
    }
    fn unpack(&self, _theta: &[f64]) {}
    fn step(
        &self,
        _: &(),
        at: BatchInputs<'_>,
        x: &mut DMatrix<f64>,
        _: &mut DMatrix<f64>,
    ) -> Result<(), tapeless::UserError> {
        *x -= 1e-5 * at.grad;
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        _: BatchInputs<'_>,
        bar: BatchAdjoints<'_>,
    ) -> Result<(), tapeless::UserError> {
        *bar.grad -= 1e-5 * &*bar.x;
        Ok(())
    }
}

#[test]
fn a_batched_cost_or_loss_for_another_number_of_windows_is_an_error() {
    let windows = Window::many(0..3);
    let data: Vec<&l96::Data> = windows.iter().map(|w| &w.data).collect();
    let truths: Vec<&[f64]> = windows.iter().map(|w| &w.truth[..]).collect();
    let x0: Vec<&[f64]> = data.iter().map(|d| &d.xb[..]).collect();
    let theta = vec![0.0; tapeless_problems::n::layout(N).len()];
    let update = LearnedBatch::new(1e-5);
    let solver = UnrolledBatch::new(&update, 2);
    let (costs, losses) = (Costs::new(&data[..2]), Losses::new(&truths));
    let error = solver
        .reverse_batched(&costs, &losses, &x0, &theta)
        .unwrap_err();
    assert_eq!(
        error,
        BatchError::Batch(NestedError::Input(InputError::WrongLength {
            what: "the batched inner cost's windows (one per initial state)",
            expected: 3,
            found: 2,
        }))
    );
    let (costs, losses) = (Costs::new(&data), Losses::new(&truths[1..]));
    let error = solver
        .reverse_batched(&costs, &losses, &x0, &theta)
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the batched outer loss's windows"),
        "{error}"
    );
    assert_eq!(
        solver.solve_batched(&costs, &[], &theta).unwrap_err(),
        BatchError::Empty
    );
    // Matching counts solve.
    assert!(solver.solve_batched(&costs, &x0, &theta).is_ok());
    // States of another length than problem L's are the cost's error, not a panic.
    let short: Vec<&[f64]> = x0.iter().map(|x| &x[..N - 1]).collect();
    let error = UnrolledBatch::new(&Descent, 2)
        .solve_batched(&costs, &short, &[])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the batched inner cost failed: problem L's batch takes 40 x 3 states (one column per \
         window), got 39 x 3"
    );
}
