use tapeless::differentiable;

// A row used whole where a value is expected: copy it first, `let row = pos[k];`.
#[differentiable(wrt(pos))]
fn row_as_value(pos: &[[f64; 3]]) -> f64 {
    let n = pos[0].len();
    n as f64 * pos[0][1]
}

// Written through a shared reference.
#[differentiable(wrt(pos))]
fn shared_written(pos: &[[f64; 3]]) -> f64 {
    pos[0][1] = 2.0;
    pos[0][0]
}

// Rows written through `iter_mut`, and copied whole.
#[differentiable(wrt(pos))]
fn iter_mut_rows(pos: &mut [[f64; 3]]) -> f64 {
    for p in pos.iter_mut() {
        p[0] = 1.0;
    }
    let all = pos.to_vec();
    all[0][0]
}

// An index past a row, written as a literal (rustc's own lint on the function as written is
// allowed, so that only the macro's error shows).
#[allow(unconditional_panic)]
#[differentiable(wrt(pos))]
fn past_the_row(pos: &[[f64; 2]]) -> f64 {
    pos[0][2]
}

fn main() {}
