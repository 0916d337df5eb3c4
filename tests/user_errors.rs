//! A user's function that fails (an inner cost whose ODE blows up, a loss, an update) stops the
//! computation, and its error reaches the caller of `hyper`, `nested`, `ode` and `minimize`
//! unchanged: never a panic, never a NaN result.

use std::fmt;
use tapeless::hyper::{forward_eta, implicit, Descent, StepAdjoints, StepInputs, Unrolled, Update};
use tapeless::minimize::argmin::core::{Executor, State};
use tapeless::minimize::argmin::solver::linesearch::MoreThuenteLineSearch;
use tapeless::minimize::argmin::solver::newton::NewtonCG;
use tapeless::minimize::argmin::solver::quasinewton::LBFGS;
use tapeless::minimize::Problem;
use tapeless::nested::{hvp, Gradient, MixedGradient, NestedError, NoParameters};
use tapeless::ode::{
    self, Controller, Memory, OdeError, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss,
    SolveOptions, Tableau,
};
use tapeless::{InputError, Real, UserError, UserFailure};

/// `du/dt = p0 u^2`: `u(t) = u0 / (1 - p0 u0 t)` blows up at `t = 1 / (p0 u0)`.
struct Riccati;

impl Rhs for Riccati {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        for (d, &x) in du.iter_mut().zip(u) {
            *d = p[0] * x * x;
        }
    }
}
impl RhsJvp for Riccati {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        for i in 0..u.len() {
            du_dot[i] = p_dot[0] * u[i] * u[i] + S::from_f64(2.0) * p[0] * u[i] * u_dot[i];
        }
    }
}
impl RhsVjp for Riccati {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        for i in 0..u.len() {
            u_bar[i] += S::from_f64(2.0) * p[0] * u[i] * du_bar[i];
            p_bar[0] += u[i] * u[i] * du_bar[i];
        }
        du_bar.fill(S::zero());
    }
}

/// `|u(1)|^2 / 2`.
struct HalfSquare;

impl SavedStateLoss for HalfSquare {
    fn value_and_gradient<S: Real>(
        &self,
        _k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        let mut value = S::zero();
        for (b, &x) in u_bar.iter_mut().zip(u) {
            value += S::from_f64(0.5) * x * x;
            *b += x;
        }
        Ok(value)
    }
}

/// The inner cost `J(x, phi) = |u(1)|^2 / 2` for `u(0) = x` and `p = phi`: its gradient is
/// `ode::gradient`, whose error it returns with `?`.
struct OdeCost;

impl MixedGradient for OdeCost {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        phi: &[S],
        x_bar: &mut [S],
        phi_bar: &mut [S],
    ) -> Result<S, UserError> {
        let options = SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(vec![1.0]));
        let g = ode::gradient(
            &OdeProblem::new(&Riccati, x, phi, (0.0, 1.0)),
            &options,
            &HalfSquare,
        )?;
        x_bar.iter_mut().zip(&g.u0_bar).for_each(|(a, &b)| *a += b);
        phi_bar.iter_mut().zip(&g.p_bar).for_each(|(a, &b)| *a += b);
        Ok(g.value)
    }
}

/// The same cost with `p = 1`, as a function of the state alone.
struct OdeCostOfState;

impl Gradient for OdeCostOfState {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        OdeCost.gradient(x, &[S::one()], g, &mut [S::zero()])
    }
}

/// `|x|^2 / 2`.
struct Outer;

impl Gradient for Outer {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        let mut l = S::zero();
        for (gi, &xi) in g.iter_mut().zip(x) {
            l += S::from_f64(0.5) * xi * xi;
            *gi += xi;
        }
        Ok(l)
    }
}

/// The error the ODE returned, from inside a `NestedError::User` of `function`.
fn ode_error_of(err: &NestedError, function: &str) -> OdeError {
    match err {
        NestedError::User {
            function: f,
            source,
        } if *f == function => source
            .downcast_ref::<OdeError>()
            .unwrap_or_else(|| panic!("not the ODE's error: {source:?}"))
            .clone(),
        other => panic!("expected the error of {function}, got {other:?}"),
    }
}

fn assert_blew_up(err: &NestedError, function: &str) {
    let ode_err = ode_error_of(err, function);
    assert!(
        matches!(ode_err, OdeError::NonFiniteState { .. }),
        "{ode_err:?}"
    );
    assert_eq!(err.to_string(), format!("{function} failed: {ode_err}"));
}

// From x0 = 0.5 the first inner gradient is finite (the blow-up is at t = 2); ascent with
// eta = -5 then moves x to about 20, where it is at t = 0.05.
const X0: [f64; 1] = [0.5];
const PHI: [f64; 1] = [1.0];
const ASCENT: [f64; 1] = [-5.0];

#[test]
fn a_diverging_inner_ode_is_the_callers_error_in_every_hypergradient_method() {
    let solver = Unrolled::new(&OdeCost, &Descent, 3);
    assert_blew_up(
        &solver.reverse(&Outer, &X0, &PHI, &ASCENT).unwrap_err(),
        "the inner cost",
    );
    assert_blew_up(
        &solver
            .forward_gradient(&Outer, &X0, &PHI, &ASCENT)
            .unwrap_err(),
        "the inner cost",
    );
    assert_blew_up(
        &solver
            .tangent(&Outer, &X0, (&PHI, &[1.0]), (&ASCENT, &[0.0]))
            .unwrap_err(),
        "the inner cost",
    );
    assert_blew_up(
        &solver.solve(&X0, &PHI, &ASCENT).unwrap_err(),
        "the inner cost",
    );
    assert_blew_up(
        &forward_eta(&OdeCostOfState, &Outer, &X0, -5.0, 3).unwrap_err(),
        "the inner cost",
    );
    // The same solver with a descent step converges, so the error is the ODE's, not the setup.
    let fine = solver.reverse(&Outer, &X0, &PHI, &[0.1]).unwrap();
    assert!(fine.loss.is_finite() && fine.theta[0].is_finite() && fine.phi[0].is_finite());
    // Implicit differentiation at a point where the cost's ODE blows up (t = 0.5): the
    // Hessian-vector products at dual numbers fail.
    assert_blew_up(
        &implicit(&OdeCost, &Outer, &[2.0], &PHI, 10, 1e-12).unwrap_err(),
        "the inner cost",
    );
    // And nested derivatives of it directly.
    assert_blew_up(
        &hvp(&OdeCostOfState, &[2.0], &[1.0]).unwrap_err(),
        "the function",
    );
}

/// An error type of the user's own.
#[derive(Debug, PartialEq)]
struct OutOfRange(f64);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is out of the trusted range", self.0)
    }
}

impl std::error::Error for OutOfRange {}

/// Descent that refuses to leave `|x| <= 1`, in both its step and its adjoint.
struct Guarded;

impl Update for Guarded {
    type Unpacked<S: Real> = ();
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn parameters(&self, _n: usize) -> usize {
        1
    }
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        Descent.step(&(), at, x, &mut [])?;
        match x.iter().find(|v| v.to_f64().abs() > 1.0) {
            Some(v) => Err(OutOfRange(v.to_f64()).into()),
            None => Ok(()),
        }
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        Descent.step_vjp(&(), at, bar)
    }
}

/// `|x|^2 / 2`, refusing states beyond `|x| <= limit`.
struct GuardedOuter(f64);

impl Gradient for GuardedOuter {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        if let Some(v) = x.iter().find(|v| v.to_f64().abs() > self.0) {
            return Err(OutOfRange(v.to_f64()).into());
        }
        Outer.gradient(x, g)
    }
}

/// `|x - 3|^2 / 2`: descent moves from 0 towards 3.
struct TowardsThree;

impl Gradient for TowardsThree {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        let d = x[0] - S::from_f64(3.0);
        g[0] += d;
        Ok(S::from_f64(0.5) * d * d)
    }
}

fn user_error_of<'e>(err: &'e NestedError, function: &str) -> &'e UserFailure {
    match err {
        NestedError::User {
            function: f,
            source,
        } if *f == function => source,
        other => panic!("expected the error of {function}, got {other:?}"),
    }
}

#[test]
fn the_errors_of_the_update_and_the_outer_loss_are_named_and_unchanged() {
    let cost = NoParameters(TowardsThree);
    // x: 0, 0.6, 1.08: the update refuses its second step.
    let solver = Unrolled::new(&cost, &Guarded, 4);
    let err = solver.reverse(&Outer, &[0.0], &[], &[0.2]).unwrap_err();
    let source = user_error_of(&err, "the update");
    assert_eq!(source.downcast_ref::<OutOfRange>(), Some(&OutOfRange(1.08)));
    assert_eq!(
        err.to_string(),
        "the update failed: 1.08 is out of the trusted range"
    );
    let err = solver.tangent(&Outer, &[0.0], (&[], &[]), (&[0.2], &[1.0]));
    user_error_of(&err.unwrap_err(), "the update");
    // The outer loss refusing the result of a fine inner solve.
    let solver = Unrolled::new(&cost, &Descent, 2);
    for err in [
        solver
            .reverse(&GuardedOuter(0.5), &[0.0], &[], &[0.2])
            .unwrap_err(),
        solver
            .forward_gradient(&GuardedOuter(0.5), &[0.0], &[], &[0.2])
            .unwrap_err(),
    ] {
        let source = user_error_of(&err, "the outer loss");
        assert!(source.downcast_ref::<OutOfRange>().is_some(), "{source:?}");
    }
}

/// A loss that fails at one saved state.
struct FailsAt(usize);

impl SavedStateLoss for FailsAt {
    fn value_and_gradient<S: Real>(
        &self,
        k: usize,
        t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        if k == self.0 {
            return Err(OutOfRange(t).into());
        }
        HalfSquare.value_and_gradient(k, t, u, u_bar)
    }
}

#[test]
fn a_failing_loss_stops_every_integrator_with_its_error() {
    let problem = OdeProblem::new(&Riccati, &[0.5], &[1.0], (0.0, 1.0));
    let saveat = SaveAt::Times(vec![0.0, 0.5, 1.0]);
    let fixed = SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(saveat.clone());
    let adaptive = SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-8, 1e-10))
        .saveat(saveat);
    for options in [
        fixed.clone(),
        fixed.clone().memory(Memory::Binomial { snapshots: 3 }),
        adaptive.clone(),
        adaptive.memory(Memory::Binomial { snapshots: 2 }),
    ] {
        let errors = [
            ode::loss_value(&problem, &options, &FailsAt(1)).unwrap_err(),
            ode::gradient(&problem, &options, &FailsAt(1)).unwrap_err(),
            ode::tangent(&problem, &options, &FailsAt(1), &[1.0], &[0.0]).unwrap_err(),
        ];
        for err in errors {
            match &err {
                OdeError::Loss { index: 1, source } => {
                    assert_eq!(source.downcast_ref::<OutOfRange>(), Some(&OutOfRange(0.5)))
                }
                other => panic!("expected the loss's error, got {other:?}"),
            }
            assert_eq!(
                err.to_string(),
                "the loss failed at saved state 1: 0.5 is out of the trusted range"
            );
        }
    }
}

#[test]
fn a_4dvar_cost_of_another_dimension_is_refused_before_integrating() {
    use tapeless::fourdvar::{Background, Cost, ObservationSet, Selection};
    let cost: Cost<Selection> = Cost::new(3)
        .background(Background::new(vec![0.0; 3], vec![1.0; 3]).unwrap())
        .unwrap();
    let problem = OdeProblem::new(&Riccati, &[0.5, 0.1], &[1.0], (0.0, 1.0));
    let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![0.0]));
    let expected = OdeError::Input(InputError::WrongLength {
        what: "state of the loss",
        expected: 3,
        found: 2,
    });
    assert_eq!(
        ode::gradient(&problem, &options, &cost).unwrap_err(),
        expected
    );
    assert_eq!(
        ode::loss_value(&problem, &options, &cost).unwrap_err(),
        expected
    );
    assert_eq!(
        ode::tangent(&problem, &options, &cost, &[1.0, 0.0], &[0.0]).unwrap_err(),
        expected
    );
    // Observations of a saved state the options do not save would be left out: an error, for
    // every entry point, with steps known in advance or adaptive.
    let observed = Cost::new(1)
        .observe(
            3,
            ObservationSet::new(Selection::new(vec![0]), vec![1.0], vec![1.0]).unwrap(),
        )
        .unwrap();
    let problem = OdeProblem::new(&Riccati, &[0.5], &[1.0], (0.0, 1.0));
    let three_saves = SaveAt::Times(vec![0.0, 0.5, 1.0]);
    let expected = OdeError::TooFewSaves {
        needed: 4,
        saved: 3,
    };
    for options in [
        SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(three_saves.clone()),
        SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-6, 1e-8))
            .saveat(three_saves),
        // Two accepted steps, so three saved states, known only once integrated.
        SolveOptions::adaptive(
            Tableau::dormand_prince(),
            Controller {
                dt0: Some(0.5),
                ..Controller::new(1.0, 1.0)
            },
        ),
    ] {
        assert_eq!(
            ode::gradient(&problem, &options, &observed).unwrap_err(),
            expected,
            "{options:?}"
        );
        assert_eq!(
            ode::loss_value(&problem, &options, &observed).unwrap_err(),
            expected
        );
        assert_eq!(
            ode::tangent(&problem, &options, &observed, &[1.0], &[0.0]).unwrap_err(),
            expected
        );
    }
    assert_eq!(
        expected.to_string(),
        "the loss reads 4 saved states but the options save 3; save at every time the loss observes"
    );
    // Saving the fourth state makes it whole.
    let four =
        SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![0.0, 0.2, 0.5, 1.0]));
    assert!(ode::gradient(&problem, &four, &observed).is_ok());
    // Called directly with a short state, the cost says so rather than reading out of bounds.
    let err = cost
        .value_and_gradient(0, 0.0, &[1.0, 2.0], &mut [0.0, 0.0])
        .unwrap_err();
    assert_eq!(err.to_string(), "saved state has length 2, expected 3");
}

/// The cost of the state alone at dual numbers fails: its Hessian products fail, its values and
/// gradients do not.
struct NoSecondDerivative;

impl Gradient for NoSecondDerivative {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        if std::any::type_name::<S>().contains("Dual") {
            return Err(OutOfRange(x[0].to_f64()).into());
        }
        TowardsThree.gradient(x, g)
    }
}

#[test]
fn argmin_solvers_return_the_functions_error() {
    // L-BFGS from a point where the cost's ODE blows up.
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 5);
    let err = Executor::new(Problem::new(OdeCostOfState), lbfgs)
        .configure(|state| state.param(vec![2.0]).max_iters(10))
        .run()
        .err()
        .expect("the solver stops with the function's error");
    let nested = err
        .downcast_ref::<NestedError>()
        .unwrap_or_else(|| panic!("not a NestedError: {err:?}"));
    assert_blew_up(nested, "the function");
    // Newton-CG whose Hessian products fail: argmin's products cannot, so the solver gets NaN
    // and its next evaluation returns the error.
    let newton = NewtonCG::new(MoreThuenteLineSearch::new());
    let err = Executor::new(Problem::new(NoSecondDerivative), newton)
        .configure(|state| state.param(vec![0.5]).max_iters(10))
        .run()
        .err()
        .expect("the solver stops with the function's error");
    let nested = err
        .downcast_ref::<NestedError>()
        .unwrap_or_else(|| panic!("not a NestedError: {err:?}"));
    let source = user_error_of(nested, "the function");
    assert_eq!(source.downcast_ref::<OutOfRange>(), Some(&OutOfRange(0.5)));
    // From a point where it is defined, L-BFGS converges as before.
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 5);
    let result = Executor::new(Problem::new(TowardsThree), lbfgs)
        .configure(|state| state.param(vec![0.0]).max_iters(20))
        .run()
        .unwrap();
    let x = result.state().get_best_param().unwrap();
    assert!((x[0] - 3.0).abs() < 1e-8, "{x:?}");
}
