//! The reverse IR printed as Rust: one statement of [`RevStmt`] at a time, in the scalar type
//! `S`, with the names of the emitter. The printer keeps no state of its own; everything the
//! reverse sweep saves, restores and accumulates was decided by the adjoint transform.

use super::Emitter;
use crate::ir::rev::{Cond, Gather, RevStmt, Saved, Slot, Target};
use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

impl Emitter<'_> {
    /// Statements of the reverse IR as Rust statements.
    pub fn rev_stmts(&self, stmts: &[RevStmt]) -> TokenStream {
        self.rev_block(stmts)
    }

    /// The declarations of the stacks of one reverse-mode companion.
    pub fn rev_stacks(&self, stacks: &[Ident]) -> TokenStream {
        let rt = &self.rt;
        quote!(#(let mut #stacks = #rt::Stack::new();)*)
    }

    /// Where the reverse sweep gets a saved value back: the local, or a pop of the stack.
    fn load(&self, slot: &Slot) -> TokenStream {
        let (rt, name) = (&self.rt, &slot.name);
        if slot.stack {
            quote!(#rt::pop(&mut #name))
        } else {
            quote!(#name)
        }
    }

    /// Zeros shaped like `v`, for its adjoint: a fixed-size array's are `[0; N]`, which reads
    /// no binding, so the reverse sweep need not keep `v` for its shape.
    fn zero_like(&self, v: VarId) -> TokenStream {
        let rt = &self.rt;
        match &self.var(v).kind {
            Kind::Real => self.zero(),
            Kind::RealArray(ArrayRepr::Array(len)) if len.is_known() => {
                let z = self.zero();
                quote!([#z; #len])
            }
            _ => {
                let n = self.name(v);
                quote!(#rt::zeros_like(&#n))
            }
        }
    }

    /// `v`'s adjoint declared by the values its elements are first written with (see
    /// [`RevStmt::Declare`]), so that no zeros are stored before the writes.
    fn declare(
        &self,
        v: VarId,
        index: VarId,
        body: &[RevStmt],
        value: &super::Value,
    ) -> TokenStream {
        let (b, i, scalar) = (self.bar(v), self.name(index), &self.scalar);
        let body = self.rev_stmts(body);
        let ty = match &self.var(v).kind {
            Kind::RealArray(ArrayRepr::Array(len)) => quote!([#scalar; #len]),
            _ => unreachable!("only fixed-size arrays are declared by their writes"),
        };
        quote!(let mut #b: #ty = ::core::array::from_fn(|#i: usize| { #body #value });)
    }

    /// An adjoint target, `v_bar` or `v_bar[i]`.
    fn target(&self, t: &Target) -> TokenStream {
        match t {
            Target::Var(v) => {
                let b = self.bar(*v);
                quote!(#b)
            }
            Target::Index(v, i) => {
                let (b, i) = (self.bar(*v), self.primal(i));
                quote!(#b[#i])
            }
        }
    }

    fn saved(&self, value: &Saved) -> TokenStream {
        match value {
            Saved::Place { place, clone } => {
                let p = self.place(place);
                if *clone {
                    quote!(#p.clone())
                } else {
                    quote!(#p)
                }
            }
            Saved::Var(v) => {
                let n = self.name(*v);
                quote!(#n)
            }
            Saved::Decision(t) => quote!(#t),
            Saved::ArrayCopy(v) => {
                let n = self.name(*v);
                quote!(#n[..].to_vec())
            }
        }
    }

    fn save(&self, slot: &Slot, value: &Saved, cond: Option<&TokenStream>) -> TokenStream {
        let rt = &self.rt;
        let (name, value) = (&slot.name, self.saved(value));
        match (cond, slot.stack) {
            (None, false) => quote!(let #name = #value;),
            (None, true) => quote!(#name.push(#value);),
            (Some(c), false) => quote!(let #name = if #c { #value } else { #rt::Vec::new() };),
            (Some(c), true) => quote!(if #c { #name.push(#value); }),
        }
    }

    fn restore_arg(
        &self,
        var: VarId,
        before: &Ident,
        cond: &TokenStream,
        slot: &Slot,
    ) -> TokenStream {
        let (n, load) = (self.name(var), self.load(slot));
        quote! {
            let #before = if #cond { ::core::option::Option::Some(#load) } else { ::core::option::Option::None };
            if let ::core::option::Option::Some(__pre) = &#before { #n[..].copy_from_slice(&__pre[..]); }
        }
    }

    /// A primal call, through the callee's generic companion.
    pub(super) fn call_stmt(&self, c: &Call) -> TokenStream {
        let generic = self.companion(&c.callee, "generic");
        let args = self.primal_args(&c.args);
        if c.results.is_empty() {
            quote_spanned!(c.span=> #generic(#(#args),*);)
        } else {
            let pat = self.call_results(c, |r| self.name(r));
            let value = self.rows_call_value(c, quote!(#generic(#(#args),*)));
            quote_spanned!(c.span=> let #pat = #value;)
        }
    }

    /// `let name = target;`, and `target = 0;` when `reset`.
    fn take(&self, name: &Ident, target: &Target, reset: bool) -> TokenStream {
        let t = self.target(target);
        if reset {
            let z = self.zero();
            quote!(let #name = #t; #t = #z;)
        } else {
            quote!(let #name = #t;)
        }
    }

    /// `let name = value;`, one part of the result (a copy of an array or matrix variable).
    fn result_part(&self, name: &Ident, value: &Expr, copy: bool) -> TokenStream {
        let v = match (&value.op, copy) {
            (Op::Var(v), true) if self.is_rows(*v) => {
                let n = self.name(*v);
                self.rows_result(quote!(#n))
            }
            (Op::Var(v), true) => {
                let n = self.name(*v);
                quote!(#n.clone())
            }
            _ => self.primal(value),
        };
        quote!(let #name = #v;)
    }

    /// A stencil loop's gather-form reverse: its bounds, its loops, the zeroing of the adjoints
    /// of what it wrote.
    fn gather(&self, g: &Gather) -> TokenStream {
        let i = self.name(g.var);
        let (start, end, z) = (&g.start, &g.end, self.zero());
        let bounds = g.bounds.iter().map(|(n, v)| quote!(let #n: usize = #v;));
        let print = |l: &crate::ir::rev::GatherLoop| {
            let (s, e) = (&l.start, &l.end);
            if l.rev {
                return self.scalar_gather(&i, g.var, l);
            }
            let body = self.rev_stmts(&l.body);
            if l.what == "iteration" {
                return quote!({ #body });
            }
            quote!(for #i in #s..#e { #body })
        };
        let arrays: Vec<TokenStream> = g.loops.iter().filter(|l| !l.rev).map(print).collect();
        let scalars = g.loops.iter().filter(|l| l.rev).map(print);
        let loops = if g.fast.is_empty() {
            quote!(#(#arrays)*)
        } else {
            // The boundary iterations written out need the interior not empty.
            let fast = g.fast.iter().map(print);
            let (lo, hi) = (&g.bounds[2].0, &g.bounds[3].0);
            quote!(if #lo < #hi { #(#fast)* } else { #(#arrays)* })
        };
        let loops = quote!(#loops #(#scalars)*);
        let zero = g.zero.iter().map(|(w, here)| {
            let t = self.target(&Target::Index(*w, here));
            quote!(for #i in #start..#end { #t = #z; })
        });
        quote!(#(#bounds)* #loops #(#zero)*)
    }

    /// A gather's scalar loop (`for i in (start..end).rev()`, adding into scalars' adjoints and
    /// elements at constant indices, `p_bar[0] += du_bar[i]`), with each element summed in a
    /// local: the same additions in the same order, but in a register. In memory, with a
    /// bounds check in the loop (rustc does not drop it in a downward loop over a length known
    /// only when the program runs), every addition was a load and a store after the last:
    /// one chain of dependent store-to-load forwards through the whole loop. Elements at other
    /// indices (which may be the same element) are added in place. Adjoints read at the loop
    /// index are read through views of the range (see [`Emitter::gather_views`]).
    fn scalar_gather(&self, i: &Ident, var: VarId, l: &crate::ir::rev::GatherLoop) -> TokenStream {
        let (s, e) = (&l.start, &l.end);
        let mut sums: Vec<(VarId, u64, Ident)> = Vec::new();
        for st in &l.body {
            let RevStmt::Accumulate { target, write, .. } = st else {
                continue;
            };
            let Target::Index(v, idx) = target else {
                continue;
            };
            let k = match &idx.op {
                Op::Lit(Literal::Other(syn::Lit::Int(k))) if !*write => k.base10_parse().ok(),
                _ => None,
            };
            let Some(k) = k else {
                sums.clear();
                break;
            };
            if !sums.iter().any(|(w, j, _)| w == v && *j == k) {
                sums.push((*v, k, self.temp("sum")));
            }
        }
        if sums.is_empty() {
            let body = self.rev_stmts(&l.body);
            return quote!(for #i in (#s..#e).rev() { #body });
        }
        *self.sums.borrow_mut() = sums.clone();
        let (first, last) = (self.temp("first"), self.temp("last"));
        let looped = match self.gather_views(i, var, &l.body, (&first, &last)) {
            Some(looped) => looped,
            None => {
                let body = self.rev_stmts(&l.body);
                quote!(for #i in (#first..#last).rev() { #body })
            }
        };
        self.sums.borrow_mut().clear();
        let element = |v: VarId, k: u64| {
            let (b, k) = (self.bar(v), proc_macro2::Literal::u64_unsuffixed(k));
            quote!(#b[#k])
        };
        let load = sums.iter().map(|(v, k, n)| {
            let el = element(*v, *k);
            quote!(let mut #n = #el;)
        });
        let store = sums.iter().map(|(v, k, n)| {
            let el = element(*v, *k);
            quote!(#el = #n;)
        });
        // Only a loop that runs touches the elements (they may not exist otherwise).
        quote! {
            let #first: usize = #s;
            let #last: usize = #e;
            if #first < #last {
                #(#load)*
                #looped
                #(#store)*
            }
        }
    }

    /// A scalar gather's loop with the adjoints its body reads at the loop index (`let a =
    /// du_bar[i];`) read through views of the range, `du_bar[first..last]`, indexed from zero
    /// downwards: the same reads in the same order, but rustc drops the bounds checks and
    /// unrolls the loop (in a downward loop over `first..last` it checks every index, even
    /// after the range was checked, and the check kept the loop from being unrolled: on problem
    /// L's right-hand side at a run-time length, six instructions an element where two do).
    /// `None` when the body does anything but read adjoints and add into scalars and into the
    /// elements summed in locals (a view must not be borrowed across a write), or reads none
    /// at the loop index.
    fn gather_views(
        &self,
        i: &Ident,
        var: VarId,
        body: &[RevStmt],
        (first, last): (&Ident, &Ident),
    ) -> Option<TokenStream> {
        let mut views: Vec<(VarId, Ident)> = Vec::new();
        for st in body {
            match st {
                RevStmt::Take {
                    target: Target::Index(v, idx),
                    reset: false,
                    ..
                } if self.viewable(*v, idx, var) => {
                    if !views.iter().any(|(w, _)| w == v) {
                        views.push((*v, self.temp("view")));
                    }
                }
                RevStmt::Take { reset: false, .. }
                | RevStmt::Bind { .. }
                | RevStmt::Accumulate { .. } => {}
                _ => return None,
            }
        }
        if views.is_empty() {
            return None;
        }
        let k = self.temp("k");
        let stmts = body.iter().map(|st| match st {
            RevStmt::Take {
                name,
                target: Target::Index(v, idx),
                reset: false,
            } if self.viewable(*v, idx, var) => {
                let view = views.iter().find(|(w, _)| w == v).map(|(_, n)| n);
                quote!(let #name = #view[#k];)
            }
            _ => self.rev_stmts(std::slice::from_ref(st)),
        });
        let bind = views.iter().map(|(v, n)| {
            let b = self.bar(*v);
            quote!(let #n = &#b[#first..#last];)
        });
        Some(quote! {{
            #(#bind)*
            for #k in (0..#last - #first).rev() {
                let #i: usize = #first + #k;
                #(#stmts)*
            }
        }})
    }

    /// Whether the adjoint of `v` read at `idx` is read through a view in a scalar gather: a
    /// flat array of reals (a slice, `Vec` or `[S; N]`) read at the loop index `var` itself.
    fn viewable(&self, v: VarId, idx: &Expr, var: VarId) -> bool {
        let flat = matches!(self.var(v).kind, Kind::RealArray(_)) && !self.is_rows(v);
        flat && matches!(idx.op, Op::Var(w) if w == var)
    }

    /// `v_bar += value;` or `v_bar[i] += value;`, spanned at the user's expression.
    fn accumulate(
        &self,
        target: &Target,
        value: &super::Value,
        span: Span,
        write: bool,
    ) -> TokenStream {
        let op = if write { quote!(=) } else { quote!(+=) };
        match target {
            Target::Var(v) => {
                let b = self.bar(*v);
                quote_spanned!(span=> #b #op #value;)
            }
            Target::Index(v, i) => {
                let sum = match &i.op {
                    Op::Lit(Literal::Other(syn::Lit::Int(k))) if !write => {
                        let k: Option<u64> = k.base10_parse().ok();
                        let sums = self.sums.borrow();
                        let found = sums.iter().find(|(w, j, _)| w == v && Some(*j) == k);
                        found.map(|(_, _, n)| n.clone())
                    }
                    _ => None,
                };
                if let Some(n) = sum {
                    return quote_spanned!(span=> #n += #value;);
                }
                let (b, i) = (self.bar(*v), self.primal(i));
                quote_spanned!(span=> #b[#i] #op #value;)
            }
        }
    }

    /// The loops of the reverse IR: forward (`For`, `While` counting its trips) and reversed.
    fn rev_loop(&self, s: &RevStmt) -> TokenStream {
        match s {
            RevStmt::For { var, range, body } => {
                // Before the body is printed, so that loops inside it reserve nothing again.
                let reserve = self.reserves(range, body);
                let (i, r, body) = (self.name(*var), self.range(range), self.rev_stmts(body));
                // A loop whose statements the reverse-only companion all skips is left out.
                if body.is_empty() {
                    return body;
                }
                quote!(#reserve for #i in #r { #body })
            }
            RevStmt::While {
                cond,
                trips,
                counted,
                body,
            } => {
                let (c, body) = (self.primal(cond), self.rev_stmts(body));
                if !counted {
                    // Nothing of it in the reverse-only companion's forward sweep: left out.
                    if body.is_empty() {
                        return body;
                    }
                    return quote!(while #c { #body });
                }
                let n = self.name(*trips);
                quote!(let mut #n: usize = 0; while #c { #body #n += 1; })
            }
            RevStmt::ReverseFor { var, range, body } => {
                let (i, r, body) = (self.name(*var), self.range(range), self.rev_stmts(body));
                // A loop whose writes were all taken out as declarations (`declare.rs`) is
                // left out.
                if body.is_empty() {
                    return body;
                }
                quote!(for #i in #r.rev() { #body })
            }
            RevStmt::ReverseWhile { slot, body, .. } => {
                let (load, body) = (self.load(slot), self.rev_stmts(body));
                quote!(for _ in 0..#load { #body })
            }
            _ => TokenStream::new(),
        }
    }

    pub(super) fn rev_stmt(&self, s: &RevStmt) -> TokenStream {
        let rt = &self.rt;
        match s {
            RevStmt::Skipped { .. } => TokenStream::new(),
            RevStmt::Let { var, init, .. } => {
                let (b, i) = (self.binding(*var), self.init(init));
                quote!(let #b = #i;)
            }
            RevStmt::Assign { place, value, .. } => {
                let v = self.primal(value);
                self.write(place, v, proc_macro2::Span::call_site())
            }
            RevStmt::Call { call, .. } => self.call_stmt(call),
            RevStmt::Assert { assert, .. } => self.assert(assert),
            RevStmt::Save { slot, value, cond } => self.save(slot, value, cond.as_ref()),
            RevStmt::Zero(v) => {
                let (b, z) = (self.bar(*v), self.zero_like(*v));
                quote!(let mut #b = #z;)
            }
            RevStmt::Decide { name, cond } => {
                let c = self.primal(cond);
                quote!(let #name = #c;)
            }
            RevStmt::For { .. }
            | RevStmt::While { .. }
            | RevStmt::ReverseFor { .. }
            | RevStmt::ReverseWhile { .. } => self.rev_loop(s),
            RevStmt::If { cond, then, els } => {
                let c = match cond {
                    Cond::Expr(e) => self.primal(e),
                    Cond::Decision(t) => quote!(#t),
                };
                let (t, e) = (self.rev_stmts(then), self.rev_stmts(els));
                quote!(if #c { #t } else { #e })
            }
            RevStmt::FinalCopy { var, name } => {
                let n = self.name(*var);
                quote!(let #name = #n.to_vec();)
            }
            RevStmt::ResultPart { name, value, copy } => self.result_part(name, value, *copy),
            RevStmt::Restore { place, slot, .. } => {
                let (p, load) = (self.place(place), self.load(slot));
                quote!(#p = #load;)
            }
            RevStmt::Unpush { var, .. } => {
                let n = self.name(*var);
                quote!(#n.pop();)
            }
            RevStmt::RestoreArray { in_place: true, .. } => TokenStream::new(),
            RevStmt::RestoreArray { var, slot, .. } => {
                let (n, load) = (self.name(*var), self.load(slot));
                quote!(#n = #load;)
            }
            RevStmt::Rebind { var, slot } => {
                let (n, load) = (self.name(*var), self.load(slot));
                quote!(let mut #n = #load;)
            }
            RevStmt::Recompute { var, init } => {
                let (n, i) = (self.name(*var), self.init(init));
                quote!(let mut #n = #i;)
            }
            RevStmt::Adjoint { body, .. } => self.rev_stmts(body),
            RevStmt::Accumulate {
                target,
                value,
                span,
                write,
            } => self.accumulate(target, value, *span, *write),
            RevStmt::Declare {
                var,
                index,
                body,
                value,
            } => self.declare(*var, *index, body, value),
            RevStmt::Bind { name, value, span } => match span {
                Some(span) => quote_spanned!(*span=> let #name = #value;),
                None => quote!(let #name = #value;),
            },
            RevStmt::Take {
                name,
                target,
                reset,
            } => self.take(name, target, *reset),
            RevStmt::TakeMatrix { name, var } => {
                let b = self.bar(*var);
                quote!(let #name = #rt::linalg::take(&mut #b);)
            }
            RevStmt::Update { code, .. } => code.clone(),
            RevStmt::RestoreArg {
                var,
                before,
                cond,
                slot,
            } => self.restore_arg(*var, before, cond, slot),
            RevStmt::RestoreAgain { var, before, .. } => {
                let n = self.name(*var);
                quote! {
                    if let ::core::option::Option::Some(__pre) = &#before { #n[..].copy_from_slice(&__pre[..]); }
                }
            }
            RevStmt::ReverseCall { call: c, args } => {
                let vjp = self.companion(&c.callee, self.rev_of(c));
                quote_spanned!(c.span=> #vjp(#(#args),*);)
            }
            RevStmt::Gather(g) => self.gather(g),
            RevStmt::Replay {
                decision,
                then,
                els,
            } => {
                let (load, t, e) = (
                    self.load(decision),
                    self.rev_stmts(then),
                    self.rev_stmts(els),
                );
                quote!(if #load { #t } else { #e })
            }
        }
    }
}
