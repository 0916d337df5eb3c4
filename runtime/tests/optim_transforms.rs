//! The optax-style pieces of `optim`: exact values computed by hand for a few steps, and a long
//! run against the formulas written out again here.

use tapeless_runtime::optim::{
    adamw, clip_by_norm, global_norm, sgd, AddDecayedWeights, ClipByGlobalNorm, Constant,
    CosineDecay, GradientTransform, OptimError, Optimizer, ScaleByAdam, Schedule, WarmupCosine,
};
use tapeless_runtime::InputError;

#[test]
fn clipping_by_global_norm_scales_only_long_gradients() {
    // |(6, 8)| = 10 > 5: the factor 5 / 10 = 0.5 is exact.
    let mut u = [6.0, 8.0];
    let mut clip = ClipByGlobalNorm::new(5.0).unwrap();
    clip.update(&mut u, &[0.0; 2], 0);
    assert_eq!(u, [3.0, 4.0]);
    // Norm exactly at the bound, or below: unchanged.
    clip.update(&mut u, &[0.0; 2], 1);
    assert_eq!(u, [3.0, 4.0]);
    let mut small = [0.1, -0.2];
    clip.update(&mut small, &[0.0; 2], 2);
    assert_eq!(small, [0.1, -0.2]);
    // The norm survives the ends of the f64 range.
    let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
    assert!(close(global_norm(&[6e200, 8e200]), 1e201));
    assert!(close(global_norm(&[3e-200, 4e-200]), 5e-200));
    assert_eq!(global_norm(&[]), 0.0);
    let mut huge = [6e200, 8e200];
    assert!(close(clip_by_norm(&mut huge, 1e200), 1e201));
    assert!(close(huge[0], 6e199) && close(huge[1], 8e199));
}

#[test]
fn per_window_clipping_then_the_sum() {
    // Two windows: (3, 4) of norm 5 clipped to norm 1, (0.5, 0) left alone.
    let mut windows = [[30.0, 40.0], [0.5, 0.0]];
    let norms: Vec<f64> = windows.iter_mut().map(|g| clip_by_norm(g, 1.0)).collect();
    assert_eq!(norms, [50.0, 0.5]);
    let sum = [windows[0][0] + windows[1][0], windows[0][1] + windows[1][1]];
    assert_eq!(sum, [30.0 * (1.0 / 50.0) + 0.5, 40.0 * (1.0 / 50.0)]);
    assert!((sum[0] - 1.1).abs() < 1e-15 && (sum[1] - 0.8).abs() < 1e-15);
}

#[test]
fn sgd_with_decoupled_weight_decay_by_hand() {
    // theta <- theta - lr (g + wd theta), with lr = 0.5, wd = 0.25: exact in binary.
    let mut opt = Optimizer::new((AddDecayedWeights::new(0.25).unwrap(),), Constant(0.5));
    let mut theta = [2.0, -4.0];
    opt.step(&mut theta, &[1.0, 1.0]).unwrap();
    // u = (1 + 0.5, 1 - 1) = (1.5, 0).
    assert_eq!(theta, [1.25, -4.0]);
    opt.step(&mut theta, &[0.0, 2.0]).unwrap();
    // u = (0.3125, 2 - 1) = (0.3125, 1).
    assert_eq!(theta, [1.25 - 0.15625, -4.5]);
    assert_eq!(opt.steps(), 2);
}

#[test]
fn schedules_by_hand() {
    let constant = Constant(0.25);
    assert_eq!(constant.learning_rate(0), 0.25);
    assert_eq!(constant.learning_rate(u64::MAX), 0.25);

    let cosine = CosineDecay::new(2.0, 4, 0.5).unwrap();
    // 2 ((1 - 0.5) 1/2 (1 + cos(pi t / 4)) + 0.5).
    assert_eq!(cosine.learning_rate(0), 2.0);
    let half_way = 2.0 * (0.5 * (0.5 * (1.0 + (std::f64::consts::PI * 2.0 / 4.0).cos())) + 0.5);
    assert_eq!(cosine.learning_rate(2), half_way);
    assert!((half_way - 1.5).abs() < 1e-15);
    assert_eq!(cosine.learning_rate(4), 1.0);
    assert_eq!(cosine.learning_rate(40), 1.0);

    // Warm-up 0 -> 1 in 4 steps (exact quarters), then cosine to 0.5 at step 8.
    let warm = WarmupCosine::new(0.0, 1.0, 4, 8, 0.5).unwrap();
    let first: Vec<f64> = (0..5).map(|t| warm.learning_rate(t)).collect();
    assert_eq!(first, [0.0, 0.25, 0.5, 0.75, 1.0]);
    assert!((warm.learning_rate(6) - 0.75).abs() < 1e-15);
    assert_eq!(warm.learning_rate(8), 0.5);
    assert_eq!(warm.learning_rate(100), 0.5);
    // No warm-up: the cosine decay from the peak.
    let plain = WarmupCosine::new(0.0, 0.1, 0, 10, 0.0).unwrap();
    let reference = CosineDecay::new(0.1, 10, 0.0).unwrap();
    for t in 0..12 {
        let (a, b) = (plain.learning_rate(t), reference.learning_rate(t));
        assert!((a - b).abs() <= 1e-17, "step {t}: {a} vs {b}");
    }
}

#[test]
fn bad_hyperparameters_are_named() {
    let err = ClipByGlobalNorm::new(-1.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "max_norm is -1, but it must be finite and positive"
    );
    assert!(matches!(
        AddDecayedWeights::new(f64::NAN),
        Err(OptimError::Hyperparameter {
            what: "weight_decay",
            ..
        })
    ));
    assert!(matches!(
        CosineDecay::new(0.1, 0, 0.0),
        Err(OptimError::Hyperparameter {
            what: "decay_steps",
            ..
        })
    ));
    assert!(matches!(
        CosineDecay::new(0.1, 10, 1.5),
        Err(OptimError::Hyperparameter { what: "alpha", .. })
    ));
    assert_eq!(
        WarmupCosine::new(0.0, 1.0, 10, 5, 0.0)
            .unwrap_err()
            .to_string(),
        "decay_steps is 5, but it must be more than warmup_steps (decay_steps counts the warm-up)"
    );
    assert!(matches!(
        ScaleByAdam::with(0.9, -0.1, 1e-8),
        Err(OptimError::Hyperparameter { what: "beta2", .. })
    ));
}

#[test]
fn a_failed_step_changes_nothing() {
    let mut opt = adamw(Constant(0.1), 0.01).unwrap();
    let mut theta = [1.0, 2.0];
    opt.step(&mut theta, &[0.5, -0.5]).unwrap();
    let (before, state) = (theta, opt.clone());
    let err = opt.step(&mut theta, &[f64::NAN, 0.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gradient[0] is not finite (NaN); the parameters are unchanged"
    );
    assert_eq!(
        opt.step(&mut theta, &[1.0]).unwrap_err(),
        OptimError::Input(InputError::WrongLength {
            what: "gradient",
            expected: 2,
            found: 1
        })
    );
    // Parameters of another length than Adam's moments.
    let mut three = [0.0; 3];
    assert_eq!(
        opt.step(&mut three, &[0.0; 3]).unwrap_err(),
        OptimError::Input(InputError::WrongLength {
            what: "parameters",
            expected: 2,
            found: 3
        })
    );
    assert_eq!((theta, &opt), (before, &state));
    // A schedule that breaks.
    let mut broken = sgd(|t: u64| if t == 1 { f64::INFINITY } else { 0.1 });
    broken.step(&mut theta, &[1.0, 1.0]).unwrap();
    let moved = theta;
    assert_eq!(
        broken.step(&mut theta, &[1.0, 1.0]).unwrap_err(),
        OptimError::NonFiniteLearningRate {
            step: 1,
            value: f64::INFINITY
        }
    );
    assert_eq!((theta, broken.steps()), (moved, 1));
}

#[test]
fn adam_in_a_chain_by_hand_for_two_steps() {
    let lr = 0.1;
    let mut opt = Optimizer::new((ScaleByAdam::new(),), Constant(lr));
    let mut p = [0.0];
    let (g1, g2) = (2.0, -1.0);
    opt.step(&mut p, &[g1]).unwrap();
    opt.step(&mut p, &[g2]).unwrap();
    // The recurrence by hand, in the order of the formulas.
    let (b1, b2) = (0.9, 0.999_f64);
    let (m1, v1) = ((1.0 - b1) * g1, (1.0 - b2) * g1 * g1);
    let u1 = (m1 / (1.0 - 0.9)) / ((v1 / (1.0 - 0.999_f64)).sqrt() + 1e-8);
    let (m2, v2) = (b1 * m1 + (1.0 - b1) * g2, b2 * v1 + (1.0 - b2) * g2 * g2);
    let u2 = (m2 / (1.0 - 0.9 * 0.9)) / ((v2 / (1.0 - 0.999 * 0.999_f64)).sqrt() + 1e-8);
    let expected = (0.0 - lr * u1) - lr * u2;
    assert!((p[0] - expected).abs() < 1e-15, "{} vs {expected}", p[0]);
    // The first update is the sign of the gradient, up to eps: 1 / (1 + 5e-9).
    assert!((u1 - 1.0).abs() < 1e-8);
    assert_eq!(opt.transform.0.first_moment(), [m2]);
}

/// AdamW with clipping and a warm-up cosine schedule, as the formulas of the papers say,
/// written again here with nothing shared with the library.
fn reference_adamw(
    theta: &mut [f64],
    grads: &[Vec<f64>],
    (max_norm, weight_decay): (f64, f64),
    (peak, warmup, total, end): (f64, u64, u64, f64),
) {
    let n = theta.len();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    for (step, g) in grads.iter().enumerate() {
        let t = step as f64;
        let lr = if (step as u64) < warmup {
            peak * t / warmup as f64
        } else {
            let progress = (t - warmup as f64) / (total - warmup) as f64;
            end + (peak - end) * 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos())
        };
        let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        let scale = if norm > max_norm {
            max_norm / norm
        } else {
            1.0
        };
        for i in 0..n {
            let gi = g[i] * scale;
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            let m_hat = m[i] / (1.0 - 0.9_f64.powf(t + 1.0));
            let v_hat = v[i] / (1.0 - 0.999_f64.powf(t + 1.0));
            theta[i] -= lr * (m_hat / (v_hat.sqrt() + 1e-8) + weight_decay * theta[i]);
        }
    }
}

#[test]
fn adamw_with_clipping_and_warm_up_follows_the_formulas() {
    let n = 7;
    let grads: Vec<Vec<f64>> = (0..60)
        .map(|s| {
            (0..n)
                .map(|i| (3.0 * (0.7 * s as f64 + 1.3 * i as f64).sin()).powi(3))
                .collect()
        })
        .collect();
    let theta0: Vec<f64> = (0..n).map(|i| (i as f64 * 0.9).cos()).collect();
    let mut reference = theta0.clone();
    reference_adamw(&mut reference, &grads, (2.0, 0.05), (0.02, 10, 50, 0.001));

    let chain = (
        ClipByGlobalNorm::new(2.0).unwrap(),
        ScaleByAdam::new(),
        AddDecayedWeights::new(0.05).unwrap(),
    );
    let mut opt = Optimizer::new(chain, WarmupCosine::new(0.0, 0.02, 10, 50, 0.001).unwrap());
    let mut theta = theta0.clone();
    for g in &grads {
        opt.step(&mut theta, g).unwrap();
    }
    for (a, b) in theta.iter().zip(&reference) {
        assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs {b}");
    }
    // The run moved the parameters: the comparison is not of two copies of the start.
    assert!(theta.iter().zip(&theta0).all(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn a_chain_of_adam_alone_is_the_adam_of_old() {
    let mut old = tapeless_runtime::optim::Adam::new(0.05);
    let mut new = Optimizer::new(ScaleByAdam::new(), Constant(0.05));
    let (mut a, mut b) = (vec![0.3, -1.0, 2.0], vec![0.3, -1.0, 2.0]);
    for s in 0..40 {
        let g: Vec<f64> = (0..3).map(|i| ((s * 3 + i) as f64).sin()).collect();
        old.step(&mut a, &g).unwrap();
        new.step(&mut b, &g).unwrap();
    }
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-14, "{x} vs {y}");
    }
}
