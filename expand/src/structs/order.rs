//! The order in which a struct literal's fields are written, so that its reverse sweep takes
//! them in the order an array literal's elements are taken.
//!
//! The pipeline has no struct literal: the struct layer writes one as a statement per field
//! (`result__.x = ..; result__.y = ..;` into a struct result's out-parameter, `let s__x = ..;
//! let s__y = ..;` for a struct local). A reverse sweep takes statements last first, so the
//! adjoint of a variable read by several fields would add the terms of the last field first,
//! while an array literal `[dx, dy, dz]` (one binding, `Init::ArrayList`) adds the terms of its
//! elements first to last. Floating-point addition is not associative: the Lorenz-63 right-hand
//! side written `State { x: .., y: .., z: .. }` gave a gradient whose last bit differed from the
//! same model written with arrays. So the struct layer writes the fields *last first* (`result__.z
//! = ..; result__.y = ..; result__.x = ..;`) and the reverse sweep takes them first to last, as an
//! array literal's. Each field's value is the same in either order, and so is every value
//! computed from them: only the order of the adjoint's additions changes.
//!
//! Fields whose evaluation may change what another field reads (an assignment or a compound
//! assignment inside a field's expression, a `&mut` borrow, a macro, a method of a `&mut self`
//! receiver) are written in the literal's order, as Rust evaluates them, and their reverse
//! sweep takes them last first. A panic inside a field's expression (an index out of bounds)
//! may be another field's in the companions than in the user's function when two fields panic.

use syn::visit::Visit;

/// Whether the fields `values` of one literal may be evaluated in any order (see the module's
/// documentation); `mut_self`: the function's receiver is `&mut self`.
pub(super) fn any_order<'a>(
    values: impl IntoIterator<Item = &'a syn::Expr>,
    mut_self: bool,
) -> bool {
    let mut v = Effects {
        mut_self,
        found: false,
    };
    for e in values {
        v.visit_expr(e);
    }
    !v.found
}

/// Whether the fields of `lit`, a literal in the function of signature `sig`, may be evaluated
/// in any order, nested literals' too.
pub(super) fn literal_any_order(lit: &syn::ExprStruct, sig: &syn::Signature) -> bool {
    let mut v = Effects {
        mut_self: mut_self(sig),
        found: false,
    };
    v.visit_expr_struct(lit);
    !v.found
}

/// Whether a function's receiver is `&mut self` (or `mut self`: its fields are locals it may
/// write).
pub(super) fn mut_self(sig: &syn::Signature) -> bool {
    sig.receiver().is_some_and(|r| {
        r.mutability.is_some()
            || matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some())
    })
}

struct Effects {
    mut_self: bool,
    found: bool,
}

impl<'a> Visit<'a> for Effects {
    fn visit_expr_assign(&mut self, _: &'a syn::ExprAssign) {
        self.found = true;
    }
    fn visit_expr_binary(&mut self, b: &'a syn::ExprBinary) {
        use syn::BinOp::*;
        if matches!(
            b.op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        ) {
            self.found = true;
        }
        syn::visit::visit_expr_binary(self, b);
    }
    fn visit_expr_reference(&mut self, r: &'a syn::ExprReference) {
        self.found |= r.mutability.is_some();
        syn::visit::visit_expr_reference(self, r);
    }
    fn visit_expr_macro(&mut self, _: &'a syn::ExprMacro) {
        self.found = true;
    }
    fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
        let on_self = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
        self.found |= self.mut_self && on_self;
        syn::visit::visit_expr_method_call(self, m);
    }
    // An item inside a block expression is not evaluated where it stands.
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::any_order;

    fn fields(src: &str, mut_self: bool) -> bool {
        let lit: syn::ExprStruct = syn::parse_str(src).expect("a literal");
        any_order(lit.fields.iter().map(|f| &f.expr), mut_self)
    }

    #[test]
    fn arithmetic_and_calls_may_be_reordered() {
        assert!(fields(
            "State { x: self.sigma * (y - x), y: f(&s, a[i]).sin(), z: if c { a } else { b } }",
            false
        ));
        assert!(fields("State { x: self.energy(&s), y: 0.0 }", false));
    }

    #[test]
    fn effects_keep_the_literals_order() {
        assert!(!fields("State { x: { t += 1.0; t }, y: t }", false));
        assert!(!fields("State { x: { t = 2.0; t }, y: t }", false));
        assert!(!fields("State { x: step(&mut u), y: u[0] }", false));
        assert!(!fields("State { x: g!(u), y: u[0] }", false));
        assert!(!fields("State { x: self.advance(h), y: self.t }", true));
        assert!(fields("State { x: self.energy(&s), y: self.t }", false));
    }
}
