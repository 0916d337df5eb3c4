//! The learned solver's weight adjoints of a batched sweep, kept in factored form so that each
//! window's hypergradient can be clipped to a norm before the batch's sum, as the per-window
//! training does ([`Training::epoch`](crate::solver::Training::epoch)), from one backward sweep.
//!
//! Every weight of the network enters through a dense layer `p = W z` (a bias is a weight of
//! the constant input 1), so window `w`'s adjoint of `W` over the `K` steps is
//! `sum_k a_{k,w} z_{k,w}^T`, with `a` the adjoint of the layer's pre-activation `p` and `z`
//! its input. The sweep records `a` and `z` per step ([`Record`]) instead of summing the
//! products over the windows; then each window's norm follows from the `K x K` Gram matrices,
//! `|sum_k a_k z_k^T|^2 = sum_{k,l} (a_k . a_l) (z_k . z_l)` (the per-example-norm identity of
//! differentially private training, without forming a per-window gradient), and the clipped sum
//! `sum_w f_w sum_k a_{k,w} z_{k,w}^T` is one matrix product per tensor over all `K B` columns:
//! `A diag(f) Z^T`.

use nalgebra::{DMatrix, DVector, RowDVector};

use crate::solver::{layout, Network};

/// One batched step's factors of the weight adjoints, window `w` in column `w`: the network's
/// inputs (`x`, `u`, `s`, `c`, the previous step's `p` and `d`), its hidden activations `h1`, `h2`, and the adjoints `a1`, `a2`,
/// `a3` of the three layers' pre-activations.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub x: DMatrix<f64>,
    pub u: DMatrix<f64>,
    pub s: RowDVector<f64>,
    pub c: DMatrix<f64>,
    pub p: DMatrix<f64>,
    pub d: DMatrix<f64>,
    pub h1: DMatrix<f64>,
    pub h2: DMatrix<f64>,
    pub a1: DMatrix<f64>,
    pub a2: DMatrix<f64>,
    pub a3: DMatrix<f64>,
}

/// `sum_{k,l} (a_k . a_l) (z_k . z_l)` for column `w` of the records' `a` and `z`, `z . z'` given
/// by `zdot(k, l)`.
fn gram_norm2(
    records: &[Record],
    w: usize,
    a: impl Fn(&Record) -> &DMatrix<f64>,
    zdot: impl Fn(&Record, &Record) -> f64,
) -> f64 {
    let mut sum = 0.0;
    for (k, rk) in records.iter().enumerate() {
        for rl in &records[k..] {
            let weight = if std::ptr::eq(rk, rl) { 1.0 } else { 2.0 };
            let ad = a(rk).column(w).dot(&a(rl).column(w));
            sum += weight * ad * zdot(rk, rl);
        }
    }
    sum
}

/// Each window's hypergradient norm `|dL_w/dtheta|` from the records of a sweep.
pub(crate) fn window_norms(records: &[Record]) -> Vec<f64> {
    let b = records.first().map_or(0, |r| r.x.ncols());
    (0..b)
        .map(|w| {
            let dot = |p: &DMatrix<f64>, q: &DMatrix<f64>| p.column(w).dot(&q.column(w));
            let first = gram_norm2(
                records,
                w,
                |r| &r.a1,
                |p, q| {
                    dot(&p.x, &q.x) / 16.0
                        + dot(&p.u, &q.u)
                        + p.s[w] * q.s[w]
                        + dot(&p.c, &q.c)
                        + dot(&p.p, &q.p)
                        + dot(&p.d, &q.d)
                        + 1.0
                },
            );
            let second = gram_norm2(records, w, |r| &r.a2, |p, q| dot(&p.h1, &q.h1) + 1.0);
            let third = gram_norm2(records, w, |r| &r.a3, |p, q| dot(&p.h2, &q.h2) + 1.0);
            (first + second + third).max(0.0).sqrt()
        })
        .collect()
}

/// The columns of every record's `m`, side by side (`rows x K B`), column `w` of each scaled by
/// `scales[w]` when given.
fn side_by_side(
    records: &[Record],
    m: impl Fn(&Record) -> &DMatrix<f64>,
    scales: Option<&[f64]>,
) -> DMatrix<f64> {
    let (rows, b) = m(&records[0]).shape();
    let mut all = DMatrix::zeros(rows, b * records.len());
    for (k, r) in records.iter().enumerate() {
        let mut block = all.columns_mut(k * b, b);
        block.copy_from(m(r));
        if let Some(f) = scales {
            for (w, &f) in f.iter().enumerate() {
                block.column_mut(w).scale_mut(f);
            }
        }
    }
    all
}

/// Adds `sum_w scales[w] dL_w/dtheta` to `theta_bar` (the layout of
/// [`layout`](crate::solver::layout)`(n)`), one matrix product per tensor over all the records'
/// columns.
pub(crate) fn accumulate_weights(records: &[Record], scales: &[f64], theta_bar: &mut [f64]) {
    if records.is_empty() {
        return;
    }
    let n = records[0].x.nrows();
    let a1 = side_by_side(records, |r| &r.a1, Some(scales));
    let a2 = side_by_side(records, |r| &r.a2, Some(scales));
    let a3 = side_by_side(records, |r| &r.a3, Some(scales));
    let z = |m: fn(&Record) -> &DMatrix<f64>| side_by_side(records, m, None);
    let (x, u, c, h1, h2) = (
        z(|r| &r.x),
        z(|r| &r.u),
        z(|r| &r.c),
        z(|r| &r.h1),
        z(|r| &r.h2),
    );
    let (p, d) = (z(|r| &r.p), z(|r| &r.d));
    let mut s = DVector::zeros(x.ncols());
    let b = records[0].x.ncols();
    for (k, r) in records.iter().enumerate() {
        s.rows_mut(k * b, b).copy_from(&r.s.transpose());
    }
    let ones = DVector::from_element(x.ncols(), 1.0);
    // `alpha a z^T`; alpha is a power of two, so scaling after the product is exact.
    let product = |a: &DMatrix<f64>, z: &DMatrix<f64>, alpha: f64| a * z.transpose() * alpha;
    let grads = Network {
        w_x: product(&a1, &x, 0.25),
        w_g: product(&a1, &u, 1.0),
        w_s: &a1 * &s,
        w_c: product(&a1, &c, 1.0),
        b1: &a1 * &ones,
        w2: product(&a2, &h1, 1.0),
        b2: &a2 * &ones,
        w3: product(&a3, &h2, 1.0),
        b3: &a3 * &ones,
        w_p: product(&a1, &p, 1.0),
        w_d: product(&a1, &d, 1.0),
    };
    grads.accumulate_into(&layout(n), theta_bar);
}
