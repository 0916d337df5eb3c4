//! Butcher tableaus of explicit Runge-Kutta methods, as data.
//!
//! A tableau says what a step computes; the stepper (`stepper.rs`) computes it and the drivers
//! (`solve.rs`, `adjoint.rs`, `tangent.rs`) own the loop. For an `s`-stage method with
//! coefficients `a`, `b`, `c`, a step of size `h` from `(t, u)` is
//!
//! ```text
//! k_i   = f(u + h sum_{j<i} a_ij k_j, p, t + c_i h)      i = 0..s
//! u_new = u + h sum_i b_i k_i
//! ```
//!
//! Named methods keep their coefficients as numerators over a common denominator, so the step
//! evaluates exactly the textbook expression: RK4's last line is `u + h/6 (k1 + 2 k2 + 2 k3 + k4)`
//! and its second stage input `u + h/2 k1`, rounding for rounding, which is what makes results
//! agree bit for bit with an independent implementation written from the formula.

use super::error::{OdeError, TableauError};
use crate::InputError;

/// How far the weights may sum from one, for coefficients given in floating point.
const CONSISTENCY_TOLERANCE: f64 = 1e-10;

/// The Butcher tableau of an explicit Runge-Kutta method, optionally with embedded weights
/// for error estimation (adaptive steps).
///
/// Build one with a named constructor ([`euler`](Tableau::euler), [`heun`](Tableau::heun),
/// [`midpoint`](Tableau::midpoint), [`ssprk3`](Tableau::ssprk3), [`rk4`](Tableau::rk4),
/// [`rk38`](Tableau::rk38), [`dormand_prince`](Tableau::dormand_prince)) or from coefficients
/// with [`explicit`](Tableau::explicit), which checks that they make an explicit method.
///
/// ```
/// use tapeless_runtime::ode::Tableau;
///
/// let rk4 = Tableau::rk4();
/// assert_eq!(rk4.stages(), 4);
/// assert_eq!((rk4.a(1, 0), rk4.b(1), rk4.c(3)), (0.5, 1.0 / 3.0, 1.0));
/// assert_eq!(rk4.order(), Some(4));
///
/// // Ralston's second-order method, from its coefficients.
/// let ralston = Tableau::explicit(vec![vec![], vec![2.0 / 3.0]], vec![0.25, 0.75], vec![0.0, 2.0 / 3.0])?;
/// assert_eq!(ralston.stages(), 2);
/// assert_eq!(ralston.order(), None); // not checked: the order is the caller's claim to make
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tableau {
    name: &'static str,
    stages: usize,
    /// Numerators of `a`, row-major `stages x stages`, zero on and above the diagonal.
    a_num: Vec<f64>,
    /// The denominator of each row of `a`: `a[i][j] = a_num[i][j] / a_den[i]`.
    a_den: Vec<f64>,
    /// Numerators of `b`, over `b_den`.
    b_num: Vec<f64>,
    b_den: f64,
    c: Vec<f64>,
    /// `b - b_embedded`: the weights of the local error estimate, when there is one.
    error_weights: Option<Vec<f64>>,
    order: Option<u32>,
    /// The order of the lower-order solution of an embedded pair: the controller's exponent is
    /// `1 / (error_order + 1)`.
    error_order: Option<u32>,
    /// Whether stage `i` influences the step's result (the last stage of an FSAL pair only
    /// feeds the error estimate).
    needed: Vec<bool>,
    /// Whether row `i` of `a` is zero, so stage `i` is evaluated at `u` itself.
    row_empty: Vec<bool>,
    /// First same as last: the last stage is evaluated at the step's result at `t + h`.
    fsal: bool,
}

/// A row of `a` as numerators over a denominator; the strictly lower part only.
type Row<'a> = (&'a [f64], f64);

impl Tableau {
    /// Builds a tableau from trusted data (the named constructors).
    fn from_parts(
        name: &'static str,
        rows: &[Row<'_>],
        b: Row<'_>,
        c: &[f64],
        order: u32,
        embedded: Option<(&[f64], u32)>,
    ) -> Self {
        let stages = c.len();
        let mut a_num = vec![0.0; stages * stages];
        let mut a_den = vec![1.0; stages];
        for (i, (row, den)) in rows.iter().enumerate() {
            a_num[i * stages..i * stages + row.len()].copy_from_slice(row);
            a_den[i] = *den;
        }
        let (b_num, b_den) = b;
        let error_weights = embedded.map(|(b_embedded, _)| {
            b_num
                .iter()
                .zip(b_embedded)
                .map(|(bn, be)| bn / b_den - be)
                .collect()
        });
        Self::finish(Self {
            name,
            stages,
            a_num,
            a_den,
            b_num: b_num.to_vec(),
            b_den,
            c: c.to_vec(),
            error_weights,
            order: Some(order),
            error_order: embedded.map(|(_, q)| q),
            needed: Vec::new(),
            row_empty: Vec::new(),
            fsal: false,
        })
    }

    /// Derives what the stepper needs to know about the structure of the coefficients.
    fn finish(mut self) -> Self {
        let s = self.stages;
        self.row_empty = (0..s)
            .map(|i| self.a_num[i * s..i * s + i].iter().all(|&x| x == 0.0))
            .collect();
        let mut needed = vec![false; s];
        for i in (0..s).rev() {
            needed[i] = self.b_num[i] != 0.0
                || (i + 1..s).any(|j| needed[j] && self.a_num[j * s + i] != 0.0);
        }
        self.needed = needed;
        // The last stage input is then computed exactly as the step's result, so it can be reused
        // as the first stage of the next step.
        let last = s - 1;
        self.fsal = s > 1
            && self.c[last] == 1.0
            && self.b_num[last] == 0.0
            && self.a_den[last] == self.b_den
            && self.a_num[last * s..last * s + last] == self.b_num[..last];
        self
    }

    /// The explicit (forward) Euler method, order 1: `u + h f(u, t)`.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!((Tableau::euler().stages(), Tableau::euler().order()), (1, Some(1)));
    /// ```
    pub fn euler() -> Self {
        Self::from_parts("euler", &[(&[], 1.0)], (&[1.0], 1.0), &[0.0], 1, None)
    }

    /// Heun's method (explicit trapezoidal rule), order 2:
    /// `k2 = f(u + h k1, t + h)`, `u + h/2 (k1 + k2)`.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!(Tableau::heun().b(1), 0.5);
    /// ```
    pub fn heun() -> Self {
        Self::from_parts(
            "heun",
            &[(&[], 1.0), (&[1.0], 1.0)],
            (&[1.0, 1.0], 2.0),
            &[0.0, 1.0],
            2,
            None,
        )
    }

    /// The explicit midpoint method, order 2: `k2 = f(u + h/2 k1, t + h/2)`, `u + h k2`.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!(Tableau::midpoint().c(1), 0.5);
    /// ```
    pub fn midpoint() -> Self {
        Self::from_parts(
            "midpoint",
            &[(&[], 1.0), (&[1.0], 2.0)],
            (&[0.0, 1.0], 1.0),
            &[0.0, 0.5],
            2,
            None,
        )
    }

    /// The three-stage strong-stability-preserving method of Shu and Osher, order 3:
    /// `k2 = f(u + h k1, t + h)`, `k3 = f(u + h/4 (k1 + k2), t + h/2)`,
    /// `u + h/6 (k1 + k2 + 4 k3)`.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!(Tableau::ssprk3().b(2), 4.0 / 6.0);
    /// ```
    pub fn ssprk3() -> Self {
        Self::from_parts(
            "ssprk3",
            &[(&[], 1.0), (&[1.0], 1.0), (&[1.0, 1.0], 4.0)],
            (&[1.0, 1.0, 4.0], 6.0),
            &[0.0, 1.0, 0.5],
            3,
            None,
        )
    }

    /// The classic Runge-Kutta method, order 4:
    ///
    /// ```text
    /// k1 = f(u, t)
    /// k2 = f(u + h/2 k1, t + h/2)
    /// k3 = f(u + h/2 k2, t + h/2)
    /// k4 = f(u + h k3, t + h)
    /// u + h/6 (k1 + 2 k2 + 2 k3 + k4)
    /// ```
    ///
    /// evaluated in exactly this order and grouping.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!(Tableau::rk4().a(3, 2), 1.0);
    /// ```
    pub fn rk4() -> Self {
        Self::from_parts(
            "rk4",
            &[
                (&[], 1.0),
                (&[1.0], 2.0),
                (&[0.0, 1.0], 2.0),
                (&[0.0, 0.0, 1.0], 1.0),
            ],
            (&[1.0, 2.0, 2.0, 1.0], 6.0),
            &[0.0, 0.5, 0.5, 1.0],
            4,
            None,
        )
    }

    /// Kutta's 3/8 rule, order 4:
    /// `k2 = f(u + h/3 k1, t + h/3)`, `k3 = f(u + h/3 (-k1 + 3 k2), t + 2h/3)`,
    /// `k4 = f(u + h (k1 - k2 + k3), t + h)`, `u + h/8 (k1 + 3 k2 + 3 k3 + k4)`.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert_eq!(Tableau::rk38().b(1), 3.0 / 8.0);
    /// ```
    pub fn rk38() -> Self {
        Self::from_parts(
            "rk38",
            &[
                (&[], 1.0),
                (&[1.0], 3.0),
                (&[-1.0, 3.0], 3.0),
                (&[1.0, -1.0, 1.0], 1.0),
            ],
            (&[1.0, 3.0, 3.0, 1.0], 8.0),
            &[0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
            4,
            None,
        )
    }

    /// The Dormand-Prince 5(4) pair: seven stages, a fifth-order solution, an embedded
    /// fourth-order one for the error estimate, and the first-same-as-last property (the seventh
    /// stage is the next step's first). With fixed steps it is a six-stage fifth-order method (the
    /// seventh stage only feeds the error estimate and is skipped); with
    /// [`StepSize::Adaptive`](crate::ode::StepSize::Adaptive) it is the `ode45`/`DOPRI5`/`Tsit5`
    /// family's classic.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// let dp = Tableau::dormand_prince();
    /// assert_eq!((dp.stages(), dp.order(), dp.has_error_estimate()), (7, Some(5), true));
    /// ```
    pub fn dormand_prince() -> Self {
        let b = [
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
            0.0,
        ];
        let b_embedded = [
            5179.0 / 57600.0,
            0.0,
            7571.0 / 16695.0,
            393.0 / 640.0,
            -92097.0 / 339200.0,
            187.0 / 2100.0,
            1.0 / 40.0,
        ];
        Self::from_parts(
            "dormand_prince",
            &[
                (&[], 1.0),
                (&[1.0 / 5.0], 1.0),
                (&[3.0 / 40.0, 9.0 / 40.0], 1.0),
                (&[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0], 1.0),
                (
                    &[
                        19372.0 / 6561.0,
                        -25360.0 / 2187.0,
                        64448.0 / 6561.0,
                        -212.0 / 729.0,
                    ],
                    1.0,
                ),
                (
                    &[
                        9017.0 / 3168.0,
                        -355.0 / 33.0,
                        46732.0 / 5247.0,
                        49.0 / 176.0,
                        -5103.0 / 18656.0,
                    ],
                    1.0,
                ),
                (&b[..6], 1.0),
            ],
            (&b, 1.0),
            &[0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
            5,
            Some((&b_embedded, 4)),
        )
    }

    /// An explicit method from its coefficients: `a` (row `i` either its strictly lower part,
    /// `i` entries, or a full row of `stages` entries whose entries on and above the diagonal are
    /// zero), weights `b` and nodes `c`, one per stage.
    ///
    /// Checks that the method is explicit, that lengths agree, that every coefficient is finite
    /// and that the weights sum to one. The nodes are not required to be the row sums of `a`
    /// (methods for autonomous problems sometimes differ), and the order is not computed:
    /// [`order`](Tableau::order) returns `None`.
    ///
    /// ```
    /// use tapeless_runtime::ode::{OdeError, Tableau, TableauError};
    ///
    /// // Full rows are accepted too, if their upper part is zero.
    /// let heun = Tableau::explicit(vec![vec![0.0, 0.0], vec![1.0, 0.0]], vec![0.5, 0.5], vec![0.0, 1.0])?;
    /// assert_eq!(heun.a(1, 0), 1.0);
    ///
    /// let inconsistent = Tableau::explicit(vec![vec![]], vec![0.5], vec![0.0]);
    /// assert_eq!(
    ///     inconsistent.unwrap_err(),
    ///     OdeError::InvalidTableau(TableauError::Inconsistent { what: "b", sum: 0.5 })
    /// );
    /// # Ok::<(), OdeError>(())
    /// ```
    pub fn explicit(a: Vec<Vec<f64>>, b: Vec<f64>, c: Vec<f64>) -> Result<Self, OdeError> {
        Self::from_coefficients(a, b, c, None)
    }

    /// An explicit method with embedded weights for error estimation, usable with adaptive
    /// steps: like [`explicit`](Tableau::explicit), plus `b_embedded`, the weights of a second
    /// solution of lower order `error_order` (the error estimate is the difference of the two
    /// solutions, and the step-size controller's exponent is `1 / (error_order + 1)`).
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    ///
    /// // Bogacki-Shampine 3(2), the method of MATLAB's ode23.
    /// let bs3 = Tableau::explicit_embedded(
    ///     vec![vec![], vec![0.5], vec![0.0, 0.75], vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0]],
    ///     vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    ///     vec![7.0 / 24.0, 0.25, 1.0 / 3.0, 0.125],
    ///     vec![0.0, 0.5, 0.75, 1.0],
    ///     2,
    /// )?;
    /// assert!(bs3.has_error_estimate());
    /// # Ok::<(), tapeless_runtime::ode::OdeError>(())
    /// ```
    pub fn explicit_embedded(
        a: Vec<Vec<f64>>,
        b: Vec<f64>,
        b_embedded: Vec<f64>,
        c: Vec<f64>,
        error_order: u32,
    ) -> Result<Self, OdeError> {
        Self::from_coefficients(a, b, c, Some((b_embedded, error_order)))
    }

    fn from_coefficients(
        a: Vec<Vec<f64>>,
        b: Vec<f64>,
        c: Vec<f64>,
        embedded: Option<(Vec<f64>, u32)>,
    ) -> Result<Self, OdeError> {
        let s = a.len();
        if s == 0 {
            return Err(TableauError::Empty.into());
        }
        let length = |what, v: &[f64]| {
            if v.len() == s {
                Ok(())
            } else {
                Err(OdeError::from(InputError::WrongLength {
                    what,
                    expected: s,
                    found: v.len(),
                }))
            }
        };
        length("tableau b", &b)?;
        length("tableau c", &c)?;
        if let Some((b_embedded, _)) = &embedded {
            length("tableau b_embedded", b_embedded)?;
        }
        let mut a_num = vec![0.0; s * s];
        for (i, row) in a.iter().enumerate() {
            if row.len() != i && row.len() != s {
                return Err(TableauError::RowLength {
                    row: i,
                    found: row.len(),
                    stages: s,
                }
                .into());
            }
            for (j, &value) in row.iter().enumerate() {
                if !value.is_finite() {
                    return Err(TableauError::NotFinite {
                        what: "a",
                        index: i * s + j,
                    }
                    .into());
                }
                if j >= i && value != 0.0 {
                    return Err(TableauError::NotExplicit {
                        row: i,
                        column: j,
                        value,
                    }
                    .into());
                }
                a_num[i * s + j] = value;
            }
        }
        let finite = |what, v: &[f64]| match v.iter().position(|x| !x.is_finite()) {
            Some(index) => Err(TableauError::NotFinite { what, index }),
            None => Ok(()),
        };
        let consistent = |what, v: &[f64]| {
            let sum: f64 = v.iter().sum();
            if (sum - 1.0).abs() <= CONSISTENCY_TOLERANCE {
                Ok(())
            } else {
                Err(TableauError::Inconsistent { what, sum })
            }
        };
        finite("b", &b)?;
        finite("c", &c)?;
        consistent("b", &b)?;
        let (error_weights, error_order) = match embedded {
            Some((b_embedded, q)) => {
                finite("b_embedded", &b_embedded)?;
                consistent("b_embedded", &b_embedded)?;
                let e = b.iter().zip(&b_embedded).map(|(x, y)| x - y).collect();
                (Some(e), Some(q))
            }
            None => (None, None),
        };
        Ok(Self::finish(Self {
            name: "explicit",
            stages: s,
            a_num,
            a_den: vec![1.0; s],
            b_num: b,
            b_den: 1.0,
            c,
            error_weights,
            order: None,
            error_order,
            needed: Vec::new(),
            row_empty: Vec::new(),
            fsal: false,
        }))
    }

    /// The method's name: `"rk4"`, `"dormand_prince"`, ..., or `"explicit"` for one built
    /// from coefficients.
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::heun().name(), "heun");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number of stages `s`.
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::rk38().stages(), 4);
    /// ```
    pub fn stages(&self) -> usize {
        self.stages
    }

    /// The coefficient `a[i][j]` (zero for `j >= i`).
    ///
    /// # Panics
    ///
    /// If `i` or `j` is not less than [`stages`](Tableau::stages).
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::rk38().a(2, 0), -1.0 / 3.0);
    /// ```
    pub fn a(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.stages && j < self.stages,
            "tableau entry a[{i}][{j}] of a method with {} stages",
            self.stages
        );
        self.a_num[i * self.stages + j] / self.a_den[i]
    }

    /// The weight `b[i]`.
    ///
    /// # Panics
    ///
    /// If `i` is not less than [`stages`](Tableau::stages).
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::rk4().b(0), 1.0 / 6.0);
    /// ```
    pub fn b(&self, i: usize) -> f64 {
        self.b_num[i] / self.b_den
    }

    /// The node `c[i]`: stage `i` is evaluated at time `t + c[i] h`.
    ///
    /// # Panics
    ///
    /// If `i` is not less than [`stages`](Tableau::stages).
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::rk4().c(1), 0.5);
    /// ```
    pub fn c(&self, i: usize) -> f64 {
        self.c[i]
    }

    /// The order of the method, for the named methods; `None` for one built from coefficients.
    ///
    /// ```
    /// assert_eq!(tapeless_runtime::ode::Tableau::ssprk3().order(), Some(3));
    /// ```
    pub fn order(&self) -> Option<u32> {
        self.order
    }

    /// Whether the tableau has embedded weights, so it can take adaptive steps.
    ///
    /// ```
    /// use tapeless_runtime::ode::Tableau;
    /// assert!(!Tableau::rk4().has_error_estimate());
    /// assert!(Tableau::dormand_prince().has_error_estimate());
    /// ```
    pub fn has_error_estimate(&self) -> bool {
        self.error_weights.is_some()
    }

    // What the stepper reads, once or more per stage: inlined, since a call costs as much as
    // the lookup (`row` was 2.4% of `ode::gradient_fixed` on problem L as a call).

    #[inline]
    pub(crate) fn row(&self, i: usize) -> (&[f64], f64) {
        let s = self.stages;
        (&self.a_num[i * s..i * s + i], self.a_den[i])
    }

    #[inline]
    pub(crate) fn weights(&self) -> (&[f64], f64) {
        (&self.b_num, self.b_den)
    }

    #[inline]
    pub(crate) fn error_weights(&self) -> Option<&[f64]> {
        self.error_weights.as_deref()
    }

    pub(crate) fn error_order(&self) -> Option<u32> {
        self.error_order
    }

    #[inline]
    pub(crate) fn needed(&self, i: usize) -> bool {
        self.needed[i]
    }

    #[inline]
    pub(crate) fn row_empty(&self, i: usize) -> bool {
        self.row_empty[i]
    }

    /// Whether the method has a continuous extension of its own (dense output from its
    /// stages): Dormand-Prince 5(4).
    pub(crate) fn continuous(&self) -> bool {
        self.name == "dormand_prince"
    }

    #[inline]
    pub(crate) fn fsal(&self) -> bool {
        self.fsal
    }

    /// Whether the coefficients are the classic RK4's (numerators and denominators as
    /// [`Tableau::rk4`] keeps them), whatever the name: the stepper then takes RK4's written-out
    /// path, which computes exactly these expressions.
    pub(crate) fn is_rk4(&self) -> bool {
        // Compared with constants, not with `Tableau::rk4()`: building one allocates, and
        // every stepper asks (the tangent's too).
        const A_NUM: [f64; 16] = [
            0.0, 0.0, 0.0, 0.0, //
            1.0, 0.0, 0.0, 0.0, //
            0.0, 1.0, 0.0, 0.0, //
            0.0, 0.0, 1.0, 0.0,
        ];
        (
            &self.a_num[..],
            &self.a_den[..],
            &self.b_num[..],
            self.b_den,
            &self.c[..],
        ) == (
            &A_NUM[..],
            &[1.0, 2.0, 2.0, 1.0][..],
            &[1.0, 2.0, 2.0, 1.0][..],
            6.0,
            &[0.0, 0.5, 0.5, 1.0][..],
        )
    }

    /// The index of the last stage that influences the step's result.
    #[inline]
    pub(crate) fn last_needed(&self) -> usize {
        // The weights sum to one, so some weight is nonzero and its stage is needed.
        self.needed.iter().rposition(|&x| x).unwrap_or(0)
    }

    /// The time of stage `i` of a step of size `h` from `t`: `t + c_i h` (just `t` when
    /// `c_i = 0`, so no `+ 0.0` touches the time).
    #[inline]
    pub(crate) fn stage_time(&self, t: f64, h: f64, i: usize) -> f64 {
        let c = self.c[i];
        if c == 0.0 {
            t
        } else {
            t + c * h
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
