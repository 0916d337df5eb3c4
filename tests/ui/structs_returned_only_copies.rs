use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    n: usize,
}

// A result that only copies the parameters' fields has nothing to differentiate.
#[differentiable]
fn same(s: &State) -> State {
    State { x: s.x, n: 3 }
}

fn main() {}
