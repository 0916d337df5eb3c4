//! What can go wrong when setting up or running an integration: every error names the input at
//! fault and the values that broke the rule, so a caller can report it or act on it.

use crate::{InputError, UserFailure};
use thiserror::Error;

/// An error of the ODE integrators: bad input found before the integration starts, or a
/// failure during it. No integrator panics on bad input; they return one of these.
///
/// ```
/// use tapeless_runtime::ode::{OdeError, Tableau};
/// use tapeless_runtime::InputError;
///
/// let err = Tableau::explicit(vec![vec![0.0]], vec![1.0, 0.0], vec![0.0]).unwrap_err();
/// assert_eq!(err, OdeError::Input(InputError::WrongLength { what: "tableau b", expected: 1, found: 2 }));
/// assert_eq!(err.to_string(), "tableau b has length 2, expected 1");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OdeError {
    /// An input vector (initial state, parameters, a tangent seed, or a tableau's
    /// coefficients) of the wrong length, or holding an infinity or a NaN.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The state stopped being finite during the integration.
    #[error("the state is not finite after step {step} (t = {t}); the solution blows up or the step is too large")]
    NonFiniteState {
        /// The number of steps taken when it happened, counted from 1: the state after this
        /// step holds an infinity or a NaN.
        step: usize,
        /// The time that step reached.
        t: f64,
    },
    /// A state interpolated at a saved time inside a step (dense output) is not finite.
    #[error("the state interpolated at saved time {index} (t = {t}) is not finite; the solution blows up or the step is too large")]
    NonFiniteSave {
        /// The index of the saved time.
        index: usize,
        /// The saved time.
        t: f64,
    },
    /// Adaptive steps that do not stop at saved times ([`Controller::dense`](crate::ode::Controller))
    /// need a tableau with a continuous extension (Dormand-Prince 5(4)).
    #[error("dense output of adaptive steps needs a tableau with a continuous extension (Dormand-Prince 5(4))")]
    NoContinuousExtension,
    /// The time span is not `(t0, t1)` with finite `t0 <= t1`.
    #[error("time span ({t0}, {t1}) must be finite with t0 <= t1")]
    InvalidSpan {
        /// Start of the span.
        t0: f64,
        /// End of the span.
        t1: f64,
    },
    /// A step size that is zero, negative, not finite, or so small that the span would need
    /// more than 2^52 steps.
    #[error("step size {h} must be positive and finite (and not absurdly small)")]
    InvalidStep {
        /// The step size given.
        h: f64,
    },
    /// A fixed step does not divide the time span: `t1 - t0` is not a whole number of steps.
    #[error("the span ({t0}, {t1}) is not a whole number of steps of {h}")]
    SpanNotOnGrid {
        /// Start of the span.
        t0: f64,
        /// End of the span.
        t1: f64,
        /// The fixed step.
        h: f64,
    },
    /// The times of [`StepSize::StepTo`](crate::ode::StepSize::StepTo) do not start at `t0`,
    /// increase strictly and end at `t1`.
    #[error("step time {index} ({t}) is out of place: step times start at t0, increase strictly and end at t1")]
    InvalidStepTimes {
        /// The position of the offending time (the length of the list if it is empty).
        index: usize,
        /// The offending time (NaN if the list is empty).
        t: f64,
    },
    /// A `saveat` time outside the time span (or not finite).
    #[error("saveat[{index}] = {t} lies outside the span ({t0}, {t1})")]
    SaveatOutsideSpan {
        /// Its position in `saveat`.
        index: usize,
        /// The time.
        t: f64,
        /// Start of the span.
        t0: f64,
        /// End of the span.
        t1: f64,
    },
    /// `saveat` times that decrease.
    #[error("saveat[{index}] = {t} comes before the previous time {previous}; saveat must be non-decreasing")]
    SaveatNotMonotone {
        /// The position of the time that is smaller than its predecessor.
        index: usize,
        /// The time.
        t: f64,
        /// The time before it.
        previous: f64,
    },
    /// A Butcher tableau that is not a valid explicit Runge-Kutta method.
    #[error("invalid tableau: {0}")]
    InvalidTableau(#[from] TableauError),
    /// Adaptive steps asked of a tableau without embedded error weights.
    #[error(
        "adaptive steps need a tableau with an error estimate, such as Tableau::dormand_prince()"
    )]
    NoErrorEstimate,
    /// Tolerances of the error control that are negative, not finite, or both zero.
    #[error(
        "tolerances rtol = {rtol}, atol = {atol} must be finite, non-negative and not both zero"
    )]
    InvalidTolerance {
        /// The relative tolerance.
        rtol: f64,
        /// The absolute tolerance.
        atol: f64,
    },
    /// The error control shrank the step below what the time variable can resolve.
    #[error("step size {h} at t = {t} is too small to make progress; the problem may be stiff or singular there")]
    StepSizeTooSmall {
        /// Where the integration stopped.
        t: f64,
        /// The step it would have had to take.
        h: f64,
    },
    /// A setting of the step-size controller out of its range (see
    /// [`Controller`](crate::ode::Controller)).
    #[error("controller setting {what} = {value} is out of range")]
    InvalidController {
        /// `"dt0"`, `"max_steps"`, `"safety"`, `"min_factor"` or `"max_factor"`.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// The adaptive integration needed more steps (accepted and rejected) than allowed.
    #[error("more than {max_steps} steps needed (stopped at t = {t})")]
    TooManySteps {
        /// The limit.
        max_steps: usize,
        /// Where the integration stopped.
        t: f64,
    },
    /// The loss ([`SavedStateLoss`](crate::ode::SavedStateLoss)) returned an error: it is
    /// `source`, unchanged ([`UserFailure::downcast_ref`] gives back its type).
    #[error("the loss failed at saved state {index}: {source}")]
    Loss {
        /// The saved state whose term failed.
        index: usize,
        /// The error the loss returned.
        source: UserFailure,
    },
    /// The loss has terms for more saved states than the options save
    /// ([`SavedStateLoss::saved_states`](crate::ode::SavedStateLoss::saved_states)): some of
    /// it would be left out.
    #[error("the loss reads {needed} saved states but the options save {saved}; save at every time the loss observes")]
    TooFewSaves {
        /// The saved states the loss reads.
        needed: usize,
        /// The saved states of the options.
        saved: usize,
    },
    /// Binomial checkpointing with no snapshot: the initial state needs one.
    #[error("binomial checkpointing needs at least one snapshot (the initial state)")]
    NoSnapshots,
}

/// Why a Butcher tableau is not a valid explicit Runge-Kutta method
/// (inside [`OdeError::InvalidTableau`]).
///
/// ```
/// use tapeless_runtime::ode::{OdeError, Tableau, TableauError};
///
/// // a[0][1] != 0: stage 0 would depend on stage 1, which is not explicit.
/// let err = Tableau::explicit(vec![vec![0.0, 1.0], vec![1.0, 0.0]], vec![0.5, 0.5], vec![0.0, 1.0]);
/// assert_eq!(
///     err.unwrap_err(),
///     OdeError::InvalidTableau(TableauError::NotExplicit { row: 0, column: 1, value: 1.0 })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TableauError {
    /// No stages.
    #[error("a tableau needs at least one stage")]
    Empty,
    /// A row of `a` that is neither its strictly lower part (row `i` has `i` entries) nor a full
    /// row (one entry per stage).
    #[error("row {row} of a has {found} entries; give {row} (the strictly lower part) or {stages} (a full row)")]
    RowLength {
        /// The row.
        row: usize,
        /// Its length.
        found: usize,
        /// The number of stages.
        stages: usize,
    },
    /// A nonzero entry on or above the diagonal of `a`: the method would be implicit.
    #[error("a[{row}][{column}] = {value} is on or above the diagonal; an explicit method has a strictly lower-triangular a")]
    NotExplicit {
        /// The row.
        row: usize,
        /// The column.
        column: usize,
        /// The entry.
        value: f64,
    },
    /// A coefficient that is infinite or NaN.
    #[error("{what}[{index}] is not finite")]
    NotFinite {
        /// `"a"`, `"b"`, `"c"` or `"b_embedded"`.
        what: &'static str,
        /// Its position (for `a`, `row * stages + column`).
        index: usize,
    },
    /// Weights that do not sum to one: the method would not even be consistent (first order).
    #[error("the weights {what} sum to {sum}, not 1")]
    Inconsistent {
        /// `"b"`, or `"b_embedded"` for the weights of an embedded method.
        what: &'static str,
        /// Their sum.
        sum: f64,
    },
}
