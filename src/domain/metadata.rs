//! `<metadata>`: applications' own elements, one per XML namespace, kept
//! as written and re-serialized the way libxml2's node dumper (which libvirt
//! uses for this element) writes them: double-quoted attributes, namespace
//! declarations first, whitespace-only text dropped where libxml2's parser
//! drops it, and indentation only inside element-only content.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom;

/// An element of metadata, with everything libxml2 keeps: comments,
/// CDATA sections and processing instructions as well as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Tag name (with its prefix).
    pub name: String,
    /// Attributes (namespace declarations included) in document order.
    pub attrs: Vec<(String, String)>,
    /// Child nodes.
    pub children: Vec<Node>,
}

/// A child of a metadata element.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data (entities resolved).
    Text(String),
    /// `<![CDATA[...]]>`.
    CData(String),
    /// `<!--...-->`.
    Comment(String),
    /// `<?target data?>` (target and data).
    Pi(String),
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }
}

impl From<&dom::Element> for Element {
    fn from(e: &dom::Element) -> Self {
        Element {
            name: e.name.clone(),
            attrs: e.attrs.clone(),
            children: e
                .children
                .iter()
                .map(|n| match n {
                    dom::Node::Element(c) => Node::Element(c.into()),
                    dom::Node::Text(t) => Node::Text(t.clone()),
                })
                .collect(),
        }
    }
}

/// The `<metadata>` element after libvirt's clean-up: only namespaced
/// children, the first per namespace, with the namespace declarations they
/// need from outside hoisted onto `<metadata>` itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// The `<metadata>` element (its attributes hold the declarations).
    pub element: Element,
}

/// Reads, from document `text`, the element found by following `path`
/// (first child of each name, starting below the document element; an
/// empty path gives the document element), keeping comments, CDATA and
/// processing instructions.
pub fn read_raw(text: &str, path: &[&str]) -> Option<Element> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut matched = 0usize;
    let mut used = vec![false; path.len()];
    let mut stack: Vec<Element> = Vec::new();
    let start = |e: &quick_xml::events::BytesStart| -> Element {
        let attrs = e
            .attributes()
            .flatten()
            .map(|a| {
                let v = dom::attr_value(&a.value).unwrap_or_default();
                (String::from_utf8_lossy(a.key.as_ref()).into_owned(), v)
            })
            .collect();
        Element {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            attrs,
            children: Vec::new(),
        }
    };
    loop {
        let event = reader.read_event().ok()?;
        let capturing = !stack.is_empty();
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = text.as_bytes()[..reader.buffer_position() as usize].ends_with(b"/>");
                if capturing {
                    let el = start(&e);
                    if empty {
                        push(&mut stack, Node::Element(el));
                    } else {
                        stack.push(el);
                    }
                    continue;
                }
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let level = depth - 1;
                let hit = if level == 0 {
                    path.is_empty()
                } else {
                    matched == level - 1 && level <= path.len() && !used[level - 1] && path[level - 1] == name
                };
                if level > 0 && hit {
                    used[level - 1] = true;
                    matched = level;
                }
                if hit && matched == path.len() {
                    let el = start(&e);
                    if empty {
                        return Some(el);
                    }
                    stack.push(el);
                    continue;
                }
                if empty {
                    depth -= 1;
                }
            }
            Event::End(_) => {
                if capturing {
                    let el = stack.pop()?;
                    if stack.is_empty() {
                        return Some(el);
                    }
                    push(&mut stack, Node::Element(el));
                    continue;
                }
                if matched == depth.saturating_sub(1) && matched > 0 {
                    matched -= 1;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if capturing => {
                let s = t.decode().ok()?;
                push(&mut stack, Node::Text(dom::line_ends(&s).into_owned()));
            }
            Event::GeneralRef(r) if capturing => {
                let name = r.decode().ok()?;
                let s = match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&name)?.to_string(),
                };
                push(&mut stack, Node::Text(s));
            }
            Event::CData(c) if capturing => push(
                &mut stack,
                Node::CData(dom::line_ends(&String::from_utf8_lossy(&c)).into_owned()),
            ),
            Event::Comment(c) if capturing => push(
                &mut stack,
                Node::Comment(dom::line_ends(&String::from_utf8_lossy(&c)).into_owned()),
            ),
            Event::PI(p) if capturing => {
                let raw = dom::line_ends(&String::from_utf8_lossy(&p)).into_owned();
                let pi = match raw.split_once(|c: char| c.is_ascii_whitespace()) {
                    Some((target, data)) => {
                        let data = data.trim_start();
                        if data.is_empty() {
                            target.to_string()
                        } else {
                            format!("{target} {data}")
                        }
                    }
                    None => raw,
                };
                push(&mut stack, Node::Pi(pi));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn push(stack: &mut [Element], node: Node) {
    if let Some(top) = stack.last_mut() {
        match (node, top.children.last_mut()) {
            (Node::Text(t), Some(Node::Text(prev))) => prev.push_str(&t),
            (n, _) => top.children.push(n),
        }
    }
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
            (Node::Element(e), _) => merged.push(Node::Element(normalize(e))),
            (n, _) => merged.push(n.clone()),
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

/// libvirt's reading of `<metadata>`: `raw` is the element as read with
/// [`read_raw`] when the source text is at hand (otherwise `el` is used,
/// without comments), `root` the document element (for declarations made
/// there).
pub fn parse(el: &dom::Element, raw: Option<Element>, root: &dom::Element) -> Metadata {
    let root = &Element {
        name: root.name.clone(),
        attrs: root.attrs.clone(),
        children: Vec::new(),
    };
    let el = normalize(&raw.unwrap_or_else(|| el.into()));
    let mut kept: Vec<Element> = Vec::new();
    let mut uris = std::collections::HashSet::new();
    for c in el.elements() {
        let prefix = prefix_of(&c.name);
        let Some(uri) = resolve(&[root, &el, c], prefix) else {
            continue;
        };
        if !uris.insert(uri.to_string()) {
            continue;
        }
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
    let format = format
        && !el
            .children
            .iter()
            .any(|c| matches!(c, Node::Text(_) | Node::CData(_)));
    if format {
        out.push('\n');
    }
    for c in &el.children {
        if let Node::Text(t) = c {
            escape_text(out, t);
            continue;
        }
        if format {
            indent(out, level + 1);
        }
        match c {
            Node::Element(e) => dump(out, e, level + 1, format),
            Node::CData(t) => {
                out.push_str("<![CDATA[");
                out.push_str(t);
                out.push_str("]]>");
            }
            Node::Comment(t) => {
                out.push_str("<!--");
                out.push_str(t);
                out.push_str("-->");
            }
            Node::Pi(t) => {
                out.push_str("<?");
                out.push_str(t);
                out.push_str("?>");
            }
            Node::Text(_) => {}
        }
        if format {
            out.push('\n');
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
        let parsed = dom::parse(xml).map_err(|e| detail(e.line, &e.message))?;
        let mut el = read_raw(xml, &[]).unwrap_or_else(|| (&parsed).into());
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
        _ => false,
    });
    if let Some(el) = new {
        meta.element.children.push(Node::Element(el));
    }
    Ok(())
}
