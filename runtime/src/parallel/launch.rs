//! A test binary that runs itself on several MPI ranks: how `cargo test` checks an MPI program
//! on one machine without a cluster or a job script.

use std::ffi::OsStr;
use std::process::{Command, ExitCode};

/// Runs `on_a_rank` on each of `ranks` MPI ranks of this same binary and reports as one test
/// called `name`: the `main` of a test target with `harness = false`.
///
/// Started by `cargo test`, the binary starts itself again under
/// `mpirun --allow-run-as-root --oversubscribe -np <ranks>` (so it runs as root in a container
/// and on a machine with fewer cores than ranks) and passes if every rank passes; started by
/// `mpirun` (Open MPI's `OMPI_COMM_WORLD_SIZE` or MPICH's `PMI_SIZE` is set), it is a rank and
/// runs `on_a_rank`. `cargo test -- --list` lists the one test. When `mpirun` cannot be started,
/// the failure says how to install Open MPI.
///
/// ```no_run
/// // tests/my_mpi.rs, with `[[test]] name = "my_mpi" harness = false` in Cargo.toml.
/// use std::process::ExitCode;
/// use mpi::traits::Communicator;
///
/// fn main() -> ExitCode {
///     tapeless_runtime::parallel::test_on_ranks(2, "two_ranks_agree", || {
///         let universe = mpi::initialize().expect("MPI initialises");
///         let rank = universe.world().rank();
///         assert!(rank < 2);
///         ExitCode::SUCCESS
///     })
/// }
/// ```
pub fn test_on_ranks(ranks: usize, name: &str, on_a_rank: impl FnOnce() -> ExitCode) -> ExitCode {
    let is_rank = |var: &str| std::env::var_os(var).is_some();
    if is_rank("OMPI_COMM_WORLD_SIZE") || is_rank("PMI_SIZE") {
        return on_a_rank();
    }
    if std::env::args().any(|a| a == "--list") {
        // `cargo test -- --list` asks a harness for its tests.
        println!("{name}: test");
        return ExitCode::SUCCESS;
    }
    let me = match std::env::current_exe() {
        Ok(me) => me,
        Err(e) => {
            eprintln!(
                "{name}: cannot find this test binary's path to start it on {ranks} ranks: {e}"
            );
            return ExitCode::FAILURE;
        }
    };
    let status = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(ranks.to_string())
        .arg(OsStr::new(&me))
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("test {name} ... ok");
            ExitCode::SUCCESS
        }
        Ok(s) => {
            eprintln!("mpirun -np {ranks} {}: {s}", me.display());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!(
                "cannot start mpirun (install Open MPI: apt-get install libopenmpi-dev openmpi-bin): {e}"
            );
            ExitCode::FAILURE
        }
    }
}
