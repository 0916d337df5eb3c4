//! Generated code names everything by absolute paths: shadowing the prelude's names and the
//! generated code's own internal names around an annotated function changes nothing.
#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    use tapeless::differentiable;

    struct Vec;
    struct Option;
    struct Some;
    struct None;
    struct Result;
    struct Box;
    struct f64x;
    mod __tl {}
    fn cst() {}
    fn zeros_like() {}

    #[differentiable]
    fn inner(out: &mut [f64], u: &[f64]) {
        for i in 0..u.len() {
            out[i] = u[i] * u[i];
        }
    }

    #[differentiable]
    pub fn layer(w: &nalgebra::DMatrix<f64>, x: &nalgebra::DVector<f64>) -> f64 {
        let h = (w * x).map(|v| v.tanh());
        h.norm_squared() + h.dot(x)
    }

    #[differentiable]
    pub fn energy(u: &[f64], scale: f64) -> f64 {
        let mut w = vec![0.0; u.len()];
        inner(&mut w, u);
        let mut e = 0.0;
        for i in 0..w.len() {
            e += scale * w[i].sin();
        }
        e
    }
}

#[test]
fn shadowed_names_do_not_reach_generated_code() {
    let u = [0.3, -0.4, 1.1];
    let (e, (gu, gs)) = shadowed::energy_grad(&u[..], 2.0);
    assert_eq!(e, shadowed::energy(&u, 2.0));
    for i in 0..3 {
        let expected = 2.0 * (u[i] * u[i]).cos() * 2.0 * u[i];
        assert!((gu[i] - expected).abs() < 1e-14);
    }
    let expected: f64 = u.iter().map(|x| (x * x).sin()).sum();
    assert!((gs - expected).abs() < 1e-14);
    let w = nalgebra::DMatrix::from_row_slice(2, 2, &[0.5, -0.25, 1.0, 0.75]);
    let x = nalgebra::DVector::from_vec(vec![0.3, -0.6]);
    let (value, (gw, _)) = shadowed::layer_grad(&w, &x);
    assert_eq!(value, shadowed::layer(&w, &x));
    assert_eq!(gw.shape(), (2, 2));
}
