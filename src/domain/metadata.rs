//! `<metadata>`: applications' own elements, one per XML namespace, kept
//! as written and re-serialized the way libxml2's node dumper (which libvirt
//! uses for this element) writes them: double-quoted attributes, namespace
//! declarations first, whitespace-only text dropped where libxml2's parser
//! drops it, and indentation only inside element-only content.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element, Node};

/// The `<metadata>` element after libvirt's clean-up: only namespaced
/// children, the first per namespace, with the namespace declarations they
/// need from outside hoisted onto `<metadata>` itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// The `<metadata>` element (its attributes hold the declarations).
    pub element: Element,
}

fn is_blank(s: &str) -> bool {
    s.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Joins adjacent text nodes and drops whitespace-only text the way
/// libxml2's parser does when blanks are not kept.
fn normalize(el: &Element) -> Element {
    let mut merged: Vec<Node> = Vec::new();
    for n in &el.children {
        match (n, merged.last_mut()) {
            (Node::Text(t), Some(Node::Text(prev))) => prev.push_str(t),
            (Node::Text(t), _) => merged.push(Node::Text(t.clone())),
            (Node::Element(e), _) => merged.push(Node::Element(normalize(e))),
        }
    }
    let only_child = merged.len() == 1;
    let first_is_text = matches!(merged.first(), Some(Node::Text(t)) if !is_blank(t));
    let mut out: Vec<Node> = Vec::new();
    for n in merged {
        match &n {
            Node::Text(t) if is_blank(t) => {
                let keep = only_child || first_is_text || matches!(out.last(), Some(Node::Text(_)));
                if keep {
                    out.push(n);
                }
            }
            _ => out.push(n),
        }
    }
    Element {
        name: el.name.clone(),
        attrs: el.attrs.clone(),
        children: out,
    }
}

fn prefix_of(name: &str) -> Option<&str> {
    name.split_once(':').map(|(p, _)| p)
}

fn decl_name(prefix: Option<&str>) -> String {
    match prefix {
        Some(p) => format!("xmlns:{p}"),
        None => "xmlns".to_string(),
    }
}

/// The namespace URI bound to `prefix` (None: default namespace) in `scopes`
/// (innermost last).
fn resolve<'a>(scopes: &[&'a Element], prefix: Option<&str>) -> Option<&'a str> {
    let key = decl_name(prefix);
    scopes
        .iter()
        .rev()
        .find_map(|e| e.attr(&key))
        .filter(|u| !u.is_empty())
}

/// Collects, in document order, the prefixes `el`'s subtree uses without
/// declaring them itself.
fn undeclared(el: &Element, scopes: &mut Vec<String>, out: &mut Vec<Option<String>>) {
    let own: Vec<String> = el
        .attrs
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .map(|(k, _)| k.clone())
        .collect();
    let depth = scopes.len();
    scopes.extend(own);
    let mut need = |prefix: Option<&str>, scopes: &Vec<String>| {
        if prefix == Some("xml") {
            return;
        }
        let key = decl_name(prefix);
        if !scopes.contains(&key) {
            let p = prefix.map(str::to_string);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    };
    if let Some(p) = prefix_of(&el.name) {
        need(Some(p), scopes);
    }
    for (k, _) in &el.attrs {
        if k == "xmlns" || k.starts_with("xmlns:") {
            continue;
        }
        if let Some(p) = prefix_of(k) {
            need(Some(p), scopes);
        }
    }
    for c in el.elements() {
        undeclared(c, scopes, out);
    }
    scopes.truncate(depth);
}

/// libvirt's reading of `<metadata>`: `root` is the document element (for
/// declarations made there).
pub fn parse(el: &Element, root: &Element) -> Metadata {
    let el = normalize(el);
    let mut kept: Vec<Element> = Vec::new();
    let mut uris: Vec<String> = Vec::new();
    for c in el.elements() {
        let prefix = prefix_of(&c.name);
        let Some(uri) = resolve(&[root, &el, c], prefix) else {
            continue;
        };
        if uris.iter().any(|u| u == uri) {
            continue;
        }
        uris.push(uri.to_string());
        kept.push(c.clone());
    }
    let mut attrs = el.attrs.clone();
    for c in &kept {
        let mut missing = Vec::new();
        let mut scopes: Vec<String> = attrs
            .iter()
            .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
            .map(|(k, _)| k.clone())
            .collect();
        undeclared(c, &mut scopes, &mut missing);
        for p in missing {
            let key = decl_name(p.as_deref());
            if attrs.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if let Some(uri) = root.attr(&key).filter(|u| !u.is_empty()) {
                attrs.push((key, uri.to_string()));
            }
        }
    }
    Metadata {
        element: Element {
            name: "metadata".into(),
            attrs,
            children: kept.into_iter().map(Node::Element).collect(),
        },
    }
}

fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) >= 0x80 => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
}

fn indent(out: &mut String, level: usize) {
    // libxml2 stops indenting deeper than 30 levels.
    for _ in 0..level.min(30) {
        out.push_str("  ");
    }
}

fn dump(out: &mut String, el: &Element, level: usize, format: bool) {
    out.push('<');
    out.push_str(&el.name);
    let decls = el
        .attrs
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"));
    let plain = el
        .attrs
        .iter()
        .filter(|(k, _)| !(k == "xmlns" || k.starts_with("xmlns:")));
    for (k, v) in decls.chain(plain) {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_attr(out, v);
        out.push('"');
    }
    if el.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let format = format && !el.children.iter().any(|c| matches!(c, Node::Text(_)));
    if format {
        out.push('\n');
    }
    for c in &el.children {
        match c {
            Node::Text(t) => escape_text(out, t),
            Node::Element(e) => {
                if format {
                    indent(out, level + 1);
                }
                dump(out, e, level + 1, format);
                if format {
                    out.push('\n');
                }
            }
        }
    }
    if format {
        indent(out, level);
    }
    out.push_str("</");
    out.push_str(&el.name);
    out.push('>');
}

/// The serialized element for a writer at depth `level` (the first line
/// without its indentation, later lines with theirs).
pub fn format(m: &Metadata, level: usize) -> String {
    let mut out = String::new();
    dump(&mut out, &m.element, level, true);
    out
}

fn element_uri<'a>(outer: &'a Element, el: &'a Element) -> Option<&'a str> {
    resolve(&[outer, el], prefix_of(&el.name))
}

fn strip_namespace(el: &mut Element, uri: &str, scopes: &mut Vec<(String, String)>) {
    let depth = scopes.len();
    for (k, v) in &el.attrs {
        if k == "xmlns" || k.starts_with("xmlns:") {
            scopes.push((k.clone(), v.clone()));
        }
    }
    let key = decl_name(prefix_of(&el.name));
    let bound = scopes
        .iter()
        .rev()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str());
    if bound == Some(uri) {
        if let Some((_, local)) = el.name.split_once(':') {
            el.name = local.to_string();
        }
    }
    el.attrs
        .retain(|(k, v)| !((k == "xmlns" || k.starts_with("xmlns:")) && v == uri));
    for c in el.children.iter_mut() {
        if let Node::Element(e) = c {
            strip_namespace(e, uri, scopes);
        }
    }
    scopes.truncate(depth);
}

fn dump_flat(out: &mut String, el: &Element) {
    dump(out, el, 0, false);
}

/// `VIR_ERR_NO_DOMAIN_METADATA`, what `virDomainGetMetadata` reports for
/// any absent title, description or element.
pub fn not_present() -> Error {
    Error::with(
        VIR_FROM_DOMAIN,
        VIR_ERR_NO_DOMAIN_METADATA,
        "Requested metadata element is not present",
    )
}

/// `virDomainGetMetadata(VIR_DOMAIN_METADATA_ELEMENT)`: the element of
/// namespace `uri`, without its namespace, unindented.
pub fn get_element(m: Option<&Metadata>, uri: &str) -> Result<String> {
    let m = m.ok_or_else(not_present)?;
    let el = m
        .element
        .elements()
        .find(|c| element_uri(&m.element, c) == Some(uri))
        .ok_or_else(not_present)?;
    let mut copy = el.clone();
    let mut scopes: Vec<(String, String)> = m
        .element
        .attrs
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .cloned()
        .collect();
    strip_namespace(&mut copy, uri, &mut scopes);
    let mut out = String::new();
    dump_flat(&mut out, &copy);
    Ok(out)
}

/// XML's NCName (a namespace prefix), as libxml2 checks it.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || (c as u32) == 0xB7)
}

fn inject_namespace(el: &mut Element, prefix: &str, default_ns: bool) {
    let default_ns = default_ns || el.attr("xmlns").is_some_and(|u| !u.is_empty());
    if !el.name.contains(':') && !default_ns {
        el.name = format!("{prefix}:{}", el.name);
    }
    for c in el.children.iter_mut() {
        if let Node::Element(e) = c {
            inject_namespace(e, prefix, default_ns);
        }
    }
}

/// `virDomainSetMetadata(VIR_DOMAIN_METADATA_ELEMENT)`: replaces the
/// element of namespace `uri` with `xml` (a single element, put in that
/// namespace under prefix `key`), or removes it when `xml` is None.
pub fn set_element(m: &mut Option<Metadata>, xml: Option<&str>, key: &str, uri: &str) -> Result<()> {
    let mut new = None;
    if let Some(xml) = xml {
        let detail = |line: usize, message: &str| {
            Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_XML_DETAIL,
                format!("(metadata_xml):{line}: {message}"),
            )
        };
        let xml = super::xmlcheck::normalize(xml).map_err(|(line, message)| detail(line, &message))?;
        let mut el = dom::parse(&xml).map_err(|e| detail(e.line, &e.message))?;
        if !is_ncname(key) {
            return Err(Error::internal(
                VIR_FROM_XML,
                "failed to validate prefix for a new XML namespace",
            ));
        }
        inject_namespace(&mut el, key, false);
        let decl = decl_name(Some(key));
        el.attrs.retain(|(k, _)| *k != decl);
        el.attrs.push((decl, uri.to_string()));
        new = Some(el);
    }
    let meta = m.get_or_insert_with(|| Metadata {
        element: Element {
            name: "metadata".into(),
            ..Default::default()
        },
    });
    let outer = meta.element.clone();
    meta.element.children.retain(|n| match n {
        Node::Element(e) => element_uri(&outer, e) != Some(uri),
        Node::Text(_) => false,
    });
    if let Some(el) = new {
        meta.element.children.push(Node::Element(el));
    }
    Ok(())
}
