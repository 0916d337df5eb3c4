use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    v: f64,
}

#[differentiable]
struct Pair {
    a: f64,
    b: f64,
    c: f64,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.v,
        v: s.v - h * s.x,
    }
}

impl State {
    #[differentiable]
    fn spread(&self) -> Pair {
        Pair {
            a: self.x,
            b: self.v,
            c: self.x * self.v,
        }
    }
}

// A struct taken from a method of a held struct is held at the receiver's places: the method
// returns the receiver's type.
#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2: State = step(s, h);
    let q = s2.spread();
    q.a + q.c
}

fn main() {}
