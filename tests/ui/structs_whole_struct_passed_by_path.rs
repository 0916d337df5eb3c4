//! A `&mut` struct passed whole while its fields are used beside the call is held as its reals
//! at the places its type publishes: its type must be named by one identifier.
use tapeless::differentiable;

mod model {
    use tapeless::differentiable;

    #[differentiable]
    pub struct State {
        pub x: [f64; 2],
    }

    #[differentiable]
    pub fn inner(s: &mut State, h: f64) {
        s.x[0] += h * s.x[1];
    }
}

use model::inner;

#[differentiable]
fn outer(s: &mut model::State, h: f64) {
    inner(s, h);
    s.x[1] *= 0.5;
}

fn main() {}
