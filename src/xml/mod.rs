//! XML output in libvirt's style: two-space indentation, single-quoted
//! attributes, empty elements as `<x/>`, libvirt's escaping; and [`dom`],
//! the element tree documents are read into.

pub mod dom;

/// Appends `s` escaped as libvirt escapes text and attribute values: the five
/// markup characters become entities; control characters other than tab,
/// newline and carriage return are dropped (XML 1.0 cannot carry them).
pub fn escape_into(out: &mut String, s: &str) {
    // Most values need nothing escaped or dropped: copy them whole.
    if !s
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"') || b < 0x20)
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
}

/// `s` escaped for XML text or attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// Builds an indented XML document line by line.
#[derive(Default)]
pub struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    /// An empty document.
    pub fn new() -> Self {
        Writer {
            // A typical domain document, so it is rarely reallocated.
            out: String::with_capacity(2048),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        const SPACES: &str = "                                                                ";
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("='");
            escape_into(&mut self.out, v);
            self.out.push('\'');
        }
    }

    /// `<name attrs>` on its own line; children follow one level deeper.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    /// `</name>`, closing the innermost open element.
    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.end_tag(name);
    }

    fn end_tag(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str("/>\n");
    }

    /// `<name attrs>text</name>` on one line.
    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start_tag(name, attrs);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.end_tag(name);
    }

    /// A line written as given (already escaped), at the current depth.
    pub fn raw_line(&mut self, line: &str) {
        self.indent();
        self.out.push_str(line);
        self.out.push('\n');
    }

    /// An empty line, as libvirt puts between top-level sections.
    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b>&'\"\u{1}\tz"), "a&lt;b&gt;&amp;&apos;&quot;\tz");
    }

    #[test]
    fn nests_with_two_spaces() {
        let mut w = Writer::new();
        w.open("a", &[("x", "1'")]);
        w.empty("b", &[]);
        w.text("c", &[("u", "KiB")], "5<");
        w.close("a");
        assert_eq!(
            w.finish(),
            "<a x='1&apos;'>\n  <b/>\n  <c u='KiB'>5&lt;</c>\n</a>\n"
        );
    }
}
