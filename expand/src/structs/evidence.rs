//! Which locals of an annotated caller hold a struct as its reals (`taken`): the caller's
//! attribute sees no types, so a local is held on evidence from its uses that a real or an
//! array cannot give, and a use that either could give is refused with what to write.
//!
//! Conclusive: a `let` bound to a call whose fields are read (`s2.x`: an array has no named
//! fields); a literal assigned a call's result (`let mut s = State { .. }; s = step(&s, ..);`)
//! or stepped by its own method (`s = s.advanced(p, h)`, held at the struct's own places,
//! `__tl_State`) or passed to a method of the caller's `self` (`self.rhs(&y1)`, likewise); a
//! `let` bound to a method of `self` returning a struct (`let k1 = self.rhs(s)`, see
//! `self_calls`) as to a function's; a `let` bound to a call of a function found to return a struct, or written
//! with a struct's type (`let s2: State = step(s, p, h);`); a `let` bound to a method of a held
//! struct whose fields are read, written with a struct's type, or a `clone()` of it; a `let`
//! bound to a method of a struct parameter (`let t = s.scaled(x)`) or to an associated function
//! of a user's type (`State::new(..)`) whose own methods are called (`t.norm2()`: an array has
//! none, and a call returning one has no `into` companion, a compile error), or for the
//! latter passed on by reference; a literal whose own methods are called (`u.kick(h)`).
//! Ambiguous:
//! a `let` bound to a call taking a struct (a struct parameter of the caller, or a held struct)
//! and only passed on by shared reference or as a receiver (`let s2 = step(s, p, h);
//! energy(&s2, p)`): an array result could be used so too, so the caller says to write the
//! type. A local used as an array (indexed, iterated, a slice's method) is never held.

use super::self_calls::Layout;
use super::taken::{callee, unraw, Taken};
use quote::format_ident;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Methods of slices, arrays and `Vec`s: a local receiving one is not a struct held as reals.
const ARRAY_METHODS: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "len",
    "is_empty",
    "to_vec",
    "as_slice",
    "as_mut_slice",
    "first",
    "last",
    "get",
    "contains",
    "windows",
    "chunks",
    "copy_from_slice",
    "clone_from_slice",
    "fill",
    "swap",
    "map",
    "sum",
    "product",
    "split_at",
    "reverse",
    "sort_by",
    "rev",
];

/// Whether `name` is a method of `f64` (differentiated, or one of those with no derivative):
/// calling it is no evidence of a struct.
fn is_real_method(name: &str) -> bool {
    const OTHERS: &[&str] = &[
        "floor",
        "ceil",
        "round",
        "trunc",
        "fract",
        "signum",
        "is_nan",
        "is_finite",
        "is_infinite",
        "is_sign_negative",
        "is_sign_positive",
        "total_cmp",
        "partial_cmp",
        "clamp",
        "to_bits",
        "copysign",
    ];
    OTHERS.contains(&name) || crate::rules::real_methods().any(|m| m == name)
}

/// The names a call passes (`s` in `step(s, ..)`, `step(&s, ..)` or `self.step(&s, ..)`).
fn call_args(e: &syn::Expr) -> Vec<String> {
    let args = match (e, super::self_calls::method(e)) {
        (syn::Expr::Call(c), _) => &c.args,
        (_, Some(m)) => &m.args,
        _ => return Vec::new(),
    };
    args.iter()
        .filter_map(|a| {
            let a = match a {
                syn::Expr::Reference(r) => &*r.expr,
                a => a,
            };
            match a {
                syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(unraw),
                _ => None,
            }
        })
        .collect()
}

/// The callee of a call returning a struct, if it is one: its key (`step`, or `self.rk4` for a
/// method called on `self`) and the layout naming the result's places (`__step_out`,
/// `__tl_self_rk4_out`, see `self_calls`).
fn call_of(e: &syn::Expr, roots: &[(String, syn::Type)]) -> Option<(String, Layout)> {
    if let Some((root, ty, m)) = param_method(e, roots) {
        return Some((
            format!("{root}.{}", unraw(&m.method)),
            Layout::of_call(&m.method, quote::ToTokens::to_token_stream(ty)),
        ));
    }
    if let Some(f) = callee(e) {
        return Some((unraw(f), Layout::of_type(format_ident!("__{}_out", f))));
    }
    if let Some((ty, f)) = super::self_calls::associated(e) {
        let key = format!("{}::{}", quote::ToTokens::to_token_stream(&ty), unraw(&f));
        return Some((
            key,
            Layout::of_call(&f, quote::ToTokens::to_token_stream(&ty)),
        ));
    }
    let m = super::self_calls::method(e)?;
    Some((
        format!("self.{}", unraw(&m.method)),
        Layout::of_call(&m.method, quote::quote!(Self)),
    ))
}

/// A method called on a struct parameter of the caller (`s.scaled(x)` with `s: &State`): the
/// parameter, its type and the call.
pub(super) fn param_method<'e, 'r>(
    e: &'e syn::Expr,
    roots: &'r [(String, syn::Type)],
) -> Option<(&'r str, &'r syn::Type, &'e syn::ExprMethodCall)> {
    let syn::Expr::MethodCall(m) = e else {
        return None;
    };
    let r = ident_of(&m.receiver)?;
    let (root, ty) = roots.iter().find(|(n, _)| *n == r)?;
    (m.turbofish.is_none() && !ARRAY_METHODS.contains(&m.method.to_string().as_str())).then_some((
        root.as_str(),
        ty,
        m,
    ))
}

/// The key of a call (`State::new`, `s.scaled`), or empty.
fn callee_key(call: &Option<(String, Layout)>) -> String {
    call.as_ref().map(|(k, _)| k.clone()).unwrap_or_default()
}

/// Whether `key` is an associated function of a type that is not a user's struct
/// (`DVector::from_column_slice`, `f64::max`, `Vec::with_capacity`), whose result's methods
/// (`v.norm()`, `m.sqrt()`) are the pipeline's, not a struct's.
fn nalgebra_constructor(key: &str) -> bool {
    key.split_once("::").is_some_and(|(ty, _)| !user_type(ty))
}

/// Whether a type named `ty` (its last segment) may be a user's struct: not a primitive, nor
/// one of std's or nalgebra's.
pub(super) fn user_type(ty: &str) -> bool {
    const OTHERS: &[&str] = &[
        "f64", "f32", "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32",
        "i64", "i128", "bool", "str", "String", "Vec", "VecDeque", "Box", "Option", "Result", "Rc",
        "Arc", "Cell", "RefCell", "HashMap", "BTreeMap", "core", "std",
    ];
    !OTHERS.contains(&ty) && !crate::lower::nalgebra::MATRIX_TYPES.contains(&ty)
}

/// A method call on a plain local: the local (`s` in `s.step(p, h)`) and the method.
fn receiver(e: &syn::Expr) -> Option<(String, String)> {
    match e {
        syn::Expr::MethodCall(m) => match &*m.receiver {
            syn::Expr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().map(|i| (unraw(i), m.method.to_string()))
            }
            _ => None,
        },
        syn::Expr::Paren(p) => receiver(&p.expr),
        _ => None,
    }
}

/// Whether a written type names a struct: a path without type arguments that is not a scalar
/// (arrays, `Vec`s and nalgebra types have arguments or are not paths).
fn struct_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|last| {
            let name = last.ident.to_string();
            last.arguments.is_none()
                && !matches!(
                    name.as_str(),
                    "f64" | "f32" | "usize" | "isize" | "i32" | "i64" | "u32" | "u64" | "bool"
                )
                && !name.starts_with("Vector")
                && !name.starts_with("RowVector")
                && !name.starts_with("Matrix")
        }),
        _ => false,
    }
}

/// A `let` of one name, as `find` sees it.
struct Let {
    name: String,
    span: proc_macro2::Span,
    /// The call that initializes it, as [`call_of`] gives it.
    call: Option<(String, Layout)>,
    /// Whether a struct literal initializes it, and its type when a plain name (`State`).
    literal: bool,
    literal_ty: Option<syn::Ident>,
    /// Whether it is written with a struct's type (`let s2: State = ..`), and the type.
    typed_struct: bool,
    written: Option<syn::Type>,
    /// Whether it is written with another type.
    typed: bool,
    /// The names the initializing call passes.
    passed: Vec<String>,
    /// The receiver and method of the initializing method call (`s`, `scaled`).
    receiver: Option<(String, String)>,
    /// The local it copies (`s` in `let t = s;`).
    copy_of: Option<String>,
}

#[derive(Default)]
struct Scan {
    /// The caller's struct parameters and their types.
    roots: Vec<(String, syn::Type)>,
    /// Locals whose own methods are called (`k.norm2()`, not a slice's).
    methods: Vec<String>,
    lets: Vec<Let>,
    assigned: Vec<(String, (String, Layout))>,
    /// Locals assigned a method call on themselves (`s = s.step(p, h)`).
    stepped: Vec<String>,
    fields: Vec<String>,
    /// Names passed by shared reference to a call, or receivers of a method call.
    shared: Vec<String>,
    /// Names passed by shared reference to a method of `self` (`self.rhs(&y)`) or to a free
    /// function called by its name (`energy(&y)`): a literal so passed is held.
    lent: Vec<String>,
    /// Names used as an array: indexed, iterated, or receivers of a slice's method.
    arrays: Vec<String>,
}

fn ident_of(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(unraw),
        _ => None,
    }
}

impl<'a> Visit<'a> for Scan {
    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some((name, _)) = super::locals::simple_binding(&l.pat) {
            let init = l.init.as_ref().map(|i| &*i.expr);
            let literal_ty = match init {
                Some(syn::Expr::Struct(s)) if s.qself.is_none() => {
                    s.path.get_ident().filter(|i| *i != "Self").cloned()
                }
                _ => None,
            };
            let written = match &l.pat {
                syn::Pat::Type(pt) => Some(&*pt.ty),
                _ => None,
            };
            self.lets.push(Let {
                name: unraw(&name),
                span: name.span(),
                call: init.and_then(|e| call_of(e, &self.roots)),
                literal: matches!(init, Some(syn::Expr::Struct(_))),
                literal_ty,
                typed_struct: written.is_some_and(struct_type),
                written: written.filter(|t| struct_type(t)).cloned(),
                typed: written.is_some_and(|t| !struct_type(t)),
                passed: init.map(call_args).unwrap_or_default(),
                receiver: init.and_then(receiver),
                copy_of: init.and_then(ident_of),
            });
        } else {
            let mut names = Vec::new();
            super::locals::bound_names(&l.pat, &mut names);
            self.lets.extend(names.into_iter().map(|name| Let {
                name,
                span: l.span(),
                call: None,
                literal: false,
                literal_ty: None,
                typed_struct: false,
                written: None,
                typed: true,
                passed: Vec::new(),
                receiver: None,
                copy_of: None,
            }));
        }
        syn::visit::visit_local(self, l);
    }
    fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
        if let Some(id) = ident_of(&a.left) {
            if let Some(f) = call_of(&a.right, &self.roots) {
                self.assigned.push((id.clone(), f));
            }
            if receiver(&a.right).is_some_and(|(r, _)| r == id) {
                self.stepped.push(id);
            }
        }
        syn::visit::visit_expr_assign(self, a);
    }
    fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
        // A free function called by its name (`energy(&s)`) takes a literal whole as a held
        // struct (`held`); one called through a path (`State::energy(&s)`) does not.
        let free = callee(&syn::Expr::Call(c.clone())).is_some();
        for a in &c.args {
            if let syn::Expr::Reference(r) = a {
                if let (None, Some(id)) = (r.mutability, ident_of(&r.expr)) {
                    if free {
                        self.lent.push(id.clone());
                    }
                    self.shared.push(id);
                }
            }
        }
        syn::visit::visit_expr_call(self, c);
    }
    fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
        // A method called on a local passes it on as its receiver (`s2.energy(p)`); a slice's
        // method (`k1.iter()`) uses it as an array.
        if ident_of(&m.receiver).is_some_and(|r| r == "self") {
            for a in &m.args {
                if let syn::Expr::Reference(r) = a {
                    if let (None, Some(id)) = (r.mutability, ident_of(&r.expr)) {
                        self.shared.push(id.clone());
                        self.lent.push(id);
                    }
                }
            }
        } else if let Some(id) = ident_of(&m.receiver) {
            // Arguments passed by shared reference to another method (`t.dot(&u)`).
            for a in &m.args {
                if let syn::Expr::Reference(r) = a {
                    if let (None, Some(arg)) = (r.mutability, ident_of(&r.expr)) {
                        self.shared.push(arg);
                    }
                }
            }
            let name = m.method.to_string();
            if ARRAY_METHODS.contains(&name.as_str()) {
                self.arrays.push(id);
            } else if is_real_method(&name) {
                // `x.sqrt()` of a real (the result of `self.energy(u)`): no struct's method.
            } else {
                self.methods.push(id.clone());
                self.shared.push(id);
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }
    fn visit_expr_index(&mut self, ix: &'a syn::ExprIndex) {
        if let Some(id) = ident_of(&ix.expr) {
            self.arrays.push(id);
        }
        syn::visit::visit_expr_index(self, ix);
    }
    fn visit_expr_for_loop(&mut self, f: &'a syn::ExprForLoop) {
        let e = match &*f.expr {
            syn::Expr::Reference(r) => &*r.expr,
            e => e,
        };
        if let Some(id) = ident_of(e) {
            self.arrays.push(id);
        }
        syn::visit::visit_expr_for_loop(self, f);
    }
    fn visit_expr_field(&mut self, f: &'a syn::ExprField) {
        if let (Some(id), syn::Member::Named(_)) = (ident_of(&f.base), &f.member) {
            self.fields.push(id);
        }
        syn::visit::visit_expr_field(self, f);
    }
    fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

impl Scan {
    fn once(&self, name: &str) -> bool {
        self.lets.iter().filter(|l| l.name == name).count() == 1
    }

    /// Whether `name` or a copy of it (`let t = name;`, and copies of that) is lent.
    fn lent_through(&self, name: &str, depth: usize) -> bool {
        self.lent.contains(&name.to_string())
            || (depth < 16
                && self.lets.iter().any(|m| {
                    m.name != name
                        && m.copy_of.as_deref() == Some(name)
                        && self.lent_through(&m.name, depth + 1)
                }))
    }

    /// The one type of the caller's struct parameters and struct literals among `passed`
    /// (`State` for `self.rhs(s)` with `s: &State`, or `self.rhs(&y1)` with `let y1 = State {
    /// .. }`), or `None`.
    fn passed_type(&self, passed: &[String]) -> Option<syn::Type> {
        let params = (self.roots.iter())
            .filter(|(n, _)| passed.contains(n))
            .map(|(_, t)| t.clone());
        let literals = (self.lets.iter())
            .filter(|l| passed.contains(&l.name) && self.once(&l.name))
            .filter_map(|l| l.literal_ty.as_ref())
            .map(|id| syn::parse_quote!(#id));
        let mut types = params.chain(literals);
        let first = types.next()?;
        let name = quote::ToTokens::to_token_stream(&first).to_string();
        types
            .all(|t| quote::ToTokens::to_token_stream(&t).to_string() == name)
            .then_some(first)
    }

    /// The locals held on evidence from themselves: fields read, a literal assigned a call or
    /// stepped by its method, a written struct type.
    fn direct(&self) -> Vec<Taken> {
        let mut out = Vec::new();
        for l in &self.lets {
            if !self.once(&l.name) {
                continue;
            }
            let assigned = self
                .assigned
                .iter()
                .find(|(n, _)| *n == l.name)
                .map(|(_, f)| f);
            let fields = self.fields.contains(&l.name) && !self.arrays.contains(&l.name);
            // A literal lent to a method of `self` (`self.rhs(&y)`), not used as an array.
            let lent = self.lent_through(&l.name, 0) && !self.arrays.contains(&l.name);
            // A call's result whose own methods are called (`let k = State::new(..);
            // k.norm2()`): a struct (an array has no such methods, and a call returning one has
            // no `into` companion: a compile error, never a wrong derivative).
            let key = callee_key(&l.call);
            let methods = self.methods.contains(&l.name)
                && !self.arrays.contains(&l.name)
                && !nalgebra_constructor(&key);
            // An associated function's result passed on (`let u = State::new(..); energy(&u)`):
            // a struct too (its `into` companion exists only for a struct result).
            let methods = methods
                || (key.contains("::")
                    && !nalgebra_constructor(&key)
                    && self.shared.contains(&l.name)
                    && !self.arrays.contains(&l.name));
            let (layout, callee) = match (&l.call, assigned, &l.literal_ty) {
                (Some((key, layout)), _, _)
                    if (fields && !l.typed)
                        || l.typed_struct
                        || (methods && !l.typed && layout.is_call()) =>
                {
                    (layout.clone(), key.clone())
                }
                (None, Some((key, layout)), _) if l.literal => (layout.clone(), key.clone()),
                (None, None, Some(ty)) if self.stepped.contains(&l.name) || lent || methods => (
                    Layout::of_type(super::layout::alias_name(ty)),
                    String::new(),
                ),
                _ => continue,
            };
            let typed = (l.typed_struct || methods).then_some(());
            let guess = !callee.starts_with("self.");
            // `let k1 = self.rhs(s); k1.norm2()`: the type of the caller's struct parameters
            // the call passes, when they have one (rustc checks it, `ResultIs`).
            let passed = (!guess && l.written.is_none())
                .then(|| self.passed_type(&l.passed))
                .flatten();
            let written = l.written.as_ref().or(passed.as_ref());
            let found =
                typed.and_then(|()| super::self_calls::typed(&layout, written, guess, l.span));
            let (layout, checked) = match found {
                Some((typed, checked)) => (typed, Some(checked)),
                None => (layout, None),
            };
            out.push(Taken {
                name: l.name.clone(),
                layout,
                callee,
                checked,
            });
        }
        out
    }

    /// `l` held on evidence from what it is bound to (`out` holds so far), or `None`.
    fn bound(&self, l: &Let, out: &[Taken]) -> Option<Taken> {
        if !self.once(&l.name) || l.typed || out.iter().any(|t| t.name == l.name) {
            return None;
        }
        if let Some((key, layout)) = &l.call {
            return out.iter().any(|t| t.callee == *key).then(|| Taken {
                name: l.name.clone(),
                layout: layout.clone(),
                callee: key.clone(),
                checked: None,
            });
        }
        // A copy of a held local (`let t = s;`).
        if let Some(held) = (l.copy_of.as_ref()).and_then(|c| out.iter().find(|t| t.name == *c)) {
            return Some(Taken {
                name: l.name.clone(),
                layout: held.layout.clone(),
                callee: String::new(),
                checked: None,
            });
        }
        let (r, method) = l.receiver.as_ref()?;
        let held = out.iter().find(|t| t.name == *r)?;
        let fields = (self.fields.contains(&l.name) || self.methods.contains(&l.name))
            && !self.arrays.contains(&l.name);
        (fields || l.typed_struct || method == "clone").then(|| Taken {
            name: l.name.clone(),
            layout: held.layout.clone(),
            callee: String::new(),
            checked: None,
        })
    }

    /// The refusal of a local used only in ways both a struct and an array can be, bound to a
    /// call taking a struct or to a method of a held struct.
    fn ambiguous(&self, l: &Let, out: &[Taken]) -> Option<syn::Error> {
        let held =
            |a: &String| self.roots.iter().any(|(r, _)| r == a) || out.iter().any(|t| t.name == *a);
        let takes_struct = (l.call.is_some() && l.passed.iter().any(held))
            || l.receiver.as_ref().is_some_and(|(r, _)| held(r));
        let shared = self.shared.contains(&l.name) && !self.arrays.contains(&l.name);
        if !takes_struct || !shared || l.typed || out.iter().any(|t| t.name == l.name) {
            return None;
        }
        let name = &l.name;
        Some(syn::Error::new(
            l.span,
            format!("`{name}` holds the result of a call taking a struct, and is only passed on: write its type, `let {name}: State = ..` for a struct (which the function then holds as its reals), `let {name}: [f64; N] = ..` or `Vec<f64>` for an array"),
        ))
    }
}

/// The locals to hold as reals (see the module documentation), and the refusal of ambiguous
/// ones. `roots` are the caller's struct parameters.
pub(super) fn find(
    block: &syn::Block,
    roots: &[(String, syn::Type)],
) -> (Vec<Taken>, Option<syn::Error>) {
    let mut scan = Scan {
        roots: roots.to_vec(),
        ..Scan::default()
    };
    scan.visit_block(block);
    let mut out = scan.direct();
    loop {
        let found: Vec<Taken> = scan
            .lets
            .iter()
            .filter_map(|l| scan.bound(l, &out))
            .collect();
        if found.is_empty() {
            break;
        }
        for t in found {
            if !out.iter().any(|o| o.name == t.name) {
                out.push(t);
            }
        }
    }
    let mut refused: Option<syn::Error> = None;
    for l in &scan.lets {
        if let Some(e) = scan.ambiguous(l, &out) {
            match &mut refused {
                Some(all) => all.combine(e),
                None => refused = Some(e),
            }
        }
    }
    (out, refused)
}
