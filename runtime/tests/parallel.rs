//! Window sums: every executor adds in window order, so the sum has the serial bits whatever
//! the threads; the first failing window, in window order, is the one reported.

use tapeless_runtime::parallel::{Executor, Serial, WindowError, WindowSum};

/// Windows whose losses and gradients span twenty decades, so that any other order of the
/// additions gives other bits.
fn windows() -> Vec<f64> {
    (0..97).map(|w| w as f64).collect()
}

fn per_window(&w: &f64, grad: &mut [f64]) -> Result<f64, String> {
    for (i, g) in grad.iter_mut().enumerate() {
        *g = (0.3 * w + i as f64).sin() * 10f64.powi(((w as i32 * 7 + i as i32) % 21) - 10);
    }
    Ok((1.7 * w).cos() * 10f64.powi((w as i32 * 5) % 17 - 8))
}

fn bits(sum: &WindowSum) -> (u64, Vec<u64>, usize) {
    (
        sum.loss.to_bits(),
        sum.gradient.iter().map(|g| g.to_bits()).collect(),
        sum.count,
    )
}

#[test]
fn the_serial_sum_is_in_window_order_and_order_matters() {
    let windows = windows();
    let serial = Serial.sum_windows(&windows, 5, per_window).unwrap();
    // By hand: the same additions, in order.
    let (mut loss, mut gradient, mut g) = (0.0, vec![0.0; 5], vec![0.0; 5]);
    for w in &windows {
        loss += per_window(w, &mut g).unwrap();
        for i in 0..5 {
            gradient[i] += g[i];
        }
    }
    assert_eq!(
        bits(&serial),
        bits(&WindowSum {
            loss,
            gradient,
            count: 97
        })
    );
    // The reverse order gives other bits: a test of bit equality can fail.
    let reversed: Vec<f64> = windows.iter().rev().copied().collect();
    let backwards = Serial.sum_windows(&reversed, 5, per_window).unwrap();
    assert_ne!(bits(&backwards), bits(&serial));
    // No window: zeros.
    let none = Serial.sum_windows(&[] as &[f64], 3, per_window).unwrap();
    assert_eq!(none, WindowSum::zeros(3));
}

#[test]
fn the_buffer_is_zeroed_for_every_window() {
    // A closure that adds into its buffer sees zeros each time.
    let add = |&w: &f64, grad: &mut [f64]| {
        grad[0] += w;
        Ok::<f64, String>(0.0)
    };
    let sum = Serial.sum_windows(&[1.0, 2.0, 4.0], 1, add).unwrap();
    assert_eq!(sum.gradient, [7.0]);
}

#[test]
fn the_first_failing_window_in_order_is_reported() {
    let failing = |&w: &f64, grad: &mut [f64]| {
        if w == 40.0 || w == 60.0 {
            Err(format!("window value {w} diverged"))
        } else {
            per_window(&w, grad)
        }
    };
    let err = Serial.sum_windows(&windows(), 5, failing).unwrap_err();
    assert_eq!(err.to_string(), "window 40: window value 40 diverged");
    assert!(matches!(err, WindowError::Window { index: 40, .. }));
}

#[cfg(feature = "rayon")]
mod threads {
    use super::*;
    use tapeless_runtime::parallel::Threads;

    #[test]
    fn every_pool_and_block_gives_the_serial_bits() {
        let windows = windows();
        let serial = bits(&Serial.sum_windows(&windows, 5, per_window).unwrap());
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for executor in [
                Threads::new(),
                Threads::with_block(1),
                Threads::with_block(7),
                Threads::with_block(1000),
            ] {
                let sum = pool
                    .install(|| executor.sum_windows(&windows, 5, per_window))
                    .unwrap();
                assert_eq!(bits(&sum), serial, "{threads} threads, {executor:?}");
            }
        }
        let none = Threads::new()
            .sum_windows(&[] as &[f64], 2, per_window)
            .unwrap();
        assert_eq!(none, WindowSum::zeros(2));
    }

    #[test]
    fn the_first_failing_window_in_order_is_reported_whatever_finishes_first() {
        // Window 60 fails fast, window 40 late: the report is window 40's, as serially.
        let failing = |&w: &f64, grad: &mut [f64]| {
            if w == 40.0 {
                std::thread::sleep(std::time::Duration::from_millis(20));
                Err("late".to_string())
            } else if w == 60.0 {
                Err("early".to_string())
            } else {
                per_window(&w, grad)
            }
        };
        for executor in [
            Threads::new(),
            Threads::with_block(50),
            Threads::with_block(1),
        ] {
            let err = executor.sum_windows(&windows(), 5, failing).unwrap_err();
            assert_eq!(err.to_string(), "window 40: late", "{executor:?}");
        }
    }
}
