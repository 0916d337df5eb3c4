use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

impl Params {
    // A method returning a struct is not supported yet.
    #[differentiable]
    fn scaled(&self, c: f64) -> Self {
        Self { k: self.k * c }
    }
}

fn main() {}
