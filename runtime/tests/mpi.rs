//! Data parallelism over MPI, run on 2 ranks: run by `cargo test --features mpi --test mpi`,
//! this binary starts itself again under `mpirun -np 2` (as root, oversubscribed, so it runs
//! on any machine) and passes if every rank passes. On each rank it checks that the window sum
//! over the ranks has the serial bits, that one epoch of training gives the serial weights to
//! the bit, and that a window failing on one rank is an error on every rank.

use std::process::ExitCode;

use mpi::traits::Communicator;
use tapeless_runtime::optim::{adamw, CosineDecay};
use tapeless_runtime::parallel::{Executor, Mpi, Serial, WindowError, WindowSum};

/// Windows whose results span twenty decades: another order of the additions gives other bits.
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

/// One epoch of AdamW on a linear least-squares model, batches of 6 of 30 windows, with the
/// given executor; returns the weights.
fn one_epoch(executor: &impl Executor) -> Vec<f64> {
    let windows: Vec<([f64; 3], f64)> = (0..30)
        .map(|w| {
            let x = [0, 1, 2].map(|i| ((3 * w + i) as f64 * 0.61).sin());
            (x, x[0] - 2.0 * x[1] + 0.5 * x[2] + 0.01 * w as f64)
        })
        .collect();
    let mut theta = vec![0.1, -0.2, 0.3, 0.0];
    let mut opt = adamw(CosineDecay::new(0.05, 5, 0.1).unwrap(), 1e-3).unwrap();
    for batch in windows.chunks(6) {
        let current = theta.clone();
        let (_, grad) = executor
            .sum_windows(batch, 4, |(x, y), g| {
                let e = current[0] * x[0] + current[1] * x[1] + current[2] * x[2] + current[3] - y;
                for i in 0..3 {
                    g[i] = 2.0 * e * x[i];
                }
                g[3] = 2.0 * e;
                Ok::<f64, String>(e * e)
            })
            .unwrap()
            .mean();
        opt.step(&mut theta, &grad).unwrap();
    }
    theta
}

fn on_a_rank() -> ExitCode {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let windows: Vec<f64> = (0..97).map(f64::from).collect();

    let serial = Serial.sum_windows(&windows, 5, per_window).unwrap();
    for executor in [
        Mpi::new(&world),
        Mpi::with_block(&world, 10),
        Mpi::with_block(&world, 1),
    ] {
        let spread = executor.sum_windows(&windows, 5, per_window).unwrap();
        assert_eq!(bits(&spread), bits(&serial), "rank {rank}");
    }
    // Fewer windows than ranks, and none.
    let few = Mpi::new(&world)
        .sum_windows(&windows[..1], 5, per_window)
        .unwrap();
    assert_eq!(
        bits(&few),
        bits(&Serial.sum_windows(&windows[..1], 5, per_window).unwrap())
    );
    let none = Mpi::new(&world)
        .sum_windows(&[] as &[f64], 5, per_window)
        .unwrap();
    assert_eq!(none, WindowSum::zeros(5));
    // The sensitivity of the check: the reverse order gives other bits.
    let reversed: Vec<f64> = windows.iter().rev().copied().collect();
    assert_ne!(
        bits(&Serial.sum_windows(&reversed, 5, per_window).unwrap()),
        bits(&serial)
    );

    // One epoch of training: the serial weights, to the bit, on every rank.
    let serial_weights = one_epoch(&Serial);
    let mpi_weights = one_epoch(&Mpi::new(&world));
    assert_eq!(
        mpi_weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
        serial_weights
            .iter()
            .map(|w| w.to_bits())
            .collect::<Vec<_>>(),
        "rank {rank}"
    );
    assert_ne!(serial_weights, [0.1, -0.2, 0.3, 0.0]);

    // Window 70 fails (on the last rank): that rank has its error, the others are told where.
    let failing = |&w: &f64, g: &mut [f64]| {
        if w == 70.0 || w == 90.0 {
            Err(format!("window value {w} diverged"))
        } else {
            per_window(&w, g)
        }
    };
    let err = Mpi::new(&world)
        .sum_windows(&windows, 5, failing)
        .unwrap_err();
    let owner = (size - 1) as usize;
    match err {
        WindowError::Window { index: 70, source } if rank as usize == owner => {
            assert_eq!(source, "window value 70 diverged")
        }
        WindowError::OnAnotherRank { index: 70, rank: r } if rank as usize != owner => {
            assert_eq!(r, owner)
        }
        other => panic!("rank {rank}: {other:?}"),
    }
    // Ranks that pass different windows: an error on every rank, no hang.
    let mine = if rank == 0 {
        &windows[..10]
    } else {
        &windows[..11]
    };
    let err = Mpi::new(&world)
        .sum_windows(mine, 5, per_window)
        .unwrap_err();
    assert!(
        matches!(
            err,
            WindowError::RanksDisagree {
                what: "windows",
                ..
            }
        ),
        "rank {rank}: {err:?}"
    );
    println!("rank {rank} of {size}: every check passed");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    tapeless_runtime::parallel::test_on_ranks(2, "mpi_two_ranks", on_a_rank)
}
