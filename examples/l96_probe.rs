use std::time::Instant;
use tapeless::differentiable;

#[differentiable]
fn lorenz96(du: &mut [f64], u: &[f64], forcing: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing;
    }
}

#[differentiable]
fn rk4_step(u: &mut [f64], forcing: f64, h: f64) {
    let n = u.len();
    let mut k1 = vec![0.0; n];
    let mut k2 = vec![0.0; n];
    let mut k3 = vec![0.0; n];
    let mut k4 = vec![0.0; n];
    let mut tmp = vec![0.0; n];
    lorenz96(&mut k1, u, forcing);
    for i in 0..n {
        tmp[i] = u[i] + h / 2.0 * k1[i];
    }
    lorenz96(&mut k2, &tmp, forcing);
    for i in 0..n {
        tmp[i] = u[i] + h / 2.0 * k2[i];
    }
    lorenz96(&mut k3, &tmp, forcing);
    for i in 0..n {
        tmp[i] = u[i] + h * k3[i];
    }
    lorenz96(&mut k4, &tmp, forcing);
    for i in 0..n {
        u[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

#[differentiable(wrt(x0))]
fn cost(x0: &[f64], obs: &[f64], xb: &[f64]) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for i in 0..n {
        let d = x0[i] - xb[i];
        j += 0.5 * d * d;
    }
    for k in 1..201 {
        rk4_step(&mut u, 8.0, 0.01);
        if k % 10 == 0 {
            let m = k / 10 - 1;
            for i in (0..n).step_by(2) {
                let d = u[i] - obs[m * 20 + i / 2];
                j += 0.5 * d * d / 0.25;
            }
        }
    }
    j
}

fn main() {
    if std::env::var_os("PARTS").is_some() {
        parts();
        return;
    }
    let n = 40;
    let x0: Vec<f64> = (0..n).map(|i| 8.0 + (i as f64).sin()).collect();
    let obs = vec![1.0; 400];
    let xb = x0.clone();
    let t = Instant::now();
    let mut s = 0.0;
    for _ in 0..200 {
        s += cost(&x0, &obs, &xb);
    }
    let tp = t.elapsed().as_secs_f64() / 200.0;
    let t = Instant::now();
    let mut g = vec![0.0; n];
    for _ in 0..200 {
        g.iter_mut().for_each(|v| *v = 0.0);
        s += cost_vjp(&x0[..], &mut g, &obs, &xb, 1.0);
    }
    let tg = t.elapsed().as_secs_f64() / 200.0;
    println!(
        "primal {:.1} us, gradient {:.1} us, ratio {:.2} ({s})",
        tp * 1e6,
        tg * 1e6,
        tg / tp
    );
}

#[allow(dead_code)]
pub fn parts() {
    let n = 40;
    let u: Vec<f64> = (0..n).map(|i| 8.0 + (i as f64).sin()).collect();
    let mut du = vec![0.0; n];
    let t = Instant::now();
    for _ in 0..100000 {
        lorenz96(&mut du, std::hint::black_box(&u), 8.0);
    }
    let a = t.elapsed().as_secs_f64() / 1e5;
    let mut ub = vec![0.0; n];
    let mut dub = vec![1.0; n];
    let mut fb = 0.0;
    let t = Instant::now();
    for _ in 0..100000 {
        lorenz96_vjp(
            &mut du,
            &mut dub,
            std::hint::black_box(&u[..]),
            &mut ub,
            8.0,
            &mut fb,
        );
    }
    let b = t.elapsed().as_secs_f64() / 1e5;
    let mut uu = u.clone();
    let t = Instant::now();
    for _ in 0..100000 {
        rk4_step(&mut uu, 8.0, 0.0);
    }
    let c = t.elapsed().as_secs_f64() / 1e5;
    let mut ub2 = vec![1.0; n];
    let (mut f2, mut h2) = (0.0, 0.0);
    let t = Instant::now();
    for _ in 0..100000 {
        rk4_step_vjp(&mut uu, &mut ub2, 8.0, &mut f2, 0.0, &mut h2);
    }
    let d = t.elapsed().as_secs_f64() / 1e5;
    println!(
        "rhs {:.0} ns, rhs vjp {:.0} ns, rk4 {:.0} ns, rk4 vjp {:.0} ns",
        a * 1e9,
        b * 1e9,
        c * 1e9,
        d * 1e9
    );
}
