use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    v: f64,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.v,
        v: s.v - h * s.x,
    }
}

#[differentiable]
fn kick(s: &mut State, h: f64) {
    s.v += h * s.x;
}

// A struct taken from a call goes on by shared reference (`energy(&s2)`, `step(&s2, h)`): it
// is held as its reals, which a function writing the struct cannot be given.
#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let mut s2 = step(s, h);
    kick(&mut s2, h);
    s2.x
}

fn main() {}
