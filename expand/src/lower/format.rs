//! The message of an assertion with names in its format string, `"x = {x}"`, `"{x:.3}"`, or
//! named arguments, `"{a}", a = x`: rewritten to positional arguments, `"x = {1}", x`, so that the
//! values are lowered as any other (they name the variables the generated code binds, and a
//! real is read by its value at dual numbers).
//!
//! Before: `assert!(x > 0.0, "x = {x}, n = {}", n);`
//! After:  `assert!(x > 0.0, "x = {1}, n = {}", n, x);`

use super::*;

/// A format string with every name replaced by the index of an argument, and the arguments:
/// the positional ones as written, then the named ones, then the captured names.
pub(super) struct Positional {
    /// The rewritten format string.
    pub(super) format: String,
    /// The values, in the order of their indices.
    pub(super) args: Vec<syn::Expr>,
}

/// Rewrites `format` and its arguments `args` (positional, then `name = value`) to positional
/// form; `span` is the format string's, given to the captured names. An error names what cannot
/// be rewritten.
pub(super) fn positional(
    format: &str,
    args: &[&syn::Expr],
    span: Span,
) -> Result<Positional, String> {
    let mut values: Vec<syn::Expr> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for a in args {
        match a {
            syn::Expr::Assign(named) => match strip_paren(&named.left) {
                syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                    names.push(name_of(p.path.get_ident().expect("an ident")));
                    values.push((*named.right).clone());
                }
                _ => return Err("a named argument of a message is `name = value`".into()),
            },
            a if !names.is_empty() => {
                return Err(format!(
                    "positional arguments come before named ones, as in `format!`: move `{}`",
                    a.to_token_stream()
                ))
            }
            a => values.push((*a).clone()),
        }
    }
    let first_named = values.len() - names.len();
    let mut index_of = |name: &str, values: &mut Vec<syn::Expr>| -> usize {
        if let Some(k) = names.iter().position(|n| n == name) {
            return first_named + k;
        }
        names.push(name.to_string());
        let ident = crate::names::ident(name, span);
        values.push(syn::parse_quote_spanned!(span=> #ident));
        values.len() - 1
    };
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push_str("{{");
            }
            '{' => {
                let mut inner = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    inner.push(c);
                }
                if !closed {
                    return Err("the format string has an unclosed `{`".into());
                }
                let (arg, spec) = match inner.split_once(':') {
                    Some((a, s)) => (a.trim(), Some(s)),
                    None => (inner.trim(), None),
                };
                out.push('{');
                if is_name(arg) {
                    out.push_str(&index_of(arg, &mut values).to_string());
                } else {
                    out.push_str(arg);
                }
                if let Some(spec) = spec {
                    out.push(':');
                    out.push_str(&spec_positional(spec, &mut |n| index_of(n, &mut values)));
                }
                out.push('}');
            }
            c => out.push(c),
        }
    }
    Ok(Positional {
        format: out,
        args: values,
    })
}

/// Whether `s` is a name (not empty, not an index).
fn is_name(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// A format spec with the names of its width and precision arguments (`width$`) replaced by
/// their indices.
fn spec_positional(spec: &str, index_of: &mut impl FnMut(&str) -> usize) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in spec.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if c == '$' && is_name(&word) {
            out.push_str(&index_of(&word).to_string());
        } else {
            out.push_str(&word);
        }
        word.clear();
        out.push(c);
    }
    out.push_str(&word);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(format: &str, args: &[&str]) -> (String, Vec<String>) {
        let parsed: Vec<syn::Expr> = args.iter().map(|a| syn::parse_str(a).unwrap()).collect();
        let refs: Vec<&syn::Expr> = parsed.iter().collect();
        let p = positional(format, &refs, Span::call_site()).unwrap();
        let args = p
            .args
            .iter()
            .map(|a| a.to_token_stream().to_string())
            .collect();
        (p.format, args)
    }

    #[test]
    fn names_become_indices_after_the_written_arguments() {
        assert_eq!(
            rewrite("x = {x}, n = {}, again {x:.3} {{x}}", &["n"]),
            (
                "x = {1}, n = {}, again {1:.3} {{x}}".into(),
                vec!["n".into(), "x".into()]
            )
        );
        assert_eq!(
            rewrite("{a} {b:>w$} {0}", &["t", "a = x * 2.0", "w = 8"]),
            (
                "{1} {3:>2$} {0}".into(),
                vec!["t".into(), "x * 2.0".into(), "8".into(), "b".into()]
            )
        );
    }
}
