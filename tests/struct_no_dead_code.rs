//! Annotated functions taking or returning structs, used only through their companions, are
//! used: no `dead_code` warning, which this file denies. Free functions returning a struct
//! (`tick`, only `tick_jvp`/`tick_vjp` called), taking one (`energy`, only `energy_vjp`),
//! methods returning a real or a struct (only their companions called), and functions whose
//! hidden `__f_held`/`__f_into` companions a caller uses.
#![deny(dead_code)]

use tapeless::{differentiable, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 2],
    t: f64,
}

/// A struct result, used only through its companions.
#[differentiable]
fn tick(s: &State, h: f64) -> State {
    State {
        x: [s.x[0] + h * s.x[1], s.x[1] - h * s.x[0]],
        t: s.t + h,
    }
}

/// A struct parameter and a real result, used only through its companions.
#[differentiable]
fn energy(s: &State) -> f64 {
    0.5 * (s.x[0] * s.x[0] + s.x[1] * s.x[1]) + s.t
}

impl State {
    /// A method returning a real, used only through its companions.
    #[differentiable]
    fn norm2(&self) -> f64 {
        self.x[0] * self.x[0] + self.x[1] * self.x[1]
    }

    /// A method returning the receiver's type, used only through its companions.
    #[differentiable]
    fn scaled(&self, c: f64) -> Self {
        Self {
            x: [c * self.x[0], c * self.x[1]],
            t: self.t,
        }
    }
}

/// Functions taking a held struct (the hidden `__f_held` companions of `energy2`, the method
/// companions of `size2` and `halved`), all used only from a caller used only through its
/// companions.
#[differentiable]
fn energy2(s: &State) -> f64 {
    s.x[0] * s.x[1] + s.t
}

#[differentiable]
fn stepped(s: &State, h: f64) -> State {
    State {
        x: [s.x[0] - h * s.x[1], s.x[1] + h * s.x[0]],
        t: s.t + h,
    }
}

impl State {
    #[differentiable]
    fn size2(&self) -> f64 {
        self.x[0] * self.x[0] + self.t
    }

    #[differentiable]
    fn halved(&self) -> Self {
        Self {
            x: [0.5 * self.x[0], 0.5 * self.x[1]],
            t: self.t,
        }
    }
}

#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2 = stepped(s, h);
    let mut s3: State = s2.halved();
    s3 = s3.halved();
    energy2(&s2) + s3.size2() + s2.x[1]
}

/// A counter beside the state: a `&mut self` method and associated functions returning a
/// struct, and a `&mut self` method returning a real, each used only through its companions.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Tracker {
    total: f64,
    n: usize,
}

impl Tracker {
    #[differentiable]
    fn absorb(&mut self, s: &State) -> State {
        self.total += s.x[0] * s.x[0];
        State {
            x: [s.x[0] * self.total, s.x[1]],
            t: s.t,
        }
    }

    #[differentiable]
    fn merged(a: &Self, b: &Self) -> Tracker {
        Tracker {
            total: a.total * b.total,
            n: 2,
        }
    }

    #[differentiable(associated)]
    fn started(total: f64, n: usize) -> Tracker {
        Tracker {
            total: total * total,
            n,
        }
    }

    #[differentiable]
    fn bump(&mut self, c: f64) -> f64 {
        self.total *= c;
        self.total
    }
}

/// A struct result differentiated in part of its parameters, used only through its companions.
#[differentiable(wrt(s))]
fn tock(s: &State, h: f64) -> State {
    State {
        x: [s.x[0] * h, s.x[1]],
        t: s.t,
    }
}

#[test]
fn functions_used_only_through_their_companions_are_used() {
    let s = State {
        x: [1.0, 2.0],
        t: 0.5,
    };
    let d = State {
        x: [0.5, -1.0],
        t: 1.0,
    };
    let (v, t) = tick_jvp(&s, &d, 0.1, 0.0);
    assert_eq!(v.x[0], 1.0 + 0.1 * 2.0);
    assert_eq!(t.x[0], 0.5 - 0.1);
    let mut s_bar = s.zero_like();
    let value = energy_vjp(&s, &mut s_bar, 1.0);
    assert_eq!((value, s_bar.x, s_bar.t), (3.0, [1.0, 2.0], 1.0));
    let (v, t) = s.norm2_jvp(&d);
    assert_eq!((v, t), (5.0, 2.0 * 0.5 - 2.0 * 2.0));
    let (v, t) = s.scaled_jvp(&d, 2.0, 0.0);
    assert_eq!((v.x, t.x), ([2.0, 4.0], [1.0, -2.0]));
    let (v, _) = run_jvp(&s, &d, 0.1, 0.0);
    assert!(v.is_finite());
    let (mut tr, mut tr_dot) = (Tracker { total: 2.0, n: 1 }, Tracker { total: 1.0, n: 1 });
    let (v, t) = Tracker::absorb_jvp_at(&mut tr, &mut tr_dot, &s, &d);
    assert_eq!(
        (tr.total, v.x[0], t.x[0]),
        (3.0, 3.0, 0.5 * 3.0 + 1.0 * 2.0)
    );
    let (v, t) = Tracker::merged_jvp(&tr, &tr_dot, &tr, &tr_dot);
    assert_eq!((v.total, t.total, v.n), (9.0, 2.0 * 3.0 * tr_dot.total, 2));
    let (v, t) = Tracker::started_jvp(3.0, 1.0, 4);
    assert_eq!((v.total, t.total, v.n), (9.0, 6.0, 4));
    let (v, t) = Tracker::bump_jvp_at(&mut tr, &mut tr_dot, 2.0, 0.0);
    assert_eq!((v, t), (6.0, 2.0 * 2.0));
    let (v, t) = tock_jvp(&s, &d, 2.0);
    assert_eq!((v.x[0], t.x[0]), (2.0, 1.0));
}
