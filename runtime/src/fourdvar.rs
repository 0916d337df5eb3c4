//! 4D-Var cost blocks: observation operators, observation and background error variances, and
//! the cost `J(x0) = 1/2 sum_k |H_k(x_k) - y_k|^2_{R_k^-1} + 1/2 |x0 - xb|^2_{B^-1}` as a loss
//! of an integration's saved states, so the runtime's integrators differentiate it.
//!
//! The saved states are indexed as the integrator saves them (`k = 0` is the initial state when
//! the first saved time is the start of the span, as 4D-Var needs for the background term).
//!
//! ```
//! use tapeless_runtime::fourdvar::{Background, Cost, ObservationSet, Selection};
//! use tapeless_runtime::ode::SavedStateLoss;
//!
//! // Two components, the first observed at saved state 1 with variance 0.25.
//! let cost = Cost::new(2)
//!     .background(Background::new(vec![1.0, 1.0], vec![1.0, 1.0]).unwrap())
//!     .unwrap()
//!     .observe(1, ObservationSet::new(Selection::new(vec![0]), vec![3.0], vec![0.25]).unwrap())
//!     .unwrap();
//! let mut g = [0.0, 0.0];
//! let j0 = cost.value_and_gradient(0, 0.0, &[2.0, 1.0], &mut g)?; // background: (2 - 1)^2 / 2
//! let j1 = cost.value_and_gradient(1, 0.1, &[2.5, 0.0], &mut g)?; // (2.5 - 3)^2 / 0.25 / 2
//! assert_eq!((j0, j1), (0.5, 0.5));
//! assert_eq!(g, [1.0 - 2.0, 0.0]);
//! # Ok::<(), tapeless_runtime::UserError>(())
//! ```

use crate::ode::{Length, SavedStateLoss};
use crate::{InputError, Real, UserError};
use thiserror::Error;

/// Blocks that do not fit together.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FourDVarError {
    /// A vector of the wrong length, or holding an infinity or a NaN.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A variance is zero or negative.
    #[error("{what}[{index}] = {value} is not a positive variance")]
    NonPositiveVariance {
        /// Which vector.
        what: &'static str,
        /// Where.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// An observed component does not exist in the state.
    #[error("observed component {component} is outside a state of dimension {dimension}")]
    ComponentOutOfRange {
        /// The component index.
        component: usize,
        /// The state dimension.
        dimension: usize,
    },
    /// Two observation sets for one saved state.
    #[error("saved state {0} is observed twice; merge the observations into one set")]
    ObservedTwice(usize),
}

fn finite(what: &'static str, v: &[f64]) -> Result<(), FourDVarError> {
    Ok(InputError::check_finite(what, v)?)
}

fn variances(what: &'static str, v: &[f64]) -> Result<(), FourDVarError> {
    finite(what, v)?;
    match v.iter().position(|&x| x <= 0.0) {
        Some(index) => Err(FourDVarError::NonPositiveVariance {
            what,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

/// An observation operator `H(x)` and its adjoint, at any scalar type.
pub trait ObservationOperator {
    /// The number of observed values.
    fn outputs(&self) -> usize;
    /// Writes `H(x)` into `y`.
    fn apply<S: Real>(&self, x: &[S], y: &mut [S]);
    /// Adds `H'(x)^T y_bar` into `x_bar`.
    fn adjoint<S: Real>(&self, x: &[S], y_bar: &[S], x_bar: &mut [S]);
    /// The largest state component the operator reads, if it knows it (for checks).
    fn max_component(&self) -> Option<usize> {
        None
    }
}

/// The most common operator: some components of the state, observed directly.
///
/// ```
/// use tapeless_runtime::fourdvar::{ObservationOperator, Selection};
/// let h = Selection::new(vec![0, 2]);
/// let mut y = [0.0; 2];
/// h.apply(&[5.0, 6.0, 7.0], &mut y);
/// assert_eq!(y, [5.0, 7.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    components: Vec<usize>,
}

impl Selection {
    /// Observes `components`, in this order.
    pub fn new(components: Vec<usize>) -> Self {
        Self { components }
    }

    /// Every `step`-th component of a state of dimension `n`, from 0.
    ///
    /// ```
    /// use tapeless_runtime::fourdvar::Selection;
    /// assert_eq!(Selection::every(2, 5), Selection::new(vec![0, 2, 4]));
    /// ```
    pub fn every(step: usize, n: usize) -> Self {
        Self::new((0..n).step_by(step.max(1)).collect())
    }
}

impl ObservationOperator for Selection {
    fn outputs(&self) -> usize {
        self.components.len()
    }

    fn apply<S: Real>(&self, x: &[S], y: &mut [S]) {
        for (yi, &c) in y.iter_mut().zip(&self.components) {
            *yi = x[c];
        }
    }

    fn adjoint<S: Real>(&self, _x: &[S], y_bar: &[S], x_bar: &mut [S]) {
        for (&yb, &c) in y_bar.iter().zip(&self.components) {
            x_bar[c] += yb;
        }
    }

    fn max_component(&self) -> Option<usize> {
        self.components.iter().copied().max()
    }
}

/// The observations of one saved state: an operator, the observed values, and their error
/// variances (a diagonal `R`).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationSet<H = Selection> {
    operator: H,
    values: Vec<f64>,
    variances: Vec<f64>,
}

impl<H: ObservationOperator> ObservationSet<H> {
    /// Checks that values and variances match the operator's outputs, are finite, and that the
    /// variances are positive.
    pub fn new(operator: H, values: Vec<f64>, variances: Vec<f64>) -> Result<Self, FourDVarError> {
        let m = operator.outputs();
        for (what, v) in [("values", &values), ("variances", &variances)] {
            if v.len() != m {
                return Err(FourDVarError::Input(InputError::WrongLength {
                    what,
                    expected: m,
                    found: v.len(),
                }));
            }
        }
        finite("values", &values)?;
        self::variances("variances", &variances)?;
        Ok(Self {
            operator,
            values,
            variances,
        })
    }

    /// `1/2 |H(x) - y|^2_{R^-1}`, and its gradient added into `x_bar`.
    fn misfit<S: Real>(&self, x: &[S], x_bar: &mut [S], scratch: &mut Vec<S>) -> S {
        scratch.clear();
        scratch.resize(self.values.len(), S::zero());
        self.operator.apply(x, scratch);
        let mut j = S::zero();
        for (i, r) in scratch.iter_mut().enumerate() {
            let d = *r - S::from_f64(self.values[i]);
            let w = d / S::from_f64(self.variances[i]);
            j += S::from_f64(0.5) * d * w;
            *r = w;
        }
        self.operator.adjoint(x, scratch, x_bar);
        j
    }
}

/// The background state and its error variances (a diagonal `B`).
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    state: Vec<f64>,
    variances: Vec<f64>,
}

impl Background {
    /// Checks lengths, finiteness and positive variances.
    ///
    /// ```
    /// use tapeless_runtime::fourdvar::{Background, FourDVarError};
    /// assert!(matches!(
    ///     Background::new(vec![1.0], vec![0.0]),
    ///     Err(FourDVarError::NonPositiveVariance { .. })
    /// ));
    /// ```
    pub fn new(state: Vec<f64>, variances: Vec<f64>) -> Result<Self, FourDVarError> {
        if variances.len() != state.len() {
            return Err(FourDVarError::Input(InputError::WrongLength {
                what: "background variances",
                expected: state.len(),
                found: variances.len(),
            }));
        }
        finite("background", &state)?;
        self::variances("background variances", &variances)?;
        Ok(Self { state, variances })
    }
}

/// The 4D-Var cost as a [`SavedStateLoss`]: the background term at saved state 0 and the
/// observation misfits at the saved states that have observations.
#[derive(Debug, Clone)]
pub struct Cost<H = Selection> {
    dimension: usize,
    background: Option<Background>,
    observations: Vec<Option<ObservationSet<H>>>,
}

impl<H: ObservationOperator> Cost<H> {
    /// An empty cost for states of dimension `dimension`.
    pub fn new(dimension: usize) -> Self {
        Self {
            dimension,
            background: None,
            observations: Vec::new(),
        }
    }

    /// Adds the background term (at saved state 0).
    pub fn background(mut self, background: Background) -> Result<Self, FourDVarError> {
        if background.state.len() != self.dimension {
            return Err(FourDVarError::Input(InputError::WrongLength {
                what: "background",
                expected: self.dimension,
                found: background.state.len(),
            }));
        }
        self.background = Some(background);
        Ok(self)
    }

    /// Adds the observations of saved state `k`.
    pub fn observe(mut self, k: usize, set: ObservationSet<H>) -> Result<Self, FourDVarError> {
        if let Some(c) = set.operator.max_component() {
            if c >= self.dimension {
                return Err(FourDVarError::ComponentOutOfRange {
                    component: c,
                    dimension: self.dimension,
                });
            }
        }
        if self.observations.len() <= k {
            self.observations.resize_with(k + 1, || None);
        }
        if self.observations[k].is_some() {
            return Err(FourDVarError::ObservedTwice(k));
        }
        self.observations[k] = Some(set);
        Ok(self)
    }
}

/// Integrators check the initial state against the cost's dimension before they start
/// ([`Length::Exactly`]); a state of another length given directly is a
/// [`FourDVarError::Input`] (inside the [`UserError`]), not an out-of-bounds read.
impl<H: ObservationOperator> SavedStateLoss for Cost<H> {
    fn value_and_gradient<S: Real>(
        &self,
        k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        for (what, found) in [
            ("saved state", u.len()),
            ("saved state adjoint", u_bar.len()),
        ] {
            if found != self.dimension {
                return Err(FourDVarError::Input(InputError::WrongLength {
                    what,
                    expected: self.dimension,
                    found,
                })
                .into());
            }
        }
        let mut j = S::zero();
        if k == 0 {
            if let Some(b) = &self.background {
                for i in 0..b.state.len() {
                    let d = u[i] - S::from_f64(b.state[i]);
                    let w = d / S::from_f64(b.variances[i]);
                    j += S::from_f64(0.5) * d * w;
                    u_bar[i] += w;
                }
            }
        }
        if let Some(Some(set)) = self.observations.get(k) {
            let mut scratch = Vec::with_capacity(set.values.len());
            j += set.misfit(u, u_bar, &mut scratch);
        }
        Ok(j)
    }

    fn state_length(&self) -> Length {
        Length::Exactly(self.dimension)
    }

    fn saved_states(&self) -> usize {
        self.observations
            .len()
            .max(usize::from(self.background.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dual;

    fn cost() -> Cost {
        Cost::new(3)
            .background(Background::new(vec![1.0, 2.0, 3.0], vec![1.0, 4.0, 0.5]).unwrap())
            .unwrap()
            .observe(
                2,
                ObservationSet::new(Selection::new(vec![2, 0]), vec![0.5, -1.0], vec![0.25, 2.0])
                    .unwrap(),
            )
            .unwrap()
    }

    #[test]
    fn gradients_match_differences_and_duals() {
        let c = cost();
        let u = [0.3, -0.7, 1.9];
        for k in [0, 1, 2, 3] {
            let mut g = [0.0; 3];
            c.value_and_gradient(k, 0.0, &u, &mut g).unwrap();
            for i in 0..3 {
                // Forward mode through the same code: a dual seeded in component i.
                let ud: Vec<Dual<f64, 1>> = (0..3)
                    .map(|m| Dual::new(u[m], [if m == i { 1.0 } else { 0.0 }]))
                    .collect();
                let mut gd = [Dual::constant(0.0); 3];
                let jd = c.value_and_gradient(k, 0.0, &ud, &mut gd).unwrap();
                assert!((jd.tangents[0] - g[i]).abs() < 1e-14, "k = {k}, i = {i}");
                let h = 1e-6;
                let (mut up, mut um) = (u, u);
                up[i] += h;
                um[i] -= h;
                let fd = (c.value_and_gradient(k, 0.0, &up, &mut [0.0; 3]).unwrap()
                    - c.value_and_gradient(k, 0.0, &um, &mut [0.0; 3]).unwrap())
                    / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-8,
                    "k = {k}, i = {i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn bad_blocks_are_named() {
        assert_eq!(
            ObservationSet::new(Selection::new(vec![0]), vec![1.0, 2.0], vec![1.0]).unwrap_err(),
            FourDVarError::Input(InputError::WrongLength {
                what: "values",
                expected: 1,
                found: 2
            })
        );
        assert_eq!(
            ObservationSet::new(Selection::new(vec![0]), vec![f64::NAN], vec![1.0])
                .unwrap_err()
                .to_string(),
            "values[0] is not finite (NaN)"
        );
        let set = ObservationSet::new(Selection::new(vec![5]), vec![1.0], vec![1.0]).unwrap();
        assert_eq!(
            Cost::new(3).observe(1, set).unwrap_err(),
            FourDVarError::ComponentOutOfRange {
                component: 5,
                dimension: 3
            }
        );
        let set = ObservationSet::new(Selection::new(vec![0]), vec![1.0], vec![1.0]).unwrap();
        assert_eq!(
            Cost::new(3)
                .observe(1, set.clone())
                .unwrap()
                .observe(1, set)
                .unwrap_err(),
            FourDVarError::ObservedTwice(1)
        );
    }
}
