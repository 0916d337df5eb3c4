//! The learned solver trained over MPI, on 2 ranks: run by
//! `cargo test --features mpi --test learned_solver_mpi`, this binary starts itself again under
//! `mpirun -np 2` (as root, oversubscribed, so it runs on any machine) and passes if every rank
//! passes. On each rank it trains the shipped solver (`problems/src/solver.rs`) for one epoch on
//! windows 0..8 in batches of 4 (with random background phases), serially and with the batches'
//! windows spread over the ranks, and checks that the weights, Adam's moments and the random
//! generator agree to the bit.

use std::process::ExitCode;

use mpi::traits::Communicator;
use tapeless::parallel::{Executor, Mpi, Serial};
use tapeless_problems::solver::{self, Run, Training, Window};

fn one_epoch(executor: &impl Executor, windows: &[Window]) -> (Run, f64) {
    let plan = Training {
        batch: 4,
        epochs: 1,
        learning_rate: 3e-4,
        clip: 1.0,
        augment: true,
    };
    let layout = solver::layout(solver::STATE);
    let mut run = plan.start(solver::initial_parameters(&layout, 1), 1);
    let loss = plan
        .epoch(executor, windows, &mut run, |_, _| {})
        .expect("a finite training step");
    (run, loss)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn on_a_rank() -> ExitCode {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let windows = Window::many(0..8);
    let (serial, serial_loss) = one_epoch(&Serial, &windows);
    let (spread, spread_loss) = one_epoch(&Mpi::new(&world), &windows);
    assert_eq!(
        bits(&spread.state.params),
        bits(&serial.state.params),
        "rank {rank}: weights"
    );
    for ((name, a), (_, b)) in tapeless::optim::Resumable::state(&spread.state.optimizer)
        .into_iter()
        .zip(tapeless::optim::Resumable::state(&serial.state.optimizer))
    {
        assert_eq!(bits(a), bits(b), "rank {rank}: {name}");
    }
    assert_eq!(spread_loss.to_bits(), serial_loss.to_bits(), "rank {rank}");
    assert_eq!(spread.state.rng, serial.state.rng, "rank {rank}");
    assert_eq!(spread.state.epoch, 1);
    // The epoch trained: two Adam steps moved the weights.
    let initial = solver::initial_parameters(&solver::layout(solver::STATE), 1);
    assert_ne!(bits(&serial.state.params), bits(&initial));
    println!(
        "rank {rank} of {size}: one epoch of the learned solver, the serial weights to the bit"
    );
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    tapeless::parallel::test_on_ranks(2, "learned_solver_two_ranks", on_a_rank)
}
