//! XenD's s-expressions: a reader into a tree, path look-ups in the style
//! XenD's clients use (`domain/image/hvm/kernel`) and a writer.
//!
//! The syntax is XenD's (its `sxp` module): lists in parentheses, atoms
//! separated by white space, and quoted atoms in `'...'` or `"..."` where a
//! backslash escapes the next character (`\n`, `\t` and `\r` stand for the
//! control characters).  A list whose first element is an atom is a *node*
//! keyed by that atom: `(name 'pvtest')` has key `name` and value `pvtest`.
//!
//! Nesting is bounded by [`MAX_DEPTH`] so that hostile input can neither
//! exhaust the stack (the tree is read without recursion, and every
//! recursive walk, dropping included, is bounded by the same depth).

use std::fmt;

use crate::abi::*;
use crate::error::{Error, Result};

/// The deepest nesting of lists accepted; XenD's documents nest about six
/// levels deep.
pub const MAX_DEPTH: usize = 64;

/// One s-expression: an atom or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sexpr {
    /// A string value (quoted or not in the source).
    Atom(String),
    /// A parenthesised list.
    List(Vec<Sexpr>),
}

/// How forgiving the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Forgive unbalanced parentheses at the end, as libvirt's reader did:
    /// close lists left open when the input ends, and ignore surplus `)`
    /// after the first complete expression (two of libvirt's own test
    /// inputs have one too many, one lacks its last).
    pub lenient_end: bool,
}

fn syntax(detail: impl AsRef<str>) -> Error {
    Error::with(
        VIR_FROM_SEXPR,
        VIR_ERR_INTERNAL_ERROR,
        format!("malformed s-expression: {}", detail.as_ref()),
    )
}

/// Reads exactly one s-expression (surrounding white space allowed).
pub fn read(text: &str) -> Result<Sexpr> {
    read_with(text, ReadOptions::default())
}

/// [`read`] with options.
pub fn read_with(text: &str, opts: ReadOptions) -> Result<Sexpr> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    // Lists being read, innermost last, with the offset of their '('.
    let mut open: Vec<(usize, Vec<Sexpr>)> = Vec::new();
    let mut done: Option<Sexpr> = None;
    while done.is_none() {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let Some(&c) = bytes.get(pos) else {
            if open.is_empty() {
                return Err(syntax("empty input"));
            }
            if !opts.lenient_end {
                return Err(syntax(format!(
                    "unexpected end of input: {} unclosed parenthes{}",
                    open.len(),
                    if open.len() == 1 { "is" } else { "es" }
                )));
            }
            let mut item = None;
            while let Some((_, items)) = open.pop() {
                let mut items = items;
                if let Some(inner) = item.take() {
                    items.push(inner);
                }
                item = Some(Sexpr::List(items));
            }
            done = item;
            break;
        };
        let item = match c {
            b'(' => {
                if open.len() >= MAX_DEPTH {
                    return Err(syntax(format!(
                        "nesting deeper than {MAX_DEPTH} levels at offset {pos}"
                    )));
                }
                open.push((pos, Vec::new()));
                pos += 1;
                continue;
            }
            b')' => {
                let Some((_, items)) = open.pop() else {
                    return Err(syntax(format!("unbalanced ')' at offset {pos}")));
                };
                pos += 1;
                Sexpr::List(items)
            }
            b'\'' | b'"' => {
                let (value, next) = read_quoted(text, pos)?;
                pos = next;
                Sexpr::Atom(value)
            }
            _ => {
                let start = pos;
                while pos < bytes.len()
                    && !bytes[pos].is_ascii_whitespace()
                    && bytes[pos] != b'('
                    && bytes[pos] != b')'
                {
                    pos += 1;
                }
                Sexpr::Atom(text[start..pos].to_string())
            }
        };
        match open.last_mut() {
            Some((_, items)) => items.push(item),
            None => done = Some(item),
        }
    }
    let rest = &text[pos.min(text.len())..];
    let surplus = |c: char| c.is_ascii_whitespace() || (opts.lenient_end && c == ')');
    if let Some(off) = rest.find(|c: char| !surplus(c)) {
        let at = pos + off;
        return Err(if rest[off..].starts_with(')') {
            syntax(format!("unbalanced ')' at offset {at}"))
        } else {
            syntax(format!("trailing data after the expression at offset {at}"))
        });
    }
    done.ok_or_else(|| syntax("empty input"))
}

/// Reads the quoted atom starting at `start` (on its quote); returns the
/// unescaped value and the offset after the closing quote.
fn read_quoted(text: &str, start: usize) -> Result<(String, usize)> {
    let mut chars = text[start..].char_indices();
    let (_, quote) = chars.next().unwrap_or((0, '\''));
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => value.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                }),
                None => break,
            },
            c if c == quote => return Ok((value, start + i + c.len_utf8())),
            c => value.push(c),
        }
    }
    Err(syntax(format!("unterminated quoted string at offset {start}")))
}

/// Whether an atom must be quoted to be read back as the same atom.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '\'' | '"' | '\\'))
}

/// Writes `value` inside single quotes, escaping backslashes, single quotes
/// and the control characters the reader knows.
pub fn quote_into(out: &mut String, value: &str) {
    out.push('\'');
    escape_into(out, value);
    out.push('\'');
}

/// Escapes `value` for use inside single quotes (libvirt's
/// `virBufferEscapeSexpr`: backslash and quote get a backslash).
pub fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// `value` quoted as [`quote_into`] writes it.
pub fn quote(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    quote_into(&mut s, value);
    s
}

impl Sexpr {
    /// A node `(key value)`.
    pub fn pair(key: &str, value: &str) -> Sexpr {
        Sexpr::List(vec![Sexpr::Atom(key.into()), Sexpr::Atom(value.into())])
    }

    /// The atom's text.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Sexpr::Atom(a) => Some(a),
            Sexpr::List(_) => None,
        }
    }

    /// The list's elements.
    pub fn as_list(&self) -> Option<&[Sexpr]> {
        match self {
            Sexpr::List(l) => Some(l),
            Sexpr::Atom(_) => None,
        }
    }

    /// The key of a node: the first element of a list when it is an atom.
    pub fn key(&self) -> Option<&str> {
        self.as_list()?.first()?.as_atom()
    }

    /// The elements of a node after its key (empty for atoms).
    pub fn rest(&self) -> &[Sexpr] {
        match self.as_list() {
            Some([_, rest @ ..]) => rest,
            _ => &[],
        }
    }

    /// The sub-nodes of this node with key `key`, in order.
    pub fn children_named<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Sexpr> + 'a {
        self.rest().iter().filter(move |c| c.key() == Some(key))
    }

    /// The node at `path` (keys separated by `/`, the first one being this
    /// node's own key), taking the first match at each level.
    pub fn lookup(&self, path: &str) -> Option<&Sexpr> {
        let mut parts = path.split('/');
        if self.key() != Some(parts.next()?) {
            return None;
        }
        let mut node = self;
        for part in parts {
            node = node.rest().iter().find(|c| c.key() == Some(part))?;
        }
        Some(node)
    }

    /// Whether the node at `path` exists (even without a value).
    pub fn has(&self, path: &str) -> bool {
        self.lookup(path).is_some()
    }

    /// The value of the node at `path`: its first element after the key,
    /// when that is an atom (`(bootloader )` has none).
    pub fn node(&self, path: &str) -> Option<&str> {
        self.lookup(path)?.rest().first()?.as_atom()
    }

    /// [`Sexpr::node`] read as a signed integer in C's notation (decimal,
    /// `0x` hex, leading-zero octal); Ok(None) when absent.
    pub fn node_i64(&self, path: &str) -> Result<Option<i64>> {
        self.node(path)
            .map(|v| {
                parse_c_integer(v).ok_or_else(|| {
                    Error::with(
                        VIR_FROM_SEXPR,
                        VIR_ERR_INTERNAL_ERROR,
                        format!("invalid integer '{v}' for {path}"),
                    )
                })
            })
            .transpose()
    }

    /// [`Sexpr::node`] read as an unsigned integer; Ok(None) when absent.
    pub fn node_u64(&self, path: &str) -> Result<Option<u64>> {
        self.node(path)
            .map(|v| {
                parse_c_unsigned(v).ok_or_else(|| {
                    Error::with(
                        VIR_FROM_SEXPR,
                        VIR_ERR_INTERNAL_ERROR,
                        format!("invalid unsigned integer '{v}' for {path}"),
                    )
                })
            })
            .transpose()
    }

    fn write(&self, out: &mut String) {
        match self {
            Sexpr::Atom(a) if needs_quotes(a) => quote_into(out, a),
            Sexpr::Atom(a) => out.push_str(a),
            Sexpr::List(items) => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write(out);
                }
                out.push(')');
            }
        }
    }
}

/// Writes the expression back: atoms bare when they can be, else quoted.
impl fmt::Display for Sexpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// A signed integer as C's `strtoll(s, NULL, 0)` reads it, but refusing
/// white space, empty input, trailing garbage and overflow.
pub fn parse_c_integer(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let magnitude = parse_c_unsigned(digits)?;
    if neg {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// An unsigned integer in C's notation (decimal, `0x` hex, `0` octal),
/// refusing signs, empty input, trailing garbage and overflow.
pub fn parse_c_unsigned(s: &str) -> Option<u64> {
    let t = s;
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nodes_and_values() {
        let s =
            read("(domain (name 'pv test')(memory 420)(bootloader )(image (hvm (kernel \"/k\"))))").unwrap();
        assert_eq!(s.node("domain/name"), Some("pv test"));
        assert_eq!(s.node_u64("domain/memory").unwrap(), Some(420));
        assert!(s.has("domain/bootloader"));
        assert_eq!(s.node("domain/bootloader"), None);
        assert_eq!(s.node("domain/image/hvm/kernel"), Some("/k"));
        assert_eq!(s.node("domain/image/linux/kernel"), None);
        assert_eq!(s.node("vm/name"), None);
    }

    #[test]
    fn quoted_atoms_unescape() {
        let s = read(r#"(a 'it\'s \\ here' "say \"hi\"\n" '')"#).unwrap();
        let items = s.rest();
        assert_eq!(items[0].as_atom(), Some("it's \\ here"));
        assert_eq!(items[1].as_atom(), Some("say \"hi\"\n"));
        assert_eq!(items[2].as_atom(), Some(""));
    }

    #[test]
    fn writer_quotes_only_when_needed_and_round_trips() {
        let text = r#"(vm (name 'a b')(memory 420)(args 'x\'y\\z')(empty '')(paren '(x)')(list (a b)))"#;
        let s = read(text).unwrap();
        let written = s.to_string();
        assert_eq!(
            written,
            r#"(vm (name 'a b') (memory 420) (args 'x\'y\\z') (empty '') (paren '(x)') (list (a b)))"#
        );
        assert_eq!(read(&written).unwrap(), s);
    }

    #[test]
    fn quote_escapes_like_libvirt() {
        assert_eq!(quote("it's"), r"'it\'s'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
        assert_eq!(quote("line\nbreak"), r"'line\nbreak'");
        assert_eq!(
            read(&quote("line\nbreak")).unwrap(),
            Sexpr::Atom("line\nbreak".into())
        );
    }

    #[test]
    fn unbalanced_and_truncated_input_is_refused() {
        for bad in [
            "", "   ", ")", "(a))", "(a (b)", "(a 'open", "(a) (b)", "(a) junk",
        ] {
            let e = read(bad).unwrap_err();
            assert_eq!(e.domain, VIR_FROM_SEXPR, "{bad:?}");
            assert!(
                e.message.contains("malformed s-expression"),
                "{bad:?}: {}",
                e.message
            );
        }
    }

    #[test]
    fn lenient_reading_closes_open_lists() {
        let opts = ReadOptions { lenient_end: true };
        let s = read_with("(domain (name x)(device (vif (mac m)))", opts).unwrap();
        assert_eq!(s.node("domain/device/vif/mac"), Some("m"));
        assert!(read_with("(a 'unterminated", opts).is_err());
        assert_eq!(read_with("(a b)) )\n", opts).unwrap(), read("(a b)").unwrap());
        assert!(read_with("(a) junk", opts).is_err());
        assert!(read_with(")", opts).is_err());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = "(".repeat(100_000);
        let e = read_with(&deep, ReadOptions { lenient_end: true }).unwrap_err();
        assert!(e.message.contains("nesting deeper"), "{}", e.message);
        let ok = format!("{}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(read(&ok).is_ok());
        let too_deep = format!("{}x{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(read(&too_deep).is_err());
    }

    #[test]
    fn numbers_in_c_notation() {
        assert_eq!(parse_c_integer("42"), Some(42));
        assert_eq!(parse_c_integer("-7"), Some(-7));
        assert_eq!(parse_c_integer("0x1b"), Some(27));
        assert_eq!(parse_c_integer("010"), Some(8));
        assert_eq!(parse_c_integer("0"), Some(0));
        assert_eq!(parse_c_integer("abc"), None);
        assert_eq!(parse_c_integer("12abc"), None);
        assert_eq!(parse_c_integer("99999999999999999999"), None);
        assert_eq!(parse_c_integer("--1"), None);
        assert_eq!(parse_c_unsigned("-1"), None);
        assert_eq!(parse_c_unsigned("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_c_unsigned("18446744073709551616"), None);
        let s = read("(domain (memory abc))").unwrap();
        let e = s.node_u64("domain/memory").unwrap_err();
        assert!(e.message.contains("'abc'"), "{}", e.message);
    }
}
