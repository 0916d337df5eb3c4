//! Data parameters for the second batch (issue 12): `#[differentiable(wrt(..))]` naming some of
//! the real parameters only, the others (`f64`, `&[f64]`, `[f64; 3]`) being data the function
//! reads but is not differentiated with respect to, and arrays of arrays as data
//! (`obs: &[[f64; 2]]`, `obs: Vec<[f64; 3]>`, `obs: [[f64; 2]; 4]`), read as `obs[k][j]`,
//! `obs.len()`, `for o in obs { .. o[0] .. }`, `for &[t, y] in obs`, `for (k, o) in
//! obs.iter().enumerate()` and `obs.iter().map(|o| ..).sum::<f64>()`.
//!
//! Data parameters are never written (so the macro keeps them `f64` in every companion) and are
//! not part of the flat input of the tests: each test passes the same literal values to the
//! function and to its companions, and the checks (finite differences, dot product, tangent
//! against adjoint, Hessian-vector products) are over the `wrt` parameters only. Their values
//! lie in `[-1, 1]`, the bound of every parameter, so the rules that keep values bounded hold
//! as they are; a sum over rows is scaled by the number of rows as a sum over an array is.

use super::{fit, Gen, Param, Rng, VarKind, E, PARAM_BOUND};

/// `#[differentiable(wrt(..))]` with some real parameters left out as data, and data
/// parameters added (`c: f64`, `d: &[f64]`, `e: [f64; 3]`).
const WRT_DATA: bool = true;
/// Arrays of arrays as data parameters (`obs: &[[f64; 2]]`, `Vec<[f64; 3]>`, `[[f64; 2]; 4]`).
const ROWS_DATA: bool = true;
/// `for o in obs`, `for &[t, y] in obs`, `for (k, o) in obs.iter().enumerate()` with random
/// bodies.
const ROW_LOOPS: bool = true;
/// `obs.iter().map(|o| ..).sum::<f64>()` as a value.
const ROW_SUMS: bool = true;
/// Arrays of arrays in `wrt(..)`: `obs: &[[f64; W]]` differentiated, read by the same forms;
/// the tests take its values from the flat input and its tangent and adjoint in rows.
const ACTIVE_ROWS: bool = true;
/// Such arrays passed to annotated helpers (session 13): `h_rows2(obs, a)` (a real), and `let w
/// = h_rows_map2(obs, a);` (rows returned, bound without their type) read `w[k][j]` by the
/// next statement.
const ACTIVE_ROWS_CALLS: bool = true;

/// Sparse observations as tuples of data, `sp: &[(usize, f64)]` (session 15), read as `sp[k].1`,
/// `sp[k].0`, `for &(k, y) in sp`, `for (k, y) in sp.iter()` (`(*k)`, `(*y)`), `for (m, o) in
/// sp.iter().enumerate()` (`o.0`, `o.1`) and `sp.iter().map(|&(k, y)| ..).sum::<f64>()`.
const TUPLE_DATA: bool = true;

/// The value of a data parameter, written as a literal by the tests.
#[derive(Clone)]
pub enum Data {
    /// `c: f64`
    Scalar(f64),
    /// `d: &[f64]`
    Slice(Vec<f64>),
    /// `e: [f64; 3]`
    Array(Vec<f64>),
    /// `obs: &[[f64; W]]`, `Vec<[f64; W]>` or `[[f64; W]; N]`: rows of equal width.
    Rows(RowsKind, Vec<Vec<f64>>),
    /// `obs: &[[f64; W]]` named in `wrt(..)`: `count` rows of `width` reals, from the tests'
    /// flat input (not data, but generated and read as the data rows are).
    ActiveRows { width: usize, count: usize },
    /// `sp: &[(usize, f64)]`: the integers below 4.
    Tuples(Vec<(usize, f64)>),
}

/// How an array of arrays is passed.
#[derive(Clone, Copy, PartialEq)]
pub enum RowsKind {
    Slice,
    Vec,
    Array,
}

/// An array of arrays in scope: its name, width and number of rows.
#[derive(Clone)]
pub struct Rows {
    pub name: String,
    pub kind: RowsKind,
    pub width: usize,
    pub count: usize,
    /// Named in `wrt(..)`: passed to the helpers that differentiate their rows.
    pub active: bool,
    /// Tuples `(usize, f64)` (`Data::Tuples`), not rows of reals.
    pub tuples: bool,
}

fn values(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| (rng.range(-PARAM_BOUND, PARAM_BOUND) * 100.0).round() / 100.0)
        .collect()
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|c| format!("{c:.2}")).collect();
    format!("[{}]", items.join(", "))
}

impl Data {
    /// The parameter's type.
    pub fn ty(&self) -> String {
        match self {
            Data::Scalar(_) => "f64".into(),
            Data::Slice(_) => "&[f64]".into(),
            Data::Array(v) => format!("[f64; {}]", v.len()),
            Data::Rows(kind, rows) => {
                let w = rows[0].len();
                match kind {
                    RowsKind::Slice => format!("&[[f64; {w}]]"),
                    RowsKind::Vec => format!("Vec<[f64; {w}]>"),
                    RowsKind::Array => format!("[[f64; {w}]; {}]", rows.len()),
                }
            }
            Data::ActiveRows { width, .. } => format!("&[[f64; {width}]]"),
            Data::Tuples(_) => "&[(usize, f64)]".into(),
        }
    }

    /// The argument a test passes.
    pub fn arg(&self) -> String {
        match self {
            Data::Scalar(c) => format!("{c:.2}"),
            Data::Slice(v) => format!("&{}", list(v)),
            Data::Array(v) => list(v),
            Data::Rows(kind, rows) => {
                let rows: Vec<String> = rows.iter().map(|r| list(r)).collect();
                let all = rows.join(", ");
                match kind {
                    RowsKind::Slice => format!("&[{all}]"),
                    RowsKind::Vec => format!("vec![{all}]"),
                    RowsKind::Array => format!("[{all}]"),
                }
            }
            Data::ActiveRows { .. } => unreachable!("the tests pass rows of the flat input"),
            Data::Tuples(t) => {
                let items: Vec<String> = t.iter().map(|(k, y)| format!("({k}, {y:.2})")).collect();
                format!("&[{}]", items.join(", "))
            }
        }
    }

    /// The number of reals of the tests' flat input it takes (none for data).
    pub fn inputs(&self) -> usize {
        match self {
            Data::ActiveRows { width, count } => width * count,
            _ => 0,
        }
    }
}

/// For a program of the second batch without a struct: leaves some real parameters out of
/// `wrt(..)` (read-only ones: `f64`, `&[f64]`) and adds data parameters, or returns `false` and
/// leaves `params` as they were. At least one differentiated parameter stays.
pub fn with_data(rng: &mut Rng, params: &mut Vec<Param>, mut_a: bool) -> bool {
    if !WRT_DATA || !rng.chance(0.35) {
        return false;
    }
    // Read-only real parameters that may become data.
    let candidates: Vec<usize> = params
        .iter()
        .enumerate()
        .filter(|(_, p)| match p {
            Param::Scalar(s) => !(s == "a" && mut_a),
            Param::Slice(..) => true,
            _ => false,
        })
        .map(|(k, _)| k)
        .collect();
    let reals = params
        .iter()
        .filter(|p| !matches!(p, Param::Int(..)))
        .count();
    if reals > 1 && !candidates.is_empty() && rng.chance(0.6) {
        let k = *rng.pick(&candidates);
        let data = match &params[k] {
            Param::Scalar(s) => (s.clone(), Data::Scalar(values(rng, 1)[0])),
            Param::Slice(s, n) => (s.clone(), Data::Slice(values(rng, *n))),
            _ => unreachable!("a read-only real parameter"),
        };
        params[k] = Param::Data(data.0, data.1);
    }
    match rng.below(4) {
        0 => params.push(Param::Data("c".into(), Data::Scalar(values(rng, 1)[0]))),
        1 => {
            let n = 2 + rng.below(3);
            params.push(Param::Data("d".into(), Data::Slice(values(rng, n))));
        }
        2 => params.push(Param::Data("e".into(), Data::Array(values(rng, 3)))),
        _ => {}
    }
    if ROWS_DATA && rng.chance(0.7) {
        let kind = *rng.pick(&[RowsKind::Slice, RowsKind::Vec, RowsKind::Array]);
        let width = 2 + rng.below(2);
        let count = if kind == RowsKind::Array {
            4
        } else {
            1 + rng.below(4)
        };
        let data = if ACTIVE_ROWS && kind == RowsKind::Slice && rng.chance(0.5) {
            Data::ActiveRows { width, count }
        } else {
            Data::Rows(kind, (0..count).map(|_| values(rng, width)).collect())
        };
        params.push(Param::Data("obs".into(), data));
    }
    if TUPLE_DATA && rng.chance(0.4) {
        let count = 1 + rng.below(4);
        let tuples = (0..count)
            .map(|_| (rng.below(4), values(rng, 1)[0]))
            .collect();
        params.push(Param::Data("sp".into(), Data::Tuples(tuples)));
    }
    true
}

/// The attribute's `wrt(..)`: the real parameters that are not data.
pub fn wrt_list(params: &[Param]) -> String {
    let names: Vec<&str> = params
        .iter()
        .filter_map(|p| match p {
            Param::Scalar(s)
            | Param::Slice(s, _)
            | Param::MutSlice(s, _)
            | Param::Array3(s)
            | Param::Vec(s, _)
            | Param::Data(s, Data::ActiveRows { .. }) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    format!("wrt({})", names.join(", "))
}

impl Gen<'_> {
    /// Declares data parameter `name` (inactive, never written); returns its signature text.
    pub fn declare_data(&mut self, name: &str, data: &Data) -> String {
        let was = self.declaring_param;
        self.declaring_param = false;
        match data {
            Data::Scalar(_) => self.declare(
                name,
                VarKind::Scalar { mutable: false },
                PARAM_BOUND,
                PARAM_BOUND,
            ),
            Data::Slice(v) => {
                let len = if name == "x" {
                    "n".to_string()
                } else {
                    format!("n{name}")
                };
                self.declare(
                    name,
                    super::array(&len, v.len(), false, super::ArrayKind::SliceParam),
                    PARAM_BOUND,
                    PARAM_BOUND,
                );
            }
            Data::Array(v) => self.declare(
                name,
                super::array(
                    &v.len().to_string(),
                    v.len(),
                    false,
                    super::ArrayKind::ArrayParam,
                ),
                PARAM_BOUND,
                PARAM_BOUND,
            ),
            Data::Rows(kind, rows) => self.rows.push(Rows {
                name: name.into(),
                kind: *kind,
                width: rows[0].len(),
                count: rows.len(),
                active: false,
                tuples: false,
            }),
            Data::ActiveRows { width, count } => self.rows.push(Rows {
                name: name.into(),
                kind: RowsKind::Slice,
                width: *width,
                count: *count,
                active: true,
                tuples: false,
            }),
            Data::Tuples(t) => self.rows.push(Rows {
                name: name.into(),
                kind: RowsKind::Slice,
                width: 2,
                count: t.len(),
                active: false,
                tuples: true,
            }),
        }
        self.declaring_param = was;
        format!("{name}: {}", data.ty())
    }

    /// The length binding of a data slice (`let nd = d.len();`), as for the other slices.
    pub fn data_len(&mut self, name: &str, data: &Data) {
        if let Data::Slice(v) = data {
            let len = if name == "x" {
                "n".to_string()
            } else {
                format!("n{name}")
            };
            self.line(format!("let {len} = {name}.len();"));
            self.declare(
                &len,
                VarKind::Int {
                    below: None,
                    max: v.len() + 1,
                },
                0.0,
                0.0,
            );
        }
    }

    /// A row index: a literal, or an integer in scope modulo the number of rows.
    fn row_index(&mut self, rows: &Rows) -> String {
        let ints = self.ints();
        if ints.is_empty() || self.rng.chance(0.3) {
            return self.rng.below(rows.count).to_string();
        }
        let i = self.vars[*self.rng.pick(&ints)].name.clone();
        match self.rng.below(3) {
            0 => format!("{i} % {}.len()", rows.name),
            1 => format!("({i} + 1) % {}.len()", rows.name),
            // `i % 1` is clippy's `modulo_one`, denied by default.
            _ if rows.count > 1 => format!("{i} % {}", rows.count),
            _ => format!("{i} % {}.len()", rows.name),
        }
    }

    /// A real read from an array of arrays in scope, or `None` (keeping the random stream as it
    /// was) when there is none or the expression may end up guarded by a condition: the macro
    /// asks for an element or an iterator there to be bound by a `let` first.
    pub fn rows_leaf(&mut self) -> Option<E> {
        if self.rows.is_empty() || self.guarded > 0 || !self.rng.chance(0.15) {
            return None;
        }
        let rows = self.rng.pick(&self.rows.clone()).clone();
        if ACTIVE_ROWS_CALLS && rows.active && self.rng.chance(0.5) {
            let a = self.rows_call_arg();
            let call = format!("h_rows{}({}, {a})", rows.width, rows.name);
            return Some(E::new(call, 1.0, true));
        }
        if rows.tuples {
            return Some(self.tuples_leaf(&rows));
        }
        Some(match self.rng.below(5) {
            0 | 1 => {
                let k = self.row_index(&rows);
                let j = self.rng.below(rows.width);
                E::new(format!("{}[{k}][{j}]", rows.name), PARAM_BOUND, true)
            }
            2 => E::new(
                format!("(0.1 * {}.len() as f64)", rows.name),
                0.1 * rows.count as f64,
                true,
            ),
            _ if ROW_SUMS => self.rows_sum(&rows),
            _ => E::new(format!("{}[0][0]", rows.name), PARAM_BOUND, true),
        })
    }

    /// The real argument of a rows helper: a scalar in scope or a literal (not an expression,
    /// which could call a helper again).
    fn rows_call_arg(&mut self) -> String {
        let scalars = self.scalars();
        if scalars.is_empty() || self.rng.chance(0.3) {
            return "0.5".into();
        }
        self.vars[*self.rng.pick(&scalars)].name.clone()
    }

    /// `let w = h_rows_map3(obs, a);` of active rows `obs`, then `let t = w[k][j] * w[k2][j2];`
    /// (the rows returned, bound without their type, read by the next statement only); `false`
    /// when no active rows are in scope.
    pub fn rows_result_stmt(&mut self) -> bool {
        let active: Vec<Rows> = self.rows.iter().filter(|r| r.active).cloned().collect();
        if !ACTIVE_ROWS_CALLS || active.is_empty() {
            return false;
        }
        let rows = self.rng.pick(&active).clone();
        let a = self.rows_call_arg();
        let w = self.unshadowing_name("w", "");
        let t = self.name("t");
        // Indices modulo `obs.len()`, which `w` has as many rows as.
        let (k1, k2) = (self.row_index(&rows), self.row_index(&rows));
        let (j1, j2) = (self.rng.below(rows.width), self.rng.below(rows.width));
        let width = rows.width;
        self.line(format!("let {w} = h_rows_map{width}({}, {a});", rows.name));
        self.line(format!("let {t} = {w}[{k1}][{j1}] * {w}[{k2}][{j2}];"));
        self.declare(&t, VarKind::Scalar { mutable: false }, 1.0, super::CAP);
        true
    }

    /// A real read from tuples `sp`: `sp[k].1`, `(0.1 * sp[k].0 as f64)`, `sp.len()` or a sum
    /// over them.
    fn tuples_leaf(&mut self, rows: &Rows) -> E {
        let k = self.row_index(rows);
        let sp = &rows.name;
        match self.rng.below(5) {
            0 | 1 => E::new(format!("{sp}[{k}].1"), PARAM_BOUND, true),
            2 => E::new(format!("(0.1 * {sp}[{k}].0 as f64)"), 0.4, true),
            3 => E::new(
                format!("(0.1 * {sp}.len() as f64)"),
                0.1 * rows.count as f64,
                true,
            ),
            _ => self.tuples_sum(rows),
        }
    }

    /// `sp.iter().map(|&(k, y)| ..).sum::<f64>()`, the body reading the fields and captures.
    fn tuples_sum(&mut self, rows: &Rows) -> E {
        let y = self.unshadowing_name("y", "");
        let k = self.unshadowing_name("k", &y);
        self.open();
        self.declare_tuple_fields(&k, &y);
        let body = self.closure_body(&y, PARAM_BOUND);
        self.close();
        let e = E::new(
            format!(
                "({}.iter().map(|&({k}, {y})| {}).sum::<f64>())",
                rows.name, body.code
            ),
            rows.count as f64 * body.bound,
            true,
        );
        fit(e, super::CAP)
    }

    /// Declares the fields of a tuple of `sp` as read: `k` an integer below 4, `y` a real.
    fn declare_tuple_fields(&mut self, k: &str, y: &str) {
        self.declare(
            y,
            VarKind::Scalar { mutable: false },
            PARAM_BOUND,
            PARAM_BOUND,
        );
        self.declare(
            k,
            VarKind::Int {
                below: None,
                max: 4,
            },
            0.0,
            0.0,
        );
    }

    /// The header of a loop over tuples `sp` and the names it binds (an integer, a real): `for
    /// &(k, y) in sp`, `for (k, y) in sp.iter()` (read `(*k)`, `(*y)`), or `for (m, o) in
    /// sp.iter().enumerate()` (read `o.0`, `o.1`; `m` the third name).
    fn tuples_header(&mut self, rows: &Rows) -> (String, String, String, Option<String>) {
        let sp = &rows.name;
        match self.rng.below(3) {
            0 => {
                let y = self.unshadowing_name("y", "");
                let k = self.unshadowing_name("k", &y);
                (format!("for &({k}, {y}) in {sp} {{"), k, y, None)
            }
            1 => {
                let y = self.unshadowing_name("y", "");
                let k = self.unshadowing_name("k", &y);
                let header = format!("for ({k}, {y}) in {sp}.iter() {{");
                (header, format!("(*{k})"), format!("(*{y})"), None)
            }
            _ => {
                let o = self.unshadowing_name("o", "");
                let m = self.unshadowing_name("m", &o);
                let header = format!("for ({m}, {o}) in {sp}.iter().enumerate() {{");
                (header, format!("{o}.0"), format!("{o}.1"), Some(m))
            }
        }
    }

    /// `obs.iter().map(|o| o[j] * ..).sum::<f64>()`, the body reading the row and captures.
    fn rows_sum(&mut self, rows: &Rows) -> E {
        let o = self.unshadowing_name("o", "");
        let j = self.rng.below(rows.width);
        self.open();
        for i in 0..rows.width {
            self.declare(
                &format!("{o}[{i}]"),
                VarKind::Scalar { mutable: false },
                PARAM_BOUND,
                PARAM_BOUND,
            );
        }
        let body = self.closure_body(&format!("{o}[{j}]"), PARAM_BOUND);
        self.close();
        let e = E::new(
            format!(
                "({}.iter().map(|{o}| {}).sum::<f64>())",
                rows.name, body.code
            ),
            rows.count as f64 * body.bound,
            true,
        );
        fit(e, super::CAP)
    }

    /// `for o in obs { .. }`, `for &[t, y] in obs { .. }` or `for (k, o) in
    /// obs.iter().enumerate() { .. }` with a random body.
    pub fn rows_loop(&mut self) -> bool {
        if !ROW_LOOPS || self.rows.is_empty() {
            return false;
        }
        let rows = self.rng.pick(&self.rows.clone()).clone();
        let mut scalars: Vec<String> = Vec::new();
        let mut index = None;
        let mut field = None;
        let header = match self.rng.below(3) {
            _ if rows.tuples => {
                let (header, k, y, m) = self.tuples_header(&rows);
                scalars.push(y);
                field = Some(k);
                index = m;
                header
            }
            0 => {
                let o = self.unshadowing_name("o", "");
                scalars.extend((0..rows.width).map(|j| format!("{o}[{j}]")));
                format!("for {o} in {} {{", self.rows_iter(&rows))
            }
            1 => {
                let mut names: Vec<String> = Vec::new();
                for _ in 0..rows.width {
                    let t = self.unshadowing_name("u", "");
                    let t = if names.contains(&t) {
                        self.fresh += 1;
                        format!("u{}", self.fresh)
                    } else {
                        t
                    };
                    names.push(t);
                }
                scalars.extend(names.iter().cloned());
                format!(
                    "for &[{}] in {} {{",
                    names.join(", "),
                    self.rows_iter(&rows)
                )
            }
            _ => {
                let o = self.unshadowing_name("o", "");
                let k = self.unshadowing_name("k", &o);
                scalars.extend((0..rows.width).map(|j| format!("{o}[{j}]")));
                index = Some(k.clone());
                format!("for ({k}, {o}) in {}.iter().enumerate() {{", rows.name)
            }
        };
        self.line(header);
        self.open();
        self.loops.push(rows.count);
        self.stoppable.push(false);
        for s in &scalars {
            self.declare(
                s,
                VarKind::Scalar { mutable: false },
                PARAM_BOUND,
                PARAM_BOUND,
            );
        }
        if let Some(k) = field {
            self.declare(
                &k,
                VarKind::Int {
                    below: None,
                    max: 4,
                },
                0.0,
                0.0,
            );
        }
        if let Some(k) = index {
            self.declare(
                &k,
                VarKind::Int {
                    below: None,
                    max: rows.count,
                },
                0.0,
                0.0,
            );
        }
        let count = 1 + self.rng.below(3);
        self.iterator_loops += 1;
        self.stmts(count);
        self.iterator_loops -= 1;
        self.loops.pop();
        self.stoppable.pop();
        self.close();
        self.line("}".into());
        true
    }

    /// How a `for` loop iterates over `rows`: `obs.iter()`, or `obs` for a slice and `&obs`
    /// for a `Vec` or an array (which `for o in obs` would move).
    fn rows_iter(&mut self, rows: &Rows) -> String {
        if self.rng.chance(0.5) {
            format!("{}.iter()", rows.name)
        } else if rows.kind == RowsKind::Slice {
            rows.name.clone()
        } else {
            format!("&{}", rows.name)
        }
    }
}
