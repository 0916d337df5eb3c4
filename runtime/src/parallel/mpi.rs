//! The windows spread over MPI ranks (rsmpi): each rank evaluates a contiguous slice, every
//! rank gathers every window's result and sums them in window order.

use mpi::datatype::PartitionMut;
use mpi::traits::CommunicatorCollectives;
use mpi::Count;

use super::{Executor, WindowError, WindowSum};

/// A window's record in the gathered buffer: status, loss, gradient.
const OK: f64 = 0.0;
const FAILED: f64 = 1.0;
/// Not evaluated: an earlier window of the same rank failed.
const SKIPPED: f64 = 2.0;

/// Spreads the windows over the ranks of an MPI communicator: rank `r` of `p` evaluates the
/// contiguous slice `r n / p .. (r + 1) n / p` of the `n` windows, the per-window losses and
/// gradients are gathered to every rank (`MPI_Allgatherv`), and every rank adds them in window
/// order: every rank holds the serial sum, to the bit.
///
/// Every rank must call [`Executor::sum_windows`] with the same windows (the same count, in the
/// same order) and the same number of parameters; a disagreement is an error on every rank.
/// Memory and traffic: each rank receives every window's gradient, `n x (n_params + 2)` values
/// per call (per block, with [`Mpi::with_block`]).
///
/// ```no_run
/// use tapeless_runtime::parallel::{Executor, Mpi, Serial};
/// let universe = mpi::initialize().expect("MPI initialises once");
/// let world = universe.world();
/// let windows: Vec<f64> = (0..64).map(f64::from).collect();
/// let f = |&w: &f64, g: &mut [f64]| { g[0] = w.sin(); Ok::<f64, String>(w.cos()) };
/// let everywhere = Mpi::new(&world).sum_windows(&windows, 1, f).unwrap();
/// assert_eq!(everywhere, Serial.sum_windows(&windows, 1, f).unwrap());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Mpi<'c, C> {
    comm: &'c C,
    block: Option<usize>,
}

impl<'c, C: CommunicatorCollectives> Mpi<'c, C> {
    /// All windows of a call in one gather (see the example of [`Mpi`]).
    pub fn new(comm: &'c C) -> Self {
        Self { comm, block: None }
    }

    /// Blocks of `block` windows (at least 1), each spread over the ranks and gathered in
    /// turn: bounds memory and message sizes, changes no result.
    ///
    /// ```no_run
    /// use tapeless_runtime::parallel::{Executor, Mpi};
    /// let universe = mpi::initialize().expect("MPI initialises once");
    /// let world = universe.world();
    /// let windows: Vec<f64> = (0..1000).map(f64::from).collect();
    /// // At most 100 windows' gradients in memory at a time.
    /// let sum = Mpi::with_block(&world, 100)
    ///     .sum_windows(&windows, 1, |w, g| { g[0] = *w; Ok::<f64, String>(0.0) })
    ///     .unwrap();
    /// assert_eq!(sum.gradient, [499_500.0]);
    /// ```
    pub fn with_block(comm: &'c C, block: usize) -> Self {
        Self {
            comm,
            block: Some(block.max(1)),
        }
    }

    /// Every rank's `(windows, parameters)`, or the first that differs from this rank's.
    fn check_agreement<E>(&self, windows: usize, n_params: usize) -> Result<(), WindowError<E>> {
        let size = self.comm.size() as usize;
        let mine = [windows as u64, n_params as u64];
        let mut all = vec![0_u64; 2 * size];
        self.comm.all_gather_into(&mine[..], &mut all[..]);
        for (rank, theirs) in all.chunks_exact(2).enumerate() {
            for (what, expected, found) in [
                ("windows", windows, theirs[0] as usize),
                ("parameters", n_params, theirs[1] as usize),
            ] {
                if found != expected {
                    return Err(WindowError::RanksDisagree {
                        what,
                        rank,
                        expected,
                        found,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The first window of rank `r`'s slice of `n` windows over `p` ranks.
fn slice_start(n: usize, p: usize, r: usize) -> usize {
    r * n / p
}

impl<C: CommunicatorCollectives> Executor for Mpi<'_, C> {
    fn sum_windows<W, E, F>(
        &self,
        windows: &[W],
        n_params: usize,
        per_window: F,
    ) -> Result<WindowSum, WindowError<E>>
    where
        W: Sync,
        E: Send,
        F: Fn(&W, &mut [f64]) -> Result<f64, E> + Sync,
    {
        self.check_agreement(windows.len(), n_params)?;
        let ranks = self.comm.size() as usize;
        let me = self.comm.rank() as usize;
        let record = n_params + 2;
        let block = self.block.unwrap_or(windows.len()).max(1);
        let mut sum = WindowSum::zeros(n_params);
        for (b, chunk) in windows.chunks(block).enumerate() {
            let n = chunk.len();
            let total = n * record;
            if i32::try_from(total).is_err() {
                return Err(WindowError::TooLarge { values: total });
            }
            let (start, end) = (slice_start(n, ranks, me), slice_start(n, ranks, me + 1));
            let mut local = vec![0.0; (end - start) * record];
            let mut error = None;
            for (window, rec) in chunk[start..end].iter().zip(local.chunks_exact_mut(record)) {
                if error.is_some() {
                    rec[0] = SKIPPED;
                    continue;
                }
                match per_window(window, &mut rec[2..]) {
                    Ok(loss) => rec[1] = loss,
                    Err(e) => {
                        rec[0] = FAILED;
                        error = Some(e);
                    }
                }
            }
            let counts: Vec<Count> = (0..ranks)
                .map(|r| {
                    ((slice_start(n, ranks, r + 1) - slice_start(n, ranks, r)) * record) as Count
                })
                .collect();
            let displs: Vec<Count> = (0..ranks)
                .map(|r| (slice_start(n, ranks, r) * record) as Count)
                .collect();
            let mut all = vec![0.0; total];
            {
                let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
                self.comm
                    .all_gather_varcount_into(&local[..], &mut partition);
            }
            for (j, rec) in all.chunks_exact(record).enumerate() {
                if rec[0] == OK {
                    sum.add(rec[1], &rec[2..]);
                    continue;
                }
                let index = b * block + j;
                let owner = (0..ranks)
                    .find(|&r| j < slice_start(n, ranks, r + 1))
                    .unwrap_or(ranks - 1);
                return Err(match (owner == me, error) {
                    (true, Some(source)) => WindowError::Window { index, source },
                    _ => WindowError::OnAnotherRank { index, rank: owner },
                });
            }
        }
        Ok(sum)
    }
}
