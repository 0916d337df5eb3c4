//! Problem L's derivatives by `ode` and by the hand-written adjoints, repeated, for instruction
//! counts under callgrind (stable on a shared, noisy machine, unlike times), with a rough time
//! per call on stderr. One mode per run:
//!
//! ```text
//! cargo bench --bench count_l96 --no-run
//! valgrind --tool=callgrind target/release/deps/count_l96-<hash> <mode> [calls]
//! ```
//!
//! Modes: `grad` (`ode::gradient`, RK4 storing every state), `fixed`
//! (`ode::gradient_fixed::<40>`), `hvp` / `fixedhvp` (the same at `Dual<f64, 1>`), `tangent` /
//! `fixedtangent` (`ode::tangent`, `ode::tangent_fixed::<40>`), `fixedstate` / `fixedstatehvp`
//! (`gradient_fixed::<40>` and its Hessian-vector product with respect to the initial state
//! only, `Wrt::InitialState`: `dJ/dF` not computed, as the fast reference does not), `fast` (the fast hand-written
//! adjoint of `problems/src/l96_fast.rs`), `hand` (`l96::cost_and_gradient_by_hand`), `user`
//! (the user-written RK4 loop through `#[differentiable]`, `l96::cost_vjp`), `speed` (the
//! speed-style code through `#[differentiable]`, `l96_fast::cost_vjp`), `speedhvp` (the same
//! at `Dual<f64, 1>`: a Hessian-vector product), `none`
//! (only the setup, to subtract). `calls` defaults to 20. Prints a checksum of the results, the
//! same for every build that computes the same bits.

use std::hint::black_box;
use std::time::Instant;

use tapeless::ode::{self, Memory, OdeProblem, Wrt};
use tapeless::Dual;
use tapeless_problems::l96::{self, Lorenz96, FORCING, H, N, STEPS};
use tapeless_problems::l96_fast;

fn main() {
    // `cargo bench` passes `--bench`: the default mode then.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map_or("grad", String::as_str);
    let calls: usize = args
        .get(1)
        .map_or(20, |s| s.parse().expect("a number of calls"));
    let d = l96::data();
    let x: [f64; N] = d.xb.as_slice().try_into().unwrap();
    let v: Vec<f64> = (0..N).map(|i| (0.3 * i as f64).cos()).collect();
    let x_d: Vec<Dual<f64, 1>> = (0..N).map(|i| Dual::new(x[i], [v[i]])).collect();
    let cost = l96::four_dvar_cost(&d);
    let options = l96::options(Memory::StoreAll);
    let state_only = options.clone().wrt(Wrt::InitialState);
    let span = (0.0, STEPS as f64 * H);
    let (p, p_d) = ([FORCING], [Dual::constant(FORCING)]);
    let problem = OdeProblem::new(&Lorenz96, &x[..], &p, span);
    let problem_d = OdeProblem::new(&Lorenz96, &x_d[..], &p_d, span);
    let mut states = Vec::new();
    let mut checksum = 0.0;
    let start = Instant::now();
    for _ in 0..calls {
        let (problem, problem_d) = (black_box(&problem), black_box(&problem_d));
        checksum += match mode {
            "grad" => ode::gradient(problem, &options, &cost).unwrap().u0_bar[3],
            "fixed" => {
                let g = ode::gradient_fixed::<N, _, _, _>(problem, &options, &cost);
                g.unwrap().u0_bar[3]
            }
            "fixedstate" => {
                let g = ode::gradient_fixed::<N, _, _, _>(problem, &state_only, &cost);
                g.unwrap().u0_bar[3]
            }
            "fixedstatehvp" => {
                let g = ode::gradient_fixed::<N, _, _, _>(problem_d, &state_only, &cost);
                g.unwrap().u0_bar[3].tangents[0]
            }
            "hvp" => ode::gradient(problem_d, &options, &cost).unwrap().u0_bar[3].tangents[0],
            "fixedhvp" => {
                let g = ode::gradient_fixed::<N, _, _, _>(problem_d, &options, &cost);
                g.unwrap().u0_bar[3].tangents[0]
            }
            "tangent" => {
                let t = ode::tangent(problem, &options, &cost, &v, &[0.0]);
                t.unwrap().derivative
            }
            "fixedtangent" => {
                let t = ode::tangent_fixed::<N, _, _, _>(problem, &options, &cost, &v, &[0.0]);
                t.unwrap().derivative
            }
            "fast" => {
                let mut g = [0.0; N];
                let j = l96_fast::cost_and_gradient(black_box(&x), &d.obs, &x, &mut g, &mut states);
                j + g[3]
            }
            "hand" => {
                let mut g = [0.0; N];
                l96::cost_and_gradient_by_hand(black_box(&x), &d.obs, &x, &mut g) + g[3]
            }
            "user" => {
                let mut g = vec![0.0; N];
                l96::cost_vjp(black_box(&x), &mut g, &d.obs, &x, 1.0) + g[3]
            }
            "speed" => {
                let mut g = [0.0; N];
                l96_fast::cost_vjp(black_box(x), &mut g, &d.obs, &x, 1.0) + g[3]
            }
            "speedhvp" => {
                let mut g = [Dual::constant(0.0); N];
                let xd: [Dual<f64, 1>; N] = x_d[..].try_into().unwrap();
                let j = l96_fast::cost_vjp(black_box(xd), &mut g, &d.obs, &x, Dual::constant(1.0));
                j.value + g[3].tangents[0]
            }
            "none" => 0.0,
            other => panic!("unknown mode {other}"),
        };
    }
    let per_call = start.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    eprintln!("{mode}: {per_call:.1} us per call");
    println!("{checksum:.17e}");
}
