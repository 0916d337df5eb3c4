//! Lowering: the user's `syn::ItemFn` to the IR of [`crate::ir`].
//!
//! This is the one place that reads syn. It decides the kind of every value from the syntax
//! (a proc macro cannot see types), gives shadowed bindings distinct variables, hoists calls of
//! differentiable functions out of expressions into their own statements, turns compound
//! assignments into plain ones, `match` into tested `if` chains and early `return` into a result
//! variable and a flag. Everything outside the accepted subset is an error on the smallest
//! offending node, saying what to write instead; all errors of a function are reported together.
//!
//! Before: `let y = (x * g(x)).sin(); y += 1.0;`
//! After:  `let __g_0 = call g(x); let mut y = sin((x * __g_0)); y = (y + 1.0)`

use crate::attr::Args;
use crate::ir::*;
use proc_macro2::Span;
use quote::ToTokens;
use std::collections::{HashMap, HashSet};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Lowers `item`, or returns every error found in it, combined.
pub fn lower(item: &syn::ItemFn, args: &Args) -> syn::Result<Function> {
    let mut names = IdentCollector::default();
    names.visit_item_fn(item);
    let mut l = Lowerer {
        args,
        vars: IdVec::new(),
        scopes: vec![HashMap::new()],
        idents: names.0.clone(),
        taken: names.0,
        errors: None,
        early: None,
        untyped_results: Vec::new(),
        unset_targets: Vec::new(),
        ret_failed: false,
        early_unsupported: false,
        poisoned: HashSet::new(),
        param_vars: Vec::new(),
        map_params: Vec::new(),
        no_hoist: 0,
        spans: HashMap::new(),
        given: HashSet::new(),
        next_suffix: HashMap::new(),
    };
    check_attributes(item, &mut l);
    let function = l.function(item);
    match (function, l.errors) {
        (Some(f), None) => Ok(f),
        (_, Some(e)) => Err(e),
        (None, None) => Err(syn::Error::new_spanned(
            &item.sig.ident,
            "tapeless: lowering failed",
        )),
    }
}

/// Attributes: `#[differentiable]` once on the function, and none inside the body that the
/// companions could not honour as the user's function does. Lint attributes (`allow`, `warn`,
/// `deny`, `forbid`, `expect`) and doc comments change no value, so they are accepted: the
/// function keeps them as written and the companions are generated code with lints of their
/// own. Any other (`cfg`, `cfg_attr`, a tool's or a crate's attribute) could remove or change
/// code in the function and not in its derivatives, so it is refused.
fn check_attributes(item: &syn::ItemFn, l: &mut Lowerer<'_>) {
    for attr in &item.attrs {
        let path = attr.path();
        let last = path.segments.last().map(|s| name_of(&s.ident));
        if last.as_deref() == Some("differentiable") {
            l.error(syn::Error::new_spanned(
                attr,
                "`#[differentiable]` is given twice: one attribute generates every companion; \
                 to differentiate with respect to other parameters too, list them all in one `wrt(..)`",
            ));
        }
    }
    struct Attributes(Vec<syn::Error>);
    impl<'ast> Visit<'ast> for Attributes {
        fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
            let path = attr.path();
            let harmless = ["allow", "warn", "deny", "forbid", "expect", "doc"]
                .iter()
                .any(|name| path.is_ident(name));
            if !harmless {
                let name = path.to_token_stream().to_string().replace(' ', "");
                let advice = if name == "cfg" || name == "cfg_attr" {
                    "put `#[cfg(..)]` on whole functions instead: one annotated function per configuration"
                } else {
                    "remove it, or move the code it applies to into a function of its own"
                };
                self.0.push(syn::Error::new_spanned(
                    attr,
                    format!("`#[{name}]` inside a `#[differentiable]` function is not supported: the derivative code could not honour it as the function does; {advice}"),
                ));
            }
        }
        // Items in the body are refused on their own, with their own message.
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut found = Attributes(Vec::new());
    found.visit_block(&item.block);
    for e in found.0 {
        l.error(e);
    }
}

/// What to write instead of a call of a standard library function that has no derivative
/// companion (any other call is taken to be of a `#[differentiable]` function, whose companions
/// are found through its path).
fn std_function_advice(path: &syn::Path) -> Option<String> {
    let names: Vec<String> = path.segments.iter().map(|s| name_of(&s.ident)).collect();
    let last = names.last()?.as_str();
    let std_path =
        names.len() == 1 || matches!(names[0].as_str(), "std" | "core" | "alloc" | "mem" | "ptr");
    if !std_path {
        return None;
    }
    let advice = match last {
        "drop" => "`drop` has no derivative: remove the call, values are dropped at the end of their scope",
        "swap" | "replace" | "take" => "`std::mem::swap`, `replace` and `take` have no derivative here: assign through a temporary (`let t = a; a = b; b = t;`)",
        "forget" | "size_of" | "size_of_val" | "align_of" | "transmute" => "this `std::mem` function cannot be differentiated: remove it from the differentiable function",
        _ => return None,
    };
    Some(advice.to_string())
}

/// Every identifier in the function, so generated names never collide with the user's.
#[derive(Default)]
struct IdentCollector(HashSet<String>);

impl<'ast> Visit<'ast> for IdentCollector {
    fn visit_ident(&mut self, i: &'ast syn::Ident) {
        self.0.insert(name_of(i));
    }
}

/// The variables that carry an early `return`.
struct Early {
    results: Vec<VarId>,
    flag: VarId,
}

struct Lowerer<'a> {
    args: &'a Args,
    vars: IdVec<VarId, Var>,
    scopes: Vec<HashMap<String, VarId>>,
    taken: HashSet<String>,
    /// Every identifier of the user's function, as written (without the names lowering gives).
    idents: HashSet<String>,
    errors: Option<syn::Error>,
    early: Option<Early>,
    /// Results of calls bound without a written type (taken to be `f64`).
    untyped_results: Vec<VarId>,
    /// Variables given by an `if` or `match` whose kind the first branch value decides.
    unset_targets: Vec<VarId>,
    /// The return type was rejected: the final value is not checked against it.
    ret_failed: bool,
    /// The function has an early `return` but its result cannot carry one.
    early_unsupported: bool,
    /// Names whose binding was rejected: later statements that use them report nothing more.
    poisoned: HashSet<String>,
    /// The parameters' variables.
    param_vars: Vec<VarId>,
    /// The closure arguments of `.map(|v| ..)`.
    map_params: Vec<VarId>,
    /// Above zero while lowering an expression whose parts cannot be bound to temporaries before
    /// it (the right side of `&&` and `||`, a match guard, a probe): see [`Lowerer::bounded`].
    no_hoist: usize,
    /// The spans of the expressions of the current statement, by address: see
    /// [`Lowerer::span_of`].
    spans: HashMap<usize, Span>,
    /// The names of `vars`, for [`Lowerer::fresh_name`].
    given: HashSet<String>,
    /// The suffix [`Lowerer::fresh_name`] tries next for a base name.
    next_suffix: HashMap<String, usize>,
}

/// The depth of an expression tree (a leaf is 1).
fn depth(e: &Expr) -> usize {
    let children: Vec<&Expr> = match &e.op {
        Op::Lit(_) | Op::Var(_) | Op::Len(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => {
            Vec::new()
        }
        Op::Index(_, a)
        | Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::PathIndex(_, a)
        | Op::AsReal(a) => vec![a],
        Op::Binary(_, a, b) | Op::Powi(a, b) => vec![a, b],
        Op::Method(a, _, args) => std::iter::once(&**a).chain(args).collect(),
        Op::ConstCall(_, args) => args.iter().collect(),
        Op::Linalg(op, args) => {
            let mut c: Vec<&Expr> = args.iter().collect();
            if let LinOp::Map { body, .. } = op {
                c.push(body);
            }
            c
        }
    };
    1 + children.into_iter().map(depth).max().unwrap_or(0)
}

/// The name a binding or a use refers to: `r#x` and `x` are one variable, named `x` in the IR
/// (emission writes it raw again where it is a keyword).
fn name_of(i: &syn::Ident) -> String {
    i.unraw().to_string()
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

/// An error on the whole of `node` (on stable Rust, `node.span()` is only its first token).
fn err_at<T>(node: impl ToTokens, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new_spanned(node, msg))
}

fn is_ident(ty: &syn::Type, name: &str) -> bool {
    matches!(strip_type_group(ty), syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// `ty` without the invisible groups a `macro_rules!` fragment (`$t:ty`) puts around it.
fn strip_type_group(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => strip_type_group(&g.elem),
        ty => ty,
    }
}

const INT_TYPES: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
];

fn is_int_type(ty: &syn::Type) -> bool {
    INT_TYPES.iter().any(|t| is_ident(ty, t))
}

fn mentions_float(ty: &syn::Type) -> bool {
    let s = ty.to_token_stream().to_string();
    s.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64" || w == "f32")
}

/// `Vec<f64>`?
fn is_vec_f64(ty: &syn::Type) -> bool {
    if let syn::Type::Path(p) = strip_type_group(ty) {
        if let Some(last) = p.path.segments.last() {
            if last.ident == "Vec" {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    return matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_ident(t, "f64"));
                }
            }
        }
    }
    false
}

/// The nalgebra matrix and vector types of reals tapeless knows by name.
const MATRIX_TYPES: &[&str] = &[
    "DVector",
    "DMatrix",
    "SVector",
    "SMatrix",
    "RowDVector",
    "RowSVector",
    "Vector1",
    "Vector2",
    "Vector3",
    "Vector4",
    "Vector5",
    "Vector6",
    "Matrix1",
    "Matrix2",
    "Matrix3",
    "Matrix4",
    "Matrix5",
    "Matrix6",
];

/// `Some(elem)` when `ty` is one of [`MATRIX_TYPES`] (by its last path segment), with the type
/// of its elements.
/// `Some(type path)` when `path` is `T::from_column_slice` or `T::from_row_slice` of one of
/// [`MATRIX_TYPES`] (`DVector::from_column_slice`, `SVector::<f64, 3>::from_row_slice`).
fn matrix_from_slice(path: &syn::Path) -> Option<syn::Path> {
    let n = path.segments.len();
    if n < 2 {
        return None;
    }
    let last = &path.segments[n - 1];
    let ty = &path.segments[n - 2];
    let constructor = last.ident == "from_column_slice" || last.ident == "from_row_slice";
    if !constructor || !MATRIX_TYPES.contains(&ty.ident.to_string().as_str()) {
        return None;
    }
    let mut p = path.clone();
    p.segments.pop();
    // Drop the trailing `::` the pop leaves.
    let last = p.segments.pop().expect("two segments").into_value();
    p.segments.push(last);
    Some(p)
}

fn matrix_elem(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = strip_type_group(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if !MATRIX_TYPES.contains(&last.ident.to_string().as_str()) {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The kind of an nalgebra type (`None` for other types), or an error for matrices of anything
/// but `f64`.
fn matrix_kind(ty: &syn::Type) -> Option<syn::Result<Kind>> {
    let elem = matrix_elem(ty)?;
    Some(if is_ident(elem, "f64") {
        Ok(Kind::Matrix)
    } else {
        err_at(
            elem,
            "write `f64` as the element type: the generated companions are generic over the scalar type",
        )
    })
}

/// The kind of a value of type `ty`, or an error saying which types are accepted.
fn kind_of_type(ty: &syn::Type, param: bool) -> syn::Result<Kind> {
    if is_ident(ty, "f64") {
        return Ok(Kind::Real);
    }
    if let Some(k) = matrix_kind(ty) {
        return k;
    }
    if is_ident(ty, "f32") {
        return err_at(ty,
            "write `f64`: the generated companions are generic over the scalar type, so they also run at `f32`",
        );
    }
    if is_int_type(ty) {
        return Ok(Kind::Int);
    }
    if is_ident(ty, "bool") {
        return Ok(Kind::Bool);
    }
    if is_vec_f64(ty) {
        return Ok(Kind::RealArray(ArrayRepr::Vec));
    }
    match strip_type_group(ty) {
        syn::Type::Array(a) if is_ident(&a.elem, "f64") => {
            return Ok(Kind::RealArray(ArrayRepr::Array(ArrayLen(
                a.len.to_token_stream(),
            ))))
        }
        syn::Type::Reference(r) if param => {
            if let syn::Type::Slice(s) = strip_type_group(&r.elem) {
                if is_ident(&s.elem, "f64") {
                    return Ok(Kind::RealArray(if r.mutability.is_some() {
                        ArrayRepr::SliceMut
                    } else {
                        ArrayRepr::Slice
                    }));
                }
            }
            if is_vec_f64(&r.elem) {
                let m = if r.mutability.is_some() { "&mut " } else { "&" };
                return err_at(ty, format!("write `{m}[f64]` instead of `{m}Vec<f64>`"));
            }
            if let Some(k) = matrix_kind(&r.elem) {
                if r.mutability.is_some() {
                    return err_at(ty, "nalgebra values are read, not written, by a differentiable function: take `&DVector<f64>` (or the value) and return the result");
                }
                return k;
            }
        }
        syn::Type::Paren(p) => return kind_of_type(&p.elem, param),
        _ => {}
    }
    if is_integer_data(ty) {
        return Ok(Kind::Opaque);
    }
    let what = if mentions_float(ty) {
        "unsupported type"
    } else {
        // A name tapeless cannot look behind may hide an `f64`: refusing it is what keeps a
        // derivative from silently coming out zero.
        "tapeless sees types by their names, so type aliases and structs are not supported"
    };
    err_at(
        ty,
        format!("{what}: write `f64`, `&[f64]`, `&mut [f64]`, `[f64; N]`, `Vec<f64>` or an nalgebra `DVector<f64>`, `DMatrix<f64>`, `SVector<f64, N>`, `SMatrix<f64, R, C>` for reals, or integers and bools (also in slices, arrays and `Vec`s)"),
    )
}

/// Integers and bools, and slices, arrays, `Vec`s and references of them: values that hold no
/// real, copied as written.
fn is_integer_data(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_integer_data(&r.elem),
        syn::Type::Slice(s) => is_integer_data(&s.elem),
        syn::Type::Array(a) => is_integer_data(&a.elem),
        syn::Type::Paren(p) => is_integer_data(&p.elem),
        syn::Type::Group(g) => is_integer_data(&g.elem),
        syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(is_integer_data),
        syn::Type::Path(p) if p.qself.is_none() => {
            if is_int_type(ty) || is_ident(ty, "bool") {
                return true;
            }
            match p.path.segments.last() {
                Some(last) if last.ident == "Vec" && p.path.segments.len() == 1 => {
                    match &last.arguments {
                        syn::PathArguments::AngleBracketed(a) => {
                            matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_integer_data(t))
                        }
                        _ => false,
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The written type of each component of the result.
fn return_types(output: &syn::ReturnType, tuple: bool) -> Vec<Option<syn::Type>> {
    match output {
        syn::ReturnType::Default => Vec::new(),
        syn::ReturnType::Type(_, ty) => match strip_type_group(ty) {
            syn::Type::Tuple(t) if tuple => t.elems.iter().cloned().map(Some).collect(),
            ty => vec![Some(ty.clone())],
        },
    }
}

fn binary_op(op: &syn::BinOp) -> Option<Binary> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) | B::AddAssign(_) => Binary::Add,
        B::Sub(_) | B::SubAssign(_) => Binary::Sub,
        B::Mul(_) | B::MulAssign(_) => Binary::Mul,
        B::Div(_) | B::DivAssign(_) => Binary::Div,
        B::Rem(_) | B::RemAssign(_) => Binary::Rem,
        B::Lt(_) => Binary::Lt,
        B::Le(_) => Binary::Le,
        B::Gt(_) => Binary::Gt,
        B::Ge(_) => Binary::Ge,
        B::Eq(_) => Binary::Eq,
        B::Ne(_) => Binary::Ne,
        B::And(_) => Binary::And,
        B::Or(_) => Binary::Or,
        _ => return None,
    })
}

fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp as B;
    matches!(
        op,
        B::AddAssign(_) | B::SubAssign(_) | B::MulAssign(_) | B::DivAssign(_) | B::RemAssign(_)
    ) || matches!(
        op,
        B::BitAndAssign(_)
            | B::BitOrAssign(_)
            | B::BitXorAssign(_)
            | B::ShlAssign(_)
            | B::ShrAssign(_)
    )
}

/// Names of `f64` constants that are reals wherever they appear.
fn is_float_const_path(path: &syn::Path) -> bool {
    path.segments.iter().any(|s| s.ident == "f64")
}

impl Lowerer<'_> {
    fn error(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    /// A fresh name: `base` if free, else `base_1`, `base_2`, ...; never another variable's,
    /// and never an identifier of the user's function unless it is the user's own binding
    /// (`user`). Tangent and adjoint names live in the macro's own syntax context (see
    /// `emit::Names`), so they need no room here.
    fn fresh_name(&mut self, base: &str, user: bool) -> String {
        let used_here = self.given.contains(base);
        if !used_here && (user || !self.taken.contains(base)) {
            self.taken.insert(base.to_string());
            self.given.insert(base.to_string());
            return base.to_string();
        }
        // Names only ever become taken, so the search for `base` resumes where the last one
        // stopped: restarting at 1 made a thousand loops over `i` quadratic.
        let start = self.next_suffix.get(base).copied().unwrap_or(1);
        for k in start.. {
            let candidate = format!("{base}_{k}");
            if !self.taken.contains(&candidate) && !self.given.contains(&candidate) {
                self.taken.insert(candidate.clone());
                self.given.insert(candidate.clone());
                self.next_suffix.insert(base.to_string(), k + 1);
                return candidate;
            }
        }
        unreachable!("the suffixes are unbounded")
    }

    fn new_var(&mut self, user_name: &str, kind: Kind, mutable: bool, span: Span) -> VarId {
        let name = self.fresh_name(user_name, true);
        let id = self.vars.push(Var {
            name,
            user_name: user_name.to_string(),
            kind,
            mutable,
            span,
            ty: None,
        });
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(user_name.to_string(), id);
        id
    }

    /// A variable for a user binding that comes into scope later (after its initialiser).
    fn unscoped_var(&mut self, user_name: &str, kind: Kind, mutable: bool, span: Span) -> VarId {
        let name = self.fresh_name(user_name, true);
        self.vars.push(Var {
            name,
            user_name: user_name.to_string(),
            kind,
            mutable,
            span,
            ty: None,
        })
    }

    fn temp(&mut self, base: &str, kind: Kind, span: Span) -> VarId {
        let name = self.fresh_name(&format!("__{base}"), false);
        self.vars.push(Var {
            name,
            user_name: base.to_string(),
            kind,
            mutable: false,
            span,
            ty: None,
        })
    }

    /// Marks the names bound by `pat` as rejected.
    fn poison_pattern(&mut self, pat: &syn::Pat) {
        struct Names<'a>(&'a mut HashSet<String>);
        impl<'ast> Visit<'ast> for Names<'_> {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                self.0.insert(name_of(&p.ident));
            }
        }
        Names(&mut self.poisoned).visit_pat(pat);
    }

    /// Whether `node` names a binding that was rejected.
    fn mentions_poisoned(&self, node: &impl ToTokens) -> bool {
        fn walk(tokens: proc_macro2::TokenStream, poisoned: &HashSet<String>) -> bool {
            tokens.into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(i) => poisoned.contains(&name_of(&i)),
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), poisoned),
                _ => false,
            })
        }
        !self.poisoned.is_empty() && walk(node.to_token_stream(), &self.poisoned)
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// `v` as the user wrote it, for messages (`y` for a shadowed `y`, `r#match`).
    fn shown(&self, v: VarId) -> syn::Ident {
        crate::names::ident(&self.vars[v].user_name, self.vars[v].span)
    }

    fn kind(&self, v: VarId) -> &Kind {
        &self.vars[v].kind
    }

    fn function(&mut self, item: &syn::ItemFn) -> Option<Function> {
        let sig = &item.sig;
        self.check_signature(sig);
        let params = self.params(sig);
        self.check_wrt(&params);
        let (ret_parts, tuple) = self.return_shape(sig);
        if contains_early_return(&item.block) {
            self.prepare_early_return(sig, &ret_parts);
        }
        let mut body = Block::default();
        self.early_return_prologue(sig, &mut body);
        let (tail, rest) = self.split_tail(&item.block.stmts, &ret_parts);
        self.body_statements(rest, tail, &mut body);
        let values = self.final_values(sig, tail, &ret_parts, &mut body);
        Some(Function {
            name: sig.ident.clone(),
            vars: std::mem::take(&mut self.vars),
            params,
            ret: Ret {
                tys: return_types(&sig.output, tuple),
                parts: ret_parts,
                tuple,
                values,
            },
            body,
            idents: self.idents.clone(),
            map_params: std::mem::take(&mut self.map_params),
        })
    }

    /// What makes a signature something other than an ordinary generic-free `fn`.
    fn check_signature(&mut self, sig: &syn::Signature) {
        if let Some(c) = &sig.constness {
            self.error(syn::Error::new(
                c.span,
                "remove `const`: a differentiable function is an ordinary `fn`",
            ));
        }
        if let Some(a) = &sig.asyncness {
            self.error(syn::Error::new(
                a.span,
                "remove `async`: a differentiable function is an ordinary `fn`",
            ));
        }
        if let Some(u) = &sig.unsafety {
            self.error(syn::Error::new(
                u.span,
                "remove `unsafe`: differentiable code must be safe Rust",
            ));
        }
        if let Some(abi) = &sig.abi {
            self.error(syn::Error::new_spanned(
                abi,
                "remove the `extern` ABI: a differentiable function is an ordinary Rust `fn`",
            ));
        }
        for param in &sig.generics.params {
            let msg = match param {
                syn::GenericParam::Type(_) => "remove the type parameter: write the function with `f64`, and tapeless generates companions generic over the scalar type",
                syn::GenericParam::Lifetime(_) => "remove the lifetime parameter: differentiable functions take references with elided lifetimes",
                syn::GenericParam::Const(_) => "const generic parameters are not supported: write the length, `[f64; 3]`, or take a slice `&[f64]`",
            };
            self.error(syn::Error::new_spanned(param, msg));
        }
        if let Some(w) = &sig.generics.where_clause {
            self.error(syn::Error::new_spanned(
                w,
                "remove the `where` clause: differentiable functions have no generic parameters",
            ));
        }
        if let Some(v) = &sig.variadic {
            self.error(syn::Error::new_spanned(
                v,
                "variadic functions cannot be differentiated",
            ));
        }
    }

    /// The parameters that lower; the others are reported and their names poisoned.
    fn params(&mut self, sig: &syn::Signature) -> Vec<Param> {
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => self.error(syn::Error::new_spanned(r,
                    "methods cannot be differentiated yet: write a free function that takes the fields it needs",
                )),
                syn::FnArg::Typed(pt) => match self.param(pt) {
                    Ok(p) => params.push(p),
                    Err(e) => {
                        self.poison_pattern(&pt.pat);
                        self.error(e)
                    }
                },
            }
        }
        params
    }

    /// Every name in `wrt(..)` is a real parameter, matched by the user's name (`r#x` is `x`).
    fn check_wrt(&mut self, params: &[Param]) {
        let Some(wrt) = &self.args.wrt else {
            return;
        };
        for name in wrt {
            let found = params.iter().any(|p: &Param| {
                let v = &self.vars[p.var];
                name_of(name) == v.user_name && v.kind.is_real()
            });
            if !found {
                self.error(syn::Error::new_spanned(name,
                    format!("`{name}` is not a parameter of type `f64`, `&[f64]`, `&mut [f64]`, `[f64; N]` or `Vec<f64>`"),
                ));
            }
        }
    }

    /// The kinds of the result's components and whether it is a tuple (none if rejected).
    fn return_shape(&mut self, sig: &syn::Signature) -> (Vec<Kind>, bool) {
        match &sig.output {
            syn::ReturnType::Default => (Vec::new(), false),
            syn::ReturnType::Type(_, ty) => match self.return_kinds(ty) {
                Ok(kinds) => kinds,
                Err(e) => {
                    self.ret_failed = true;
                    self.error(e);
                    (Vec::new(), false)
                }
            },
        }
    }

    /// An early `return` needs result variables and a flag, which only a real result has.
    fn prepare_early_return(&mut self, sig: &syn::Signature, ret_parts: &[Kind]) {
        if ret_parts.iter().all(|k| *k == Kind::Real) && !ret_parts.is_empty() {
            let span = sig.output.span();
            let results = (0..ret_parts.len())
                .map(|k| {
                    let v = self.temp(&format!("result_{k}"), Kind::Real, span);
                    self.vars[v].mutable = true;
                    v
                })
                .collect();
            let flag = self.temp("returned", Kind::Bool, span);
            self.vars[flag].mutable = true;
            self.early = Some(Early { results, flag });
        } else if !self.ret_failed {
            self.early_unsupported = true;
        }
    }

    /// With early returns, the body starts with `let mut result = 0.0; let mut returned = false;`.
    fn early_return_prologue(&self, sig: &syn::Signature, body: &mut Block) {
        let Some(early) = &self.early else {
            return;
        };
        for &r in &early.results {
            body.stmts.push(Stmt::Let {
                var: r,
                init: Init::Expr(real_lit(0.0, sig.output.span())),
                span: sig.output.span(),
            });
        }
        let span = sig.output.span();
        body.stmts.push(Stmt::Let {
            var: early.flag,
            init: Init::Expr(Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> false))),
                kind: Kind::Bool,
                span,
            }),
            span,
        });
    }

    /// The function's final value (a tail expression, or a last `return e;`) and the statements
    /// before it.
    fn split_tail<'s>(
        &self,
        stmts: &'s [syn::Stmt],
        ret_parts: &[Kind],
    ) -> (Option<&'s syn::Expr>, &'s [syn::Stmt]) {
        let statement_like = |e: &syn::Expr| {
            matches!(
                strip_paren(e),
                syn::Expr::ForLoop(_)
                    | syn::Expr::If(_)
                    | syn::Expr::Match(_)
                    | syn::Expr::Block(_)
                    | syn::Expr::While(_)
                    | syn::Expr::Loop(_)
                    | syn::Expr::Unsafe(_)
            )
        };
        let never_value = |e: &syn::Expr| {
            matches!(
                strip_paren(e),
                syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_)
            )
        };
        match stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), rest))
                if !(never_value(e) || ret_parts.is_empty() && statement_like(e)) =>
            {
                (Some(e), rest)
            }
            Some((syn::Stmt::Expr(syn::Expr::Return(r), Some(_)), rest))
                if self.early.is_none() =>
            {
                match &r.expr {
                    Some(e) => (Some(&**e), rest),
                    None => (None, rest),
                }
            }
            _ => (None, stmts),
        }
    }

    /// The statements of the body; with early returns, the final value is one more `return`,
    /// guarded like the statements before it.
    fn body_statements(&mut self, rest: &[syn::Stmt], tail: Option<&syn::Expr>, body: &mut Block) {
        if self.early.is_some() {
            let mut all = rest.to_vec();
            if let Some(e) = tail {
                all.push(syn::Stmt::Expr(
                    syn::Expr::Return(syn::ExprReturn {
                        attrs: Vec::new(),
                        return_token: syn::Token![return](e.span()),
                        expr: Some(Box::new(e.clone())),
                    }),
                    Some(syn::Token![;](e.span())),
                ));
            }
            self.stmts_into(&all, body);
        } else {
            let lowered = self.stmts(rest);
            body.stmts.extend(lowered.stmts);
        }
    }

    /// The components of the result: the tail's values, or the early-return variables.
    fn final_values(
        &mut self,
        sig: &syn::Signature,
        tail: Option<&syn::Expr>,
        ret_parts: &[Kind],
        body: &mut Block,
    ) -> Vec<Expr> {
        let mut values = Vec::new();
        match tail {
            _ if self.ret_failed => {}
            Some(_) if self.early.is_some() => {}
            Some(e) if self.mentions_poisoned(e) => {}
            Some(e) => {
                values = self.result_values(e, ret_parts, body);
            }
            None => {
                if !ret_parts.is_empty() && self.early.is_none() && !self.early_unsupported {
                    self.error(syn::Error::new_spanned(
                        &sig.output,
                        "end the function with the value it returns",
                    ));
                }
            }
        }
        if let Some(early) = &self.early {
            values = early
                .results
                .iter()
                .map(|&r| var_expr(r, Kind::Real, self.vars[r].span))
                .collect();
        }
        values
    }

    fn param(&mut self, pt: &syn::PatType) -> syn::Result<Param> {
        let (ident, mutable) = match &*pt.pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                (pi.ident.clone(), pi.mutability.is_some())
            }
            other => return err_at(
                other,
                "write a plain name for each parameter (patterns in parameters are not supported)",
            ),
        };
        let kind = kind_of_type(&pt.ty, true)?;
        let var = self.new_var(&name_of(&ident), kind, mutable, ident.span());
        self.param_vars.push(var);
        self.vars[var].ty = Some((*pt.ty).clone());
        if let Kind::RealArray(ArrayRepr::SliceMut) = self.vars[var].kind {
            self.vars[var].mutable = true;
        }
        Ok(Param { var, mutable })
    }

    fn return_kinds(&mut self, ty: &syn::Type) -> syn::Result<(Vec<Kind>, bool)> {
        let one = |ty: &syn::Type| -> syn::Result<Kind> {
            let bad = "a differentiable function returns `f64`, `[f64; N]`, `Vec<f64>`, an owned nalgebra matrix or vector (`DVector<f64>`, ...) or a tuple of them; return other values from a separate function";
            match kind_of_type(ty, false) {
                Ok(
                    k @ (Kind::Real
                    | Kind::Matrix
                    | Kind::RealArray(ArrayRepr::Vec)
                    | Kind::RealArray(ArrayRepr::Array(_))),
                ) => Ok(k),
                Ok(_) => err_at(ty, bad),
                // `f32`'s own advice fits; for other types, the return message.
                Err(e) if is_ident(ty, "f32") => Err(e),
                Err(_) => err_at(ty, bad),
            }
        };
        match strip_type_group(ty) {
            syn::Type::Tuple(t) if t.elems.is_empty() => Ok((Vec::new(), false)),
            syn::Type::Tuple(t) => {
                let kinds = t.elems.iter().map(one).collect::<syn::Result<Vec<_>>>()?;
                Ok((kinds, true))
            }
            _ => Ok((vec![one(ty)?], false)),
        }
    }

    /// The components of the function's final value, hoisting array constructors into lets.
    fn result_values(&mut self, e: &syn::Expr, parts: &[Kind], body: &mut Block) -> Vec<Expr> {
        // Parentheses and invisible groups (a `macro_rules!` `$e:expr`) around a tuple.
        let elems: Vec<&syn::Expr> = match (strip_paren(e), parts.len()) {
            (syn::Expr::Tuple(t), n) if n > 1 || t.elems.len() > 1 => t.elems.iter().collect(),
            (e, _) => vec![e],
        };
        if elems.len() != parts.len() {
            self.error(syn::Error::new_spanned(
                e,
                format!(
                    "the function returns {} values but this expression has {}",
                    parts.len(),
                    elems.len()
                ),
            ));
            return Vec::new();
        }
        let mut values = Vec::new();
        for (elem, kind) in elems.into_iter().zip(parts) {
            if *kind == Kind::Real
                && matches!(strip_paren(elem), syn::Expr::If(_) | syn::Expr::Match(_))
            {
                // `if c { a } else { b }` as the result: a variable given by the branches.
                let span = elem.span();
                let t = self.temp("result", Kind::Real, span);
                self.vars[t].mutable = true;
                body.stmts.push(Stmt::Let {
                    var: t,
                    init: Init::Expr(real_lit(0.0, span)),
                    span,
                });
                match self.assign_value(t, elem, body) {
                    Ok(()) => values.push(var_expr(t, Kind::Real, span)),
                    Err(e) => self.error(e),
                }
                continue;
            }
            let r = match kind {
                Kind::Real => self.real_expr(elem, body),
                Kind::Matrix => self.matrix_value(elem, body),
                _ => self.array_value(elem, kind.clone(), body),
            };
            match r {
                Ok(v) => values.push(v),
                Err(e) => self.error(e),
            }
        }
        values
    }

    /// An array-valued result: a variable, or a constructor bound to a temporary.
    fn array_value(&mut self, e: &syn::Expr, kind: Kind, body: &mut Block) -> syn::Result<Expr> {
        if let Some(v) = self.path_var(e) {
            if let Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_)) = self.kind(v) {
                return Ok(var_expr(v, self.kind(v).clone(), e.span()));
            }
            if self.untyped_results.contains(&v) {
                return err_at(
                    e,
                    format!("`{0}` holds the result of a call, taken to be `f64`; write its type: `let {0}: Vec<f64> = ...` or `let {0}: [f64; N] = ...`", self.shown(v)),
                );
            }
            return err_at(e, "return a `Vec<f64>` or `[f64; N]` variable, or build one with `vec![..]` or `[..]`");
        }
        let init = match self.array_init(e, body)? {
            Some(init) => init,
            None => return err_at(e, "return an array variable, `vec![..]` or `[..]` here"),
        };
        let t = self.temp("result", kind.clone(), e.span());
        body.stmts.push(Stmt::Let {
            var: t,
            init,
            span: e.span(),
        });
        Ok(var_expr(t, kind, e.span()))
    }

    /// A matrix-valued result: a variable, or an expression bound to a temporary.
    fn matrix_value(&mut self, e: &syn::Expr, body: &mut Block) -> syn::Result<Expr> {
        let value = self.expr(e, body)?;
        if value.kind != Kind::Matrix {
            return err_at(
                e,
                "the function returns a matrix or vector, and this is not one",
            );
        }
        // A variable is returned as it is, a borrowed parameter (`x.clone()`) as a copy.
        if let Op::Var(v) = value.op {
            let borrowed = self.param_vars.contains(&v)
                && matches!(self.vars[v].ty, Some(syn::Type::Reference(_)));
            if !borrowed {
                return Ok(value);
            }
        }
        let t = self.temp("result", Kind::Matrix, e.span());
        body.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(value),
            span: e.span(),
        });
        Ok(var_expr(t, Kind::Matrix, e.span()))
    }

    fn path_var(&self, e: &syn::Expr) -> Option<VarId> {
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().and_then(|i| self.lookup(&name_of(i)))
            }
            syn::Expr::Paren(p) => self.path_var(&p.expr),
            syn::Expr::Group(g) => self.path_var(&g.expr),
            _ => None,
        }
    }

    fn stmts(&mut self, stmts: &[syn::Stmt]) -> Block {
        let mut block = Block::default();
        self.stmts_into(stmts, &mut block);
        block
    }

    /// Lowers `stmts` into `block`. After a statement that may `return`, the rest of the block is
    /// guarded by `if !returned`.
    fn stmts_into(&mut self, stmts: &[syn::Stmt], block: &mut Block) {
        for (i, s) in stmts.iter().enumerate() {
            let may_return = self.early.is_some() && stmt_returns(s);
            if let Err(e) = self.stmt(s, block) {
                // A statement that uses a rejected binding would only repeat that error.
                if !self.mentions_poisoned(s) {
                    self.error(e);
                }
                if let syn::Stmt::Local(local) = s {
                    self.poison_pattern(&local.pat);
                }
            }
            if may_return && i + 1 < stmts.len() {
                let span = stmts[i + 1].span();
                let flag = self
                    .early
                    .as_ref()
                    .map(|e| e.flag)
                    .expect("early return set up");
                self.scopes.push(HashMap::new());
                let rest = self.stmts(&stmts[i + 1..]);
                self.scopes.pop();
                block.stmts.push(Stmt::If {
                    cond: not(var_expr(flag, Kind::Bool, span)),
                    then: rest,
                    els: Block::default(),
                    span,
                });
                return;
            }
        }
    }

    /// `return e` with early returns: assign the result variables and raise the flag.
    fn return_assign(&mut self, e: &syn::Expr, span: Span) -> Block {
        let mut block = Block::default();
        let early_results = self
            .early
            .as_ref()
            .map(|e| e.results.clone())
            .unwrap_or_default();
        let flag = self
            .early
            .as_ref()
            .map(|e| e.flag)
            .expect("early return set up");
        let elems: Vec<&syn::Expr> = match strip_paren(e) {
            syn::Expr::Tuple(t) if early_results.len() > 1 => t.elems.iter().collect(),
            _ => vec![e],
        };
        if elems.len() != early_results.len() {
            self.error(syn::Error::new_spanned(
                e,
                "returns a different number of values than the function's type says",
            ));
            return block;
        }
        for (elem, r) in elems.into_iter().zip(early_results) {
            // `assign_value` also takes an `if` or `match` that gives the value.
            if let Err(err) = self.assign_value(r, elem, &mut block) {
                self.error(err);
            }
        }
        block.stmts.push(Stmt::Assign {
            place: Place::Var(flag),
            value: Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> true))),
                kind: Kind::Bool,
                span,
            },
            span,
        });
        block
    }

    fn stmt(&mut self, s: &syn::Stmt, block: &mut Block) -> syn::Result<()> {
        self.spans.clear();
        match s {
            syn::Stmt::Local(local) => self.local(local, block),
            syn::Stmt::Item(item) => err_at(item,
                "items inside a differentiable function are not supported; move this item outside the function",
            ),
            syn::Stmt::Macro(m) => err_at(&m.mac.path,
                format!(
                    "macro `{}!` is not supported in a differentiable function; only `vec![..]` is, in a `let`",
                    m.mac.path.to_token_stream()
                ),
            ),
            syn::Stmt::Expr(e, semi) => {
                if semi.is_none() && !matches!(strip_paren(e), syn::Expr::ForLoop(_) | syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) | syn::Expr::While(_) | syn::Expr::Loop(_) | syn::Expr::Unsafe(_)) {
                    return err_at(e, "a value here is not used: end the statement with `;`, or return the value at the end of the function");
                }
                self.expr_stmt(e, block)
            }
        }
    }

    fn local(&mut self, local: &syn::Local, block: &mut Block) -> syn::Result<()> {
        let span = local.span();
        let init = let_initialiser(local)?;
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        if let (syn::Pat::Tuple(tuple), syn::Expr::Tuple(values)) = (pat, strip_paren(init)) {
            return self.let_tuple_values(tuple, values, ty, span, block);
        }
        if let syn::Pat::Tuple(tuple) = pat {
            return self.let_tuple_call(tuple, init, ty, span, block);
        }
        let (ident, mutable) = simple_binding(pat)?;
        let declared = match ty {
            Some(t) => Some(kind_of_type(t, false)?),
            None => None,
        };
        let binding = Binding {
            ident: &ident,
            mutable,
            ty,
            declared,
            span,
        };
        if matches!(strip_paren(init), syn::Expr::If(_) | syn::Expr::Match(_)) {
            return self.let_branches(binding, init, block);
        }
        if let syn::Expr::Call(call) = strip_paren(init) {
            if self.is_differentiable_call(call) {
                return self.let_call(binding, call, block);
            }
        }
        if let Some(array_init) = self.array_init(init, block)? {
            self.let_array(binding, array_init, block);
            return Ok(());
        }
        self.let_value(binding, init, block)
    }

    /// `let (a, b) = (x, y);`: one binding each, all values read before any is bound.
    fn let_tuple_values(
        &mut self,
        tuple: &syn::PatTuple,
        values: &syn::ExprTuple,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if tuple.elems.len() != values.elems.len() || ty.is_some() {
            return err(span, "bind each value to its own name: `let (a, b) = (x, y);` with as many names as values");
        }
        let mut lowered = Vec::new();
        for v in &values.elems {
            lowered.push(self.expr(v, block)?);
        }
        for (p, value) in tuple.elems.iter().zip(lowered) {
            let (ident, mutable) = simple_binding(p)?;
            if let Kind::RealArray(_) = value.kind {
                return err(
                    value.span,
                    "copy arrays with `.to_vec()` into their own `let`",
                );
            }
            let var = self.new_var(&name_of(&ident), value.kind.clone(), mutable, ident.span());
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span,
            });
        }
        Ok(())
    }

    /// `let (a, b) = g(..)`: the results of a differentiable call.
    fn let_tuple_call(
        &mut self,
        tuple: &syn::PatTuple,
        init: &syn::Expr,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let call = match strip_paren(init) {
            syn::Expr::Call(c) => c,
            other => return err_at(other, "destructuring is supported for the result of a differentiable call, `let (a, b) = f(..);`"),
        };
        let tys: Vec<Option<&syn::Type>> = match ty {
            Some(syn::Type::Tuple(t)) => t.elems.iter().map(Some).collect(),
            Some(t) => return err_at(t, "write a tuple type, `(f64, f64)`"),
            None => vec![None; tuple.elems.len()],
        };
        if tys.len() != tuple.elems.len() {
            return err(
                span,
                "the tuple type and the pattern have different lengths",
            );
        }
        let mut kinds = Vec::new();
        for t in &tys {
            kinds.push(match t {
                Some(t) => kind_of_type(t, false)?,
                None => Kind::Real,
            });
        }
        let args = self.call_args(call, block)?;
        let mut results = Vec::new();
        for (p, kind) in tuple.elems.iter().zip(kinds) {
            let (ident, mutable) = simple_binding(p)?;
            results.push((ident, mutable, kind));
        }
        let results = results
            .into_iter()
            .map(|(ident, mutable, kind)| {
                self.new_var(&name_of(&ident), kind, mutable, ident.span())
            })
            .collect();
        let callee = self.callee_path(call)?;
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results,
            tuple: true,
            span: call.span(),
        }));
        Ok(())
    }

    /// `let x = if c { a } else { b };` and `let x = match k { .. };`: a variable assigned in
    /// every branch.
    fn let_branches(
        &mut self,
        b: Binding<'_>,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        let (ident, span) = (b.ident, b.span);
        let var = self.unscoped_var(
            &name_of(ident),
            b.declared.clone().unwrap_or(Kind::Opaque),
            true,
            ident.span(),
        );
        if b.declared.is_none() {
            self.unset_targets.push(var);
        }
        let pos = block.stmts.len();
        match strip_paren(init) {
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, block, Some(var))?;
                block.stmts.push(s);
            }
            syn::Expr::Match(m) => self.match_stmt(m, block, Some(var))?,
            _ => unreachable!(),
        }
        let first = match self.kind(var) {
            Kind::Real => real_lit(0.0, span),
            Kind::Int => Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> 0))),
                kind: Kind::Int,
                span,
            },
            Kind::Bool => Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> false))),
                kind: Kind::Bool,
                span,
            },
            _ => return err_at(
                ident,
                format!(
                    "write the type of `{ident}`: `let {ident}: f64 = ...` (or an integer type)"
                ),
            ),
        };
        block.stmts.insert(
            pos,
            Stmt::Let {
                var,
                init: Init::Expr(first),
                span,
            },
        );
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(name_of(ident), var);
        Ok(())
    }

    /// A differentiable call bound to a name.
    fn let_call(
        &mut self,
        b: Binding<'_>,
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<()> {
        let args = self.call_args(call, block)?;
        let kind = b.declared.clone().unwrap_or(Kind::Real);
        let var = self.new_var(&name_of(b.ident), kind, b.mutable, b.ident.span());
        if b.declared.is_none() {
            self.untyped_results.push(var);
        }
        let callee = self.callee_path(call)?;
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results: vec![var],
            tuple: false,
            span: call.span(),
        }));
        Ok(())
    }

    /// An array built by a constructor (`vec![..]`, `[..]`, `.to_vec()`): its kind is the
    /// declared one, or the constructor's.
    fn let_array(&mut self, b: Binding<'_>, array_init: Init, block: &mut Block) {
        let kind = match (&b.declared, &array_init) {
            (Some(k @ Kind::RealArray(_)), _) => k.clone(),
            (_, Init::VecFill { .. } | Init::VecList(_)) => Kind::RealArray(ArrayRepr::Vec),
            (_, Init::ArrayFill { len, .. }) => {
                Kind::RealArray(ArrayRepr::Array(ArrayLen(len.clone())))
            }
            (_, Init::ArrayList(es)) => {
                let n = es.len();
                Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))))
            }
            (_, Init::CopyOf(src)) => match self.kind(*src) {
                Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                    Kind::RealArray(r.clone())
                }
                _ => Kind::RealArray(ArrayRepr::Vec),
            },
            (_, Init::Expr(_)) => unreachable!("array_init gives array initialisers"),
        };
        let var = self.new_var(&name_of(b.ident), kind, b.mutable, b.ident.span());
        block.stmts.push(Stmt::Let {
            var,
            init: array_init,
            span: b.span,
        });
    }

    /// A value bound to a name: a scalar, an integer or bool, a matrix, or an opaque value,
    /// checked against the declared type.
    fn let_value(
        &mut self,
        b: Binding<'_>,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        let mut value = self.expr(init, block)?;
        if let Kind::RealArray(_) = value.kind {
            return err_at(init,
                "binding an array to a new name would alias it; copy it with `.to_vec()` (or `.clone()`) instead",
            );
        }
        let ty = b.ty;
        let kind = match b.declared {
            Some(Kind::Real) => {
                value = self.coerce_real(value)?;
                Kind::Real
            }
            Some(k @ (Kind::Int | Kind::Bool)) => {
                if value.kind == Kind::Real {
                    return err_at(init, format!("a real value cannot initialise a `{}`", ty.map(|t| t.to_token_stream().to_string()).unwrap_or_default()));
                }
                k
            }
            Some(Kind::RealArray(_)) => return err_at(init, "initialise an array with `vec![..]`, `[..]`, `.to_vec()`, `.clone()` or a differentiable call"),
            Some(Kind::Matrix) => {
                if value.kind != Kind::Matrix {
                    return err_at(init, "this value is not a matrix or vector");
                }
                Kind::Matrix
            }
            Some(Kind::Opaque) | None => {
                if value.kind == Kind::Opaque && ty.is_some_and(is_int_type) {
                    Kind::Int
                } else {
                    value.kind.clone()
                }
            }
        };
        let var = self.new_var(&name_of(b.ident), kind, b.mutable, b.ident.span());
        self.vars[var].ty = ty.cloned();
        block.stmts.push(Stmt::Let {
            var,
            init: Init::Expr(value),
            span: b.span,
        });
        Ok(())
    }

    /// Array constructors: `vec![v; n]`, `vec![a, b]`, `[v; N]`, `[a, b]`, `x.to_vec()`,
    /// `x.clone()`; `None` when `e` is none of these.
    fn array_init(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Option<Init>> {
        match strip_paren(e) {
            syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = m.mac.tokens.clone();
                if let Ok(fill) = syn::parse2::<VecFill>(tokens.clone()) {
                    let value = self.real_expr(&fill.value, block)?;
                    let len = self.expr(&fill.len, block)?;
                    if len.kind.is_real() {
                        return err_at(&fill.len, "the length of a `vec!` is an integer");
                    }
                    return Ok(Some(Init::VecFill { value, len }));
                }
                let list = syn::parse::Parser::parse2(
                    syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
                    tokens,
                )?;
                let mut es = Vec::new();
                for item in &list {
                    es.push(self.real_expr(item, block)?);
                }
                Ok(Some(Init::VecList(es)))
            }
            syn::Expr::Repeat(r) => {
                let value = self.real_expr(&r.expr, block)?;
                Ok(Some(Init::ArrayFill {
                    value,
                    len: r.len.to_token_stream(),
                }))
            }
            syn::Expr::Array(a) => {
                let mut es = Vec::new();
                for item in &a.elems {
                    es.push(self.real_expr(item, block)?);
                }
                Ok(Some(Init::ArrayList(es)))
            }
            syn::Expr::MethodCall(mc)
                if (mc.method == "to_vec" || mc.method == "clone") && mc.args.is_empty() =>
            {
                match self.path_var(&mc.receiver) {
                    Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => {
                        Ok(Some(Init::CopyOf(v)))
                    }
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    fn expr_stmt(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<()> {
        match strip_paren(e) {
            syn::Expr::Assign(a) => {
                let span = a.span();
                let place = self.place(&a.left, block)?;
                // `y = g(..)`: hoist the call, then assign.
                let value = self.expr(&a.right, block)?;
                let value = self.place_value(&place, value, a.right.span())?;
                block.stmts.push(Stmt::Assign { place, value, span });
                Ok(())
            }
            syn::Expr::Binary(b) if is_compound_assign(&b.op) => {
                let span = b.span();
                let op = match binary_op(&b.op) {
                    Some(op) => op,
                    None => {
                        return err_at(b.op,
                            "bitwise assignment operators are not supported",
                        )
                    }
                };
                let place = self.place(&b.left, block)?;
                let current = self.place_read(&place, b.left.span());
                let rhs = self.expr(&b.right, block)?;
                let value = self.binary(op, current, rhs, (span, b.op.span()), block)?;
                let value = self.place_value(&place, value, b.right.span())?;
                block.stmts.push(Stmt::Assign { place, value, span });
                Ok(())
            }
            syn::Expr::ForLoop(f) => self.for_loop(f, block),
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, block, None)?;
                block.stmts.push(s);
                Ok(())
            }
            syn::Expr::Match(m) => self.match_stmt(m, block, None),
            syn::Expr::Return(r) => {
                if self.early.is_none() {
                    if self.ret_failed {
                        return Ok(());
                    }
                    return err_at(
                        r,
                        "early `return` is supported in functions that return `f64` or a tuple of `f64`; for other results, assign a variable in each branch and end the function with it",
                    );
                }
                let value = match &r.expr {
                    Some(v) => v,
                    None => return err_at(r, "return the function's value: `return x;`"),
                };
                let b = self.return_assign(value, r.span());
                block.stmts.extend(b.stmts);
                Ok(())
            }
            syn::Expr::Call(call) => {
                if !self.is_differentiable_call(call) {
                    return err_at(call, "a call of a constant function as a statement has no effect on derivatives; remove it");
                }
                let args = self.call_args(call, block)?;
                if args.iter().all(|a| matches!(a, Arg::Value(e) if !e.kind.is_real())) {
                    return err_at(
                        &call.func,
                        "this call takes no real argument, so it cannot change a derivative; call it outside the differentiable function",
                    );
                }
                let callee = self.callee_path(call)?;
                block.stmts.push(Stmt::Call(Call {
                    callee,
                    args,
                    results: Vec::new(),
                    tuple: false,
                    span: call.span(),
                }));
                Ok(())
            }
            syn::Expr::MethodCall(mc) => err_at(
                &mc.method,
                format!(
                    "`.{}()` is not supported as a statement: arrays keep their length and order in a differentiable function; create them with `vec![0.0; n]` and assign their elements",
                    mc.method
                ),
            ),
            syn::Expr::Block(b) if b.label.is_none() => {
                // A plain block: a scope of its own, lowered as `if true { .. }`.
                self.scopes.push(HashMap::new());
                let inner = self.stmts(&b.block.stmts);
                self.scopes.pop();
                let span = b.span();
                block.stmts.push(Stmt::If {
                    cond: Expr {
                        op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> true))),
                        kind: Kind::Bool,
                        span,
                    },
                    then: inner,
                    els: Block::default(),
                    span,
                });
                Ok(())
            }
            other => Err(unsupported(other)),
        }
    }

    /// The value assigned to `place`, converted to its kind.
    fn place_value(&mut self, place: &Place, value: Expr, span: Span) -> syn::Result<Expr> {
        let var = place.var();
        let target_real = match place {
            Place::Index(..) => true,
            Place::Var(_) => self.kind(var) == &Kind::Real,
        };
        let target_matrix = self.kind(var) == &Kind::Matrix && matches!(place, Place::Var(_));
        if target_matrix != (value.kind == Kind::Matrix) {
            err(
                span,
                format!(
                    "`{}` is {}a matrix or vector, and this value is {}",
                    self.shown(var),
                    if target_matrix { "" } else { "not " },
                    if target_matrix { "not" } else { "one" }
                ),
            )
        } else if target_real {
            self.coerce_real(value)
        } else if value.kind == Kind::Real {
            err(
                span,
                format!(
                    "`{}` is not a real variable; a real value cannot be assigned to it",
                    self.shown(var)
                ),
            )
        } else {
            Ok(value)
        }
    }

    fn place(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Place> {
        match e {
            syn::Expr::Path(_) => {
                let v = self.var_of(e)?;
                match self.kind(v) {
                    Kind::RealArray(_) => err_at(
                        e,
                        "assigning a whole array is not supported; assign its elements in a loop",
                    ),
                    _ => {
                        self.vars[v].mutable = true;
                        Ok(Place::Var(v))
                    }
                }
            }
            syn::Expr::Index(ix) => {
                let v = self.var_of(&ix.expr)?;
                if self.kind(v) == &Kind::Matrix {
                    return err_at(
                        &ix.expr,
                        "writing elements of a matrix or vector is not supported; build it from whole-matrix operations, or use `Vec<f64>`",
                    );
                }
                if !matches!(self.kind(v), Kind::RealArray(_)) {
                    return err_at(
                        &ix.expr,
                        "only elements of real arrays can be assigned in a differentiable function",
                    );
                }
                if self.kind(v) == &Kind::RealArray(ArrayRepr::Slice) {
                    return err_at(
                        &ix.expr,
                        format!(
                            "`{}` is a shared slice: take it as `&mut [f64]` to write into it",
                            self.shown(v)
                        ),
                    );
                }
                self.vars[v].mutable = true;
                let index = self.index_expr(&ix.index, block)?;
                Ok(Place::Index(v, index))
            }
            syn::Expr::Paren(p) => self.place(&p.expr, block),
            syn::Expr::Group(g) => self.place(&g.expr, block),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => err_at(
                u,
                "writing through a reference is not supported; take the value and return it",
            ),
            other => err_at(other, "assign to a variable or to an element `v[i]`"),
        }
    }

    fn place_read(&self, place: &Place, span: Span) -> Expr {
        match place {
            Place::Var(v) => var_expr(*v, self.kind(*v).clone(), span),
            Place::Index(v, i) => Expr {
                op: Op::Index(*v, Box::new(i.clone())),
                kind: Kind::Real,
                span,
            },
        }
    }

    fn var_of(&self, e: &syn::Expr) -> syn::Result<VarId> {
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => {
                if let Some(i) = p.path.get_ident() {
                    return match self.lookup(&name_of(i)) {
                        Some(v) => Ok(v),
                        None => err_at(i, format!("`{i}` is not a variable of this function")),
                    };
                }
                err_at(e, "expected a variable")
            }
            syn::Expr::Paren(p) => self.var_of(&p.expr),
            syn::Expr::Group(g) => self.var_of(&g.expr),
            _ => err_at(e, "expected a variable"),
        }
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop, block: &mut Block) -> syn::Result<()> {
        if let Some(label) = &f.label {
            return err_at(label, "loop labels are not supported: remove the label (differentiable loops run every iteration; use `if` inside)");
        }
        if self.early.is_some() && f.body.stmts.iter().any(stmt_returns) {
            return err(
                f.for_token.span,
                "`return` inside a `for` loop is not supported; set a flag and guard the rest of the loop body with `if`",
            );
        }
        let range = self.range(&f.expr, block)?;
        self.scopes.push(HashMap::new());
        let var = match &*f.pat {
            syn::Pat::Ident(pi)
                if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() =>
            {
                self.new_var(&name_of(&pi.ident), Kind::Int, false, pi.ident.span())
            }
            syn::Pat::Wild(w) => self.temp("unused", Kind::Int, w.span()),
            other => {
                self.scopes.pop();
                return err_at(other, "write a plain loop variable: `for i in 0..n`");
            }
        };
        let body = self.stmts(&f.body.stmts);
        self.scopes.pop();
        // The reverse sweep re-evaluates the range: its variables must not change in the loop.
        let mut reads = Vec::new();
        range.reads(&mut reads);
        let written = body.writes();
        for r in reads {
            // Element writes do not change an array's length.
            if written.contains(&r) && !matches!(self.kind(r), Kind::RealArray(_)) {
                return err_at(&f.expr,
                    format!(
                        "`{}` is assigned inside the loop, so the loop's range cannot be replayed; copy it into a new variable before the loop",
                        self.shown(r)
                    ),
                );
            }
        }
        block.stmts.push(Stmt::For {
            var,
            range,
            body,
            span: f.span(),
        });
        Ok(())
    }

    fn range(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Range> {
        let mut adaptors = Vec::new();
        let mut cur = strip_paren(e);
        let base = loop {
            match cur {
                syn::Expr::MethodCall(mc) if mc.method == "rev" && mc.args.is_empty() => {
                    adaptors.push(Adaptor::Rev);
                    cur = strip_paren(&mc.receiver);
                }
                syn::Expr::MethodCall(mc) if mc.method == "step_by" && mc.args.len() == 1 => {
                    let step = self.index_expr(&mc.args[0], block)?;
                    adaptors.push(Adaptor::StepBy(step));
                    cur = strip_paren(&mc.receiver);
                }
                syn::Expr::Range(r) => break r,
                other => {
                    return err_at(other,
                        "loop over a range of integers: `for i in a..b`, optionally with `.rev()` and `.step_by(k)`; to visit an array write `for i in 0..v.len()`",
                    )
                }
            }
        };
        adaptors.reverse();
        let (start, end) = match (&base.start, &base.end) {
            (Some(s), Some(e)) => (s, e),
            _ => return err_at(base, "give both bounds of the range: `a..b`"),
        };
        let start = self.index_expr(start, block)?;
        let end = self.index_expr(end, block)?;
        Ok(Range {
            start,
            end,
            inclusive: matches!(base.limits, syn::RangeLimits::Closed(_)),
            adaptors,
        })
    }

    /// A block that ends with the value of `target`, in a scope of its own.
    fn tail_value(
        &mut self,
        stmts: &[syn::Stmt],
        span: Span,
        target: VarId,
        out: &mut Block,
    ) -> syn::Result<()> {
        self.scopes.push(HashMap::new());
        let result = match stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), rest)) => {
                self.stmts_into(rest, out);
                self.assign_value(target, e, out)
            }
            _ => err(
                span,
                "end the block with the value it gives (no `;` after it)",
            ),
        };
        self.scopes.pop();
        result
    }

    /// `target = e`, where `e` may itself be an `if` or `match` that gives a value.
    fn assign_value(&mut self, target: VarId, e: &syn::Expr, out: &mut Block) -> syn::Result<()> {
        match strip_paren(e) {
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, out, Some(target))?;
                out.stmts.push(s);
                return Ok(());
            }
            syn::Expr::Match(m) => return self.match_stmt(m, out, Some(target)),
            syn::Expr::Block(b) if b.label.is_none() => {
                return self.tail_value(&b.block.stmts, b.span(), target, out)
            }
            _ => {}
        }
        let value = self.expr(e, out)?;
        if let Some(k) = self.unset_targets.iter().position(|&t| t == target) {
            if let Kind::RealArray(_) = value.kind {
                return err_at(e, "an `if` or `match` that gives an array is not supported; assign the elements in each branch");
            }
            if value.kind == Kind::Matrix {
                return err_at(e, "an `if` or `match` that gives a matrix or vector is not supported; compute the choice as a real and scale, or bind each branch's value with `let`");
            }
            // A constant whose type is not visible (`HALF`, `g(HALF)`) gives a real, as it does
            // as an argument of a differentiable call.
            self.vars[target].kind =
                if value.kind == Kind::Opaque && self.is_unknown_constant(&value) {
                    Kind::Real
                } else {
                    value.kind.clone()
                };
            self.unset_targets.remove(k);
        }
        let value = self.place_value(&Place::Var(target), value, e.span())?;
        out.stmts.push(Stmt::Assign {
            place: Place::Var(target),
            value,
            span: e.span(),
        });
        Ok(())
    }

    /// An `if`: of statements, or (`target`) whose branches give the value of `target`.
    fn if_stmt(
        &mut self,
        i: &syn::ExprIf,
        block: &mut Block,
        target: Option<VarId>,
    ) -> syn::Result<Stmt> {
        if let syn::Expr::Let(l) = &*i.cond {
            return err_at(l, "`if let` is not supported; test a condition with `if`");
        }
        let cond = self.expr(&i.cond, block)?;
        if cond.kind != Kind::Bool {
            return err_at(&i.cond, "the condition of an `if` must be a `bool`");
        }
        let then = self.branch(&i.then_branch.stmts, i.then_branch.span(), target)?;
        let els = match (&i.else_branch, target) {
            (None, None) => Block::default(),
            (None, Some(_)) => {
                return err(
                    i.if_token.span,
                    "an `if` that gives a value needs an `else`",
                )
            }
            (Some((_, e)), _) => match &**e {
                syn::Expr::Block(b) => self.branch(&b.block.stmts, b.span(), target)?,
                syn::Expr::If(inner) => {
                    let mut b = Block::default();
                    let s = self.if_stmt(inner, &mut b, target)?;
                    b.stmts.push(s);
                    b
                }
                other => return Err(unsupported(other)),
            },
        };
        Ok(Stmt::If {
            cond,
            then,
            els,
            span: i.span(),
        })
    }

    /// One branch of an `if`, in a scope of its own; with `target`, it ends with its value.
    fn branch(
        &mut self,
        stmts: &[syn::Stmt],
        span: Span,
        target: Option<VarId>,
    ) -> syn::Result<Block> {
        let mut b = Block::default();
        match target {
            Some(t) => self.tail_value(stmts, span, t, &mut b)?,
            None => {
                self.scopes.push(HashMap::new());
                self.stmts_into(stmts, &mut b);
                self.scopes.pop();
            }
        }
        Ok(b)
    }

    fn match_stmt(
        &mut self,
        m: &syn::ExprMatch,
        block: &mut Block,
        target: Option<VarId>,
    ) -> syn::Result<()> {
        let scrutinee = self.expr(&m.expr, block)?;
        if let Kind::RealArray(_) = scrutinee.kind {
            return err_at(
                &m.expr,
                "`match` on an array is not supported; match on an element or an index",
            );
        }
        let span = m.span();
        let tmp = self.temp("matched", scrutinee.kind.clone(), m.expr.span());
        block.stmts.push(Stmt::Let {
            var: tmp,
            init: Init::Expr(scrutinee),
            span,
        });
        if m.arms.len() > crate::limits::MAX_CHAINED_ARMS {
            return self.match_dispatch(m, tmp, target, block);
        }
        // Build the chain from the last arm backwards.
        let mut chain: Option<Block> = None;
        for arm in m.arms.iter().rev() {
            let (cond, arm_block) = self.match_arm(arm, tmp, target)?;
            let els = chain.take().unwrap_or_default();
            let s = Stmt::If {
                cond,
                then: arm_block,
                els,
                span: arm.span(),
            };
            chain = Some(Block { stmts: vec![s] });
        }
        if let Some(c) = chain {
            block.stmts.extend(c.stmts);
        }
        Ok(())
    }

    /// A long `match`, flat: the index of the first arm that matches, then one `if` per arm.
    ///
    /// ```text
    /// let mut arm = N;
    /// if matches!(matched, p0) && g0 { arm = 0; }
    /// if arm == N && matches!(matched, p1) && g1 { arm = 1; }   ..
    /// if arm == 0 { body0 }   ..
    /// ```
    fn match_dispatch(
        &mut self,
        m: &syn::ExprMatch,
        matched: VarId,
        target: Option<VarId>,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = m.span();
        let none = m.arms.len();
        let int = |k: usize, span: Span| Expr {
            op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
                &k.to_string(),
                span,
            )))),
            kind: Kind::Int,
            span,
        };
        let arm_var = self.temp("arm", Kind::Int, m.match_token.span);
        self.vars[arm_var].mutable = true;
        block.stmts.push(Stmt::Let {
            var: arm_var,
            init: Init::Expr(int(none, span)),
            span,
        });
        let is_arm = |k: usize, span: Span| Expr {
            op: Op::Binary(
                Binary::Eq,
                Box::new(var_expr(arm_var, Kind::Int, span)),
                Box::new(int(k, span)),
            ),
            kind: Kind::Bool,
            span,
        };
        let mut bodies = Vec::with_capacity(m.arms.len());
        for (k, arm) in m.arms.iter().enumerate() {
            let arm_span = arm.span();
            let (test, body) = self.match_arm(arm, matched, target)?;
            let cond = if k == 0 {
                test
            } else {
                Expr {
                    op: Op::Binary(
                        Binary::And,
                        Box::new(is_arm(none, arm_span)),
                        Box::new(test),
                    ),
                    kind: Kind::Bool,
                    span: arm_span,
                }
            };
            block.stmts.push(Stmt::If {
                cond,
                then: Block {
                    stmts: vec![Stmt::Assign {
                        place: Place::Var(arm_var),
                        value: int(k, arm_span),
                        span: arm_span,
                    }],
                },
                els: Block::default(),
                span: arm_span,
            });
            bodies.push((body, arm_span));
        }
        for (k, (body, arm_span)) in bodies.into_iter().enumerate() {
            block.stmts.push(Stmt::If {
                cond: is_arm(k, arm_span),
                then: body,
                els: Block::default(),
                span: arm_span,
            });
        }
        Ok(())
    }

    /// One arm of a `match` on `matched`: its test (pattern and guard) and its body.
    fn match_arm(
        &mut self,
        arm: &syn::Arm,
        matched: VarId,
        target: Option<VarId>,
    ) -> syn::Result<(Expr, Block)> {
        if let Some(bad) = pattern_binding(&arm.pat) {
            return err(bad, "patterns that bind variables are not supported in `match`; use literals, ranges, `|` and `_`");
        }
        let mut arm_block = Block::default();
        if let Some(t) = target {
            if let Err(e) = self.assign_value(t, &arm.body, &mut arm_block) {
                self.error(e);
            }
        }
        self.scopes.push(HashMap::new());
        match strip_paren(&arm.body) {
            _ if target.is_some() => {}
            syn::Expr::Block(b) if b.label.is_none() => {
                self.stmts_into(&b.block.stmts, &mut arm_block)
            }
            syn::Expr::Tuple(t) if t.elems.is_empty() => {}
            other => {
                if let Err(e) = self.expr_stmt(other, &mut arm_block) {
                    self.error(e);
                }
            }
        }
        self.scopes.pop();
        let mut cond = Expr {
            op: Op::Matches(matched, Box::new(arm.pat.clone())),
            kind: Kind::Bool,
            span: arm.pat.span(),
        };
        let mut guard_pre = Block::default();
        if let Some((_, guard)) = &arm.guard {
            self.no_hoist += 1;
            let g = self.expr(guard, &mut guard_pre);
            self.no_hoist -= 1;
            let g = g?;
            if !guard_pre.stmts.is_empty() {
                return err_at(guard, "a match guard cannot call a differentiable function");
            }
            cond = Expr {
                op: Op::Binary(Binary::And, Box::new(cond), Box::new(g)),
                kind: Kind::Bool,
                span: guard.span(),
            };
        }
        Ok((cond, arm_block))
    }

    /// Whether `e` lowers to a real value (or to an error), seen from its syntax alone: a real
    /// variable or literal, arithmetic or an elementary method on one, or a differentiable call
    /// taking one. `false` says nothing.
    fn surely_real(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Float(_)),
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&i.to_string()))
                .is_some_and(|v| self.kind(v).is_real()),
            syn::Expr::Paren(p) => self.surely_real(&p.expr),
            syn::Expr::Reference(r) => self.surely_real(&r.expr),
            syn::Expr::Binary(b) => {
                matches!(
                    b.op,
                    syn::BinOp::Add(_)
                        | syn::BinOp::Sub(_)
                        | syn::BinOp::Mul(_)
                        | syn::BinOp::Div(_)
                ) && (self.surely_real(&b.left) || self.surely_real(&b.right))
            }
            syn::Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                (Unary::from_method(&name).is_some() || Binary::from_method(&name).is_some())
                    && self.surely_real(&mc.receiver)
            }
            syn::Expr::Call(c) => {
                self.is_differentiable_call(c) && c.args.iter().any(|a| self.surely_real(a))
            }
            _ => false,
        }
    }

    fn is_constant_fn(&self, path: &syn::Path) -> bool {
        self.args.constants.iter().any(|c| c == path)
            || (path.segments.len() == 1
                && self.args.constants.iter().any(|c| {
                    c.segments.last().map(|s| &s.ident) == path.segments.last().map(|s| &s.ident)
                }))
    }

    /// Whether `call` calls a differentiable function (so its companions are called).
    fn is_differentiable_call(&self, call: &syn::ExprCall) -> bool {
        match strip_paren(&call.func) {
            syn::Expr::Path(p) => {
                !call.args.is_empty()
                    && !self.is_constant_fn(&p.path)
                    && builtin_path(&p.path).is_none()
                    && matrix_from_slice(&p.path).is_none()
                    && p.path
                        .get_ident()
                        .is_none_or(|i| self.lookup(&name_of(i)).is_none())
            }
            _ => false,
        }
    }

    fn callee_path(&self, call: &syn::ExprCall) -> syn::Result<syn::Path> {
        match strip_paren(&call.func) {
            syn::Expr::Path(p) if p.qself.is_none() => {
                if let Some(i) = p.path.get_ident() {
                    if self.lookup(&name_of(i)).is_some() {
                        return err_at(i, "calling a variable is not supported: closures and function pointers cannot be differentiated; call a `#[differentiable]` function by name");
                    }
                }
                if p.path.segments.iter().any(|s| !s.arguments.is_empty()) {
                    return err_at(p, "remove the generic arguments: differentiable functions are called without them");
                }
                if let Some(advice) = std_function_advice(&p.path) {
                    return err_at(p, advice);
                }
                Ok(p.path.clone())
            }
            other => err_at(
                other,
                "call a `#[differentiable]` function by its name or path",
            ),
        }
    }

    fn call_args(&mut self, call: &syn::ExprCall, block: &mut Block) -> syn::Result<Vec<Arg>> {
        self.callee_path(call)?;
        let mut args = Vec::new();
        let mut seen = Vec::new();
        // A `&mut [f64]` variable passed bare more than once goes to shared parameters (Rust
        // allows no two `&mut` borrows): it is read, not written.
        let bare_mut: Vec<VarId> = call
            .args
            .iter()
            .filter_map(|a| self.path_var(a))
            .filter(|v| self.kind(*v) == &Kind::RealArray(ArrayRepr::SliceMut))
            .collect();
        for a in &call.args {
            let mut arg = self.call_arg(a, block)?;
            if let Arg::ArrayMut { var, by_ref: false } = arg {
                if bare_mut.iter().filter(|&&v| v == var).count() > 1 {
                    arg = Arg::Array { var, by_ref: false };
                }
            }
            // A real passed twice would need two `&mut` borrows of one adjoint: the second use
            // gets a copy of its own, whose adjoint flows back through the copy.
            let span = a.span();
            match &arg {
                Arg::Value(Expr {
                    op: Op::Var(v),
                    kind: Kind::Real,
                    ..
                }) => {
                    if seen.contains(v) {
                        let t = self.temp("arg", Kind::Real, span);
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::Expr(var_expr(*v, Kind::Real, span)),
                            span,
                        });
                        arg = Arg::Value(var_expr(t, Kind::Real, span));
                    } else {
                        seen.push(*v);
                    }
                }
                Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                    if seen.contains(var) {
                        if let Arg::ArrayMut { .. } = arg {
                            return err_at(a, "this array is passed twice, once as `&mut`: Rust forbids it; copy it first with `.to_vec()`");
                        }
                        let kind = match self.kind(*var) {
                            Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                                Kind::RealArray(r.clone())
                            }
                            _ => Kind::RealArray(ArrayRepr::Vec),
                        };
                        let t = self.temp("arg", kind, span);
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::CopyOf(*var),
                            span,
                        });
                        arg = Arg::Array {
                            var: t,
                            by_ref: true,
                        };
                    } else {
                        seen.push(*var);
                    }
                }
                Arg::Matrix { var, by_ref } => {
                    // The second use gets a copy, so that each has an adjoint of its own.
                    if seen.contains(var) {
                        let t = self.temp("arg", Kind::Matrix, span);
                        let by_ref = *by_ref;
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::Expr(var_expr(*var, Kind::Matrix, span)),
                            span,
                        });
                        arg = Arg::Matrix { var: t, by_ref };
                    } else {
                        seen.push(*var);
                    }
                }
                Arg::Value(_) => {}
            }
            args.push(arg);
        }
        Ok(args)
    }

    fn call_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Arg> {
        let a = strip_paren(a);
        let inner = match a {
            syn::Expr::Reference(r) => &*r.expr,
            a => a,
        };
        if let Some(v) = self.path_var(inner) {
            if *self.kind(v) == Kind::Matrix {
                return match a {
                    syn::Expr::Reference(r) if r.mutability.is_some() => err_at(
                        a,
                        "nalgebra values are read, not written, by a differentiable function: pass `&v` and return the result",
                    ),
                    syn::Expr::Reference(_) => Ok(Arg::Matrix { var: v, by_ref: true }),
                    _ => Ok(Arg::Matrix { var: v, by_ref: false }),
                };
            }
        }
        match a {
            syn::Expr::Reference(r) => {
                if let syn::Expr::Index(ix) = strip_paren(&r.expr) {
                    if matches!(&*ix.index, syn::Expr::Range(_)) {
                        return err_at(&ix.index, "sub-slices are not supported; pass the whole array, and an offset as an integer if the callee needs one");
                    }
                }
                let v = match self.path_var(&r.expr) {
                    Some(v) => v,
                    None => {
                        return err_at(&r.expr, "pass a variable by reference: `&v` or `&mut v`")
                    }
                };
                match (self.kind(v).clone(), r.mutability.is_some()) {
                    (Kind::RealArray(repr), true) => {
                        if repr == ArrayRepr::Slice {
                            return err_at(r, format!("`{}` is a shared slice and cannot be passed as `&mut`", self.shown(v)));
                        }
                        if matches!(repr, ArrayRepr::SliceMut) {
                            return err_at(r, format!("`{}` is already `&mut [f64]`: pass it as `{}`", self.shown(v), self.shown(v)));
                        }
                        self.vars[v].mutable = true;
                        Ok(Arg::ArrayMut { var: v, by_ref: true })
                    }
                    (Kind::RealArray(repr), false) => {
                        if matches!(repr, ArrayRepr::Slice | ArrayRepr::SliceMut) {
                            return err_at(r, format!("`{}` is already a slice: pass it as `{}`", self.shown(v), self.shown(v)));
                        }
                        Ok(Arg::Array { var: v, by_ref: true })
                    }
                    (Kind::Real, _) if self.untyped_results.contains(&v) => err_at(
                        r,
                        format!("`{0}` holds the result of a call, taken to be `f64`; if it is an array, write its type: `let {0}: Vec<f64> = ...` or `let {0}: [f64; N] = ...`", self.shown(v)),
                    ),
                    (Kind::Real, _) => err_at(r, "pass a real scalar by value; a differentiable function returns what it computes"),
                    (_, false) => Ok(Arg::Value(Expr {
                        op: Op::Ref(v),
                        kind: Kind::Opaque,
                        span: r.span(),
                    })),
                    (_, true) => err_at(r, "only real arrays can be passed as `&mut` to a differentiable function"),
                }
            }
            _ => {
                if let Some(v) = self.path_var(a) {
                    match self.kind(v).clone() {
                        Kind::RealArray(ArrayRepr::Slice) => {
                            return Ok(Arg::Array {
                                var: v,
                                by_ref: false,
                            })
                        }
                        Kind::RealArray(ArrayRepr::SliceMut) => {
                            return Ok(Arg::ArrayMut {
                                var: v,
                                by_ref: false,
                            })
                        }
                        Kind::RealArray(ArrayRepr::Array(_)) => {
                            return Ok(Arg::Array {
                                var: v,
                                by_ref: false,
                            })
                        }
                        // Passed by value: the generated code passes a copy, so the variable stays
                        // available to the reverse sweep.
                        Kind::RealArray(ArrayRepr::Vec) => {
                            return Ok(Arg::Array {
                                var: v,
                                by_ref: false,
                            })
                        }
                        _ => {}
                    }
                }
                if let Some(init) = self.array_init(a, block)? {
                    let kind = match &init {
                        Init::ArrayFill { len, .. } => {
                            Kind::RealArray(ArrayRepr::Array(ArrayLen(len.clone())))
                        }
                        Init::ArrayList(es) => {
                            let n = es.len();
                            Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))))
                        }
                        Init::CopyOf(src) => match self.kind(*src) {
                            Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                                Kind::RealArray(r.clone())
                            }
                            _ => Kind::RealArray(ArrayRepr::Vec),
                        },
                        _ => Kind::RealArray(ArrayRepr::Vec),
                    };
                    let t = self.temp("arg", kind, a.span());
                    block.stmts.push(Stmt::Let {
                        var: t,
                        init,
                        span: a.span(),
                    });
                    return Ok(Arg::Array {
                        var: t,
                        by_ref: false,
                    });
                }
                let mut value = self.expr(a, block)?;
                if value.kind == Kind::Matrix {
                    // A matrix expression: computed into a variable of its own, passed by value.
                    let t = self.matrix_operand(value, block);
                    let Op::Var(var) = t.op else {
                        unreachable!("matrix operands are variables")
                    };
                    return Ok(Arg::Matrix { var, by_ref: false });
                }
                if value.kind == Kind::Opaque && self.is_unknown_constant(&value) {
                    // A constant whose type is not written here (`H`, `dt()`): passed as a real,
                    // the common case for arguments of differentiable functions; an integer
                    // constant is a type error on its span (bind it first: `let n: usize = N;`).
                    value = self.coerce_real(value)?;
                }
                if value.kind == Kind::Real && !matches!(value.op, Op::Var(_)) {
                    // Bind compound real arguments, so the adjoint has a variable to accumulate into.
                    let t = self.temp("arg", Kind::Real, a.span());
                    block.stmts.push(Stmt::Let {
                        var: t,
                        init: Init::Expr(value),
                        span: a.span(),
                    });
                    return Ok(Arg::Value(var_expr(t, Kind::Real, a.span())));
                }
                Ok(Arg::Value(value))
            }
        }
    }

    /// An expression that must be real (constants of opaque kind are converted).
    fn real_expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr(e, block)?;
        self.coerce_real(x)
    }

    /// Whether `e` is built from constants whose type is not written (`H`, `-HALF`,
    /// `HALF * HALF`, a `let` bound to one): passed to differentiable functions as reals.
    fn is_unknown_constant(&self, e: &Expr) -> bool {
        match &e.op {
            Op::Path(_) | Op::ConstCall(..) | Op::PathIndex(..) => true,
            Op::Unary(Unary::Neg, a) => self.is_unknown_constant(a),
            Op::Binary(
                Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Min | Binary::Max,
                a,
                b,
            ) => self.is_unknown_constant(a) && self.is_unknown_constant(b),
            Op::Var(v) => {
                self.vars[*v].ty.is_none()
                    && self.vars[*v].kind == Kind::Opaque
                    && !self.param_vars.contains(v)
            }
            _ => false,
        }
    }

    fn coerce_real(&mut self, x: Expr) -> syn::Result<Expr> {
        match x.kind {
            Kind::Real => Ok(x),
            Kind::Opaque => {
                let span = x.span;
                Ok(Expr {
                    op: Op::AsReal(Box::new(x)),
                    kind: Kind::Real,
                    span,
                })
            }
            Kind::Int if matches!(&x.op, Op::Lit(Literal::Other(syn::Lit::Int(_)))) => {
                let Op::Lit(Literal::Other(syn::Lit::Int(l))) = &x.op else {
                    unreachable!()
                };
                err(
                    x.span,
                    format!(
                        "write `{}.0`: an integer literal is not a real",
                        l.base10_digits()
                    ),
                )
            }
            Kind::Int => err(
                x.span,
                "this is an integer where a real is expected; convert it with `as f64`",
            ),
            Kind::Bool => err(x.span, "this is a `bool` where a real is expected"),
            Kind::RealArray(_) => err(
                x.span,
                "this is an array where a real is expected; index it: `v[i]`",
            ),
            Kind::Matrix => err(
                x.span,
                "this is a matrix or vector where a real is expected; take an element `v[i]`, `m[(i, j)]`, or reduce it: `.dot(..)`, `.sum()`, `.norm()`, `.norm_squared()`",
            ),
        }
    }

    fn index_expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr(e, block)?;
        if x.kind.is_real() {
            return err_at(e, "an index or loop bound must be an integer; convert a real with `as usize` if you mean it");
        }
        Ok(x)
    }

    fn expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr_unbounded(e, block)?;
        Ok(self.bounded(x, block))
    }

    /// `x`, or a temporary bound to it before it in `block` when `x` is deeper than
    /// [`crate::limits::MAX_EXPR_DEPTH`]. Evaluation order is kept (the temporary is computed where `x` would
    /// have been, and its parts were lowered, hence hoisted, first), so values are unchanged.
    fn bounded(&mut self, x: Expr, block: &mut Block) -> Expr {
        let hoistable = matches!(x.kind, Kind::Real | Kind::Matrix | Kind::Int);
        if self.no_hoist > 0 || !hoistable || depth(&x) <= crate::limits::MAX_EXPR_DEPTH {
            return x;
        }
        let (span, kind) = (x.span, x.kind.clone());
        let t = self.temp("part", kind.clone(), span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(x),
            span,
        });
        var_expr(t, kind, span)
    }

    /// The span of `e`, the one `syn::spanned::Spanned` gives (its first token's joined with its
    /// last), found from its parts' and remembered: `Spanned` prints the whole expression, so
    /// asking it at every level of a long chain took time quadratic in the chain. The memory is
    /// by address, and emptied at every statement, so an expression parsed from a macro's tokens
    /// and dropped cannot lend its address to a later one.
    fn span_of(&mut self, e: &syn::Expr) -> Span {
        let key = e as *const syn::Expr as usize;
        if let Some(s) = self.spans.get(&key) {
            return *s;
        }
        let join = |a: Span, b: Span| a.join(b).unwrap_or(a);
        let s = match e {
            syn::Expr::Binary(b) if b.attrs.is_empty() => {
                let left = self.span_of(&b.left);
                join(left, self.span_of(&b.right))
            }
            syn::Expr::MethodCall(mc) => self.method_span(mc),
            syn::Expr::Call(c) if c.attrs.is_empty() => {
                join(self.span_of(&c.func), c.paren_token.span.join())
            }
            syn::Expr::Unary(u) if u.attrs.is_empty() => join(u.op.span(), self.span_of(&u.expr)),
            syn::Expr::Cast(c) if c.attrs.is_empty() => join(self.span_of(&c.expr), c.ty.span()),
            syn::Expr::Paren(p) if p.attrs.is_empty() => p.paren_token.span.join(),
            syn::Expr::Reference(r) if r.attrs.is_empty() => {
                join(r.and_token.span, self.span_of(&r.expr))
            }
            _ => e.span(),
        };
        self.spans.insert(key, s);
        s
    }

    /// [`Lowerer::span_of`] a method call.
    fn method_span(&mut self, mc: &syn::ExprMethodCall) -> Span {
        if !mc.attrs.is_empty() {
            return mc.span();
        }
        let receiver = self.span_of(&mc.receiver);
        let args = mc.paren_token.span.join();
        receiver.join(args).unwrap_or(receiver)
    }

    fn expr_unbounded(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let span = self.span_of(e);
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(f) => Ok(real_lit(f.base10_parse::<f64>()?, span)),
                syn::Lit::Int(_) => Ok(Expr {
                    op: Op::Lit(Literal::Other(l.lit.clone())),
                    kind: Kind::Int,
                    span,
                }),
                syn::Lit::Bool(_) => Ok(Expr {
                    op: Op::Lit(Literal::Other(l.lit.clone())),
                    kind: Kind::Bool,
                    span,
                }),
                other => err_at(other, "only numeric and boolean literals are supported"),
            },
            syn::Expr::Path(p) => {
                if p.qself.is_some() {
                    return err(span, "qualified paths are not supported");
                }
                if let Some(i) = p.path.get_ident() {
                    if let Some(v) = self.lookup(&name_of(i)) {
                        return Ok(var_expr(v, self.kind(v).clone(), span));
                    }
                }
                let kind = if is_float_const_path(&p.path) { Kind::Real } else { Kind::Opaque };
                let path_expr = Expr {
                    op: Op::Path(p.path.clone()),
                    kind: Kind::Opaque,
                    span,
                };
                if kind == Kind::Real {
                    self.coerce_real(path_expr)
                } else {
                    Ok(path_expr)
                }
            }
            syn::Expr::Paren(p) => self.expr(&p.expr, block),
            syn::Expr::Group(g) => self.expr(&g.expr, block),
            // `&h`: borrowing a matrix for an operator; generated code borrows every matrix
            // operand itself.
            syn::Expr::Reference(r) if r.mutability.is_none() => {
                let x = self.expr(&r.expr, block)?;
                if x.kind != Kind::Matrix {
                    return err_at(r, "references are supported for matrices and vectors in expressions, `w * &h`; pass arrays by reference to differentiable calls only");
                }
                Ok(x)
            }
            syn::Expr::Unary(u) => {
                let a = self.expr(&u.expr, block)?;
                match u.op {
                    syn::UnOp::Neg(_) => {
                        if a.kind == Kind::Bool || matches!(a.kind, Kind::RealArray(_)) {
                            return err(span, "negation applies to numbers");
                        }
                        let kind = a.kind.clone();
                        Ok(Expr {
                            op: Op::Unary(Unary::Neg, Box::new(a)),
                            kind,
                            span,
                        })
                    }
                    syn::UnOp::Not(_) => {
                        if a.kind.is_real() {
                            return err(span, "`!` applies to bools and integers");
                        }
                        let kind = a.kind.clone();
                        Ok(Expr {
                            op: Op::Unary(Unary::Not, Box::new(a)),
                            kind,
                            span,
                        })
                    }
                    syn::UnOp::Deref(_) => err(span, "dereferencing is not supported in a differentiable function"),
                    _ => Err(unsupported(e)),
                }
            }
            syn::Expr::Binary(b) => {
                if is_compound_assign(&b.op) {
                    return err(span, "use a compound assignment as a statement");
                }
                let op = match binary_op(&b.op) {
                    Some(op) => op,
                    None => return err_at(b.op, "bitwise operators are not supported in a differentiable function"),
                };
                let x = self.expr(&b.left, block)?;
                // The right side of `&&` and `||` runs only when the left one says so.
                let lazy = matches!(op, Binary::And | Binary::Or);
                self.no_hoist += usize::from(lazy);
                let y = self.expr(&b.right, block);
                self.no_hoist -= usize::from(lazy);
                self.binary(op, x, y?, (span, b.op.span()), block)
            }
            syn::Expr::Index(ix) => {
                if let syn::Expr::Range(r) = &*ix.index {
                    return err_at(r, "sub-slices are not supported; index single elements, `v[i]`, or pass the whole array and an offset");
                }
                let v = match self.path_var(&ix.expr) {
                    Some(v) => v,
                    None => match strip_paren(&ix.expr) {
                        // A constant array, `WEIGHTS[i]`: an opaque value, real where used as one.
                        syn::Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_none_or(|i| self.lookup(&name_of(i)).is_none()) => {
                            let index = self.index_expr(&ix.index, block)?;
                            return Ok(Expr {
                                op: Op::PathIndex(p.path.clone(), Box::new(index)),
                                kind: Kind::Opaque,
                                span,
                            });
                        }
                        syn::Expr::Index(inner) if matches!(&*inner.index, syn::Expr::Range(_)) => {
                            return err_at(&inner.index, "sub-slices are not supported; index the array directly, `v[offset + i]`")
                        }
                        _ => return err_at(&ix.expr, "index a variable: `v[i]` (nested indexing is not supported)"),
                    },
                };
                if let syn::Expr::Range(r) = &*ix.index {
                    return err_at(r, "sub-slices are not supported; index single elements, `v[i]`");
                }
                if self.kind(v) == &Kind::Matrix {
                    return self.matrix_element(v, ix, block);
                }
                let index = self.index_expr(&ix.index, block)?;
                let kind = match self.kind(v) {
                    Kind::RealArray(_) => Kind::Real,
                    Kind::Opaque => Kind::Opaque,
                    _ if self.untyped_results.contains(&v) => {
                        return err_at(&ix.expr,
                            format!("`{0}` holds the result of a call, taken to be `f64`; if it is an array, write its type: `let {0}: [f64; N] = ...` or `let {0}: Vec<f64> = ...`", self.shown(v)),
                        )
                    }
                    _ => return err_at(&ix.expr, format!("`{}` is not an array", self.shown(v))),
                };
                Ok(Expr {
                    op: Op::Index(v, Box::new(index)),
                    kind,
                    span,
                })
            }
            syn::Expr::MethodCall(mc) => self.method_call(mc, block),
            syn::Expr::Call(call) => self.call_expr(call, span, block),
            syn::Expr::Cast(c) => {
                let x = self.expr(&c.expr, block)?;
                let kind = if is_ident(&c.ty, "f64") {
                    Kind::Real
                } else if is_int_type(&c.ty) {
                    Kind::Int
                } else if is_ident(&c.ty, "f32") {
                    return err_at(&c.ty, "cast to `f64`: generated code chooses the scalar type");
                } else {
                    return err_at(&c.ty, "casts are supported to `f64` and to integer types");
                };
                if x.kind.is_real() && kind == Kind::Real {
                    return Ok(x);
                }
                if matches!(x.kind, Kind::RealArray(_) | Kind::Matrix) {
                    return err_at(&c.expr, "an array cannot be cast");
                }
                Ok(Expr {
                    op: Op::Cast(Box::new(x), (*c.ty).clone()),
                    kind,
                    span,
                })
            }
            syn::Expr::Macro(m) => err_at(&m.mac.path,
                format!("macro `{}!` is not supported here; `vec![..]` is supported as the value of a `let`", m.mac.path.to_token_stream()),
            ),
            other => Err(unsupported(other)),
        }
    }

    /// `x op y`; `spans` are the whole expression's and the operator's.
    fn binary(
        &mut self,
        op: Binary,
        x: Expr,
        y: Expr,
        spans: (Span, Span),
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let (span, op_span) = spans;
        if matches!(op, Binary::And | Binary::Or) {
            for side in [&x, &y] {
                if side.kind != Kind::Bool {
                    return err(
                        side.span,
                        "`&&` and `||` take bools; compare reals first, `x > 0.0`",
                    );
                }
            }
        }
        if x.kind == Kind::Matrix || y.kind == Kind::Matrix {
            return self.matrix_binary(op, x, y, span, op_span, block);
        }
        let either_real = x.kind == Kind::Real || y.kind == Kind::Real;
        let (x, y) = if either_real {
            let x = self.coerce_real(x)?;
            let y = self.coerce_real(y)?;
            (x, y)
        } else {
            (x, y)
        };
        for side in [&x, &y] {
            if let Kind::RealArray(_) = side.kind {
                return err(
                    side.span,
                    "arithmetic on whole arrays is not supported; write a loop over the elements",
                );
            }
        }
        let kind = match op {
            Binary::Lt | Binary::Le | Binary::Gt | Binary::Ge | Binary::Eq | Binary::Ne => {
                Kind::Bool
            }
            Binary::And | Binary::Or => {
                if x.kind != Kind::Bool || y.kind != Kind::Bool {
                    return err(op_span, "`&&` and `||` take bools");
                }
                Kind::Bool
            }
            Binary::Rem if either_real => {
                return err(
                    op_span,
                    "`%` of reals is not supported: it jumps where its derivative is undefined; restructure with `if` and subtraction",
                )
            }
            _ if either_real => Kind::Real,
            _ if x.kind == Kind::Int || y.kind == Kind::Int => Kind::Int,
            _ => Kind::Opaque,
        };
        if matches!(op, Binary::Powf | Binary::Atan2 | Binary::Hypot) && kind != Kind::Real {
            return err(span, format!("`{}` takes reals", op.name()));
        }
        Ok(Expr {
            op: Op::Binary(op, Box::new(x), Box::new(y)),
            kind,
            span,
        })
    }

    fn method_call(&mut self, mc: &syn::ExprMethodCall, block: &mut Block) -> syn::Result<Expr> {
        let span = self.method_span(mc);
        let name = mc.method.to_string();
        const ITERATORS: &[&str] = &[
            "iter",
            "iter_mut",
            "into_iter",
            "map",
            "sum",
            "fold",
            "zip",
            "enumerate",
            "product",
        ];
        if MATRIX_METHODS.contains(&name.as_str()) {
            // Methods of nalgebra values; on anything else, the usual advice.
            let mut probe = Block::default();
            self.no_hoist += 1;
            let lowered = self.expr(&mc.receiver, &mut probe);
            self.no_hoist -= 1;
            // A receiver that is itself a matrix method (`x.map(..).sum()`) has its own error.
            let matrix_receiver = matches!(strip_paren(&mc.receiver), syn::Expr::MethodCall(r) if MATRIX_METHODS.contains(&r.method.to_string().as_str()));
            let lowered = match lowered {
                Err(e) if matrix_receiver => return Err(e),
                other => other,
            };
            if let Ok(r) = lowered {
                self.untyped_matrix_result(&r)?;
                if r.kind == Kind::Matrix {
                    block.stmts.extend(probe.stmts);
                    return self.matrix_method(mc, r, block);
                }
            }
        }
        if ITERATORS.contains(&name.as_str()) {
            return err_at(
                &mc.method,
                format!("iterators are not supported (`.{name}()`); write a `for` loop over `0..v.len()`"),
            );
        }
        if mc.turbofish.is_some() {
            return err_at(&mc.turbofish, "remove the turbofish");
        }
        if name == "len" && mc.args.is_empty() {
            let v = match self.path_var(&mc.receiver) {
                Some(v) => v,
                None => return err_at(&mc.receiver, "take the length of a variable: `v.len()`"),
            };
            return Ok(Expr {
                op: Op::Len(v),
                kind: Kind::Int,
                span,
            });
        }
        let receiver = self.expr(&mc.receiver, block)?;
        if receiver.kind == Kind::Matrix {
            return err_at(&mc.method, format!("method `{name}` of a matrix or vector cannot be differentiated; the supported ones are `.transpose() .map(|v| ..) .component_mul(..) .dot(..) .sum() .norm() .norm_squared() .column(j) .row(i) .clone()`, with `+ - *`, `/` by a real and elements `v[i]`, `m[(i, j)]`"));
        }
        // `k.abs()` of an integer is an integer method, copied as written below.
        let unary =
            Unary::from_method(&name).filter(|u| !(*u == Unary::Abs && receiver.kind == Kind::Int));
        if let Some(u) = unary {
            if !mc.args.is_empty() {
                return err_at(&mc.method, format!("`{name}` takes no arguments"));
            }
            let x = self.coerce_real(receiver)?;
            return Ok(Expr {
                op: Op::Unary(u, Box::new(x)),
                kind: Kind::Real,
                span,
            });
        }
        if let Some(b) = Binary::from_method(&name) {
            if mc.args.len() != 1 {
                return err_at(&mc.method, format!("`{name}` takes one argument"));
            }
            let y = self.expr(&mc.args[0], block)?;
            return self.binary(b, receiver, y, (span, mc.method.span()), block);
        }
        if name == "powi" {
            if mc.args.len() != 1 {
                return err_at(&mc.method, "`powi` takes one argument");
            }
            let x = self.coerce_real(receiver)?;
            let n = self.expr(&mc.args[0], block)?;
            if n.kind.is_real() {
                return err_at(&mc.args[0], "the exponent of `powi` is an integer, `x.powi(2)`; for a real exponent write `x.powf(y)`");
            }
            return Ok(Expr {
                op: Op::Powi(Box::new(x), Box::new(n)),
                kind: Kind::Real,
                span,
            });
        }
        if name == "sqr" || name == "square" {
            return err_at(&mc.method, "write `x * x` or `x.powi(2)`");
        }
        if matches!(receiver.kind, Kind::Int | Kind::Bool) {
            // Methods of integers and bools have no derivative: copied as written.
            let mut args = Vec::new();
            for a in &mc.args {
                let x = self.expr(a, block)?;
                if x.kind.is_real() {
                    return err_at(
                        a,
                        format!("`.{name}()` of an integer takes integer arguments here"),
                    );
                }
                args.push(x);
            }
            let kind = receiver.kind.clone();
            return Ok(Expr {
                op: Op::Method(Box::new(receiver), mc.method.clone(), args),
                kind,
                span,
            });
        }
        err_at(&mc.method,
            format!(
                "method `{name}` cannot be differentiated; the supported methods are `sin cos tan exp ln log10 sqrt powi powf tanh sinh cosh atan atan2 abs hypot min max len`, or mark a plain function as constant with `#[differentiable(constants(f))]`"
            ),
        )
    }

    /// `call`, whose span is `span`.
    fn call_expr(
        &mut self,
        call: &syn::ExprCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let path = match strip_paren(&call.func) {
            syn::Expr::Path(p) if p.qself.is_none() => p.path.clone(),
            other => return err_at(other, "call a function by its name; closures and function pointers cannot be differentiated"),
        };
        if let Some(ty) = matrix_from_slice(&path) {
            return self.matrix_from_slice(ty, call);
        }
        if path.segments.len() == 2
            && path.segments[0].ident == "f64"
            && builtin_path(&path).is_none()
        {
            return err_at(
                &path.segments[1].ident,
                format!(
                    "`f64::{}` cannot be differentiated; the supported functions are `sin cos tan exp ln log10 sqrt powi powf tanh sinh cosh atan atan2 abs hypot min max from`",
                    path.segments[1].ident
                ),
            );
        }
        if let Some(b) = builtin_path(&path) {
            let mut args = Vec::new();
            for a in &call.args {
                args.push(self.expr(a, block)?);
            }
            return match (b, args.len()) {
                (Builtin::Unary(u), 1) => {
                    let x = self.coerce_real(args.remove(0))?;
                    Ok(Expr {
                        op: Op::Unary(u, Box::new(x)),
                        kind: Kind::Real,
                        span,
                    })
                }
                (Builtin::Binary(op), 2) => {
                    let y = args.remove(1);
                    let x = args.remove(0);
                    self.binary(op, x, y, (span, span), block)
                }
                (Builtin::Powi, 2) => {
                    let n = args.remove(1);
                    let x = self.coerce_real(args.remove(0))?;
                    Ok(Expr {
                        op: Op::Powi(Box::new(x), Box::new(n)),
                        kind: Kind::Real,
                        span,
                    })
                }
                (Builtin::From, 1) => {
                    let x = args.remove(0);
                    if x.kind.is_real() {
                        return Ok(x);
                    }
                    Ok(Expr {
                        op: Op::Cast(Box::new(x), syn::parse_quote!(f64)),
                        kind: Kind::Real,
                        span,
                    })
                }
                _ => err(span, "wrong number of arguments"),
            };
        }
        let mut args = Vec::new();
        let constant = self.is_constant_fn(&path);
        if !constant {
            // All-inactive arguments cannot carry a derivative: treat the call as constant.
            let mut probe = Block::default();
            let mut inactive = true;
            for a in &call.args {
                // Lowering a real argument only to learn that it is real would lower a nested
                // call twice per level, `g(g(g(x)))` in time exponential in the depth.
                if self.surely_real(a) {
                    inactive = false;
                    break;
                }
                self.no_hoist += 1;
                let lowered = self.expr(a, &mut probe);
                self.no_hoist -= 1;
                match lowered {
                    Ok(x) if !x.kind.is_real() && probe.stmts.is_empty() => args.push(x),
                    _ => {
                        inactive = false;
                        break;
                    }
                }
            }
            if !inactive || call.args.is_empty() {
                if call.args.is_empty() {
                    return Ok(Expr {
                        op: Op::ConstCall(path, Vec::new()),
                        kind: Kind::Opaque,
                        span,
                    });
                }
                // A differentiable call inside an expression: hoist it into its own statement.
                let call_args = self.call_args(call, block)?;
                let name = path
                    .segments
                    .last()
                    .map(|s| name_of(&s.ident))
                    .unwrap_or_default();
                let t = self.temp(&name, Kind::Real, span);
                block.stmts.push(Stmt::Call(Call {
                    callee: path,
                    args: call_args,
                    results: vec![t],
                    tuple: false,
                    span,
                }));
                return Ok(var_expr(t, Kind::Real, span));
            }
            return Ok(Expr {
                op: Op::ConstCall(path, args),
                kind: Kind::Opaque,
                span,
            });
        }
        for a in &call.args {
            let x = match strip_paren(a) {
                syn::Expr::Reference(r) if r.mutability.is_none() => match self.path_var(&r.expr) {
                    Some(v) => Expr {
                        op: Op::Ref(v),
                        kind: Kind::Opaque,
                        span: r.span(),
                    },
                    None => return err_at(r, "pass a variable by reference"),
                },
                _ => self.expr(a, block)?,
            };
            args.push(x);
        }
        Ok(Expr {
            op: Op::ConstCall(path, args),
            kind: Kind::Opaque,
            span,
        })
    }
}

/// The methods of nalgebra values that are differentiated (see [`LinOp`]).
const MATRIX_METHODS: &[&str] = &[
    "clone",
    "clone_owned",
    "into_owned",
    "column",
    "row",
    "transpose",
    "map",
    "component_mul",
    "dot",
    "sum",
    "norm",
    "norm_squared",
];

impl Lowerer<'_> {
    /// A matrix operand whose value the adjoint reads (a product's factor, a map's argument, a
    /// norm's vector): bound to a temporary unless it is a variable, so that neither the tangent
    /// nor the reverse sweep computes it again.
    fn matrix_operand(&mut self, x: Expr, block: &mut Block) -> Expr {
        if x.kind != Kind::Matrix || matches!(x.op, Op::Var(_)) {
            return x;
        }
        let span = x.span;
        let t = self.temp("m", Kind::Matrix, span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(x),
            span,
        });
        var_expr(t, Kind::Matrix, span)
    }

    /// An error when `e` is the result of a call bound without a type (taken to be `f64`) but used
    /// as a matrix.
    fn untyped_matrix_result(&self, e: &Expr) -> syn::Result<()> {
        match e.op {
            Op::Var(v) if self.untyped_results.contains(&v) => err(
                e.span,
                format!(
                    "`{0}` holds the result of a call, taken to be `f64`; if it is a matrix or vector, write its type: `let {0}: DVector<f64> = ...`",
                    self.shown(v)
                ),
            ),
            _ => Ok(()),
        }
    }

    /// `x op y` where one side is a matrix: sums and differences of matrices, products of
    /// matrices (rustc checks the shapes) and of a matrix and a real, division by a real.
    fn matrix_binary(
        &mut self,
        op: Binary,
        x: Expr,
        y: Expr,
        span: Span,
        op_span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let (xm, ym) = (x.kind == Kind::Matrix, y.kind == Kind::Matrix);
        for side in [&x, &y] {
            self.untyped_matrix_result(side)?;
        }
        let (x, y) = match op {
            Binary::Add | Binary::Sub => {
                for side in [&x, &y] {
                    if side.kind != Kind::Matrix {
                        return err(side.span, format!("`{}` takes two matrices or vectors of the same shape; to shift every element by a real, add a vector of that value", op.name()));
                    }
                }
                (x, y)
            }
            Binary::Mul if xm && ym => (
                self.matrix_operand(x, block),
                self.matrix_operand(y, block),
            ),
            Binary::Mul if xm => (self.matrix_operand(x, block), self.coerce_real(y)?),
            Binary::Mul => (self.coerce_real(x)?, self.matrix_operand(y, block)),
            Binary::Div if xm && !ym => (self.matrix_operand(x, block), self.coerce_real(y)?),
            Binary::Div => {
                return err(op_span, "a matrix or vector can be divided by a real only; for element-wise operations use `.component_mul(..)` or `.map(|v| ..)`")
            }
            _ => {
                return err(op_span, format!("`{}` does not apply to matrices and vectors here; the supported operations are `+ - *`, `/` by a real, `.transpose() .map(|v| ..) .component_mul(..) .dot(..) .sum() .norm() .norm_squared()` and elements `v[i]`, `m[(i, j)]`", op.name()))
            }
        };
        Ok(Expr {
            op: Op::Binary(op, Box::new(x), Box::new(y)),
            kind: Kind::Matrix,
            span,
        })
    }

    /// `T::from_column_slice(u)` of a real array `u` (`&u`, or a slice `u`).
    fn matrix_from_slice(&mut self, ty: syn::Path, call: &syn::ExprCall) -> syn::Result<Expr> {
        const WRITE: &str = "build a matrix or vector from a real array variable: `DVector::from_column_slice(&u)` (or `u` for a slice parameter)";
        if call.args.len() != 1 {
            return err_at(call, WRITE);
        }
        let a = match strip_paren(&call.args[0]) {
            syn::Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
            a => a,
        };
        let v = match self.path_var(a) {
            Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => v,
            _ => return err_at(&call.args[0], WRITE),
        };
        let kind = self.kind(v).clone();
        Ok(Expr {
            op: Op::Linalg(LinOp::FromSlice(ty), vec![var_expr(v, kind, a.span())]),
            kind: Kind::Matrix,
            span: call.span(),
        })
    }

    /// `m[i]` (an element of a vector, or of a matrix in column-major order) or `m[(i, j)]`.
    fn matrix_element(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = ix.span();
        if let syn::Expr::Tuple(t) = strip_paren(&ix.index) {
            if t.elems.len() != 2 {
                return err_at(t, "index a matrix with a row and a column, `m[(i, j)]`");
            }
            let i = self.index_expr(&t.elems[0], block)?;
            let j = self.index_expr(&t.elems[1], block)?;
            let m = var_expr(v, Kind::Matrix, ix.expr.span());
            return Ok(Expr {
                op: Op::Linalg(LinOp::Element, vec![m, i, j]),
                kind: Kind::Real,
                span,
            });
        }
        let index = self.index_expr(&ix.index, block)?;
        Ok(Expr {
            op: Op::Index(v, Box::new(index)),
            kind: Kind::Real,
            span,
        })
    }

    /// A method of a matrix or vector `receiver` (one of [`MATRIX_METHODS`]).
    fn matrix_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        receiver: Expr,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = self.method_span(mc);
        let name = mc.method.to_string();
        let arity = match name.as_str() {
            "map" | "component_mul" | "dot" | "column" | "row" => 1,
            _ => 0,
        };
        if mc.args.len() != arity {
            return err_at(
                &mc.method,
                match arity {
                    0 => format!("`.{name}()` takes no arguments"),
                    _ => format!("`.{name}(..)` takes one argument"),
                },
            );
        }
        let matrix_arg = |l: &mut Self, block: &mut Block| -> syn::Result<Expr> {
            let a = l.expr(&mc.args[0], block)?;
            if a.kind != Kind::Matrix {
                return err_at(
                    &mc.args[0],
                    format!("`.{name}(..)` takes a matrix or vector"),
                );
            }
            Ok(l.matrix_operand(a, block))
        };
        if matches!(name.as_str(), "clone" | "clone_owned" | "into_owned") {
            // Generated code copies matrices where the user's code would move them.
            return Ok(receiver);
        }
        if name == "column" || name == "row" {
            if !matches!(receiver.op, Op::Var(_)) {
                return err_at(
                    &mc.receiver,
                    format!(
                        "take `.{name}(..)` of a matrix variable: bind the matrix with `let` first"
                    ),
                );
            }
            let index = self.index_expr(&mc.args[0], block)?;
            let op = if name == "column" {
                LinOp::Column
            } else {
                LinOp::Row
            };
            return Ok(Expr {
                op: Op::Linalg(op, vec![receiver, index]),
                kind: Kind::Matrix,
                span,
            });
        }
        let receiver = if name == "transpose" {
            receiver
        } else {
            self.matrix_operand(receiver, block)
        };
        let (op, args, kind) = match name.as_str() {
            "transpose" => (LinOp::Transpose, vec![receiver], Kind::Matrix),
            "sum" => (LinOp::Sum, vec![receiver], Kind::Real),
            "norm" => (LinOp::Norm, vec![receiver], Kind::Real),
            "norm_squared" => (LinOp::NormSquared, vec![receiver], Kind::Real),
            "dot" => {
                let b = matrix_arg(self, block)?;
                (LinOp::Dot, vec![receiver, b], Kind::Real)
            }
            "component_mul" => {
                let b = matrix_arg(self, block)?;
                (LinOp::ComponentMul, vec![receiver, b], Kind::Matrix)
            }
            "map" => {
                let (param, body) = self.map_closure(&mc.args[0])?;
                (
                    LinOp::Map {
                        param,
                        body: Box::new(body),
                    },
                    vec![receiver],
                    Kind::Matrix,
                )
            }
            _ => unreachable!("one of MATRIX_METHODS"),
        };
        Ok(Expr {
            op: Op::Linalg(op, args),
            kind,
            span,
        })
    }

    /// The closure of `.map(|v| body)`: one plain argument, and a body that is a real
    /// expression of it and of constants.
    fn map_closure(&mut self, e: &syn::Expr) -> syn::Result<(VarId, Expr)> {
        const WRITE: &str = "write the element-wise function as a closure of one argument, `.map(|v| v.tanh())`, whose body is a real expression of `v` and constants";
        let c = match strip_paren(e) {
            syn::Expr::Closure(c) => c,
            other => return err_at(other, WRITE),
        };
        if c.inputs.len() != 1
            || c.asyncness.is_some()
            || c.constness.is_some()
            || c.movability.is_some()
            || !matches!(c.output, syn::ReturnType::Default)
        {
            return err_at(c, WRITE);
        }
        let ident = match &c.inputs[0] {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => &pi.ident,
            syn::Pat::Type(pt) => match &*pt.pat {
                syn::Pat::Ident(pi) if is_ident(&pt.ty, "f64") && pi.subpat.is_none() => &pi.ident,
                _ => return err_at(&c.inputs[0], WRITE),
            },
            other => return err_at(other, WRITE),
        };
        self.scopes.push(HashMap::new());
        let param = self.new_var(&name_of(ident), Kind::Real, false, ident.span());
        let mut probe = Block::default();
        self.no_hoist += 1;
        let body = self.real_expr(&c.body, &mut probe);
        self.no_hoist -= 1;
        self.scopes.pop();
        let body = body?;
        if !probe.stmts.is_empty() {
            return err_at(&c.body, "a `.map` closure cannot call differentiable functions; compute with whole matrices, or use a `Vec<f64>` and a loop");
        }
        let mut reads = Vec::new();
        body.reads(&mut reads);
        if let Some(other) = reads.iter().find(|&&r| r != param) {
            return err_at(
                &c.body,
                format!(
                    "a `.map` closure uses only its argument and constants, not `{}`; scale or shift outside: `(&v * a).map(|x| x.tanh())`",
                    self.shown(*other)
                ),
            );
        }
        self.map_params.push(param);
        Ok((param, body))
    }
}

/// `vec![value; len]`.
struct VecFill {
    value: syn::Expr,
    len: syn::Expr,
}

impl syn::parse::Parse for VecFill {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let value = input.parse()?;
        input.parse::<syn::Token![;]>()?;
        let len = input.parse()?;
        Ok(VecFill { value, len })
    }
}

enum Builtin {
    Unary(Unary),
    Binary(Binary),
    Powi,
    From,
}

/// `f64::sin`, `f64::max`, `f64::from`...
fn builtin_path(path: &syn::Path) -> Option<Builtin> {
    if path.segments.len() != 2 || path.segments[0].ident != "f64" {
        return None;
    }
    let name = path.segments[1].ident.to_string();
    if let Some(u) = Unary::from_method(&name) {
        return Some(Builtin::Unary(u));
    }
    if let Some(b) = Binary::from_method(&name) {
        return Some(Builtin::Binary(b));
    }
    match name.as_str() {
        "powi" => Some(Builtin::Powi),
        "from" => Some(Builtin::From),
        _ => None,
    }
}

fn strip_paren(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_paren(&p.expr),
        syn::Expr::Group(g) => strip_paren(&g.expr),
        _ => e,
    }
}

fn simple_binding(p: &syn::Pat) -> syn::Result<(syn::Ident, bool)> {
    match p {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
            Ok((pi.ident.clone(), pi.mutability.is_some()))
        }
        syn::Pat::Wild(w) => Ok((syn::Ident::new("__unused", w.span()), false)),
        other => err_at(other, "bind a plain name: `let x = ...;`"),
    }
}

fn real_lit(x: f64, span: Span) -> Expr {
    Expr {
        op: Op::Lit(Literal::Real(x)),
        kind: Kind::Real,
        span,
    }
}

fn var_expr(v: VarId, kind: Kind, span: Span) -> Expr {
    Expr {
        op: Op::Var(v),
        kind,
        span,
    }
}

fn not(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        op: Op::Unary(Unary::Not, Box::new(e)),
        kind: Kind::Bool,
        span,
    }
}

/// The span of a binding inside a pattern, if any.
fn pattern_binding(p: &syn::Pat) -> Option<Span> {
    match p {
        syn::Pat::Ident(pi) => {
            let s = name_of(&pi.ident);
            // An uppercase single-segment path pattern is a constant, not a binding.
            if s.chars().next().is_some_and(|c| c.is_uppercase()) {
                None
            } else {
                Some(pi.span())
            }
        }
        syn::Pat::Or(o) => o.cases.iter().find_map(pattern_binding),
        syn::Pat::Paren(pp) => pattern_binding(&pp.pat),
        syn::Pat::Tuple(t) => t.elems.iter().find_map(pattern_binding),
        syn::Pat::Lit(_) | syn::Pat::Range(_) | syn::Pat::Wild(_) | syn::Pat::Path(_) => None,
        other => Some(other.span()),
    }
}

fn unsupported(e: &syn::Expr) -> syn::Error {
    let (span, msg): (Span, &str) = match e {
        syn::Expr::Closure(c) => (c.or1_token.span, "closures cannot be differentiated; write a separate `#[differentiable]` function and call it"),
        syn::Expr::Unsafe(u) => (u.unsafe_token.span, "`unsafe` is not allowed in a differentiable function"),
        syn::Expr::Loop(l) => (l.loop_token.span, "`loop` is not supported: its trip count can depend on the values being differentiated; write `for i in 0..max_iter` with an `if` inside"),
        syn::Expr::While(w) => (w.while_token.span, "`while` is not supported: its trip count can depend on the values being differentiated; write `for i in 0..max_iter` with an `if` inside"),
        syn::Expr::Async(a) => (a.async_token.span, "`async` is not supported in a differentiable function"),
        syn::Expr::Await(a) => (a.await_token.span, "`.await` is not supported in a differentiable function"),
        syn::Expr::Break(b) => (b.break_token.span, "`break` is not supported; use an `if` around the rest of the loop body"),
        syn::Expr::Continue(c) => (c.continue_token.span, "`continue` is not supported; use an `if` around the rest of the loop body"),
        syn::Expr::Try(t) => (t.question_token.span, "`?` is not supported; check inputs before calling the differentiable function"),
        syn::Expr::Field(f) => (f.span(), "field access is not supported; pass the field's value as a parameter"),
        syn::Expr::Struct(s) => (s.span(), "struct expressions are not supported in a differentiable function"),
        syn::Expr::Tuple(t) => (t.span(), "tuples are supported as the function's result and in `let (a, b) = f(..)`"),
        syn::Expr::Reference(r) => (r.span(), "references are supported as call arguments, `f(&v)`"),
        syn::Expr::Range(r) => (r.span(), "ranges are supported in `for` loops"),
        syn::Expr::If(i) => (i.if_token.span, "an `if` that gives a value is supported as the value of a `let`: `let y = if c { a } else { b };`"),
        syn::Expr::Match(m) => (m.match_token.span, "a `match` that gives a value is supported as the value of a `let`: `let y = match k { .. };`"),
        syn::Expr::Block(b) => (b.span(), "a block used as a value is not supported"),
        syn::Expr::Return(r) => (r.return_token.span, "`return` here is not supported"),
        syn::Expr::Let(l) => (l.span(), "`let` expressions are not supported"),
        _ => (e.span(), "this expression is not supported in a differentiable function"),
    };
    syn::Error::new(span, msg)
}

/// Whether the function body contains a `return` anywhere but as its last statement.
fn contains_early_return(block: &syn::Block) -> bool {
    let n = block.stmts.len();
    block.stmts.iter().enumerate().any(|(i, s)| {
        let last = i + 1 == n;
        match s {
            syn::Stmt::Expr(syn::Expr::Return(_), _) if last => false,
            _ => stmt_returns(s),
        }
    })
}

/// Whether a statement contains a `return`.
fn stmt_returns(s: &syn::Stmt) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder(false);
    f.visit_stmt(s);
    f.0
}

/// A `let` of one name: what the statement says about the binding.
struct Binding<'a> {
    ident: &'a syn::Ident,
    mutable: bool,
    /// The written type.
    ty: Option<&'a syn::Type>,
    /// The kind of the written type.
    declared: Option<Kind>,
    /// The whole statement.
    span: Span,
}

/// The value of a `let`, or an error for `let x;` and `let ... else`.
fn let_initialiser(local: &syn::Local) -> syn::Result<&syn::Expr> {
    match &local.init {
        Some(init) => {
            if let Some((_, diverge)) = &init.diverge {
                return err_at(diverge, "`let ... else` is not supported; bind the value with `let` and test it with `if`");
            }
            Ok(&*init.expr)
        }
        None => err_at(
            &local.pat,
            "give the binding its value where it is declared: `let x = ...;`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::display::print;

    fn lowered(src: &str) -> syn::Result<Function> {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        lower(&item, &args)
    }

    fn printed(src: &str) -> String {
        print(&lowered(src).expect("lowers"))
    }

    #[test]
    fn shadowed_bindings_get_distinct_names() {
        let ir = printed("fn f(x: f64) -> f64 { let y = x * 2.0; let y = y.sin(); y }");
        assert!(ir.contains("let y: real = (x * 2.0)"), "{ir}");
        assert!(ir.contains("let y_1: real = sin(y)"), "{ir}");
        assert!(ir.contains("return (y_1)"), "{ir}");
    }

    #[test]
    fn messages_quote_the_users_names() {
        // The second `y` is `y_1` in the IR; the message says `y`.
        let e = lowered("fn f(x: f64) -> f64 { let y = x; let y = g(x); y[0] }")
            .expect_err("rejected")
            .to_string();
        assert!(e.starts_with("`y` holds the result of a call"), "{e}");
        let e = lowered("fn f(r#in: f64) -> f64 { let r#in = g(r#in); r#in[0] }")
            .expect_err("rejected")
            .to_string();
        assert!(e.starts_with("`r#in` holds the result of a call"), "{e}");
    }

    #[test]
    fn calls_are_hoisted_and_compound_assignments_expanded() {
        let ir = printed("fn f(x: f64) -> f64 { let mut y = (x * g(x)).sin(); y += 1.0; y }");
        assert!(ir.contains("let __g = call g(x)"), "{ir}");
        assert!(ir.contains("let mut y: real = sin((x * __g))"), "{ir}");
        assert!(ir.contains("y = (y + 1.0)"), "{ir}");
    }

    #[test]
    fn kinds_follow_the_syntax() {
        let f = lowered("fn f(u: &[f64], n: usize) -> f64 { let m = u.len() + n; let c = 2.0; let z = u[m - n] * c; z }")
            .expect("lowers");
        let kinds: Vec<String> = f
            .vars
            .iter()
            .map(|v| format!("{}: {}", v.name, v.kind))
            .collect();
        assert_eq!(
            kinds,
            ["u: &real[]", "n: int", "m: int", "c: real", "z: real"]
        );
    }

    #[test]
    fn matrices_are_known_by_name_and_read_operands_get_bound() {
        let src = "fn f(w: &DMatrix<f64>, x: SVector<f64, 3>, k: f64) -> f64 { let h = (w * x * k).map(|v| v.tanh()); h.norm() + h[0] }";
        let f = lowered(src).expect("lowers");
        let kinds: Vec<String> = f
            .vars
            .iter()
            .map(|v| format!("{}: {}", v.name, v.kind))
            .collect();
        // `w * x` is read by the product with `k`, and the product by the map's adjoint.
        assert_eq!(
            kinds,
            [
                "w: matrix",
                "x: matrix",
                "k: real",
                "__m: matrix",
                "__m_1: matrix",
                "v: real",
                "h: matrix"
            ]
        );
        assert_eq!(f.map_params.len(), 1);
        let ir = printed(src);
        assert!(ir.contains("let __m: matrix = (w * x)"), "{ir}");
        assert!(
            ir.contains("let h: matrix = __m_1.map(|v| tanh(v))"),
            "{ir}"
        );
    }

    #[test]
    fn matrix_mistakes_are_errors_with_advice() {
        let e = |src: &str| lowered(src).expect_err("rejected").to_string();
        assert!(
            e("fn f(x: &DVector<f64>, a: f64) -> DVector<f64> { x.map(|v| a * v) }")
                .contains("uses only its argument")
        );
        assert!(e("fn f(x: &mut DVector<f64>) {}").contains("read, not written"));
        assert!(e("fn f(x: &DVector<f64>) -> DVector<f64> { x / x }").contains("divided by a real"));
        assert!(e("fn f(x: &DVector<f64>) -> f64 { x.max() }").contains("of a matrix or vector"));
    }

    #[test]
    fn early_returns_become_a_result_and_a_guard() {
        let ir = printed("fn f(x: f64) -> f64 { if x > 0.0 { return x; } x * x }");
        assert!(ir.contains("__returned = true"), "{ir}");
        assert!(ir.contains("if !__returned {"), "{ir}");
    }

    #[test]
    fn every_error_of_a_function_is_reported() {
        let err =
            lowered("fn f(x: f64) -> f64 { let c = |y: f64| y; while x > 0.0 {} x }").unwrap_err();
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("closures cannot be differentiated"));
        assert!(
            messages[1].starts_with("`while` is not supported"),
            "{messages:?}"
        );
    }
}
