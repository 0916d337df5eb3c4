use nalgebra::{DVector, Matrix2};
use tapeless::differentiable;

#[differentiable]
struct Body {
    m: Matrix2<f64>,
    v: DVector<f64>,
}

// A matrix's `new` takes its elements row by row, not in storage order.
#[differentiable]
fn turn(b: &Body, h: f64) -> Body {
    Body {
        m: Matrix2::new(b.m[0], h * b.m[2], b.m[1], b.m[3]),
        v: b.v.clone(),
    }
}

// A `DVector` built in a result has no size its shape is built with.
#[differentiable]
fn spread(b: &Body, h: f64) -> Body {
    Body {
        m: b.m,
        v: DVector::from_column_slice(&[h * b.v[0], b.v[1]]),
    }
}

fn main() {}
