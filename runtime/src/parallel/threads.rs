//! The windows of each block evaluated on all cores of the current rayon pool, then summed in
//! window order.

use rayon::prelude::*;

use super::{Executor, WindowError, WindowSum};

/// Evaluates the windows in blocks, each block's windows in parallel on the current rayon pool
/// (the global one, or the pool whose `install` runs the call), then adds the block's results
/// in window order: the serial sum, to the bit, on any number of threads.
///
/// Memory: one gradient buffer per window of a block. The block is `8 x` the pool's threads
/// unless set with [`Threads::with_block`]; it changes memory and load balance, not results.
///
/// ```
/// use tapeless_runtime::parallel::{Executor, Serial, Threads};
/// let windows: Vec<f64> = (0..100).map(|w| 0.1 * w as f64).collect();
/// let per_window = |&w: &f64, grad: &mut [f64]| {
///     grad[0] = w.sin();
///     grad[1] = (3.0 * w).exp();
///     Ok::<f64, String>(w.cos() / 3.0)
/// };
/// let threaded = Threads::new().sum_windows(&windows, 2, per_window).unwrap();
/// let serial = Serial.sum_windows(&windows, 2, per_window).unwrap();
/// assert_eq!(threaded, serial);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Threads {
    block: Option<usize>,
}

impl Threads {
    /// Blocks of `8 x` the current pool's threads (see the example of [`Threads`]).
    pub fn new() -> Self {
        Self { block: None }
    }

    /// Blocks of `block` windows (at least 1).
    ///
    /// ```
    /// use tapeless_runtime::parallel::{Executor, Serial, Threads};
    /// let windows = [1.0, 2.0, 3.0];
    /// let f = |w: &f64, g: &mut [f64]| { g[0] = 1.0 / w; Ok::<f64, ()>(w.ln()) };
    /// let one = Threads::with_block(1).sum_windows(&windows, 1, f).unwrap();
    /// assert_eq!(one, Serial.sum_windows(&windows, 1, f).unwrap());
    /// ```
    pub fn with_block(block: usize) -> Self {
        Self {
            block: Some(block.max(1)),
        }
    }

    fn block(&self) -> usize {
        self.block
            .unwrap_or_else(|| 8 * rayon::current_num_threads())
            .max(1)
    }
}

impl Executor for Threads {
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
        let block = self.block().min(windows.len()).max(1);
        let mut sum = WindowSum::zeros(n_params);
        let mut gradients = vec![vec![0.0; n_params]; block.min(windows.len())];
        for (b, chunk) in windows.chunks(block).enumerate() {
            let losses: Vec<Result<f64, E>> = gradients[..chunk.len()]
                .par_iter_mut()
                .zip(chunk.par_iter())
                .map(|(gradient, window)| {
                    gradient.fill(0.0);
                    per_window(window, gradient)
                })
                .collect();
            for (j, (loss, gradient)) in losses.into_iter().zip(&gradients).enumerate() {
                let loss = loss.map_err(|source| WindowError::Window {
                    index: b * block + j,
                    source,
                })?;
                sum.add(loss, gradient);
            }
        }
        Ok(sum)
    }
}
