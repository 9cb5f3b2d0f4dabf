//! A small element tree over quick-xml, for the documents libvirt reads
//! (node files, domain XML, capabilities): elements, attributes and text.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element with its attributes, text and children, in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Tag name (with any namespace prefix).
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child nodes.
    pub children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data (entities resolved, CDATA included).
    Text(String),
}

/// Why a document could not be read, with the 1-based line where it went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl Element {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// All child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The element's own text (its text children, concatenated).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// The text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(Element::text)
    }

    /// The element written back as a document (for passing a part of one
    /// document, such as a node file's `<domain>`, to a parser of its own).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_into(&mut out);
        out
    }

    fn write_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("='");
            super::escape_into(out, v);
            out.push('\'');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Element(e) => e.write_into(out),
                Node::Text(t) => super::escape_into(out, t),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn start(text: &str, reader: &Reader<&[u8]>, e: &BytesStart) -> Result<Element, ParseError> {
    let err = |message: String| ParseError {
        line: line_of(text, reader.buffer_position() as usize),
        message,
    };
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| err(format!("attributes construct error: {e}")))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        if attrs.iter().any(|(k, _)| *k == key) {
            return Err(err(format!("Attribute {key} redefined")));
        }
        let value = a
            .unescape_value()
            .map_err(|e| err(format!("invalid attribute value: {e}")))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// Appends character data, joining it to text right before it (the reader
/// splits text at entity references and CDATA sections).
fn push_text(parent: &mut Element, text: &str) {
    if let Some(Node::Text(last)) = parent.children.last_mut() {
        last.push_str(text);
    } else {
        parent.children.push(Node::Text(text.to_string()));
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(text: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let err = |message: String| ParseError {
            line: line_of(text, pos),
            message,
        };
        let event = reader.read_event().map_err(|e| err(e.to_string()))?;
        match event {
            Event::Start(e) => {
                if root.is_some() && stack.is_empty() {
                    return Err(err("Extra content at the end of the document".into()));
                }
                stack.push(start(text, &reader, &e)?);
            }
            Event::Empty(e) => {
                if root.is_some() && stack.is_empty() {
                    return Err(err("Extra content at the end of the document".into()));
                }
                let el = start(text, &reader, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| err("unexpected end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| err(e.to_string()))?;
                let s = quick_xml::escape::unescape(&s).map_err(|e| err(e.to_string()))?;
                match stack.last_mut() {
                    Some(parent) => push_text(parent, &s),
                    None if s.trim().is_empty() => {}
                    None => {
                        let what = if root.is_some() {
                            "Extra content at the end of the document"
                        } else {
                            "Start tag expected, '<' not found"
                        };
                        return Err(err(what.into()));
                    }
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| err(e.to_string()))?;
                let resolved = match r.resolve_char_ref().map_err(|e| err(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| err(format!("Entity '{name}' not defined")))?
                        .to_string(),
                };
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &resolved);
                }
            }
            Event::CData(t) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .children
                        .push(Node::Text(String::from_utf8_lossy(&t).into_owned()));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(ParseError {
            line: line_of(text, text.len()),
            message: "Premature end of data in tag ".to_string()
                + &stack.last().map(|e| e.name.clone()).unwrap_or_default(),
        });
    }
    root.ok_or(ParseError {
        line: 1,
        message: "Document is empty".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_attributes_and_text() {
        let root = parse(
            "<?xml version='1.0'?>\n<a x='1' y=\"&lt;\"><!-- c --><b>t&amp;u</b><c/><![CDATA[<raw>]]></a>",
        )
        .unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("y"), Some("<"));
        assert_eq!(root.child_text("b").as_deref(), Some("t&u"));
        assert!(root.child("c").is_some());
        assert_eq!(root.text(), "<raw>");
        let again = parse(&root.to_xml()).unwrap();
        assert_eq!(again, root);
    }

    #[test]
    fn reports_malformed_documents_with_lines() {
        assert_eq!(parse("").unwrap_err().message, "Document is empty");
        assert_eq!(parse("\n\n<a><b></a>").unwrap_err().line, 3);
        assert!(parse("<a>").unwrap_err().message.starts_with("Premature end"));
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<a x='1' x='2'/>").is_err());
        assert!(parse("text").is_err());
    }
}
