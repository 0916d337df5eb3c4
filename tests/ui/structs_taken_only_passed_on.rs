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
fn energy(s: &State) -> f64 {
    s.x * s.x + s.v * s.v
}

// The result of a call taking a struct, only passed on: a struct or an array alike. Its type
// says which (`let s2: State = step(s, h);`).
#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    energy(&s2)
}

fn main() {}
