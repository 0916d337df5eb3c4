//! Inner costs and outer losses of a batch of windows evaluated together, and their
//! per-window references.

use nalgebra::DMatrix;

use super::*;

/// The inner costs `J_w(x)` of a batch of windows evaluated together: every window's gradient
/// and every window's Hessian-vector product in one call each, so that an implementation can lay
/// the batch out to vectorise across the windows (the states of problem L's windows
/// component-major, the inner loops over the windows) instead of evaluating the windows one by
/// one. [`UnrolledBatch::reverse_batched`] uses it in place of the per-window costs of
/// [`BatchWindow`]s. The costs have no parameters `phi` (the per-window path has them).
///
/// [`PerWindowCosts`] is the per-window implementation, the reference a batched one is checked
/// against.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless_runtime::hyper::{BatchCost, PerWindowCosts};
/// use tapeless_runtime::UserError;
///
/// /// J_w(x) = c_w |x|^2 / 2 for window w: gradient c_w x, Hessian c_w I, all windows at once.
/// struct Scaled(Vec<f64>);
/// impl BatchCost for Scaled {
///     fn windows(&self) -> usize {
///         self.0.len()
///     }
///     fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), UserError> {
///         for (w, c) in self.0.iter().enumerate() {
///             grad.set_column(w, &(*c * x.column(w)));
///         }
///         Ok(())
///     }
///     fn hvps(&self, _x: &DMatrix<f64>, v: &DMatrix<f64>, x_bar: &mut DMatrix<f64>) -> Result<(), UserError> {
///         for (w, c) in self.0.iter().enumerate() {
///             let hv = *c * v.column(w);
///             x_bar.column_mut(w).iter_mut().zip(hv.iter()).for_each(|(a, b)| *a += b);
///         }
///         Ok(())
///     }
/// }
/// let x = DMatrix::from_column_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let mut grad = DMatrix::zeros(2, 2);
/// Scaled(vec![2.0, 3.0]).gradients(&x, &mut grad).unwrap();
/// assert_eq!(grad.as_slice(), &[2.0, 4.0, 9.0, 12.0]);
/// ```
pub trait BatchCost {
    /// The number of windows `B`.
    fn windows(&self) -> usize;

    /// Overwrites column `w` of `grad` (`n x B`) with `grad J_w` at column `w` of `x`.
    ///
    /// # Errors
    ///
    /// The reason the costs cannot be evaluated at `x`.
    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), UserError>;

    /// Adds `H_w v_w` into column `w` of `x_bar`: the Hessian of `J_w` at column `w` of `x`
    /// times column `w` of `v`.
    ///
    /// # Errors
    ///
    /// The reason the costs cannot be evaluated at `x`.
    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
    ) -> Result<(), UserError>;
}

/// Per-window inner costs seen as a [`BatchCost`]: each window's [`Gradient`] evaluated on its
/// own column (its Hessian-vector product by forward over reverse, [`hvp`]). The reference for
/// a batched implementation, and the way to run [`UnrolledBatch::reverse_batched`] on costs
/// that have no batched form.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless_runtime::hyper::{BatchCost, PerWindowCosts};
/// use tapeless_runtime::nested::Gradient;
/// use tapeless_runtime::{Real, UserError};
///
/// /// J(x) = x_0^3 / 3.
/// struct Cube;
/// impl Gradient for Cube {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += x[0] * x[0];
///         Ok(x[0] * x[0] * x[0] / S::from_f64(3.0))
///     }
/// }
/// let costs = [Cube, Cube];
/// let x = DMatrix::from_column_slice(1, 2, &[2.0, 3.0]);
/// let v = DMatrix::from_column_slice(1, 2, &[1.0, 0.5]);
/// let mut hv = DMatrix::zeros(1, 2);
/// PerWindowCosts(&costs).hvps(&x, &v, &mut hv).unwrap();
/// assert_eq!(hv.as_slice(), &[4.0, 3.0]); // 2 x_w v_w
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PerWindowCosts<'a, F>(pub &'a [F]);

impl<F: Gradient> BatchCost for PerWindowCosts<'_, F> {
    fn windows(&self) -> usize {
        self.0.len()
    }

    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), UserError> {
        grad.fill(0.0);
        for (w, f) in self.0.iter().enumerate() {
            f.gradient(x.column(w).as_slice(), grad.column_mut(w).as_mut_slice())
                .map_err(|e| -> UserError { format!("window {w}: {e}").into() })?;
        }
        Ok(())
    }

    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
    ) -> Result<(), UserError> {
        for (w, f) in self.0.iter().enumerate() {
            let r = hvp(f, x.column(w).as_slice(), v.column(w).as_slice())
                .map_err(|e| -> UserError { format!("window {w}: {e}").into() })?;
            x_bar
                .column_mut(w)
                .iter_mut()
                .zip(&r.hessian_vector)
                .for_each(|(a, b)| *a += b);
        }
        Ok(())
    }
}

/// The outer losses `L_w(x)` of a batch of windows evaluated together, the outer counterpart of
/// [`BatchCost`]: every window's loss and gradient in one call. [`PerWindowLosses`] is the
/// per-window implementation.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless_runtime::hyper::{BatchLoss, PerWindowLosses};
/// use tapeless_runtime::nested::Gradient;
/// use tapeless_runtime::{Real, UserError};
///
/// /// L(x) = x_0 x_1.
/// struct Product;
/// impl Gradient for Product {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += x[1];
///         g[1] += x[0];
///         Ok(x[0] * x[1])
///     }
/// }
/// let losses = [Product, Product];
/// let x = DMatrix::from_column_slice(2, 2, &[2.0, 3.0, 4.0, 5.0]);
/// let mut grad = DMatrix::from_element(2, 2, 9.0);
/// let l = PerWindowLosses(&losses).gradients(&x, &mut grad).unwrap();
/// assert_eq!((l, grad.as_slice()), (vec![6.0, 20.0], &[3.0, 2.0, 5.0, 4.0][..]));
/// ```
pub trait BatchLoss {
    /// The number of windows `B`.
    fn windows(&self) -> usize;

    /// Returns `L_w` at column `w` of `x` for every window and overwrites column `w` of `grad`
    /// with its gradient.
    ///
    /// # Errors
    ///
    /// The reason the losses cannot be evaluated at `x`.
    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<Vec<f64>, UserError>;
}

/// Per-window outer losses seen as a [`BatchLoss`]: each window's [`Gradient`] on its own
/// column. See the example of [`BatchLoss`].
#[derive(Debug, Clone, Copy)]
pub struct PerWindowLosses<'a, F>(pub &'a [F]);

impl<F: Gradient> BatchLoss for PerWindowLosses<'_, F> {
    fn windows(&self) -> usize {
        self.0.len()
    }

    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<Vec<f64>, UserError> {
        grad.fill(0.0);
        let mut losses = Vec::with_capacity(self.0.len());
        for (w, f) in self.0.iter().enumerate() {
            let l = f
                .gradient(x.column(w).as_slice(), grad.column_mut(w).as_mut_slice())
                .map_err(|e| -> UserError { format!("window {w}: {e}").into() })?;
            losses.push(l);
        }
        Ok(losses)
    }
}
