// Written by expand/tests/size_limits.rs (`TAPELESS_BLESS=1 cargo test -p tapeless-expand`).
#[differentiable]
fn nested_negation(w: &DMatrix<f64>) -> f64 {
    let m: DMatrix<f64> = -(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(w))))))))))))))))))))))))))))))))))))))))))))))))));
    m.sum()
}
