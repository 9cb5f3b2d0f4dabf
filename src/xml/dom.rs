//! A small element tree over quick-xml, for the documents libvirt reads
//! (node files, domain XML, capabilities): elements, attributes and text.

use quick_xml::events::attributes::AttrError;
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

/// Why a document could not be read: libxml2's wording (libvirt shows it to
/// callers) and where in the text the reader stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// 1-based line of the position.
    pub line: usize,
    /// What was wrong.
    pub message: String,
    /// Byte offset where reading stopped.
    pub position: usize,
    /// The text of the line around the position (None when it is empty).
    pub context: Option<String>,
    /// The position's column within that line.
    pub column: usize,
}

impl ParseError {
    fn at(text: &str, position: usize, message: impl Into<String>) -> ParseError {
        let position = position.min(text.len());
        let bytes = text.as_bytes();
        let line = bytes[..position].iter().filter(|&&b| b == b'\n').count() + 1;
        // The line shown is found as libvirt finds it: back over line breaks
        // the position sits on, then back to the start of that line.
        let mut cur = position;
        while cur > 0 && matches!(bytes.get(cur), Some(b'\n' | b'\r')) {
            cur -= 1;
        }
        while cur > 0 && !matches!(bytes.get(cur), Some(b'\n' | b'\r')) {
            cur -= 1;
        }
        if matches!(bytes.get(cur), Some(b'\n' | b'\r')) {
            cur += 1;
        }
        let column = text[cur.min(position)..position].chars().count();
        let end = text[cur..].find(['\n', '\r']).map_or(text.len(), |e| cur + e);
        let context = (end > cur).then(|| text[cur..end].to_string());
        ParseError {
            line,
            message: message.into(),
            position,
            context,
            column,
        }
    }

    /// libvirt's `VIR_ERR_XML_DETAIL` text for a document named `source`:
    /// "SOURCE:LINE: MESSAGE", the line, and a pointer under the position.
    pub fn detail(&self, source: &str) -> String {
        // The pointer keeps the line's tabs so that it lines up in a terminal.
        let pointer: String = match &self.context {
            Some(line) => {
                let mut chars = line.chars();
                (0..self.column)
                    .map(|_| if chars.next() == Some('\t') { '\t' } else { '-' })
                    .collect()
            }
            None => "-".repeat(self.column),
        };
        format!(
            "{source}:{}: {}\n{}\n{pointer}^",
            self.line,
            self.message,
            self.context.as_deref().unwrap_or("(null)")
        )
    }
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

/// The element name at the start of a tag's text (after `<`).
fn tag_name(text: &str, lt: usize) -> &str {
    let rest = text.get(lt + 1..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Reads a start tag's attributes; `content` is the tag's offset after `<`.
fn start(text: &str, content: usize, e: &BytesStart) -> Result<Element, ParseError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let raw = String::from_utf8_lossy(e);
    let mut attrs = Vec::new();
    for a in e.attributes().with_checks(true) {
        let a = match a {
            Ok(a) => a,
            Err(AttrError::Duplicated(key, _)) => {
                // libxml2 notices after reading the repeated attribute's value.
                let after = value_end(&raw, key);
                let key_name: String = raw[key..]
                    .chars()
                    .take_while(|c| *c != '=' && !c.is_whitespace())
                    .collect();
                return Err(ParseError::at(
                    text,
                    content + after,
                    format!("Attribute {key_name} redefined"),
                ));
            }
            Err(AttrError::UnquotedValue(p)) | Err(AttrError::ExpectedQuote(p, _)) => {
                return Err(ParseError::at(text, content + p, "AttValue: \" or ' expected"));
            }
            Err(AttrError::ExpectedEq(p)) | Err(AttrError::ExpectedValue(p)) => {
                return Err(ParseError::at(
                    text,
                    content + p,
                    "Specification mandates value for attribute",
                ));
            }
        };
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, entity))) => {
                let reference = format!("&{entity};");
                let after = raw.find(&reference).map_or(raw.len(), |p| p + reference.len());
                return Err(ParseError::at(
                    text,
                    content + after,
                    format!("Entity '{entity}' not defined"),
                ));
            }
            Err(other) => return Err(ParseError::at(text, content, other.to_string())),
        };
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// Where an attribute's quoted value ends, from the attribute's key offset.
fn value_end(raw: &str, key: usize) -> usize {
    let rest = &raw[key..];
    let Some(open) = rest.find(['\'', '"']) else {
        return raw.len();
    };
    let quote = rest.as_bytes()[open] as char;
    match rest[open + 1..].find(quote) {
        Some(close) => key + open + 1 + close + 1,
        None => raw.len(),
    }
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

/// How deeply elements may nest: libxml2's limit, which libvirt documents
/// meet; it also bounds the recursion of code that walks the tree.
const MAX_DEPTH: usize = 257;

/// Parses a whole document and returns its root element.  Errors carry
/// libxml2's wording and position, which libvirt passes on to its callers.
pub fn parse(text: &str) -> Result<Element, ParseError> {
    if text.is_empty() {
        return Err(ParseError::at(text, 0, "Document is empty"));
    }
    let mut reader = Reader::from_str(text);
    // Mismatched end tags are reported here, in libxml2's words.
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<(Element, usize)> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(reading_error(text, &stack, before, &e)),
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(ParseError::at(
                    text,
                    before,
                    "Extra content at the end of the document",
                ));
            }
            Event::Start(_) | Event::Empty(_) if stack.len() >= MAX_DEPTH => {
                return Err(ParseError::at(
                    text,
                    before,
                    "Excessive depth in document: 256 use XML_PARSE_HUGE option",
                ));
            }
            Event::Start(e) => stack.push((start(text, before + 1, &e)?, line_of(text, before))),
            Event::Empty(e) => {
                let el = start(text, before + 1, &e)?;
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let Some((el, line)) = stack.pop() else {
                    return Err(match root {
                        Some(_) => ParseError::at(text, before, "Extra content at the end of the document"),
                        None => ParseError::at(text, before + 1, "StartTag: invalid element name"),
                    });
                };
                if el.name != name {
                    return Err(ParseError::at(
                        text,
                        after,
                        format!(
                            "Opening and ending tag mismatch: {} line {line} and {name}",
                            el.name
                        ),
                    ));
                }
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t
                    .decode()
                    .map_err(|e| ParseError::at(text, before, e.to_string()))?;
                match stack.last_mut() {
                    Some((parent, _)) => push_text(parent, &s),
                    None => {
                        let lead = s.len() - s.trim_start().len();
                        if lead < s.len() {
                            let what = if root.is_some() {
                                "Extra content at the end of the document"
                            } else {
                                "Start tag expected, '<' not found"
                            };
                            return Err(ParseError::at(text, before + lead, what));
                        }
                    }
                }
            }
            Event::GeneralRef(r) => {
                let name = r
                    .decode()
                    .map_err(|e| ParseError::at(text, before, e.to_string()))?;
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_xml_entity(&name) {
                        Some(v) => v.to_string(),
                        None => {
                            return Err(ParseError::at(
                                text,
                                after,
                                format!("Entity '{name}' not defined"),
                            ))
                        }
                    },
                    Err(_) => return Err(ParseError::at(text, after, "CharRef: invalid xmlChar value")),
                };
                match stack.last_mut() {
                    Some((parent, _)) => push_text(parent, &resolved),
                    None => return Err(ParseError::at(text, before, "Start tag expected, '<' not found")),
                }
            }
            Event::CData(t) => {
                if let Some((parent, _)) = stack.last_mut() {
                    push_text(parent, &String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some((el, line)) = stack.last() {
        return Err(ParseError::at(
            text,
            text.len(),
            format!("Premature end of data in tag {} line {line}", el.name),
        ));
    }
    root.ok_or_else(|| ParseError::at(text, text.len(), "Start tag expected, '<' not found"))
}

/// Whether an element starts before `pos` (the document already had its root).
fn has_root_before(text: &str, pos: usize) -> bool {
    text[..pos].match_indices('<').any(|(i, _)| {
        text[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
    })
}

/// The error for markup the reader could not finish.
fn reading_error(text: &str, stack: &[(Element, usize)], before: usize, e: &quick_xml::Error) -> ParseError {
    use quick_xml::errors::SyntaxError;
    // The reader stopped at the start of the offending markup (after any text).
    let lt = text[before..].find('<').map_or(before, |p| before + p);
    match e {
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => ParseError::at(
            text,
            text.len(),
            format!(
                "Couldn't find end of Start Tag {} line {}",
                tag_name(text, lt),
                line_of(text, lt)
            ),
        ),
        quick_xml::Error::Syntax(SyntaxError::UnclosedCData) => {
            // libxml2 shows the section's text without the two characters it
            // was still looking at for the end marker.
            let content = text.get(lt + "<![CDATA[".len()..).unwrap_or("");
            let shown: String = content
                .chars()
                .take(content.chars().count().saturating_sub(2))
                .collect();
            ParseError::at(text, text.len(), format!("CData section not finished\n{shown}"))
        }
        quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::UnmatchedEndTag(_))
            if stack.is_empty() =>
        {
            // An end tag with nothing open: after the root it is extra content,
            // before it a start tag whose name is missing.
            if lt == text.find('<').unwrap_or(0) && !has_root_before(text, lt) {
                ParseError::at(text, lt + 1, "StartTag: invalid element name")
            } else {
                ParseError::at(text, lt, "Extra content at the end of the document")
            }
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedComment) => {
            ParseError::at(text, text.len(), "Comment not terminated")
        }
        quick_xml::Error::Syntax(_) if stack.is_empty() => {
            ParseError::at(text, lt, "Start tag expected, '<' not found")
        }
        other => ParseError::at(text, lt, other.to_string()),
    }
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
