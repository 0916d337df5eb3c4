//! Token-level inputs: the functions this repository differentiates, edits of them, and token
//! soup.

use crate::grammar::NAMES;
use crate::Rng;
use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every `#[differentiable]` function of the facade's tests and examples (with its attribute's
/// arguments), and every function written as a string in the expansion's own sources (golden
/// cases, unit tests).
pub fn seeds() -> &'static [(String, String)] {
    // Kept as text: token streams are not `Sync`.
    static SEEDS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "../tests",
            "../tests/ui",
            "../examples",
            "src",
            "src/ir",
            "src/transform",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut here: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect();
            here.sort();
            files.extend(here);
        }
        let mut seeds = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("source file reads");
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            let mut visitor = Seeds(&mut seeds);
            syn::visit::Visit::visit_file(&mut visitor, &file);
        }
        assert!(
            seeds.len() > 100,
            "only {} seed functions found",
            seeds.len()
        );
        seeds
    })
}

struct Seeds<'a>(&'a mut Vec<(String, String)>);

impl<'ast> syn::visit::Visit<'ast> for Seeds<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let marker = |a: &syn::Attribute| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "differentiable")
        };
        if let Some(attr) = f.attrs.iter().find(|a| marker(a)) {
            let args = match &attr.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => TokenStream::new(),
            };
            let mut item = f.clone();
            item.attrs.retain(|a| !marker(a));
            let item = quote::ToTokens::to_token_stream(&item);
            self.0.push((args.to_string(), item.to_string()));
        }
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let text = s.value();
        if text.trim_start().starts_with("fn ") && text.parse::<TokenStream>().is_ok() {
            self.0.push((String::new(), text));
        }
    }
}

pub fn lex(text: &str) -> TokenStream {
    text.parse().expect("seed text lexes")
}

/// A token tree whose groups can be edited.
#[derive(Clone)]
pub enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Tok>),
}

pub fn tree(tokens: TokenStream) -> Vec<Tok> {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), tree(g.stream())),
            t => Tok::Leaf(t),
        })
        .collect()
}

pub fn flatten(toks: Vec<Tok>) -> TokenStream {
    toks.into_iter()
        .map(|t| match t {
            Tok::Leaf(t) => t,
            Tok::Group(d, inner) => TokenTree::Group(Group::new(d, flatten(inner))),
        })
        .collect()
}

fn random_leaf(rng: &mut Rng) -> TokenTree {
    match rng.below(3) {
        0 => {
            let name = rng.pick(NAMES);
            match name.strip_prefix("r#") {
                Some(raw) => TokenTree::Ident(Ident::new_raw(raw, Span::call_site())),
                None => TokenTree::Ident(Ident::new(name, Span::call_site())),
            }
        }
        1 => {
            let text = rng.pick(&[
                "0.0", "1.0", "1e309", "1e-400", "2", "0usize", "3.0f32", "1.5e300", "0x1f",
                "\"s\"", "'c'", "b'x'", "1u8", "i",
            ]);
            text.parse::<TokenStream>()
                .expect("literal lexes")
                .into_iter()
                .next()
                .expect("one token")
        }
        _ => {
            let c = rng.pick(&[
                '+', '-', '*', '/', '%', '<', '>', '=', '!', '&', '|', ';', ',', '.', ':', '#',
                '?', '@', '^', '\'',
            ]);
            let spacing = if rng.chance(30) {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            TokenTree::Punct(Punct::new(c, spacing))
        }
    }
}

/// A random group inside `toks`: the top level or, as often as not, a nested group.
pub fn random_group<'t>(rng: &mut Rng, toks: &'t mut Vec<Tok>) -> &'t mut Vec<Tok> {
    let groups: Vec<usize> = (0..toks.len())
        .filter(|&k| matches!(toks[k], Tok::Group(..)))
        .collect();
    if groups.is_empty() || rng.chance(30) {
        return toks;
    }
    let k = groups[rng.below(groups.len())];
    match &mut toks[k] {
        Tok::Group(_, inner) => random_group(rng, inner),
        Tok::Leaf(_) => unreachable!("filtered to groups"),
    }
}

/// The identifiers of `toks`, for replacements that keep a function meaningful.
fn idents(toks: &[Tok], out: &mut Vec<Ident>) {
    for t in toks {
        match t {
            Tok::Leaf(TokenTree::Ident(i)) => out.push(i.clone()),
            Tok::Leaf(_) => {}
            Tok::Group(_, inner) => idents(inner, out),
        }
    }
}

/// A token of the same class as `t`: another of the function's identifiers or an adversarial
/// one, another real literal, another arithmetic operator; so the result often still parses
/// and reaches the transforms.
fn replace_like(rng: &mut Rng, t: &TokenTree, own: &[Ident]) -> TokenTree {
    match t {
        TokenTree::Ident(_) if !own.is_empty() && rng.chance(60) => {
            TokenTree::Ident(own[rng.below(own.len())].clone())
        }
        TokenTree::Punct(p) if "+-*/".contains(p.as_char()) => {
            let c = rng.pick(&['+', '-', '*', '/', '%']);
            TokenTree::Punct(Punct::new(c, p.spacing()))
        }
        _ => {
            for _ in 0..8 {
                let new = random_leaf(rng);
                if std::mem::discriminant(&new) == std::mem::discriminant(t) {
                    return new;
                }
            }
            random_leaf(rng)
        }
    }
}

/// One edit of `toks`; a `gentle` one only replaces a token by one of its class or puts one
/// token in a group, so the function often still parses and reaches the transforms.
pub fn mutate(rng: &mut Rng, toks: &mut Vec<Tok>, gentle: bool) {
    let mut own = Vec::new();
    idents(toks, &mut own);
    let g = random_group(rng, toks);
    if g.is_empty() {
        g.push(Tok::Leaf(random_leaf(rng)));
        return;
    }
    let k = rng.below(g.len());
    if gentle {
        match &g[k] {
            Tok::Leaf(t) if rng.chance(75) => g[k] = Tok::Leaf(replace_like(rng, t, &own)),
            _ => {
                let d = rng.pick(&[Delimiter::None, Delimiter::Parenthesis]);
                let one = g.remove(k);
                g.insert(k, Tok::Group(d, vec![one]));
            }
        }
        return;
    }
    match rng.below(10) {
        0 => {
            g.remove(k);
        }
        1 => {
            let dup = g[k].clone();
            g.insert(k, dup);
        }
        2 if k + 1 < g.len() => g.swap(k, k + 1),
        3..=5 => {
            if let Tok::Leaf(t) = &g[k] {
                let new = replace_like(rng, t, &own);
                g[k] = Tok::Leaf(new);
            } else {
                g[k] = Tok::Leaf(random_leaf(rng));
            }
        }
        6 | 7 => {
            // Wrap a run of tokens in a group; invisible groups are what `macro_rules!`
            // fragments (`$e:expr`) look like.
            let end = (k + 1 + rng.below(4)).min(g.len());
            let run: Vec<Tok> = g.drain(k..end).collect();
            let d = rng.pick(&[
                Delimiter::None,
                Delimiter::None,
                Delimiter::Parenthesis,
                Delimiter::Bracket,
                Delimiter::Brace,
            ]);
            g.insert(k, Tok::Group(d, run));
        }
        8 => {
            let leaf = random_leaf(rng);
            g.insert(k, Tok::Leaf(leaf));
        }
        _ => {
            // Unwrap a group.
            if let Tok::Group(_, inner) = g.remove(k) {
                for (n, t) in inner.into_iter().enumerate() {
                    g.insert(k + n, t);
                }
            }
        }
    }
}

/// Random tokens, nested up to three groups deep.
pub fn soup(rng: &mut Rng, depth: usize) -> TokenStream {
    let mut out = TokenStream::new();
    for _ in 0..rng.below(24) {
        let t = if depth < 3 && rng.chance(12) {
            let d = rng.pick(&[
                Delimiter::Parenthesis,
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::None,
            ]);
            TokenTree::Group(Group::new(d, soup(rng, depth + 1)))
        } else if rng.chance(25) {
            let kw = rng.pick(&[
                "fn", "let", "mut", "for", "in", "if", "else", "match", "return", "f64", "usize",
                "as", "loop", "while", "impl", "where", "async", "const", "unsafe", "pub", "self",
                "Self", "crate", "super",
            ]);
            TokenTree::Ident(Ident::new(kw, Span::call_site()))
        } else {
            random_leaf(rng)
        };
        out.extend([t]);
    }
    out
}
