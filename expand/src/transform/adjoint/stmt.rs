//! The forward and reverse sweeps of statements: bindings, assignments (with the overwritten
//! value saved and put back), calls (through the callee's reverse companion), loops run
//! backwards, branches replayed from the saved decision.

use super::seed::MatrixSeed;
use super::Reverse;
use crate::activity::arg_active;
use crate::emit::Value;
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

impl Reverse<'_> {
    /// The adjoint of `let var = init`.
    pub(super) fn init(&self, var: VarId, init: &Init, out: &mut TokenStream) {
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        match init {
            Init::Expr(e) if e.kind == Kind::Matrix => {
                let seed = MatrixSeed::Scaled {
                    m: em.bar_ref(var),
                    alpha: None,
                };
                self.matrix(e, seed, out)
            }
            Init::Expr(e) => self.expr(e, Value::Name(b), out),
            Init::VecFill { value, .. } | Init::ArrayFill { value, .. } => {
                self.expr(value, Value::Expr(quote!(#rt::sum(&#b[..]))), out)
            }
            Init::ArrayList(es) | Init::VecList(es) => {
                for (k, e) in es.iter().enumerate() {
                    self.expr(e, Value::Expr(quote!(#b[#k])), out);
                }
            }
            Init::CopyOf(src) => {
                if em.is_active(*src) {
                    let sb = em.bar(*src);
                    out.extend(quote!(#rt::accumulate(&mut #sb[..], &#b[..]);));
                }
            }
        }
    }

    /// The adjoint of `place = value`, for an active place.
    pub(super) fn assign(&self, place: &Place, value: &Expr, out: &mut TokenStream) {
        let em = self.em;
        let var = place.var();
        if value.kind == Kind::Matrix {
            return self.assign_matrix(var, value, out);
        }
        let target = match place {
            Place::Var(_) => {
                let b = em.bar(var);
                quote!(#b)
            }
            Place::Index(_, i) => {
                let (b, i) = (em.bar(var), em.primal(i));
                quote!(#b[#i])
            }
        };
        // `x += e` and `x -= e`: the adjoint of x passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if same_place(place, a) && !reads_var(e, var) {
                let g = em.temp("adj");
                out.extend(quote!(let #g = #target;));
                let seed = if *op == Binary::Add {
                    Value::Name(g)
                } else {
                    Value::Expr(quote!((-#g)))
                };
                self.expr(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        let zero = em.zero();
        out.extend(quote!(let #g = #target; #target = #zero;));
        self.expr(value, Value::Name(g), out);
    }

    /// The adjoint of `var = value` for a matrix `var`.
    pub(super) fn assign_matrix(&self, var: VarId, value: &Expr, out: &mut TokenStream) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        // `h += e` and `h -= e`: the adjoint of `h` passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if matches!(a.op, Op::Var(v) if v == var) && !reads_var(e, var) {
                let seed = MatrixSeed::Scaled {
                    m: quote!(&#b),
                    alpha: (*op == Binary::Sub)
                        .then(|| Value::Expr(quote!(#rt::cst::<#scalar>(-1.0)))),
                };
                self.matrix(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        out.extend(quote!(let #g = #rt::linalg::take(&mut #b);));
        let seed = MatrixSeed::Scaled {
            m: quote!(&#g),
            alpha: None,
        };
        self.matrix(value, seed, out);
    }

    pub(super) fn block(
        &self,
        b: &Block,
        first: StmtId,
        depth: usize,
    ) -> (TokenStream, TokenStream) {
        let em = self.em;
        let mut fwd = TokenStream::new();
        let mut revs = Vec::new();
        for (id, s) in b.numbered(first) {
            let (f, r) = self.stmt(s, id, depth);
            fwd.extend(f);
            revs.push(r);
        }
        let mut rev = TokenStream::new();
        if depth > 0 {
            // Bindings of this scope: what the reverse of the scope needs of them.
            for s in &b.stmts {
                let vars: Vec<VarId> = match s {
                    Stmt::Let { var, .. } => vec![*var],
                    Stmt::Call(c) => c.results.clone(),
                    _ => continue,
                };
                for v in vars {
                    let is_array = matches!(em.var(v).kind, Kind::RealArray(_) | Kind::Matrix);
                    let active = em.is_active(v);
                    if self.plan.needed[v] || (active && is_array) {
                        let name = em.name(v);
                        if self.plan.recompute[v] {
                            if let Stmt::Let { init, .. } = s {
                                let i = em.init(init);
                                rev.extend(quote!(let mut #name = #i;));
                            }
                        } else {
                            let saved = self.saves.save(em, depth, &em.var(v).name, quote!(#name));
                            fwd.extend(saved.save);
                            let load = saved.load;
                            rev.extend(quote!(let mut #name = #load;));
                        }
                    }
                    if active {
                        let b = em.bar(v);
                        let z = self.zero_like(v);
                        rev.extend(quote!(let mut #b = #z;));
                    }
                }
            }
        }
        for r in revs.into_iter().rev() {
            rev.extend(r);
        }
        (fwd, rev)
    }

    pub(super) fn stmt(&self, s: &Stmt, id: StmtId, depth: usize) -> (TokenStream, TokenStream) {
        let em = self.em;
        let mut fwd = TokenStream::new();
        let mut rev = TokenStream::new();
        let keep = self.useful.as_ref().is_none_or(|u| u.contains(&id));
        match s {
            Stmt::Let { var, init, .. } => {
                let (b, i) = (em.binding(*var), em.init(init));
                if keep {
                    fwd.extend(quote!(let #b = #i;));
                }
                if em.is_active(*var) {
                    if depth == 0 {
                        let (bar, z) = (em.bar(*var), self.zero_like(*var));
                        fwd.extend(quote!(let mut #bar = #z;));
                    }
                    self.init(*var, init, &mut rev);
                }
            }
            Stmt::Assign { place, value, .. } => {
                let var = place.var();
                let p = em.place(place);
                if self.plan.saves.contains(&id) {
                    let old = if em.var(var).kind == Kind::Matrix {
                        quote!(#p.clone())
                    } else {
                        quote!(#p)
                    };
                    let saved = self.saves.save(em, depth, &em.var(var).name, old);
                    fwd.extend(saved.save);
                    let load = saved.load;
                    // Put the old value back before the adjoint reads it.
                    let mut restore = quote!(#p = #load;);
                    if em.is_active(var) {
                        self.assign(place, value, &mut restore);
                    }
                    rev.extend(restore);
                } else if em.is_active(var) {
                    self.assign(place, value, &mut rev);
                }
                if keep {
                    let v = em.primal(value);
                    fwd.extend(quote!(#p = #v;));
                }
            }
            Stmt::Call(c) => self.call(id, keep, c, depth, &mut fwd, &mut rev),
            Stmt::For {
                var, range, body, ..
            } => {
                let (bf, br) = self.block(body, id.inner(), depth + 1);
                let (i, r) = (em.name(*var), em.range(range));
                if !bf.is_empty() {
                    fwd.extend(quote!(for #i in #r { #bf }));
                }
                if !br.is_empty() {
                    rev.extend(quote!(for #i in #r.rev() { #br }));
                }
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                let (tf, tr) = self.block(then, id.inner(), depth + 1);
                let (ef, er) = self.block(els, id.els(then), depth + 1);
                let c = em.primal(cond);
                if tr.is_empty() && er.is_empty() {
                    fwd.extend(quote!(if #c { #tf } else { #ef }));
                } else {
                    let taken = em.temp("branch");
                    fwd.extend(quote!(let #taken = #c;));
                    let load = if depth == 0 {
                        quote!(#taken)
                    } else {
                        let saved = self.saves.save(em, depth, "branch", quote!(#taken));
                        fwd.extend(saved.save);
                        saved.load
                    };
                    fwd.extend(quote!(if #taken { #tf } else { #ef }));
                    rev.extend(quote!(if #load { #tr } else { #er }));
                }
            }
        }
        (fwd, rev)
    }

    #[allow(clippy::too_many_arguments)] // one statement's context
    pub(super) fn call(
        &self,
        id: StmtId,
        keep: bool,
        c: &Call,
        depth: usize,
        fwd: &mut TokenStream,
        rev: &mut TokenStream,
    ) {
        let em = self.em;
        let active = c.args.iter().any(|a| arg_active(a, &em.active));
        let primal_args = em.primal_args(&c.args);
        // Arrays the call may write: their state before the call, for the callee's adjoint and for
        // the caller's reverse sweep before this point. The callee's `__{name}_args` says, at
        // compile time, whether it writes the argument and reads its incoming value; the
        // snapshot is taken only when it matters.
        let effects = em.companion(&c.callee, "ARGS");
        let mut snapshots = Vec::new();
        for (k, a) in c.args.iter().enumerate() {
            if let Arg::ArrayMut { var, .. } = a {
                let needed = self.plan.caller_needs.contains(&(id, *var));
                if !(active || needed) {
                    continue;
                }
                let cond = if needed {
                    quote!(#effects[#k].1)
                } else {
                    quote!((#effects[#k].1 && #effects[#k].0))
                };
                let n = em.name(*var);
                let saved = self.saves.save_if(
                    em,
                    depth,
                    &em.var(*var).name,
                    &cond,
                    quote!(#n[..].to_vec()),
                );
                fwd.extend(saved.save);
                snapshots.push((*var, cond, saved.load));
            }
        }
        let generic = em.companion(&c.callee, "generic");
        if !keep {
            // The reverse-only companion skips a call whose results its reverse sweep never reads.
        } else if c.results.is_empty() {
            fwd.extend(quote_spanned!(c.span=> #generic(#(#primal_args),*);));
        } else {
            let pat = em.call_results(c, |r| em.name(r));
            fwd.extend(quote_spanned!(c.span=> let #pat = #generic(#(#primal_args),*);));
        }
        let mut restore_before = TokenStream::new();
        let mut restore_after = TokenStream::new();
        for (var, cond, load) in snapshots {
            let n = em.name(var);
            let pre = em.temp("before_call");
            restore_before.extend(quote! {
                let #pre = if #cond { ::core::option::Option::Some(#load) } else { ::core::option::Option::None };
                if let ::core::option::Option::Some(__pre) = &#pre { #n[..].copy_from_slice(&__pre[..]); }
            });
            if self.plan.caller_needs.contains(&(id, var)) || !active {
                restore_after.extend(quote! {
                    if let ::core::option::Option::Some(__pre) = &#pre { #n[..].copy_from_slice(&__pre[..]); }
                });
            }
        }
        if depth == 0 {
            // Results are active when the call is, or when active values are assigned to them
            // later.
            for &r in &c.results {
                if em.is_active(r) {
                    let (b, z) = (em.bar(r), self.zero_like(r));
                    fwd.extend(quote!(let mut #b = #z;));
                }
            }
        }
        if !active {
            rev.extend(restore_before);
            return;
        }
        // The callee's reverse-only companion: it recomputes only what its reverse sweep reads.
        let vjp = em.companion(&c.callee, "rev");
        let args = self.reverse_call_args(c, primal_args);
        rev.extend(restore_before);
        rev.extend(quote_spanned!(c.span=> #vjp(#(#args),*);));
        rev.extend(restore_after);
    }

    /// The arguments of a callee's reverse companion: each primal argument followed by its
    /// adjoint (a zero for inactive ones), then the seeds of the results.
    fn reverse_call_args(&self, c: &Call, primal_args: Vec<TokenStream>) -> Vec<TokenStream> {
        let em = self.em;
        let mut args = Vec::new();
        for (a, p) in c.args.iter().zip(primal_args) {
            args.push(p);
            match a {
                Arg::Value(e) if e.kind == Kind::Real => {
                    args.push(match &e.op {
                        Op::Var(v) if em.is_active(*v) => {
                            let b = em.bar(*v);
                            quote!(&mut #b)
                        }
                        _ => {
                            let z = em.zero();
                            quote!(&mut #z)
                        }
                    });
                }
                Arg::Value(_) => {}
                Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                    if em.is_active(*var) {
                        let b = em.bar(*var);
                        args.push(quote!(&mut #b[..]));
                    } else {
                        args.push(em.zero_array_arg(*var, true, true));
                    }
                }
                Arg::Matrix { var, .. } => {
                    if em.is_active(*var) {
                        args.push(em.bar_mut(*var));
                    } else {
                        let (rt, r) = (&em.rt, em.var_mat_ref(*var));
                        args.push(quote!(&mut #rt::zeros_like(#r)));
                    }
                }
            }
        }
        if !c.results.is_empty() {
            let seeds: Vec<TokenStream> = c
                .results
                .iter()
                .map(|&r| {
                    let b = em.bar(r);
                    match em.var(r).kind {
                        Kind::Real => quote!(#b),
                        Kind::Matrix => em.bar_ref(r),
                        _ => quote!(&#b[..]),
                    }
                })
                .collect();
            args.push(if c.tuple {
                quote!((#(#seeds,)*))
            } else {
                quote!(#(#seeds)*)
            });
        }
        args
    }
}

/// Whether `e` reads exactly `place` (the `x` of `x = x + e`).
pub(super) fn same_place(place: &Place, e: &Expr) -> bool {
    match (place, &e.op) {
        (Place::Var(v), Op::Var(w)) => v == w,
        (Place::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

/// Structural equality of inactive index expressions.
pub(super) fn same_expr(a: &Expr, b: &Expr) -> bool {
    use quote::ToTokens;
    match (&a.op, &b.op) {
        (Op::Var(x), Op::Var(y)) | (Op::Len(x), Op::Len(y)) => x == y,
        (Op::Lit(Literal::Other(x)), Op::Lit(Literal::Other(y))) => {
            x.to_token_stream().to_string() == y.to_token_stream().to_string()
        }
        (Op::Binary(o, x1, y1), Op::Binary(p, x2, y2)) => {
            o == p && same_expr(x1, x2) && same_expr(y1, y2)
        }
        (Op::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

pub(super) fn reads_var(e: &Expr, v: VarId) -> bool {
    let mut r = Vec::new();
    e.reads(&mut r);
    r.contains(&v)
}
