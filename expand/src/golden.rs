//! Golden tests: the printed IR, the generated code, and the tangent and reverse IRs (the
//! sweeps) of a few functions (loops, branches, calls, overwrites, matrices), kept in
//! `expand/golden/` and compared on every test run. After an intended change, regenerate them
//! with `TAPELESS_BLESS=1 cargo test -p tapeless-expand` and review the diff.

use std::path::PathBuf;

const CASES: &[(&str, &str)] = &[
    (
        "straight_line",
        "fn f(x: f64, y: f64) -> f64 { let a = x * y; let b = a.sin() + x / y; b * b }",
    ),
    (
        "accumulate_in_loop",
        "fn sum_sq(u: &[f64]) -> f64 { let mut s = 0.0; for i in 0..u.len() { s += u[i] * u[i]; } s }",
    ),
    (
        "iterator_chain",
        "fn weighted(x: &[f64], w: &[f64]) -> f64 { let sq = |t: f64| t * t; x.iter().zip(w).map(|(a, b)| sq(*a) * b).sum() }",
    ),
    (
        "in_place_rhs",
        "fn lorenz96(du: &mut [f64], u: &[f64], forcing: f64) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing; } }",
    ),
    (
        "rhs_adapter",
        "#[differentiable(rhs = Lorenz96)] fn lorenz96(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0]; } }",
    ),
    (
        "stencil_gather",
        "fn heat(a: &mut [f64], b: &mut [f64], u: &[f64], c: &[f64], k: f64) { let n = u.len(); for i in 1..n - 1 { a[i] = k * (u[i - 1] - 2.0 * u[i] + u[i + 1]) + c[i] * u[i] * u[i]; b[i] = u[i + 1] * c[i - 1]; } }",
    ),
    (
        "overwrite_in_branch",
        "fn g(x: &[f64]) -> f64 { let mut t = 1.0; for i in 0..x.len() { let a = x[i] * 2.0; if a > t { t = t * a; } else { t = t + a.exp(); } } t }",
    ),
    (
        "call_with_output",
        "fn step(u: &mut [f64], h: f64) { let mut k = vec![0.0; u.len()]; rhs(&mut k, u); for i in 0..u.len() { u[i] += h * k[i]; } }",
    ),
    (
        "matrices",
        "fn quad(a: &DMatrix<f64>, x: &DVector<f64>, u: &[f64], n: usize) -> f64 { let v = DVector::from_column_slice(u); let y = a * x + v.component_mul(x); let mut acc = y.dot(x); for j in 0..n { let c = a.column(j); acc = acc + c.norm() * a[(0, j)]; } acc + y.transpose().sum() }",
    ),
    (
        "call_args_overwritten",
        "fn two_steps(u: &mut [f64], h: f64) -> f64 { let mut k = vec![0.0; u.len()]; rhs(&mut k, u); for i in 0..u.len() { u[i] = u[i] + h * k[i]; } rhs(&mut k, u); let mut s = 0.0; for i in 0..u.len() { u[i] = u[i] * k[i]; s = s + u[i] * h; } s }",
    ),
    (
        "dense_layer",
        "fn layer_cost(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>, target: &DVector<f64>) -> f64 { let h = (w * x + b).map(|v| v.tanh()); let r = &h - target; 0.5 * r.norm_squared() + 0.1 * w.transpose().sum() }",
    ),
    (
        "fixed_size_sweep",
        "fn window(x0: [f64; 4]) -> f64 { let p = [8.0]; let mut u = x0; let mut j = 0.0; for k in 0..3 { let next: [f64; 4] = step(u, &p); for i in 0..4 { u[i] = next[i]; } j += u[0] * u[0]; } j }",
    ),
    (
        "fixed_size_stages",
        "fn stages(u: [f64; 4]) -> [f64; 4] { let k1: [f64; 4] = rhs(u); let mut s = [0.0; 4]; for i in 0..4 { s[i] = u[i] + 0.5 * k1[i]; } let k2: [f64; 4] = rhs(s); for i in 0..4 { s[i] = u[i] + 0.5 * k2[i]; } let k3: [f64; 4] = rhs(s); let mut out = [0.0; 4]; for i in 0..4 { out[i] = u[i] + (k1[i] + k2[i] + k3[i]) / 3.0; } out }",
    ),
    (
        "while_loop",
        "fn newton(a: f64) -> f64 { let mut y = a; let mut step = 1.0; while step.abs() > 1e-12 { step = (y * y - a) / (2.0 * y); y = y - step; if y < 0.0 { break; } } y }",
    ),
    (
        "rows_seen_flat",
        "#[differentiable(wrt(x, v))] fn kick(x: &mut [[f64; 3]], v: &[[f64; 3]], h: f64) -> f64 { let mut s = 0.0; for p in v { s += p[0] * p[2]; } for k in 0..x.len() { for j in 0..3 { x[k][j] += h * v[k][j] * x[k][(j + 1) % 3].cos(); } } let row = x[1]; s * row[2] }",
    ),
    (
        "slice_idioms",
        "fn shifted(du: &mut [f64], u: &[f64], c: f64) -> f64 { let n = u.len(); du.copy_from_slice(u); du[..1].fill(c); let tail = &u[1..]; let p = (tail[0] * c, *u.last().unwrap()); for i in 1..n { du[i] = du[i] * tail[i - 1]; } p.0 + p.1 }",
    ),
    (
        "rows_across_calls",
        "#[differentiable(wrt(x, h))] fn step(x: &[[f64; 3]], h: f64) -> Vec<[f64; 3]> { let f = forces(x); let mut a = vec![[0.0; 3]; x.len()]; kick(&mut a, &f, h); let mut y = vec![[0.0; 3]; x.len()]; for k in 0..x.len() { for j in 0..3 { y[k][j] = x[k][j] + h * a[k][j] * f[k][j]; } } y }",
    ),
    (
        "grown_by_push",
        "#[differentiable(wrt(x0))] fn stored(x0: &[f64; 2], obs: &[f64], h: f64) -> f64 { let mut traj: Vec<[f64; 2]> = Vec::with_capacity(obs.len()); let mut x = [x0[0], x0[1]]; let mut scale = Vec::new(); for k in 0..obs.len() { x = step(&x, h); traj.push(x); if x[0] > 0.0 { scale.push(x[1] * x[0]); } } let mut j = 0.0; for k in 0..traj.len() { j += (traj[k][0] - obs[k]).powi(2); } for s in scale.iter() { j += s * traj[traj.len() - 1][1]; } j }",
    ),
    (
        "const_generic_stencil",
        "fn l96<const N: usize>(x: &[f64; N], f: f64) -> [f64; N] { let mut d = [0.0; N]; for i in 0..N { d[i] = (x[(i + 1) % N] - x[(i + N - 2) % N]) * x[(i + N - 1) % N] - x[i] + f; } d }",
    ),
    (
        "const_generic_caller",
        "#[differentiable(wrt(x))] fn stages<const N: usize>(x: &[f64; N], obs: &[f64; N], dt: f64) -> f64 { let k1 = l96::<N>(x, 8.0); let mut s = [0.0; N]; for i in 0..N { s[i] = x[i] + dt * k1[i]; } let k2 = l96(&s, 8.0); let mut j = 0.0; for i in 0..N { j += (k2[i] - obs[i]).powi(2) / N as f64; } j }",
    ),
    (
        "sparse_observations",
        "#[differentiable(wrt(x0))] fn cost(x0: &[f64; 2], obs: &[(usize, usize, f64)], steps: usize, h: f64) -> f64 { let mut traj: Vec<[f64; 2]> = Vec::with_capacity(steps + 1); let mut u = *x0; traj.push(u); for _ in 0..steps { u = rk4(&u, h); traj.push(u); } let mut j = 0.0; for &(k, i, y) in obs { let d = traj[k][i] - y; j += d * d; } j }",
    ),
    (
        "matrix_element_writes",
        "fn built(x: &DVector<f64>, a: f64) -> f64 { let n = x.len(); let mut m = DMatrix::zeros(n, 2); for i in 0..n { m[(i, 0)] = x[i] * a; m[(i, 1)] += m[(i, 0)].sin(); } let y = m.transpose() * x; m[(0, 1)] = a; y.norm() + m.sum() }",
    ),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn expand(src: &str) -> [(&'static str, String); 4] {
    let mut item: syn::ItemFn = syn::parse_str(src).expect("case parses");
    // A case may start with `#[differentiable(..)]`: its arguments, as the macro gets them.
    let attr = match item
        .attrs
        .iter()
        .position(|a| a.path().is_ident("differentiable"))
    {
        Some(k) => match item.attrs.remove(k).meta {
            syn::Meta::List(list) => list.tokens,
            _ => Default::default(),
        },
        None => Default::default(),
    };
    let args = crate::attr::parse(attr.clone()).expect("arguments parse");
    let lowered = crate::lower::lower(&item, &args).expect("case lowers");
    let problems = crate::ir::verify::verify(&lowered);
    assert!(problems.is_empty(), "malformed IR: {problems:?}");
    let active = crate::activity::analyse(&lowered, None);
    let mut ir = crate::ir::display::print(&lowered);
    let names: Vec<&str> = lowered
        .vars
        .iter()
        .zip(&active)
        .filter(|(_, a)| **a)
        .map(|(v, _)| v.name.as_str())
        .collect();
    ir.push_str(&format!("active: {}\n", names.join(", ")));
    let tangent = crate::transform::tangent::describe(&lowered, &active);
    let reverse = crate::transform::adjoint::describe(&lowered, &active, false);
    let tokens = crate::expand(attr, quote::quote!(#item)).expect("case expands");
    let file: syn::File = syn::parse2(tokens).expect("generated code parses");
    [
        ("ir", ir),
        ("rs.txt", prettyplease::unparse(&file)),
        ("tangent.txt", tangent),
        ("reverse.txt", reverse),
    ]
}

#[test]
fn generated_code_matches_the_golden_files() {
    let bless = std::env::var_os("TAPELESS_BLESS").is_some_and(|v| v == "1");
    let dir = golden_dir();
    let mut stale = Vec::new();
    for (name, src) in CASES {
        for (ext, text) in expand(src) {
            let file = format!("{name}.{ext}");
            let path = dir.join(&file);
            if bless {
                std::fs::create_dir_all(&dir).expect("golden directory");
                std::fs::write(&path, &text).expect("golden file written");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated code differs from expand/golden/{stale:?}; review with TAPELESS_BLESS=1 and `git diff`"
    );
}

/// A gather's scalar loops read the adjoints they read at the loop index through views of
/// their ranges, indexed from zero downwards (`emit/rev.rs`, `gather_views`), and the other
/// reads as written.
#[test]
fn scalar_loops_read_adjoints_at_the_loop_index_through_views() {
    let viewed = "fn viewed(du: &mut [f64], u: &[f64], view: &[f64], s: f64) { let n = u.len(); for k in 2..n - 1 { du[k] = u[k + 1] * view[0] + u[k - 2] * u[k] * s + view[1] * u[k].sin() + s; } }";
    let [_, (_, code), ..] = expand(viewed);
    let lines: Vec<&str> = code.lines().map(str::trim).collect();
    let views = lines.iter().filter(|l| l.starts_with("let __view"));
    assert!(
        views.clone().count() >= 2 && views.clone().all(|l| l.contains("= &du_bar[__first")),
        "{code}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("let k: usize = __first")),
        "{code}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("for k in (__first")),
        "{code}"
    );
}
