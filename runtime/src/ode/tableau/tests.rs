//! The named tableaus for tests, and tests of their order conditions and coefficients.

use super::*;

/// Every named tableau, for tests that run them all (here and in `conformance`).
pub(in crate::ode) fn named() -> Vec<Tableau> {
    vec![
        Tableau::euler(),
        Tableau::heun(),
        Tableau::midpoint(),
        Tableau::ssprk3(),
        Tableau::rk4(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
    ]
}

/// The order conditions up to order 5 (rooted trees of up to five vertices), as sums over
/// the tableau: `(order, residual)` for each condition.
fn order_conditions(b: &[f64], a: &[Vec<f64>], c: &[f64]) -> Vec<(u32, f64)> {
    let s = b.len();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let mat = |v: &[f64]| -> Vec<f64> { (0..s).map(|i| dot(&a[i], v)).collect() };
    let had = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().zip(y).map(|(p, q)| p * q).collect() };
    let ones = vec![1.0; s];
    let c2 = had(c, c);
    let c3 = had(&c2, c);
    let ac = mat(c);
    let ac2 = mat(&c2);
    let aac = mat(&ac);
    vec![
        (1, dot(b, &ones) - 1.0),
        (2, dot(b, c) - 1.0 / 2.0),
        (3, dot(b, &c2) - 1.0 / 3.0),
        (3, dot(b, &ac) - 1.0 / 6.0),
        (4, dot(b, &c3) - 1.0 / 4.0),
        (4, dot(b, &had(c, &ac)) - 1.0 / 8.0),
        (4, dot(b, &ac2) - 1.0 / 12.0),
        (4, dot(b, &aac) - 1.0 / 24.0),
        (5, dot(b, &had(&c3, c)) - 1.0 / 5.0),
        (5, dot(b, &had(&c2, &ac)) - 1.0 / 10.0),
        (5, dot(b, &had(c, &ac2)) - 1.0 / 15.0),
        (5, dot(b, &had(c, &aac)) - 1.0 / 30.0),
        (5, dot(b, &had(&ac, &ac)) - 1.0 / 20.0),
        (5, dot(b, &mat(&c3)) - 1.0 / 20.0),
        (5, dot(b, &mat(&had(c, &ac))) - 1.0 / 40.0),
        (5, dot(b, &mat(&ac2)) - 1.0 / 60.0),
        (5, dot(b, &mat(&aac)) - 1.0 / 120.0),
    ]
}

fn coefficients(t: &Tableau) -> (Vec<f64>, Vec<Vec<f64>>, Vec<f64>) {
    let s = t.stages();
    let b = (0..s).map(|i| t.b(i)).collect();
    let a = (0..s)
        .map(|i| (0..s).map(|j| t.a(i, j)).collect())
        .collect();
    let c = (0..s).map(|i| t.c(i)).collect();
    (b, a, c)
}

#[test]
fn named_methods_satisfy_exactly_the_order_conditions_of_their_order() {
    for t in named() {
        let order = t.order().unwrap();
        let (b, a, c) = coefficients(&t);
        let conditions = order_conditions(&b, &a, &c);
        for &(p, residual) in &conditions {
            if p <= order {
                assert!(
                    residual.abs() < 1e-14,
                    "{}: condition of order {p} off by {residual}",
                    t.name()
                );
            }
        }
        // And not the next order: some condition of order + 1 fails (the order is sharp).
        if order < 5 {
            assert!(
                conditions
                    .iter()
                    .any(|&(p, r)| p == order + 1 && r.abs() > 1e-6),
                "{} satisfies the conditions of order {}",
                t.name(),
                order + 1
            );
        }
        // Nodes are row sums, so non-autonomous problems keep the order.
        for (i, row) in a.iter().enumerate() {
            let sum: f64 = row.iter().sum();
            assert!((sum - c[i]).abs() < 1e-14, "{} row {i}", t.name());
        }
    }
}

#[test]
fn dormand_prince_embedded_solution_has_order_four() {
    let t = Tableau::dormand_prince();
    let (b, a, c) = coefficients(&t);
    let e = t.error_weights().unwrap();
    let b_embedded: Vec<f64> = b.iter().zip(e).map(|(x, y)| x - y).collect();
    for (p, residual) in order_conditions(&b_embedded, &a, &c) {
        if p <= 4 {
            assert!(residual.abs() < 1e-14, "embedded order {p}: {residual}");
        }
    }
    assert!(order_conditions(&b_embedded, &a, &c)
        .iter()
        .any(|&(p, r)| p == 5 && r.abs() > 1e-6));
    assert!(t.fsal());
    assert!(!t.needed(6) && t.needed(5));
    assert_eq!(t.last_needed(), 5);
}

#[test]
fn structure_is_derived_from_the_coefficients() {
    let rk4 = Tableau::rk4();
    assert!(rk4.row_empty(0) && !rk4.row_empty(1));
    assert!((0..4).all(|i| rk4.needed(i)));
    assert!(!rk4.fsal());
    let midpoint = Tableau::midpoint();
    // b[0] = 0, but stage 0 feeds stage 1.
    assert!(midpoint.needed(0));
    // A stage that feeds nothing is skipped.
    let dead = Tableau::explicit(vec![vec![], vec![1.0]], vec![1.0, 0.0], vec![0.0, 1.0]).unwrap();
    assert!(dead.needed(0) && !dead.needed(1));
    assert_eq!(dead.last_needed(), 0);
    assert_eq!(rk4.stage_time(1.0, 0.1, 1), 1.0 + 0.1 / 2.0);
    assert_eq!(rk4.stage_time(1.0, 0.1, 3), 1.0 + 0.1);
}

#[test]
fn explicit_reproduces_the_named_coefficients() {
    let (b, a, c) = coefficients(&Tableau::rk4());
    let t = Tableau::explicit(a.clone(), b.clone(), c.clone()).unwrap();
    assert_eq!(coefficients(&t), (b, a, c));
    assert_eq!(t.name(), "explicit");
    assert_eq!(t.order(), None);
    assert!(!t.has_error_estimate());
}

#[test]
fn every_tableau_error_is_reported() {
    let err = |r: Result<Tableau, OdeError>| r.unwrap_err();
    assert_eq!(
        err(Tableau::explicit(vec![], vec![], vec![])),
        TableauError::Empty.into()
    );
    assert_eq!(
        err(Tableau::explicit(vec![vec![]], vec![1.0], vec![0.0, 1.0])),
        OdeError::Input(InputError::WrongLength {
            what: "tableau c",
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        err(Tableau::explicit(
            vec![vec![], vec![0.5, 0.5, 0.0]],
            vec![0.5, 0.5],
            vec![0.0, 1.0]
        )),
        TableauError::RowLength {
            row: 1,
            found: 3,
            stages: 2
        }
        .into()
    );
    assert_eq!(
        err(Tableau::explicit(
            vec![vec![], vec![0.5, 1.0]],
            vec![0.5, 0.5],
            vec![0.0, 1.0]
        )),
        TableauError::NotExplicit {
            row: 1,
            column: 1,
            value: 1.0
        }
        .into()
    );
    assert_eq!(
        err(Tableau::explicit(
            vec![vec![], vec![f64::NAN]],
            vec![0.5, 0.5],
            vec![0.0, 1.0]
        )),
        TableauError::NotFinite {
            what: "a",
            index: 2
        }
        .into()
    );
    assert_eq!(
        err(Tableau::explicit(
            vec![vec![], vec![1.0]],
            vec![0.5, 0.5],
            vec![0.0, f64::INFINITY]
        )),
        TableauError::NotFinite {
            what: "c",
            index: 1
        }
        .into()
    );
    assert_eq!(
        err(Tableau::explicit_embedded(
            vec![vec![], vec![1.0]],
            vec![0.5, 0.5],
            vec![1.0],
            vec![0.0, 1.0],
            1
        )),
        OdeError::Input(InputError::WrongLength {
            what: "tableau b_embedded",
            expected: 2,
            found: 1
        })
    );
    let e = err(Tableau::explicit_embedded(
        vec![vec![], vec![1.0]],
        vec![0.5, 0.5],
        vec![1.0, 1.0],
        vec![0.0, 1.0],
        1,
    ));
    assert_eq!(
        e,
        TableauError::Inconsistent {
            what: "b_embedded",
            sum: 2.0
        }
        .into()
    );
    assert_eq!(
        e.to_string(),
        "invalid tableau: the weights b_embedded sum to 2, not 1"
    );
}
