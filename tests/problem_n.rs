//! Problem N: the hypergradient dL/dtheta of the learned solver (an MLP of 304,168 weights inside
//! K = 5 inner steps, each with a full adjoint through 200 RK4 steps) by one backward sweep,
//! against central finite differences on weights and biases of every layer, against forward mode
//! along a random direction in all weights, and the learned update's own dot-product test; the
//! parallel sum over windows against the serial one; the trained weights through safetensors.

use tapeless_problems::{l96, n as problem_n};

use nalgebra::DVector;

mod common;

use common::{assert_close, Draws};
use problem_n::*;
use tapeless::check::check_update;
use tapeless::hyper::{StepInputs, Unrolled, Update};
use tapeless::nested::NoParameters;
use tapeless::params::ParamsError;

fn parameters() -> (tapeless::params::Layout, Vec<f64>) {
    let layout = layout(STATE);
    let theta = initial_parameters(&layout);
    (layout, theta)
}

#[test]
fn the_layout_matches_the_offsets_the_network_reads() {
    let (layout, theta) = parameters();
    assert_eq!(layout.len(), 304_168);
    assert_eq!(Learned::new(ETA).parameters(STATE), layout.len());
    // Only the output bias set: the network returns it, whatever its input.
    let mut only_bias = layout.zeros();
    let bias: Vec<f64> = (0..STATE).map(|i| i as f64 - 3.5).collect();
    layout
        .view_mut(&mut only_bias, "layer3.bias")
        .unwrap()
        .copy_from_slice(&bias);
    let out =
        Network::unpack(&layout, &only_bias).apply(&DVector::from_vec(Draws::new(3).vec(STATE)));
    assert_eq!(out.as_slice(), &bias[..]);
    // The formula of problem N, at a few entries.
    let w2 = layout.view(&theta, "layer2.weight").unwrap();
    assert_eq!(
        w2[3 * 512 + 7],
        0.01 * (0.37 * 3.0 + 0.11 * 7.0 + 1.3 * 2.0_f64).sin()
    );
    assert!(layout
        .view(&theta, "layer2.bias")
        .unwrap()
        .iter()
        .all(|b| *b == 0.0));
}

#[test]
fn window_w_continues_the_truth_of_window_zero_by_fifty_steps() {
    let (w0, w1) = (l96::window(0), l96::window(1));
    assert_eq!(w1.truth[0], w0.truth[50]);
    assert_eq!(w1.truth[150], w0.truth[200]);
    assert_ne!(w1.obs[0] - w1.truth[10][0], w0.obs[0] - w0.truth[10][0]);
    // Window 0 is problem L to the bit: its data from problem L's formulas, with no window
    // shift anywhere.
    use l96::{rk4_step, XT0};
    let mut u = XT0.to_vec();
    let mut truth = vec![u.clone()];
    for k in 0..200 {
        rk4_step(&mut u, &[8.0], 0.01 * k as f64, 0.01);
        truth.push(u.clone());
    }
    let mut obs = Vec::new();
    for k in (10..=200).step_by(10) {
        for i in (0..40).step_by(2) {
            obs.push(truth[k][i] + 0.5 * (12.9898 * k as f64 + 78.233 * i as f64).sin());
        }
    }
    let xb: Vec<f64> = (0..40)
        .map(|i| XT0[i] + 0.5 * (1.7 * i as f64 + 0.3).cos())
        .collect();
    assert_eq!((truth, obs, xb), (w0.truth, w0.obs, w0.xb));
}

/// The learned step's adjoint against its tangent (the step at dual numbers) over theta, the
/// gradient and the state at once: `<x_bar, J dot> = <J^T x_bar, dot>`.
#[test]
fn the_learned_update_passes_the_dot_product_test() {
    let (_, theta) = parameters();
    let n = STATE;
    let mut rng = Draws::new(11);
    // A gradient of problem N's size (|grad J(xb)| is about 1e6), and one where tanh is not
    // saturated, so both regimes of the network are exercised.
    for scale in [1e5, 1e2] {
        let grad: Vec<f64> = rng.vec(n).iter().map(|g| scale * g).collect();
        let x = rng.vec(n);
        let (theta_dot, grad_dot, x_dot) = (rng.vec(theta.len()), rng.vec(n), rng.vec(n));
        let x_next_bar = rng.vec(n);
        let at = StepInputs {
            theta: &theta,
            grad: &grad,
            x: &x,
            carry: &[],
        };
        let dot = StepInputs {
            theta: &theta_dot,
            grad: &grad_dot,
            x: &x_dot,
            carry: &[],
        };
        let report = check_update(&Learned::new(ETA), at, dot, &x_next_bar, &[]).unwrap();
        let t = report.dot_product;
        assert_close(
            t.tangent_side,
            t.adjoint_side,
            1e-12,
            &format!("learned step, gradient scale {scale:e}"),
        );
        // The step at f64 is the value of the step at duals.
        assert!(report.values_agree);
    }
}

/// Method 2 (one backward sweep) against forward mode over the whole inner solve along a
/// random direction in all 304,168 parameters: a dot-product test of the two modes.
#[test]
fn hypergradient_agrees_with_forward_mode_along_a_random_direction() {
    let (_, theta) = parameters();
    let w = Window::new(0);
    let r = w.hypergradient(&theta).unwrap();
    assert_eq!(r.loss, w.loss(&w.analysis(&theta).unwrap()));
    let direction = Draws::new(29).vec(theta.len());
    let cost = NoParameters(InnerCost(&w.data));
    let (l, dl) = Unrolled::new(&cost, &Learned::new(ETA), K)
        .tangent(
            &OuterLoss(&w.truth),
            &w.data.xb,
            (&[], &[]),
            (&theta, &direction),
        )
        .unwrap();
    assert_eq!(l, r.loss);
    let dot: f64 = r.theta.iter().zip(&direction).map(|(a, b)| a * b).sum();
    assert_close(
        dl,
        dot,
        1e-12,
        "forward-mode dL/dtheta . v against method 2",
    );
}

/// Method 2 against central differences of the bilevel loss, at one weight and one bias of each
/// layer: the entry of largest hypergradient in each tensor (layer 1 is mostly saturated by the
/// 1e3-sized inputs, so a fixed entry there would test a zero).
#[test]
fn hypergradient_matches_finite_differences_on_each_layer() {
    let (layout, theta) = parameters();
    let w = Window::new(0);
    let r = w.hypergradient(&theta).unwrap();
    let loss = |theta: &[f64]| w.loss(&w.analysis(theta).unwrap());
    for name in WEIGHTS.iter().chain(&BIASES) {
        let range = layout.range(name).unwrap();
        let j = range.start
            + r.theta[range.clone()]
                .iter()
                .enumerate()
                .fold(0, |best, (i, g)| {
                    if g.abs() > r.theta[range.start + best].abs() {
                        i
                    } else {
                        best
                    }
                });
        let h = 1e-5;
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[j] += h;
        minus[j] -= h;
        let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
        assert!(
            r.theta[j] != 0.0,
            "{name}: a zero hypergradient tests nothing"
        );
        assert_close(
            r.theta[j],
            fd,
            1e-6,
            &format!("dL/dtheta of {name}, flat index {j}"),
        );
    }
}

#[test]
fn parallel_window_sum_equals_the_serial_sum() {
    let (_, theta) = parameters();
    let windows = Window::many(0..3);
    let (lp, gp) = mean_hypergradient(&windows, &theta, None, true).unwrap();
    let (ls, gs) = mean_hypergradient(&windows, &theta, None, false).unwrap();
    // Summed in window order after the parallel part: the same bits.
    assert_eq!((lp, &gp), (ls, &gs));
    let clip = Some(20.0);
    let (lc, gc) = mean_hypergradient(&windows, &theta, clip, true).unwrap();
    assert_eq!(
        (lc, &gc),
        (
            lp,
            &mean_hypergradient(&windows, &theta, clip, false).unwrap().1
        )
    );
    // And the plain sum of the windows' hypergradients, to rounding.
    let each: Vec<_> = windows
        .iter()
        .map(|w| w.hypergradient(&theta).unwrap())
        .collect();
    let mean_loss = each.iter().map(|r| r.loss).sum::<f64>() / 3.0;
    assert_close(lp, mean_loss, 1e-15, "mean loss");
    let scale = norm(&gp);
    for (j, g) in gp.iter().enumerate() {
        let plain = (each[0].theta[j] + each[1].theta[j] + each[2].theta[j]) / 3.0;
        assert!(
            (g - plain).abs() <= 1e-15 * scale,
            "entry {j}: {g} vs {plain}"
        );
    }
    // Clipping scales each window's hypergradient to norm at most 20 before the mean.
    let factors: Vec<f64> = each
        .iter()
        .map(|r| (20.0 / norm(&r.theta)).min(1.0))
        .collect();
    assert!(
        factors.iter().any(|f| *f < 1.0),
        "the test must clip a window"
    );
    for j in (0..theta.len()).step_by(997) {
        let plain = (0..3).map(|w| factors[w] * each[w].theta[j]).sum::<f64>() / 3.0;
        assert!((gc[j] - plain).abs() <= 1e-15 * scale, "clipped entry {j}");
    }
}

#[test]
fn trained_weights_round_trip_through_safetensors() {
    let (layout, mut theta) = parameters();
    let w = Window::new(0);
    let r = w.hypergradient(&theta).unwrap();
    let mut adam = tapeless::optim::Adam::new(1e-5);
    adam.step(&mut theta, &r.theta).unwrap();
    let path = std::env::temp_dir().join(format!(
        "tapeless-problem-n-{}.safetensors",
        std::process::id()
    ));
    layout.save(&theta, &path).unwrap();
    let loaded = layout.load(&path).unwrap();
    assert_eq!(loaded, theta);
    // The same file under another network's layout, and cut short, are named errors.
    let wrong = problem_n::layout(20).load(&path).unwrap_err();
    assert!(
        matches!(&wrong, ParamsError::WrongShape { name, .. } if name == "layer1.weight"),
        "{wrong}"
    );
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = layout.load(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(truncated, ParamsError::Truncated { found, .. } if found == bytes.len() / 2),
        "{truncated}"
    );
}
