//! Which expressions of a body are integers, as far as its syntax tells: what decides that a
//! struct field beside them is a `usize` (`x[(i + p.n) % n]`, `p.n < i`), not a real.
//!
//! An expression is an integer when it is an integer literal, a variable known to hold one
//! (a parameter of an integer type, the variable of a `for` over a range or the count of an
//! `.enumerate()`, a `let` of an integer expression or of an integer type), `.len()`, a cast to
//! an integer type, or arithmetic with an integer operand. Variables are tracked in the order
//! of the body, and a later binding of the same name to anything else forgets it. A wrong guess
//! is a type error of rustc on the companions' call (the field passed to a `usize` parameter),
//! never a derivative taken as zero.

/// The integer variables in scope at the point the visitor has reached.
#[derive(Default, Clone)]
pub struct IntVars(Vec<String>);

const INT_TYPES: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
];

/// Methods of integers that give integers (`i.min(3)`, `k.pow(2)`).
const INT_METHODS: &[&str] = &[
    "min",
    "max",
    "pow",
    "abs",
    "rem_euclid",
    "div_euclid",
    "saturating_sub",
    "saturating_add",
    "wrapping_sub",
    "wrapping_add",
    "abs_diff",
];

fn is_int_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => INT_TYPES.iter().any(|t| p.path.is_ident(t)),
        syn::Type::Reference(r) => is_int_type(&r.elem),
        syn::Type::Paren(p) => is_int_type(&p.elem),
        _ => false,
    }
}

fn pat_ident(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(pi) => Some(syn::ext::IdentExt::unraw(&pi.ident).to_string()),
        syn::Pat::Type(pt) => pat_ident(&pt.pat),
        syn::Pat::Reference(r) => pat_ident(&r.pat),
        _ => None,
    }
}

/// `name: usize` (any integer type), the pattern of a `let` that binds an integer.
pub fn is_typed_int(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::Type(pt) if is_int_type(&pt.ty))
}

/// Every name bound by `pat`.
fn pat_names(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(pi) => out.push(syn::ext::IdentExt::unraw(&pi.ident).to_string()),
        syn::Pat::Type(pt) => pat_names(&pt.pat, out),
        syn::Pat::Reference(r) => pat_names(&r.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| pat_names(p, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| pat_names(p, out)),
        syn::Pat::Paren(p) => pat_names(&p.pat, out),
        _ => {}
    }
}

/// `a..b`, also behind `.rev()`, `.step_by(k)`, `.skip(k)`, `.take(k)`.
fn is_range(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Range(_) => true,
        syn::Expr::Paren(p) => is_range(&p.expr),
        syn::Expr::MethodCall(m)
            if ["rev", "step_by", "skip", "take"].contains(&m.method.to_string().as_str()) =>
        {
            is_range(&m.receiver)
        }
        _ => false,
    }
}

/// An iterator chain with `.enumerate()` in it: the first element of its items is a count.
fn is_enumerated(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => m.method == "enumerate" || is_enumerated(&m.receiver),
        syn::Expr::Paren(p) => is_enumerated(&p.expr),
        _ => false,
    }
}

/// An integer literal without a float suffix.
pub fn is_int_lit(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => !matches!(i.suffix(), "f64" | "f32"),
            _ => false,
        },
        syn::Expr::Paren(p) => is_int_lit(&p.expr),
        _ => false,
    }
}

/// A pattern of a `match` on integers: an integer literal, a range of them, or `|` of those.
pub fn is_int_pat(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Lit(l) => is_int_lit(&syn::Expr::Lit(l.clone())),
        syn::Pat::Range(r) => r.start.iter().chain(r.end.iter()).any(|e| is_int_lit(e)),
        syn::Pat::Or(o) => o.cases.iter().any(is_int_pat),
        syn::Pat::Paren(p) => is_int_pat(&p.pat),
        _ => false,
    }
}

/// The arithmetic operators that keep an integer an integer.
pub fn is_arithmetic(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        Add(_)
            | Sub(_)
            | Mul(_)
            | Div(_)
            | Rem(_)
            | BitAnd(_)
            | BitOr(_)
            | BitXor(_)
            | Shl(_)
            | Shr(_)
    )
}

/// `+=`, `-=`, `*=`, `/=`, `%=`.
pub fn is_compound(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::AddAssign(_)
            | syn::BinOp::SubAssign(_)
            | syn::BinOp::MulAssign(_)
            | syn::BinOp::DivAssign(_)
            | syn::BinOp::RemAssign(_)
    )
}

impl IntVars {
    /// The integer parameters of `sig`.
    pub fn of_signature(sig: &syn::Signature) -> Self {
        let mut vars = IntVars::default();
        for a in &sig.inputs {
            if let syn::FnArg::Typed(pt) = a {
                if is_int_type(&pt.ty) {
                    if let Some(n) = pat_ident(&pt.pat) {
                        vars.0.push(n);
                    }
                }
            }
        }
        vars
    }

    /// Whether `e` is an integer; `int_field` says whether a field chain is a known integer.
    pub fn is_int(&self, e: &syn::Expr, int_field: &dyn Fn(&syn::Expr) -> bool) -> bool {
        match e {
            syn::Expr::Lit(_) => is_int_lit(e),
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|id| self.0.contains(&syn::ext::IdentExt::unraw(id).to_string())),
            syn::Expr::Field(_) => int_field(e),
            syn::Expr::Paren(p) => self.is_int(&p.expr, int_field),
            syn::Expr::Group(g) => self.is_int(&g.expr, int_field),
            syn::Expr::Cast(c) => is_int_type(&c.ty),
            syn::Expr::Unary(u) => {
                matches!(u.op, syn::UnOp::Neg(_)) && self.is_int(&u.expr, int_field)
            }
            syn::Expr::Binary(b) if is_arithmetic(&b.op) => {
                self.is_int(&b.left, int_field) || self.is_int(&b.right, int_field)
            }
            syn::Expr::MethodCall(m) => {
                m.method == "len"
                    || (INT_METHODS.contains(&m.method.to_string().as_str())
                        && self.is_int(&m.receiver, int_field))
            }
            _ => false,
        }
    }

    fn set(&mut self, names: Vec<String>, int: bool) {
        self.0.retain(|v| !names.contains(v));
        if int {
            self.0.extend(names);
        }
    }

    /// `let pat = init`: an integer if its type says so or its value is one.
    pub fn bind_let(&mut self, local: &syn::Local, int_init: bool) {
        let typed_int = is_typed_int(&local.pat);
        let mut names = Vec::new();
        pat_names(&local.pat, &mut names);
        let single = pat_ident(&local.pat).is_some();
        self.set(names, single && (typed_int || int_init));
    }

    /// `for pat in expr`: the variable of a range, or the count of `.enumerate()`.
    pub fn bind_for(&mut self, pat: &syn::Pat, expr: &syn::Expr) {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        self.set(names, false);
        if is_range(expr) {
            if let Some(n) = pat_ident(pat) {
                self.0.push(n);
            }
        } else if is_enumerated(expr) {
            if let syn::Pat::Tuple(t) = pat {
                if let Some(n) = t.elems.first().and_then(pat_ident) {
                    self.0.push(n);
                }
            }
        }
    }

    /// A closure's parameters shadow integers of the same names.
    pub fn bind_closure(&mut self, c: &syn::ExprClosure) {
        let mut names = Vec::new();
        for p in &c.inputs {
            pat_names(p, &mut names);
        }
        self.set(names, false);
    }
}

/// Whether the field `root.path` is among `leaves` as an integer.
pub fn is_int_leaf(
    leaves: &[(syn::Ident, super::flatten::Leaf)],
    root: &syn::Ident,
    path: &[syn::Member],
) -> bool {
    leaves.iter().any(|(r, l)| {
        r == root
            && l.used == super::flatten::Use::Int
            && l.path.len() == path.len()
            && (l.path.iter().zip(path)).all(|(a, m)| matches!(m, syn::Member::Named(b) if a == b))
    })
}

/// Types each integer field of a struct parameter read as a parameter of its own (`p.n` as
/// `p__n`) as the struct declares it, `<P as FieldType<{n}>>::T` (see `layout::field_type`),
/// rather than `usize`: an `i32`, `u64` or `i64` field reaches the flattened function as the
/// integer it is (ints15 found an `i32` field typed `usize`). A field passed bare to calls only
/// (`Use::Arg`) is taken at its declared type at the scalar, `__tl::Sent<<<P as
/// Struct>::At<f64> as FieldType<{n}>>::T>` (the companions write `S` for `f64`), a real or an
/// integer as rustc finds it.
pub fn type_int_leaves(
    krate: &syn::Path,
    flat: &mut syn::ItemFn,
    params: &[super::flatten::Param],
) {
    use super::flatten::Use;
    for p in params {
        let super::flatten::Param::Struct(s) = p else {
            continue;
        };
        for leaf in &s.leaves {
            let ty = match leaf.used {
                Use::Int => super::layout::field_type(krate, &s.ty, &leaf.path),
                Use::Arg => {
                    let st = &s.ty;
                    let at: syn::Type = syn::parse_quote!(<#st as #krate::Struct>::At<f64>);
                    let t = super::layout::field_type(krate, &at, &leaf.path);
                    syn::parse_quote!(#krate::__private::Sent<#t>)
                }
                _ => continue,
            };
            for input in flat.sig.inputs.iter_mut() {
                if let syn::FnArg::Typed(pt) = input {
                    if matches!(&*pt.pat, syn::Pat::Ident(pi) if pi.ident == leaf.flat) {
                        *pt.ty = ty.clone();
                    }
                }
            }
        }
    }
}

/// `<P as ..::FieldType<KEY>>::T`, the declared type of an integer field (what
/// [`type_int_leaves`] writes): lowered as an integer.
pub fn is_field_type(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    let Some(q) = &p.qself else {
        return false;
    };
    let trait_seg = p.path.segments.iter().nth(q.position.wrapping_sub(1));
    p.path.segments.last().is_some_and(|s| s.ident == "T")
        && trait_seg.is_some_and(|s| s.ident == "FieldType")
}

/// Whether the fields `call` passes bare are sent at their declared types (`__tl::Sent`):
/// a call of a function by a lowercase path (`h(p.c, p.n)`, `physics::h(..)`, the callee's
/// `jvp_paired` / `rev_paired` take them), with no struct parameter passed whole. Not a
/// method by its type (`Self::m`, `State::m`), an enum variant (`Some(p.c)`), a primitive's
/// function (`f64::max`), the standard library's (`std::cmp::min`) or a forwarder the struct
/// layer wrote (`__step_into`).
pub fn sends_fields(call: &syn::ExprCall, roots: &[String]) -> bool {
    let syn::Expr::Path(p) = &*call.func else {
        return false;
    };
    let lowercase = |s: &syn::PathSegment| {
        let name = syn::ext::IdentExt::unraw(&s.ident).to_string();
        name.starts_with(|c: char| c.is_lowercase() || c == '_')
    };
    let first = p.path.segments.first().map(|s| s.ident.to_string());
    let foreign = first.as_deref().is_some_and(|f| {
        INT_TYPES.contains(&f) || ["f64", "f32", "bool", "std", "core", "alloc"].contains(&f)
    });
    let whole = call.args.iter().any(|a| {
        let a = match a {
            syn::Expr::Reference(r) => &*r.expr,
            a => a,
        };
        matches!(a, syn::Expr::Path(q) if q.path.get_ident().is_some_and(|i| roots.iter().any(|r| i == r)))
    });
    // The struct layer's own forwarders (`__step_into`, `__energy_held`), made before this.
    let generated = p
        .path
        .segments
        .iter()
        .any(|s| s.ident.to_string().starts_with("__"));
    p.qself.is_none() && !foreign && !whole && !generated && p.path.segments.iter().all(lowercase)
}

/// `..::Sent<T>`, a field passed bare (what [`type_int_leaves`] writes): lowered as a real.
pub fn is_sent(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Sent" && !s.arguments.is_none()))
}
