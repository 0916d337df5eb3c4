//! Names in the generated code, kept apart from the user's by construction:
//! - the user's variables keep the user's identifier and syntax context; lowering names a
//!   shadowed or introduced binding outside the set of every identifier of the function;
//! - every name the generator makes (tangents `x_dot`, adjoints `x_bar`, temporaries, stacks,
//!   the result's seed) resolves at `Span::mixed_site()`, the macro's own syntax context, as a
//!   `macro_rules!` local does: no identifier the user writes can name it or be shadowed by it;
//! - among themselves, generated names are told apart by [`Names`]: the variables' derived
//!   names are distinct because the variables' names are and their suffixes differ, and every
//!   other generated name is handed out once, never one already taken;
//! - the companions' scalar type parameter, which hygiene does not cover, avoids every
//!   identifier of the user's function ([`scalar_name`]).

use crate::ir::Function;
use proc_macro2::{Ident, Span};
use std::collections::HashSet;

/// `name` as an identifier: raw where it is a keyword of some edition (the user's `r#match`,
/// named `match` in the IR).
pub fn ident(name: &str, span: Span) -> Ident {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do",
        "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in",
        "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
        "return", "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe",
        "unsized", "use", "virtual", "where", "while", "yield",
    ];
    if KEYWORDS.contains(&name) {
        Ident::new_raw(name, span)
    } else {
        Ident::new(name, span)
    }
}

/// The generated names of one function's companions, all in the macro's own syntax context
/// (`Span::mixed_site()`), so that none can be named by, or shadow, an identifier of the user's.
///
/// Variables' tangents and adjoints are `{name}_dot` and `{name}_bar`: distinct, since variable
/// names are distinct and the two suffixes differ. They are reserved first; every other
/// generated name is handed out once by [`Names::fresh`] or [`Names::temp`], never a reserved
/// or already given one.
pub struct Names {
    /// Names no companion may hand out again: the variables' derived names, the result's seed
    /// and the numbered temporaries.
    reserved: HashSet<String>,
    /// Names handed out in the companion being generated (see [`Names::begin_function`]).
    given: HashSet<String>,
    counter: usize,
}

impl Names {
    /// The names of `f`'s companions, with the variables' derived names and the result's seed
    /// reserved; returns the seed's name too.
    pub fn new(f: &Function) -> (Self, Ident) {
        let mut reserved = HashSet::new();
        for v in &f.vars {
            reserved.insert(format!("{}_dot", v.name));
            reserved.insert(format!("{}_bar", v.name));
        }
        let mut names = Names {
            reserved,
            given: HashSet::new(),
            counter: 0,
        };
        let seed = names.fresh("result_bar", Span::call_site());
        names.reserved.extend(names.given.drain());
        (names, seed)
    }

    /// Starts a new companion: names handed out by [`Names::fresh`] for another function are
    /// free again (numbered temporaries never repeat, so a reader can follow them across
    /// companions).
    pub fn begin_function(&mut self) {
        self.given.clear();
    }

    /// The derived name `{name}_{suffix}` of a variable, at `span`'s location.
    pub fn derived(name: &str, suffix: &str, span: Span) -> Ident {
        Ident::new(&format!("{name}_{suffix}"), hygienic(span))
    }

    /// `base` if free, else `base{n}` for the first free `n`.
    pub fn fresh(&mut self, base: &str, span: Span) -> Ident {
        let mut name = base.to_string();
        let mut n = 0;
        while self.reserved.contains(&name) || self.given.contains(&name) {
            n += 1;
            name = format!("{base}{n}");
        }
        self.given.insert(name.clone());
        Ident::new(&name, hygienic(span))
    }

    /// `__{base}{n}`, numbered in the order handed out.
    pub fn temp(&mut self, base: &str) -> Ident {
        loop {
            let name = format!("__{base}{}", self.counter);
            self.counter += 1;
            if !self.given.contains(&name) && self.reserved.insert(name.clone()) {
                return Ident::new(&name, Span::mixed_site());
            }
        }
    }
}

/// The companions' scalar type parameter: `S`, or `S1`, `S2`, ... when the user's function
/// uses the identifier, so that no type of the user's is shadowed by it.
pub fn scalar_name(idents: &HashSet<String>) -> Ident {
    type_param("S", idents)
}

/// A type parameter named `base`, or `base1`, `base2`, ...: the first not in `idents`.
pub fn type_param(base: &str, idents: &HashSet<String>) -> Ident {
    let mut name = base.to_string();
    let mut n = 0;
    while idents.contains(&name) {
        n += 1;
        name = format!("{base}{n}");
    }
    Ident::new(&name, Span::call_site())
}

/// `tokens` with every identifier spelled `from` replaced by `to` (its span kept).
pub fn rename_ident(
    tokens: proc_macro2::TokenStream,
    from: &str,
    to: &Ident,
) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == from => {
                TokenTree::Ident(Ident::new(&to.to_string(), i.span()))
            }
            TokenTree::Group(g) => {
                let mut out = Group::new(g.delimiter(), rename_ident(g.stream(), from, to));
                out.set_span(g.span());
                TokenTree::Group(out)
            }
            t => t,
        })
        .collect()
}

/// Every identifier in `tokens`, unraw: what a generated type parameter of an item must avoid.
pub fn idents_in(tokens: proc_macro2::TokenStream) -> HashSet<String> {
    fn walk(tokens: proc_macro2::TokenStream, out: &mut HashSet<String>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(syn::ext::IdentExt::unraw(&i).to_string());
                }
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = HashSet::new();
    walk(tokens, &mut out);
    out
}

/// The macro's own syntax context (`Span::mixed_site()`), located at `span` so that messages
/// still point at the user's code.
pub fn hygienic(span: Span) -> Span {
    Span::mixed_site().located_at(span)
}
