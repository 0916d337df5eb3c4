//! Passing data on allocates nothing per time step: the 4D-Var time loop `j += misfit(&u,
//! &obs[k * n..])` (and `self.misfit(..)` in a method, and the whole `obs`) makes, per step,
//! exactly the allocations of the same loop calling a callee without the data argument (its
//! growing stacks), at `f64` and at dual numbers, in every companion; the primal and the
//! tangent make exactly the control's. (The reverse sweep keeps the views of the sub-slices in
//! one stack reserved before the loop: one allocation per call, not per step.) The caller passes a borrowed view of its `f64` data (`__tl::DataSlice`), the
//! callee reads it as it is, and the zero tangent and adjoint slots are made only if read
//! (`__tl::LazyZeros`). Counted by a global allocator that counts this thread's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use tapeless::{differentiable, Dual};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const N: usize = 5;
const STEPS: usize = 40;

#[differentiable(wrt(u))]
fn misfit(u: &[f64], obs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        let d = u[i] - obs[i];
        s += d * d;
    }
    s
}

/// `misfit` without data: the control.
#[differentiable(wrt(u))]
fn square(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += u[i] * u[i];
    }
    s
}

#[differentiable(wrt(x0))]
fn cost(x0: &[f64], obs: &[f64], steps: usize) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..steps {
        for i in 0..n {
            u[i] = u[i] + 0.01 * (u[(i + 1) % n] * u[i]).sin();
        }
        j += misfit(&u, &obs[k * n..]) + misfit(&u, obs);
    }
    j
}

#[differentiable(wrt(x0))]
fn control(x0: &[f64], obs: &[f64], steps: usize) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..steps {
        for i in 0..n {
            u[i] = u[i] + 0.01 * (u[(i + 1) % n] * u[i]).sin();
        }
        j += square(&u) + square(&u) * obs[k * n];
    }
    j
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Model {
    c: f64,
}

impl Model {
    #[differentiable(wrt(self, u))]
    fn misfit(&self, u: &[f64], obs: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..u.len() {
            let d = self.c * u[i] - obs[i];
            s += d * d;
        }
        s
    }

    #[differentiable(wrt(self, u))]
    fn square(&self, u: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..u.len() {
            s += self.c * u[i] * u[i];
        }
        s
    }

    #[differentiable(wrt(self, x0))]
    fn cost(&self, x0: &[f64], obs: &[f64], steps: usize) -> f64 {
        let n = x0.len();
        let mut u = x0.to_vec();
        let mut j = 0.0;
        for k in 0..steps {
            for i in 0..n {
                u[i] = u[i] + 0.01 * (u[(i + 1) % n] * u[i]).sin();
            }
            j += self.misfit(&u, &obs[k * n..]);
        }
        j
    }

    #[differentiable(wrt(self, x0))]
    fn control(&self, x0: &[f64], obs: &[f64], steps: usize) -> f64 {
        let n = x0.len();
        let mut u = x0.to_vec();
        let mut j = 0.0;
        for k in 0..steps {
            for i in 0..n {
                u[i] = u[i] + 0.01 * (u[(i + 1) % n] * u[i]).sin();
            }
            j += self.square(&u) * obs[k * n];
        }
        j
    }
}

fn inputs() -> (Vec<f64>, Vec<f64>) {
    let x0 = (0..N).map(|i| 0.1 * i as f64 + 0.3).collect();
    let obs = (0..2 * N * STEPS).map(|i| (0.7 * i as f64).sin()).collect();
    (x0, obs)
}

/// Per companion, the allocations at `STEPS` steps and the allocations per step beyond them
/// (at `2 * STEPS` minus at `STEPS`).
fn per_step(count: impl Fn(usize) -> Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    let (once, twice) = (count(STEPS), count(2 * STEPS));
    let extra = twice.iter().zip(&once).map(|(b, a)| b - a).collect();
    (once, extra)
}

#[test]
fn passing_data_on_allocates_nothing_per_time_step() {
    let (x0, obs) = inputs();
    let dir: Vec<f64> = (0..N).map(|i| (1.3 * i as f64).cos()).collect();
    let xd: Vec<Dual<f64, 1>> = x0
        .iter()
        .zip(&dir)
        .map(|(&a, &b)| Dual::new(a, [b]))
        .collect();
    let counts = |data: bool, steps: usize| {
        let (mut g, mut gd) = (vec![0.0; N], vec![Dual::constant(0.0); N]);
        let one = Dual::constant(1.0);
        vec![
            allocations(|| {
                let _ = if data {
                    cost(&x0, &obs, steps)
                } else {
                    control(&x0, &obs, steps)
                };
            }),
            allocations(|| {
                let _ = if data {
                    cost_jvp(&x0, &dir, &obs, steps)
                } else {
                    control_jvp(&x0, &dir, &obs, steps)
                };
            }),
            allocations(|| {
                let _ = if data {
                    cost_vjp(&x0, &mut g, &obs, steps, 1.0)
                } else {
                    control_vjp(&x0, &mut g, &obs, steps, 1.0)
                };
            }),
            allocations(|| {
                let _ = if data {
                    cost_vjp(&xd, &mut gd, &obs, steps, one)
                } else {
                    control_vjp(&xd, &mut gd, &obs, steps, one)
                };
            }),
        ]
    };
    let (data_once, data_per_step) = per_step(|s| counts(true, s));
    let (control_once, control_per_step) = per_step(|s| counts(false, s));
    assert_eq!(
        data_per_step, control_per_step,
        "per step: primal, jvp, vjp, vjp at duals"
    );
    assert_eq!(data_once[..2], control_once[..2], "primal and jvp");
    // The control's stacks grow with the steps: the comparison counts something.
    assert!(control_per_step[2] > 0);
}

#[test]
fn a_method_passing_data_on_allocates_nothing_per_time_step() {
    let (x0, obs) = inputs();
    let m = Model { c: 1.1 };
    let md = Model {
        c: Dual::<f64, 1>::new(1.1, [1.0]),
    };
    let xd: Vec<Dual<f64, 1>> = x0.iter().map(|&a| Dual::new(a, [0.5])).collect();
    let counts = |data: bool, steps: usize| {
        let (mut g, mut m_bar) = (vec![0.0; N], Model { c: 0.0 });
        let zero = Dual::constant(0.0);
        let (mut gd, mut md_bar) = (vec![zero; N], Model { c: zero });
        let one = Dual::constant(1.0);
        vec![
            allocations(|| {
                let _ = if data {
                    Model::cost_vjp_at(&m, &mut m_bar, &x0, &mut g, &obs, steps, 1.0)
                } else {
                    Model::control_vjp_at(&m, &mut m_bar, &x0, &mut g, &obs, steps, 1.0)
                };
            }),
            allocations(|| {
                let _ = if data {
                    Model::cost_vjp_at(&md, &mut md_bar, &xd, &mut gd, &obs, steps, one)
                } else {
                    Model::control_vjp_at(&md, &mut md_bar, &xd, &mut gd, &obs, steps, one)
                };
            }),
        ]
    };
    let (_, data_per_step) = per_step(|s| counts(true, s));
    let (_, control_per_step) = per_step(|s| counts(false, s));
    assert_eq!(
        data_per_step, control_per_step,
        "per step: vjp, vjp at duals"
    );
    assert!(control_per_step[0] > 0);
}
