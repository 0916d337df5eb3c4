use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    v: f64,
}

// A further activity pattern of a function returning a struct: the struct layer generates one
// pattern's companions, so `tock_all` is refused on its name (it used to be dropped silently).
#[differentiable(wrt(s), wrt(s, h) as tock_all)]
fn tock(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.v,
        v: s.v - h * s.x,
    }
}

// The same for a function taking a struct, with the pattern in a stacked attribute.
#[differentiable(wrt(s))]
#[differentiable(wrt(s, c) as energy_all)]
fn energy(s: &State, c: f64) -> f64 {
    c * (s.x * s.x + s.v * s.v)
}

fn main() {}
