//! A small element tree over quick-xml, for the documents libvirt reads
//! (node files, domain XML, capabilities): elements, attributes and text.

use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

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
        let line = line_of(text, position);
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

/// The part of a qualified name after its prefix (servers differ in the
/// prefixes they pick, so SOAP replies are read by local names).
pub fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// The first child of `el` with local name `name`.
pub fn child<'a>(el: &'a Element, name: &str) -> Option<&'a Element> {
    el.elements().find(|e| local(&e.name) == name)
}

/// All children of `el` with local name `name`.
pub fn children<'a>(el: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    el.elements().filter(move |e| local(&e.name) == name)
}

/// The trimmed text of the child `name`.
pub fn child_text(el: &Element, name: &str) -> Option<String> {
    child(el, name).map(|e| e.text().trim().to_string())
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

/// The 1-based line of byte `pos`; a lone `\r` ends a line too, as it
/// does for an XML parser.
fn line_of(text: &str, pos: usize) -> usize {
    let bytes = &text.as_bytes()[..pos.min(text.len())];
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n')))
        .count();
    breaks + 1
}

/// Text with its line ends as an XML parser delivers them: `\r\n` and a
/// lone `\r` become `\n`.
pub fn line_ends(s: &str) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether XML can carry the character `c`.
fn xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Reads the reference starting at `amp` (an `&`) in `s`: its text and
/// the offset just past it, or libxml2's complaint and the offset it
/// points at.
fn reference(s: &str, amp: usize) -> Result<(Cow<'static, str>, usize), (usize, String)> {
    let rest = &s[amp + 1..];
    if let Some(num) = rest.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let start = s.len() - digits.len();
        let mut value: u64 = 0;
        let mut end = None;
        for (i, c) in digits.char_indices() {
            if c == ';' {
                end = Some(start + i + 1);
                break;
            }
            let Some(d) = c.to_digit(radix) else {
                let kind = if radix == 16 { "hexadecimal" } else { "decimal" };
                return Err((start + i, format!("CharRef: invalid {kind} value")));
            };
            value = (value * u64::from(radix) + u64::from(d)).min(0x110000);
        }
        let Some(end) = end else {
            let kind = if radix == 16 { "hexadecimal" } else { "decimal" };
            return Err((s.len(), format!("CharRef: invalid {kind} value")));
        };
        if value >= 0x110000 {
            return Err((end, "xmlParseCharRef: character reference out of bounds".into()));
        }
        return match char::from_u32(value as u32).filter(|_| xml_char(value as u32)) {
            Some(c) => Ok((Cow::Owned(c.to_string()), end)),
            None => Err((end, format!("xmlParseCharRef: invalid xmlChar value {value}"))),
        };
    }
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| {
            let start = c.is_alphabetic() || c == '_' || c == ':' || !c.is_ascii();
            !(start || (i > 0 && (c.is_ascii_digit() || c == '.' || c == '-')))
        })
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return Err((amp + 1, "xmlParseEntityRef: no name".into()));
    }
    let name = &rest[..name_len];
    let after_name = amp + 1 + name_len;
    if !rest[name_len..].starts_with(';') {
        return Err((after_name, "EntityRef: expecting ';'".into()));
    }
    let end = after_name + 1;
    match quick_xml::escape::resolve_xml_entity(name) {
        Some(v) => Ok((Cow::Borrowed(v), end)),
        None => Err((end, format!("Entity '{name}' not defined"))),
    }
}

/// An attribute value as an XML parser delivers it: references resolved,
/// literal tabs and line ends turned into spaces (a character reference
/// keeps its character).  Errors give the offset in `raw` they point at.
pub fn attr_value(raw: &[u8]) -> Result<String, (usize, String)> {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(raw),
    };
    // The common value has nothing to resolve or normalise.
    if !text.contains(['&', '<', '\t', '\n', '\r']) {
        return Ok(text.into_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '<' => return Err((i, "Unescaped '<' not allowed in attributes values".into())),
            '\r' => {
                chars.next_if(|&(_, n)| n == '\n');
                out.push(' ');
            }
            '\t' | '\n' => out.push(' '),
            '&' => {
                let (v, end) = reference(&text, i)?;
                out.push_str(&v);
                while chars.next_if(|&(j, _)| j < end).is_some() {}
            }
            c => out.push(c),
        }
    }
    Ok(out)
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
        // The raw value borrows from the tag, which places its errors.
        let value_at = (a.value.as_ptr() as usize).saturating_sub(e.as_ptr() as usize);
        let value = attr_value(&a.value)
            .map_err(|(at, message)| ParseError::at(text, content + value_at + at, message))?;
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
            // The tag's offset, not its line: counting lines per element would be quadratic.
            Event::Start(e) => stack.push((start(text, before + 1, &e)?, before)),
            Event::Empty(e) => {
                let el = start(text, before + 1, &e)?;
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                // Only blanks may follow the name of an end tag (the reader
                // has trimmed those before '>').
                if let Some(blank) = name.find(char::is_whitespace) {
                    let rest = name[blank..].trim_start();
                    let at = before + "</".len() + name.len() - rest.len();
                    return Err(ParseError::at(text, at, "expected '>'"));
                }
                let Some((el, at)) = stack.pop() else {
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
                            "Opening and ending tag mismatch: {} line {} and {name}",
                            el.name,
                            line_of(text, at)
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
                let s = line_ends(&s);
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
            Event::GeneralRef(_) => {
                // The reader ends a reference at the next ';' wherever it is;
                // libxml2's rules decide what is wrong with it.
                let (resolved, _) =
                    reference(text, before).map_err(|(at, message)| ParseError::at(text, at, message))?;
                match stack.last_mut() {
                    Some((parent, _)) => push_text(parent, &resolved),
                    None => return Err(ParseError::at(text, before, "Start tag expected, '<' not found")),
                }
            }
            Event::CData(t) => {
                if let Some((parent, _)) = stack.last_mut() {
                    push_text(parent, &line_ends(&String::from_utf8_lossy(&t)));
                }
            }
            // Only a byte-order mark may come before the declaration.
            Event::Decl(_) if !text[..before].trim_start_matches('\u{feff}').is_empty() => {
                return Err(ParseError::at(
                    text,
                    before + "<?xml".len(),
                    "XML declaration allowed only at the start of the document",
                ));
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some((el, at)) = stack.last() {
        let line = line_of(text, *at);
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

/// In the start tag at `lt` that never ends, an attribute value whose
/// quote is never closed: libxml2 stops at the first `<` inside it, or at
/// the end of the text.
fn unclosed_quote(text: &str, lt: usize) -> Option<(usize, String)> {
    let tag = &text[lt..];
    let mut quote: Option<(usize, char)> = None;
    for (i, c) in tag.char_indices().skip(1) {
        match quote {
            None if c == '\'' || c == '"' => quote = Some((i, c)),
            Some((_, q)) if c == q => quote = None,
            _ => {}
        }
    }
    let (open, _) = quote?;
    Some(match tag[open..].find('<') {
        Some(p) => (
            lt + open + p,
            "Unescaped '<' not allowed in attributes values".to_string(),
        ),
        // libxml2 names the single quote whichever quote was opened.
        None => (text.len(), "AttValue: ' expected".to_string()),
    })
}

/// The error for markup the reader could not finish.
fn reading_error(text: &str, stack: &[(Element, usize)], before: usize, e: &quick_xml::Error) -> ParseError {
    use quick_xml::errors::SyntaxError;
    // The reader stopped at the start of the offending markup (after any text).
    let lt = text[before..].find('<').map_or(before, |p| before + p);
    match e {
        quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::UnclosedReference) => {
            let amp = text[before..].find('&').map_or(before, |p| before + p);
            match reference(text, amp) {
                Err((at, message)) => ParseError::at(text, at, message),
                Ok(_) => ParseError::at(text, amp, e.to_string()),
            }
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) if text[lt..].starts_with("</") => {
            let name = tag_name(text, lt + 1);
            let rest = text[lt + 2 + name.len()..].trim_start();
            ParseError::at(text, text.len() - rest.len(), "expected '>'")
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) if unclosed_quote(text, lt).is_some() => {
            let (at, message) = unclosed_quote(text, lt).unwrap_or_default();
            ParseError::at(text, at, message)
        }
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
    fn refuses_what_libxml2_refuses() {
        let err = |t: &str| parse(t).unwrap_err().message;
        assert!(parse("<a><b x='1'/></a>").is_ok());
        assert_eq!(
            err("<a x='a<b'/>"),
            "Unescaped '<' not allowed in attributes values"
        );
        assert_eq!(err("<a>&#1;</a>"), "xmlParseCharRef: invalid xmlChar value 1");
        assert_eq!(
            err("<a x='&#xD800;'/>"),
            "xmlParseCharRef: invalid xmlChar value 55296"
        );
        assert_eq!(
            err("<a>&#x110000;</a>"),
            "xmlParseCharRef: character reference out of bounds"
        );
        assert_eq!(err("<a>&#12a;</a>"), "CharRef: invalid decimal value");
        assert_eq!(parse("<a>&#x1F600;</a>").unwrap().text(), "\u{1F600}");
        assert_eq!(
            err(" <?xml version='1.0'?><a/>"),
            "XML declaration allowed only at the start of the document"
        );
        assert!(parse("\u{feff}<?xml version='1.0'?><a/>").is_ok());
        let deep = |n| "<x>".repeat(n) + &"</x>".repeat(n);
        assert!(parse(&deep(257)).is_ok());
        assert!(parse(&deep(258)).is_err());
        assert!(parse(&deep(1_000_000)).is_err());
    }

    #[test]
    fn errors_point_into_the_original_text() {
        let e = parse("<a>\n <b x='ab<c'/></a>").unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
        let e = parse("<a>\n <b>x&#1;y</b></a>").unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(parse("<a>\r<b>\r\n<c x='1>").unwrap_err().line, 3);
    }

    #[test]
    fn normalizes_line_ends_and_attribute_whitespace() {
        let root = parse("<a b='x\ty\r\nz&#9;'>1\r\n2\r3<![CDATA[\r\n]]></a>").unwrap();
        assert_eq!(root.attr("b"), Some("x y z\t"));
        assert_eq!(root.text(), "1\n2\n3\n");
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
