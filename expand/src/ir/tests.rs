//! The IR's own tests: statement ids.

use super::*;

#[test]
fn statement_ids_are_the_preorder_positions() {
    let item: syn::ItemFn = syn::parse_str(
        "fn f(x: f64, n: usize) -> f64 { let mut s = 0.0; for i in 0..n { if i > 1 { s = s + x; } else { s = s * x; let t = s; s = t; } s = s + 1.0; } let y = s; y }",
    )
    .expect("parses");
    let args = crate::attr::parse(Default::default()).expect("no args");
    let f = crate::lower::lower(&item, &args).expect("lowers");
    let mut walked = Vec::new();
    f.body.walk(&mut |s| walked.push(s as *const Stmt));
    let mut numbered = Vec::new();
    f.body.walk_numbered(StmtId::FIRST, &mut |id, s| {
        numbered.push((id, s as *const Stmt))
    });
    assert_eq!(walked.len(), f.body.size());
    assert_eq!(numbered.len(), walked.len());
    for (k, ((id, s), w)) in numbered.iter().zip(&walked).enumerate() {
        assert_eq!(*id, StmtId(k));
        assert_eq!(s, w);
    }
}
