//! Data parallelism over windows (examples, batches of a training set) with results identical
//! to the serial run to the bit.
//!
//! A training step sums, over the windows of a batch, each window's loss and gradient. Each
//! window's `(loss, gradient)` is an independent computation, and floating-point sums depend
//! on their order, so every [`Executor`] here evaluates the windows wherever it likes (one
//! thread, all cores, several MPI ranks) and then adds the results **in window order**, one
//! window after the other, exactly as the serial loop does: the sum is the same to the bit
//! whatever the number of threads or ranks.
//!
//! - [`Serial`]: one window after the other, one gradient buffer;
//! - `Threads` (feature `rayon`, on by default): the windows of a block on all cores of the
//!   current rayon pool, then summed in order;
//! - `Mpi` (feature `mpi`): each rank evaluates a contiguous slice of the windows, the
//!   per-window results are gathered to every rank (`MPI_Allgatherv`), and every rank sums them
//!   in window order, so every rank holds the serial result; `test_on_ranks` runs a test
//!   binary on several ranks under `mpirun` from `cargo test`.
//!
//! The per-window closure gets the window and a zeroed gradient buffer (as long as the
//! parameters) to fill, and returns the window's loss or its own error; per-window gradient
//! clipping ([`clip_by_norm`](crate::optim::clip_by_norm)) goes inside it.
//!
//! ```
//! use tapeless_runtime::parallel::{Executor, Serial, WindowSum};
//! // Least squares: window (x, y) has loss (a x - y)^2 and gradient 2 (a x - y) x.
//! let windows = [(1.0, 2.0), (2.0, 3.0), (3.0, 7.0)];
//! let a = 2.0;
//! let per_window = |&(x, y): &(f64, f64), grad: &mut [f64]| {
//!     let r: f64 = a * x - y;
//!     grad[0] = 2.0 * r * x;
//!     Ok::<f64, std::convert::Infallible>(r * r)
//! };
//! let WindowSum { loss, gradient, count } = Serial.sum_windows(&windows, 1, per_window)?;
//! assert_eq!((loss, gradient, count), (0.0 + 1.0 + 1.0, vec![0.0 + 4.0 - 6.0], 3));
//! # Ok::<(), tapeless_runtime::parallel::WindowError<std::convert::Infallible>>(())
//! ```

#[cfg(feature = "mpi")]
mod launch;
#[cfg(feature = "mpi")]
mod mpi;
#[cfg(feature = "rayon")]
mod threads;

#[cfg(feature = "mpi")]
pub use self::launch::test_on_ranks;
#[cfg(feature = "mpi")]
pub use self::mpi::Mpi;
#[cfg(feature = "rayon")]
pub use threads::Threads;

use thiserror::Error;

/// The sum over windows of their losses and gradients, added in window order.
///
/// ```
/// use tapeless_runtime::parallel::WindowSum;
/// let mut sum = WindowSum::zeros(2);
/// sum.add(0.5, &[1.0, -1.0]);
/// sum.add(0.25, &[2.0, 0.0]);
/// assert_eq!(sum, WindowSum { loss: 0.75, gradient: vec![3.0, -1.0], count: 2 });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSum {
    /// The sum of the windows' losses.
    pub loss: f64,
    /// The sum of the windows' gradients.
    pub gradient: Vec<f64>,
    /// The number of windows summed.
    pub count: usize,
}

impl WindowSum {
    /// A sum of no window: zeros (see the example of [`WindowSum`]).
    pub fn zeros(n_params: usize) -> Self {
        Self {
            loss: 0.0,
            gradient: vec![0.0; n_params],
            count: 0,
        }
    }

    /// Adds one window's result (the only way the executors add; see the example of
    /// [`WindowSum`]).
    pub fn add(&mut self, loss: f64, gradient: &[f64]) {
        self.loss += loss;
        for (total, g) in self.gradient.iter_mut().zip(gradient) {
            *total += g;
        }
        self.count += 1;
    }

    /// The mean loss and gradient over the windows (the sums divided by the count; the sums
    /// themselves for no window).
    ///
    /// ```
    /// use tapeless_runtime::parallel::WindowSum;
    /// let mut sum = WindowSum::zeros(2);
    /// sum.add(1.0, &[2.0, 4.0]);
    /// sum.add(3.0, &[0.0, 2.0]);
    /// assert_eq!(sum.mean(), (2.0, vec![1.0, 3.0]));
    /// ```
    pub fn mean(mut self) -> (f64, Vec<f64>) {
        if self.count > 0 {
            let n = self.count as f64;
            self.loss /= n;
            self.gradient.iter_mut().for_each(|g| *g /= n);
        }
        (self.loss, self.gradient)
    }
}

/// A window that failed, or executors that disagree.
///
/// ```
/// use tapeless_runtime::parallel::{Executor, Serial, WindowError};
/// let f = |&w: &i32, _: &mut [f64]| if w < 0 { Err("negative") } else { Ok(w as f64) };
/// match Serial.sum_windows(&[1, -2, -3], 1, f) {
///     Err(WindowError::Window { index, source }) => assert_eq!((index, source), (1, "negative")),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Error)]
pub enum WindowError<E> {
    /// The closure failed on this window (the first failing one, in window order, as the
    /// serial loop would report).
    #[error("window {index}: {source}")]
    Window {
        /// The window's position in the slice.
        index: usize,
        /// The closure's error.
        source: E,
    },
    /// The first failing window was evaluated on another MPI rank; that rank returns its
    /// error as [`WindowError::Window`].
    #[error("window {index} failed on MPI rank {rank}")]
    OnAnotherRank {
        /// The window's position in the slice.
        index: usize,
        /// The rank that evaluated it.
        rank: usize,
    },
    /// The MPI ranks were given different numbers of windows or parameters: every rank must
    /// pass the same windows.
    #[error("MPI rank {rank} has {found} {what}, this rank {expected}; every rank must pass the same windows and parameters")]
    RanksDisagree {
        /// `"windows"` or `"parameters"`.
        what: &'static str,
        /// The other rank.
        rank: usize,
        /// This rank's number.
        expected: usize,
        /// The other rank's number.
        found: usize,
    },
    /// The gathered results exceed MPI's counts (`i32`): pass fewer windows per call, or set a
    /// smaller block.
    #[error(
        "{values} values to gather exceed MPI's limit of {} per call; sum fewer windows at a time",
        i32::MAX
    )]
    TooLarge {
        /// The number of values.
        values: usize,
    },
}

/// Where the windows are evaluated. Every executor returns the serial sum, to the bit.
///
/// Code generic over the executor runs serially, on all cores or over MPI unchanged:
///
/// ```
/// use tapeless_runtime::parallel::{Executor, Serial, WindowError};
/// fn mean_square<X: Executor>(executor: &X, xs: &[f64]) -> Result<f64, WindowError<String>> {
///     let sum = executor.sum_windows(xs, 0, |x, _| Ok(x * x))?;
///     Ok(sum.mean().0)
/// }
/// assert_eq!(mean_square(&Serial, &[1.0, 3.0]).unwrap(), 5.0);
/// ```
pub trait Executor {
    /// Evaluates `per_window(window, gradient)` on every window (with `gradient` zeroed, of
    /// length `n_params`), and sums the losses and gradients in window order.
    ///
    /// # Errors
    ///
    /// [`WindowError::Window`] for the first window, in window order, whose closure fails (the
    /// executor may have evaluated later windows too); the MPI executor's own errors.
    fn sum_windows<W, E, F>(
        &self,
        windows: &[W],
        n_params: usize,
        per_window: F,
    ) -> Result<WindowSum, WindowError<E>>
    where
        W: Sync,
        E: Send,
        F: Fn(&W, &mut [f64]) -> Result<f64, E> + Sync;
}

/// One window after the other, in this thread.
///
/// ```
/// use tapeless_runtime::parallel::{Executor, Serial, WindowError};
/// let failing = |&w: &u32, _: &mut [f64]| if w == 2 { Err("diverged") } else { Ok(1.0) };
/// let err = Serial.sum_windows(&[0, 1, 2, 3], 4, failing).unwrap_err();
/// assert_eq!(err.to_string(), "window 2: diverged");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Serial;

impl Executor for Serial {
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
        let mut sum = WindowSum::zeros(n_params);
        let mut gradient = vec![0.0; n_params];
        for (index, window) in windows.iter().enumerate() {
            gradient.fill(0.0);
            let loss = per_window(window, &mut gradient)
                .map_err(|source| WindowError::Window { index, source })?;
            sum.add(loss, &gradient);
        }
        Ok(sum)
    }
}
