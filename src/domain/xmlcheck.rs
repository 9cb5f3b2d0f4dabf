//! Well-formedness rules libxml2 enforces and the element-tree reader does
//! not: nesting depth (libxml2 refuses documents nested deeper than 257
//! levels without its "huge" option, which libvirt does not pass), `<`
//! inside attribute values, character references to characters XML cannot
//! carry, and an XML declaration anywhere but at the very start.  Checked
//! before the tree is built so hostile nesting never becomes a deep tree.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The deepest element nesting libxml2 accepts.
pub const MAX_DEPTH: usize = 257;

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Character references in `raw` that name characters XML forbids.
fn bad_char_ref(raw: &[u8]) -> Option<u32> {
    let mut i = 0;
    while i + 2 < raw.len() {
        if raw[i] == b'&' && raw[i + 1] == b'#' {
            let (hex, start) = if raw.get(i + 2) == Some(&b'x') {
                (true, i + 3)
            } else {
                (false, i + 2)
            };
            let mut j = start;
            let mut v: u64 = 0;
            while j < raw.len() && raw[j] != b';' {
                let d = (raw[j] as char).to_digit(if hex { 16 } else { 10 });
                match d {
                    Some(d) => v = (v * if hex { 16 } else { 10 } + d as u64).min(u32::MAX as u64),
                    None => break,
                }
                j += 1;
            }
            if j < raw.len() && raw[j] == b';' && j > start && !xml_char(v as u32) {
                return Some(v as u32);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
fn check(text: &str) -> Result<(), (usize, String)> {
    scan(text).map(|_| ())
}

/// What an XML parser does to the text before the tree sees it: line ends
/// become `\n`, and whitespace characters inside tags (attribute values
/// among them) become spaces.  Also applies the checks above.
pub fn normalize(text: &str) -> Result<String, (usize, String)> {
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    };
    let tags = scan(&text)?;
    if tags.is_empty() {
        return Ok(text);
    }
    let mut bytes = text.into_bytes();
    let len = bytes.len();
    for (start, end) in tags {
        for b in &mut bytes[start.min(len)..end.min(len)] {
            if *b == b'\t' || *b == b'\n' {
                *b = b' ';
            }
        }
    }
    // Only ASCII bytes were replaced by ASCII, so the text stays UTF-8.
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// Checks the document; returns the byte ranges of tags holding tabs or
/// newlines.
fn scan(text: &str) -> Result<Vec<(usize, usize)>, (usize, String)> {
    let mut tags = Vec::new();
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut depth = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let err = |m: String| Err((line_of(text, pos), m));
        let event = match reader.read_event() {
            Ok(e) => e,
            // The tree reader reports syntax errors itself.
            Err(_) => return Ok(tags),
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let raw = e.attributes_raw();
                let mut quote = None;
                for &b in raw {
                    match quote {
                        None if b == b'\'' || b == b'"' => quote = Some(b),
                        Some(q) if b == q => quote = None,
                        Some(_) if b == b'<' => {
                            return err("Unescaped '<' not allowed in attributes values".into());
                        }
                        _ => {}
                    }
                }
                if let Some(v) = bad_char_ref(raw) {
                    return err(format!("xmlParseCharRef: invalid xmlChar value {v}"));
                }
                if depth + 1 > MAX_DEPTH {
                    return err("Excessive depth in document: 256 use XML_PARSE_HUGE option".into());
                }
                let end = reader.buffer_position() as usize;
                if raw.iter().any(|b| *b == b'\t' || *b == b'\n') {
                    tags.push((pos, end));
                }
                if !text.as_bytes()[..end].ends_with(b"/>") {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) => {
                if let Some(v) = bad_char_ref(&t) {
                    return err(format!("xmlParseCharRef: invalid xmlChar value {v}"));
                }
            }
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    if !xml_char(c as u32) {
                        return err(format!("xmlParseCharRef: invalid xmlChar value {}", c as u32));
                    }
                } else if r.is_char_ref() {
                    return Ok(tags);
                }
            }
            Event::Decl(_) if pos > 0 && !text[..pos].trim_start_matches('\u{feff}').is_empty() => {
                return err("XML declaration allowed only at the start of the document".into());
            }
            Event::Eof => return Ok(tags),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_libxml2_refuses() {
        assert!(check("<a><b x='1'/></a>").is_ok());
        assert!(check("<a x='a<b'/>").is_err());
        assert!(check("<a>&#1;</a>").is_err());
        assert!(check("<a>&#x1F600;</a>").is_ok());
        assert!(check(" <?xml version='1.0'?><a/>").is_err());
        let deep = |n| "<x>".repeat(n) + &"</x>".repeat(n);
        assert!(check(&deep(257)).is_ok());
        assert!(check(&deep(258)).is_err());
        assert!(check(&deep(1_000_000)).is_err());
    }

    #[test]
    fn normalizes_line_ends_and_attribute_whitespace() {
        assert_eq!(
            normalize("<a b='x\ty\nz'>1\r\n2\r3</a>").unwrap(),
            "<a b='x y z'>1\n2\n3</a>"
        );
        assert_eq!(normalize("<a b='&#9;'>\t</a>").unwrap(), "<a b='&#9;'>\t</a>");
    }
}
