//! libvirt's configuration file syntax (`virConf`): the format of
//! `libvirt.conf`, `libvirtd.conf` and Xen's xm/xl files, plus the VMX and LXC
//! dialects libvirt reads with the same parser.
//!
//! Parsing, lookups, type errors and writing follow libvirt 9.0 so that files
//! are accepted or rejected the same way, with the same messages.

pub mod authfile;
pub mod client;

use std::io::Read;
use std::path::Path;

use crate::abi::*;
use crate::error::{Error, Result};

/// The file name libvirt reports for text that did not come from a file.
pub const MEMORY_CONF: &str = "memory conf";

/// Parser dialect flag: VMware VMX files (`:`, `.` and `-` in names, only
/// quoted string values, case-insensitive lookups).
pub const FLAG_VMX_FORMAT: u32 = 1;
/// Parser dialect flag: LXC files (`.` in names, unquoted values read to the
/// end of the line as strings).
pub const FLAG_LXC_FORMAT: u32 = 2;

/// libvirt refuses configuration files larger than this (10 MiB).
const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A number written with a leading `-` (libvirt's signed type).
    Int(i64),
    /// A number written without a `-` (libvirt's unsigned type).
    UInt(u64),
    /// A quoted string.
    String(String),
    /// A bracketed list.
    List(Vec<Value>),
}

impl Value {
    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Writes the value as libvirt does.
    fn write(&self, out: &mut String) {
        match self {
            Value::Int(n) => out.push_str(&n.to_string()),
            Value::UInt(n) => out.push_str(&n.to_string()),
            Value::String(s) => {
                let quote = if s.contains('\n') {
                    "\"\"\""
                } else if !s.contains('"') {
                    "\""
                } else if !s.contains('\'') {
                    "'"
                } else {
                    "\"\"\""
                };
                out.push_str(quote);
                out.push_str(s);
                out.push_str(quote);
            }
            Value::List(items) => {
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push_str(" ]");
            }
        }
    }
}

/// One line of a configuration: a setting, a comment line, or a setting with
/// a trailing comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The setting's name; `None` for a comment line.
    pub name: Option<String>,
    /// The setting's value; `None` for a comment line.
    pub value: Option<Value>,
    /// The comment text after `#`.
    pub comment: Option<String>,
}

/// A parsed configuration: its entries in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conf {
    filename: Option<String>,
    flags: u32,
    entries: Vec<Entry>,
}

impl Conf {
    /// An empty configuration not tied to a file (`virConfNew`).
    pub fn new() -> Conf {
        Conf::default()
    }

    /// Parses `text`, naming `filename` in errors (`virConfReadString` uses
    /// [`MEMORY_CONF`]). Like a C string, the text ends at its first NUL.
    pub fn parse(text: &str, filename: &str) -> Result<Conf> {
        Conf::parse_with_flags(text, filename, 0)
    }

    /// Parses text that did not come from a file, as `virConfReadString`.
    pub fn parse_string(text: &str) -> Result<Conf> {
        Conf::parse(text, MEMORY_CONF)
    }

    /// [`Conf::parse`] in a dialect ([`FLAG_VMX_FORMAT`], [`FLAG_LXC_FORMAT`]).
    pub fn parse_with_flags(text: &str, filename: &str, flags: u32) -> Result<Conf> {
        let text = text.split('\0').next().unwrap_or_default();
        Conf::parse_bytes(text.as_bytes(), filename, flags)
    }

    /// Parses raw bytes (a file's content, which may hold any byte).
    pub fn parse_bytes(text: &[u8], filename: &str, flags: u32) -> Result<Conf> {
        let mut p = ConfParser {
            s: text,
            cur: 0,
            line: 1,
            filename,
            flags,
            entries: Vec::new(),
        };
        while p.cur < p.s.len() {
            p.statement()?;
            p.separator()?;
        }
        Ok(Conf {
            filename: Some(filename.to_string()),
            flags,
            entries: p.entries,
        })
    }

    /// Reads and parses a file, as `virConfReadFile`.
    pub fn read_file(path: &Path, flags: u32) -> Result<Conf> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(VIR_FROM_NONE, &e, format!("Failed to open file '{shown}'")))?;
        // Config files are small: one buffer this size reads most in one go.
        let mut data = Vec::with_capacity(8192);
        file.take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(|e| Error::io(VIR_FROM_NONE, &e, format!("Failed to read file '{shown}'")))?;
        if data.len() as u64 > MAX_FILE_SIZE {
            return Err(Error::system(
                VIR_FROM_NONE,
                libc::EOVERFLOW,
                format!("Failed to read file '{shown}'"),
            ));
        }
        Conf::parse_bytes(&data, &shown, flags)
    }

    /// The name errors refer to; `None` for a configuration built in memory.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// All entries, comments included, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The value of the first setting called `name` (ignoring case in the
    /// VMX dialect), as `virConfGetValue`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let vmx = self.flags & FLAG_VMX_FORMAT != 0;
        self.entries
            .iter()
            .find(|e| {
                e.name
                    .as_deref()
                    .is_some_and(|n| n == name || (vmx && n.eq_ignore_ascii_case(name)))
            })
            .and_then(|e| e.value.as_ref())
    }

    /// Sets `name`, replacing the first setting of that name (its comment
    /// stays) or appending a new one, as `virConfSetValue`.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.entries.iter_mut().find(|e| e.name.as_deref() == Some(name)) {
            Some(entry) => entry.value = Some(value),
            None => self.entries.push(Entry {
                name: Some(name.to_string()),
                value: Some(value),
                comment: None,
            }),
        }
    }

    /// Writes the configuration as `virConfWriteMem` does: one entry per
    /// line, `name = value`, blank lines dropped.
    pub fn format(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            if let Some(name) = &entry.name {
                out.push_str(name);
                out.push_str(" = ");
                if let Some(value) = &entry.value {
                    value.write(&mut out);
                }
                if let Some(comment) = &entry.comment {
                    out.push_str(" #");
                    out.push_str(comment);
                }
            } else if let Some(comment) = &entry.comment {
                out.push('#');
                out.push_str(comment);
            }
            out.push('\n');
        }
        out
    }

    /// `virConfGetValueString`: a string setting, `None` when absent.
    pub fn get_string(&self, name: &str) -> Result<Option<&str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.type_error(name, "expected a string")),
        }
    }

    /// `virConfGetValueStringList`: a list of strings; with `compat_string`
    /// a single string counts as a one-element list.
    pub fn get_string_list(&self, name: &str, compat_string: bool) -> Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::List(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    // A list holding non-strings counts as a syntax error.
                    _ => Err(Error::with(
                        VIR_FROM_CONF,
                        VIR_ERR_CONF_SYNTAX,
                        format!(
                            "{}: expected a string list for '{name}' parameter",
                            self.shown_name()
                        ),
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(Value::String(s)) if compat_string => Ok(Some(vec![s.clone()])),
            Some(_) if compat_string => Err(self.type_error(name, "expected a string or string list")),
            Some(_) => Err(self.type_error(name, "expected a string list")),
        }
    }

    /// `virConfGetValueInt`: a number that fits a C `int`.
    pub fn get_int(&self, name: &str) -> Result<Option<i32>> {
        let Some(raw) = self.signed_bits(name)? else {
            return Ok(None);
        };
        // libvirt checks the stored 64 bits as signed, so a huge unsigned
        // value such as 18446744073709551615 reads as -1.
        i32::try_from(raw)
            .map(Some)
            .map_err(|_| self.range_error(name, &format!("must be in range {}:{}", i32::MIN, i32::MAX)))
    }

    /// `virConfGetValueUInt`: an unsigned number that fits a C `unsigned int`.
    pub fn get_uint(&self, name: &str) -> Result<Option<u32>> {
        let Some(n) = self.get_ullong(name)? else {
            return Ok(None);
        };
        u32::try_from(n)
            .map(Some)
            .map_err(|_| self.range_error(name, &format!("must be in range 0:{}", u32::MAX)))
    }

    /// `virConfGetValueLLong` (and `SSizeT` on 64-bit hosts).
    pub fn get_llong(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(n)) => Ok(Some(*n)),
            Some(Value::UInt(n)) => i64::try_from(*n)
                .map(Some)
                .map_err(|_| self.range_error(name, &format!("must be in range {}:{}", i64::MIN, i64::MAX))),
            Some(_) => Err(self.type_error(name, "expected a signed integer")),
        }
    }

    /// `virConfGetValueULLong` (and `SizeT` on 64-bit hosts): only numbers
    /// written without a sign qualify.
    pub fn get_ullong(&self, name: &str) -> Result<Option<u64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::UInt(n)) => Ok(Some(*n)),
            Some(_) => Err(self.type_error(name, "expected an unsigned integer")),
        }
    }

    /// `virConfGetValueBool`: the unsigned number 0 or 1.
    pub fn get_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::UInt(0)) => Ok(Some(false)),
            Some(Value::UInt(1)) => Ok(Some(true)),
            Some(Value::UInt(_)) => Err(self.range_error(name, "must be 0 or 1")),
            Some(_) => Err(self.type_error(name, "expected a bool")),
        }
    }

    /// A number's 64 bits read as signed, for [`Conf::get_int`].
    fn signed_bits(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(n)) => Ok(Some(*n)),
            Some(Value::UInt(n)) => Ok(Some(*n as i64)),
            Some(_) => Err(self.type_error(name, "expected a signed integer")),
        }
    }

    /// The file name as libvirt prints it, `(null)` when there is none.
    fn shown_name(&self) -> &str {
        self.filename.as_deref().unwrap_or("(null)")
    }

    fn type_error(&self, name: &str, what: &str) -> Error {
        Error::internal(
            VIR_FROM_CONF,
            format!("{}: {what} for '{name}' parameter", self.shown_name()),
        )
    }

    fn range_error(&self, name: &str, what: &str) -> Error {
        Error::internal(
            VIR_FROM_CONF,
            format!("{}: value for '{name}' parameter {what}", self.shown_name()),
        )
    }
}

/// The parser state: position, line for messages, and the entries so far.
struct ConfParser<'a> {
    s: &'a [u8],
    cur: usize,
    line: u32,
    filename: &'a str,
    flags: u32,
    entries: Vec<Entry>,
}

impl ConfParser<'_> {
    /// The current byte, 0 at the end as with libvirt's NUL-terminated buffer.
    fn peek(&self) -> u8 {
        self.s.get(self.cur).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.cur >= self.s.len()
    }

    fn advance(&mut self) {
        if !self.at_end() {
            self.cur += 1;
        }
    }

    fn is_eol(&self) -> bool {
        matches!(self.peek(), b'\n' | b'\r')
    }

    fn skip_blanks(&mut self) {
        while !self.at_end() && matches!(self.peek(), b' ' | b'\t') {
            self.cur += 1;
        }
    }

    fn skip_blanks_and_eol(&mut self) {
        while !self.at_end() && matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            if self.peek() == b'\n' {
                self.line += 1;
            }
            self.cur += 1;
        }
    }

    fn error(&self, info: &str) -> Error {
        Error::with(
            VIR_FROM_CONF,
            VIR_ERR_CONF_SYNTAX,
            format!("{}:{}: {info}", self.filename, self.line),
        )
    }

    fn vmx(&self) -> bool {
        self.flags & FLAG_VMX_FORMAT != 0
    }

    fn lxc(&self) -> bool {
        self.flags & FLAG_LXC_FORMAT != 0
    }

    /// Text from `start` to the current position, cut at a NUL as C would.
    fn text_from(&self, start: usize) -> String {
        c_string(&self.s[start..self.cur])
    }

    /// The rest of the line after a `#`.
    fn comment(&mut self) -> String {
        self.advance();
        let start = self.cur;
        while !self.at_end() && !self.is_eol() {
            self.cur += 1;
        }
        self.text_from(start)
    }

    /// A comment line, or `name = value [# comment]`.
    fn statement(&mut self) -> Result<()> {
        self.skip_blanks_and_eol();
        if self.peek() == b'#' {
            let comment = self.comment();
            self.entries.push(Entry {
                name: None,
                value: None,
                comment: Some(comment),
            });
            return Ok(());
        }
        let name = self.name()?;
        self.skip_blanks();
        if self.peek() != b'=' {
            return Err(self.error("expecting an assignment"));
        }
        self.advance();
        self.skip_blanks();
        let value = self.value()?;
        self.skip_blanks();
        let comment = (self.peek() == b'#').then(|| self.comment());
        self.entries.push(Entry {
            name: Some(name),
            value: Some(value),
            comment,
        });
        Ok(())
    }

    /// What may follow a statement: the end, line breaks, or one `;`.
    fn separator(&mut self) -> Result<()> {
        self.skip_blanks();
        if self.at_end() {
            return Ok(());
        }
        if self.is_eol() {
            self.skip_blanks_and_eol();
        } else if self.peek() == b';' {
            self.advance();
            self.skip_blanks_and_eol();
        } else {
            return Err(self.error("expecting a separator"));
        }
        Ok(())
    }

    fn name(&mut self) -> Result<String> {
        let start = self.cur;
        let c = self.peek();
        if !(c.is_ascii_alphabetic() || (self.vmx() && c == b'.')) {
            return Err(self.error("expecting a name"));
        }
        while !self.at_end() {
            let c = self.peek();
            let ok = c.is_ascii_alphanumeric()
                || c == b'_'
                || (self.vmx() && matches!(c, b':' | b'.' | b'-'))
                || (self.lxc() && c == b'.');
            if !ok {
                break;
            }
            self.cur += 1;
        }
        Ok(self.text_from(start))
    }

    fn value(&mut self) -> Result<Value> {
        self.skip_blanks();
        if self.at_end() {
            return Err(self.error("expecting a value"));
        }
        let c = self.peek();
        if c == b'"' || c == b'\'' || self.lxc() {
            self.string().map(Value::String)
        } else if c == b'[' {
            if self.vmx() {
                return Err(self.error("lists not allowed in VMX format"));
            }
            self.list()
        } else if c.is_ascii_digit() || c == b'-' || c == b'+' {
            if self.vmx() {
                return Err(self.error("numbers not allowed in VMX format"));
            }
            self.number()
        } else {
            Err(self.error("expecting a value"))
        }
    }

    fn number(&mut self) -> Result<Value> {
        let negative = self.peek() == b'-';
        if matches!(self.peek(), b'-' | b'+') {
            self.advance();
        }
        if !self.peek().is_ascii_digit() {
            return Err(self.error("unterminated number"));
        }
        // libvirt accumulates without overflow checks, so large numbers wrap.
        let mut n: u64 = 0;
        while !self.at_end() && self.peek().is_ascii_digit() {
            n = n.wrapping_mul(10).wrapping_add(u64::from(self.peek() - b'0'));
            self.cur += 1;
        }
        Ok(if negative {
            Value::Int((n as i64).wrapping_neg())
        } else {
            Value::UInt(n)
        })
    }

    fn starts_triple_quote(&self) -> bool {
        self.s[self.cur.min(self.s.len())..].starts_with(b"\"\"\"")
    }

    fn string(&mut self) -> Result<String> {
        let quote = self.peek();
        // A triple quote needs room for at least one more byte after both
        // delimiters, or it reads as an empty "" followed by a stray quote.
        if quote == b'"' && self.cur + 6 < self.s.len() && self.starts_triple_quote() {
            self.cur += 3;
            let start = self.cur;
            while self.cur + 2 < self.s.len() && !self.starts_triple_quote() {
                if self.peek() == b'\n' {
                    self.line += 1;
                }
                self.cur += 1;
            }
            if !self.starts_triple_quote() {
                return Err(self.error("unterminated string"));
            }
            let text = self.text_from(start);
            self.cur += 3;
            Ok(text)
        } else if quote == b'"' || quote == b'\'' {
            self.advance();
            let start = self.cur;
            while !self.at_end() && self.peek() != quote && !self.is_eol() {
                self.cur += 1;
            }
            if self.peek() != quote {
                return Err(self.error("unterminated string"));
            }
            let text = self.text_from(start);
            self.advance();
            Ok(text)
        } else {
            // LXC: the rest of the line, trailing blanks included.
            let start = self.cur;
            while !self.at_end() && !self.is_eol() {
                self.cur += 1;
            }
            Ok(self.text_from(start))
        }
    }

    fn list(&mut self) -> Result<Value> {
        self.advance();
        self.skip_blanks_and_eol();
        let mut items = Vec::new();
        if !self.at_end() && self.peek() != b']' {
            items.push(self.value()?);
            self.skip_blanks_and_eol();
        }
        while !self.at_end() && self.peek() != b']' {
            if self.peek() != b',' {
                return Err(self.error("expecting a separator in list"));
            }
            self.advance();
            self.skip_blanks_and_eol();
            if self.peek() == b']' {
                break;
            }
            items.push(self.value()?);
            self.skip_blanks_and_eol();
        }
        if self.peek() != b']' {
            return Err(self.error("list is not closed with ]"));
        }
        self.advance();
        Ok(Value::List(items))
    }
}

/// Bytes as libvirt's C string would hold them: up to the first NUL; bytes
/// that are not UTF-8 become U+FFFD.
fn c_string(bytes: &[u8]) -> String {
    let bytes = bytes.split(|&c| c == 0).next().unwrap_or_default();
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_error(text: &str) -> String {
        let e = Conf::parse_string(text).expect_err("libvirt rejects this");
        assert_eq!((e.code, e.domain), (VIR_ERR_CONF_SYNTAX, VIR_FROM_CONF));
        e.message
    }

    fn flagged_error(text: &str, flags: u32) -> String {
        Conf::parse_with_flags(text, MEMORY_CONF, flags)
            .expect_err("libvirt rejects this")
            .message
    }

    fn value(text: &str, name: &str) -> Value {
        Conf::parse_string(text)
            .unwrap()
            .get(name)
            .cloned()
            .expect("setting present")
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    #[test]
    fn strings_in_every_quoting() {
        assert_eq!(value("a = \"x y\"", "a"), s("x y"));
        assert_eq!(value("a = 'x\"y'", "a"), s("x\"y"));
        assert_eq!(value("a = \"\"", "a"), s(""));
        assert_eq!(value("a = \"\"\"x\ny\"\"\"", "a"), s("x\ny"));
        assert_eq!(value("a = \"\"\"1\"\"\"", "a"), s("1"));
        // No escapes: a backslash is an ordinary character.
        assert_eq!(value("a = \"x\\y\"", "a"), s("x\\y"));
    }

    #[test]
    fn numbers_keep_their_signedness() {
        assert_eq!(value("a = 1", "a"), Value::UInt(1));
        assert_eq!(value("a = +5", "a"), Value::UInt(5));
        assert_eq!(value("a = -5", "a"), Value::Int(-5));
        assert_eq!(value("a = 18446744073709551615", "a"), Value::UInt(u64::MAX));
        assert_eq!(value("a = -9223372036854775808", "a"), Value::Int(i64::MIN));
        // Overflow wraps as in libvirt.
        assert_eq!(
            value("a = 99999999999999999999", "a"),
            Value::UInt(7766279631452241919)
        );
    }

    #[test]
    fn lists_across_lines() {
        assert_eq!(
            value("b=[1,\"y\" , -3 ,]", "b"),
            Value::List(vec![Value::UInt(1), s("y"), Value::Int(-3)])
        );
        assert_eq!(
            value("a=[\n\n1\n\n,\n\n]", "a"),
            Value::List(vec![Value::UInt(1)])
        );
        assert_eq!(value("a=[ ]", "a"), Value::List(vec![]));
        assert_eq!(
            value("a=[[1],[]]", "a"),
            Value::List(vec![Value::List(vec![Value::UInt(1)]), Value::List(vec![])])
        );
    }

    #[test]
    fn comments_blank_lines_and_separators() {
        let c = Conf::parse_string("  #top\n\n\r\na = 1 # one\nb=2;c=3 ; d = 4;\n#end").unwrap();
        let names: Vec<Option<&str>> = c.entries().iter().map(|e| e.name.as_deref()).collect();
        assert_eq!(names, [None, Some("a"), Some("b"), Some("c"), Some("d"), None]);
        assert_eq!(c.entries()[0].comment.as_deref(), Some("top"));
        assert_eq!(c.entries()[1].comment.as_deref(), Some(" one"));
        assert_eq!(c.get("d"), Some(&Value::UInt(4)));
        assert!(Conf::parse_string("").unwrap().entries().is_empty());
        assert!(Conf::parse_string("a=1\n\n  \n").is_ok());
        assert!(Conf::parse_string("a=1\r\nb=2\rc=3").is_ok());
        assert_eq!(value("a=1 #c;b=2", "a"), Value::UInt(1));
    }

    #[test]
    fn names_and_lookups() {
        let c = Conf::parse_string("a_1 = 1\na=1\na=2\nA=3").unwrap();
        assert_eq!(c.get("a"), Some(&Value::UInt(1)), "the first of duplicates wins");
        assert_eq!(c.get("A"), Some(&Value::UInt(3)), "lookups are case-sensitive");
        assert_eq!(c.get("a_1"), Some(&Value::UInt(1)));
        assert_eq!(c.get("b"), None);
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let cases = [
            ("a=1 b=2", 1, "expecting a separator"),
            ("a=", 1, "expecting a value"),
            ("a", 1, "expecting an assignment"),
            ("=1", 1, "expecting a name"),
            ("_a=1", 1, "expecting a name"),
            ("a.b=1", 1, "expecting an assignment"),
            ("a=x", 1, "expecting a value"),
            ("a=\"x", 1, "unterminated string"),
            ("a='x\ny'", 1, "unterminated string"),
            ("a=\"\"\"x\ny\nz", 2, "unterminated string"),
            ("a=[1 2]", 1, "expecting a separator in list"),
            ("a=[1,", 1, "expecting a value"),
            ("a=[", 1, "list is not closed with ]"),
            ("a=[1,,2]", 1, "expecting a value"),
            ("a=-", 1, "unterminated number"),
            ("a=+-1", 1, "unterminated number"),
            ("a=1x", 1, "expecting a separator"),
            ("a=1.5", 1, "expecting a separator"),
            ("a=1;;b=2", 1, "expecting a name"),
            ("a=\\\n1", 1, "expecting a value"),
            ("a=\"\"\"\"\"\"", 1, "expecting a separator"),
            ("   ", 1, "expecting a name"),
            ("\n", 2, "expecting a name"),
            ("\n\na=[1,\n\"x\n", 4, "unterminated string"),
            ("a=\"\"\"\n\n\n\"\"\"\nb", 5, "expecting an assignment"),
            ("\x0ba=1", 1, "expecting a name"),
        ];
        for (text, line, info) in cases {
            assert_eq!(
                syntax_error(text),
                format!("configuration file syntax error: memory conf:{line}: {info}"),
                "{text:?}"
            );
        }
        let e = Conf::parse_string("a").unwrap_err();
        assert_eq!(e.str1.as_deref(), Some("configuration file syntax error: %s"));
        assert_eq!(e.str2.as_deref(), Some("memory conf:1: expecting an assignment"));
        let e = Conf::parse("a=1\nb", "/etc/libvirt/libvirt.conf").unwrap_err();
        assert_eq!(
            e.message,
            "configuration file syntax error: /etc/libvirt/libvirt.conf:2: expecting an assignment"
        );
    }

    #[test]
    fn vmx_dialect() {
        let c = Conf::parse_with_flags("A.b:c-d = \"x\"\n.e = 'y'", MEMORY_CONF, FLAG_VMX_FORMAT).unwrap();
        assert_eq!(c.get("a.B:c-D"), Some(&s("x")), "VMX lookups ignore case");
        assert_eq!(c.get(".e"), Some(&s("y")));
        assert_eq!(
            flagged_error("a = 1", FLAG_VMX_FORMAT),
            "configuration file syntax error: memory conf:1: numbers not allowed in VMX format"
        );
        assert_eq!(
            flagged_error("a = [1]", FLAG_VMX_FORMAT),
            "configuration file syntax error: memory conf:1: lists not allowed in VMX format"
        );
        assert_eq!(
            flagged_error("a = x", FLAG_VMX_FORMAT),
            "configuration file syntax error: memory conf:1: expecting a value"
        );
    }

    #[test]
    fn lxc_dialect() {
        let c = Conf::parse_with_flags(
            "a.b = x # c \nn = [1]\nq = \"z\"\ne = \n",
            MEMORY_CONF,
            FLAG_LXC_FORMAT,
        )
        .unwrap();
        assert_eq!(c.get("a.b"), Some(&s("x # c ")));
        assert_eq!(c.get("n"), Some(&s("[1]")));
        assert_eq!(c.get("q"), Some(&s("z")));
        assert_eq!(c.get("e"), Some(&s("")));
        assert_eq!(
            flagged_error(".a = x", FLAG_LXC_FORMAT),
            "configuration file syntax error: memory conf:1: expecting a name"
        );
    }

    #[test]
    fn typed_getters_and_their_errors() {
        let c = Conf::parse_string(
            "i=-5\nu=5\ns=\"x\"\nl=[\"a\",\"b\"]\nli=[1]\nbig=4294967296\nneg=-2147483649\nhuge=18446744073709551615\nel=[]\nnz=-0\ntwo=2",
        )
        .unwrap();
        let msg = |r: Result<Option<i64>>| r.unwrap_err().message;
        assert_eq!(c.get_string("s").unwrap(), Some("x"));
        assert_eq!(c.get_string("missing").unwrap(), None);
        assert_eq!(
            c.get_string("u").unwrap_err().message,
            "internal error: memory conf: expected a string for 'u' parameter"
        );
        assert_eq!(
            c.get_string_list("l", false).unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(c.get_string_list("el", false).unwrap(), Some(vec![]));
        assert_eq!(c.get_string_list("s", true).unwrap(), Some(vec!["x".into()]));
        let e = c.get_string_list("li", true).unwrap_err();
        assert_eq!((e.code, e.domain), (VIR_ERR_CONF_SYNTAX, VIR_FROM_CONF));
        assert_eq!(
            e.message,
            "configuration file syntax error: memory conf: expected a string list for 'li' parameter"
        );
        let e = c.get_string_list("s", false).unwrap_err();
        assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_CONF));
        assert_eq!(
            e.message,
            "internal error: memory conf: expected a string list for 's' parameter"
        );
        assert_eq!(
            c.get_string_list("u", true).unwrap_err().message,
            "internal error: memory conf: expected a string or string list for 'u' parameter"
        );

        assert_eq!(c.get_int("i").unwrap(), Some(-5));
        assert_eq!(c.get_int("huge").unwrap(), Some(-1));
        assert_eq!(
            msg(c.get_int("big").map(|v| v.map(i64::from))),
            "internal error: memory conf: value for 'big' parameter must be in range -2147483648:2147483647"
        );
        assert_eq!(
            msg(c.get_int("s").map(|v| v.map(i64::from))),
            "internal error: memory conf: expected a signed integer for 's' parameter"
        );
        assert_eq!(c.get_uint("u").unwrap(), Some(5));
        assert_eq!(
            msg(c.get_uint("i").map(|v| v.map(i64::from))),
            "internal error: memory conf: expected an unsigned integer for 'i' parameter"
        );
        assert_eq!(
            msg(c.get_uint("huge").map(|v| v.map(i64::from))),
            "internal error: memory conf: value for 'huge' parameter must be in range 0:4294967295"
        );
        assert_eq!(c.get_llong("big").unwrap(), Some(4294967296));
        assert_eq!(c.get_llong("neg").unwrap(), Some(-2147483649));
        assert_eq!(
            msg(c.get_llong("huge")),
            "internal error: memory conf: value for 'huge' parameter must be in range -9223372036854775808:9223372036854775807"
        );
        assert_eq!(c.get_ullong("huge").unwrap(), Some(u64::MAX));
        assert_eq!(
            msg(c.get_ullong("nz").map(|v| v.map(|n| n as i64))),
            "internal error: memory conf: expected an unsigned integer for 'nz' parameter"
        );
        assert_eq!(
            c.get_bool("u").unwrap_err().message,
            "internal error: memory conf: value for 'u' parameter must be 0 or 1"
        );
        assert_eq!(
            c.get_bool("nz").unwrap_err().message,
            "internal error: memory conf: expected a bool for 'nz' parameter"
        );
        assert_eq!(
            c.get_bool("two").unwrap_err().message,
            "internal error: memory conf: value for 'two' parameter must be 0 or 1"
        );
        let c = Conf::parse_string("t=1\nf=0").unwrap();
        assert_eq!(
            (c.get_bool("t").unwrap(), c.get_bool("f").unwrap()),
            (Some(true), Some(false))
        );
    }

    #[test]
    fn a_conf_built_in_memory_has_no_file_name() {
        let mut c = Conf::new();
        c.set("x", Value::Int(-3));
        assert_eq!(
            c.get_uint("x").unwrap_err().message,
            "internal error: (null): expected an unsigned integer for 'x' parameter"
        );
    }

    #[test]
    fn writing_follows_libvirt() {
        let c = Conf::parse_string("a = \"x\" # c\nb=[1,\"y\" , -3 ,]\n#c\n\nl=[]\nn=[[1],[]]").unwrap();
        assert_eq!(
            c.format(),
            "a = \"x\" # c\nb = [ 1, \"y\", -3 ]\n#c\nl = [  ]\nn = [ [ 1 ], [  ] ]\n"
        );
        let mut c = Conf::parse_string("#top\na=1 #c\nb=2\n").unwrap();
        c.set("a", s("v"));
        c.set("n", Value::UInt(7));
        c.set("s1", s("it's"));
        c.set("s2", s("say \"hi\""));
        c.set("s3", s("it's \"q\""));
        c.set("s4", s("two\nlines"));
        assert_eq!(
            c.format(),
            "#top\na = \"v\" #c\nb = 2\nn = 7\ns1 = \"it's\"\ns2 = 'say \"hi\"'\ns3 = \"\"\"it's \"q\"\"\"\"\ns4 = \"\"\"two\nlines\"\"\"\n"
        );
    }

    #[test]
    fn xen_configs_round_trip_byte_for_byte() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
        let mut count = 0;
        for dir in ["xmconfig", "xlconfig"] {
            let entries = std::fs::read_dir(root.join(dir)).expect("conformance data present");
            for entry in entries {
                let path = entry.unwrap().path();
                if path.extension().and_then(|e| e.to_str()) != Some("cfg") {
                    continue;
                }
                // libvirt's test loader joins backslash-continued lines.
                let text = std::fs::read_to_string(&path).unwrap().replace("\\\n", "");
                let conf = Conf::parse_string(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(conf.format(), text, "{}", path.display());
                count += 1;
            }
        }
        assert!(count >= 70, "only {count} files");
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("virt-conf-{}-{name}", std::process::id()))
    }

    #[test]
    fn reading_files() {
        let missing = temp_path("missing.conf");
        let e = Conf::read_file(&missing, 0).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "Failed to open file '{}': No such file or directory",
                missing.display()
            )
        );
        assert_eq!(
            (e.code, e.domain, e.int1),
            (VIR_ERR_SYSTEM_ERROR, VIR_FROM_NONE, libc::ENOENT)
        );

        let dir = temp_path("dir");
        std::fs::create_dir_all(&dir).unwrap();
        let e = Conf::read_file(&dir, 0).unwrap_err();
        assert_eq!(
            e.message,
            format!("Failed to read file '{}': Is a directory", dir.display())
        );

        let file = temp_path("file.conf");
        std::fs::write(&file, b"a = \"x\xffy\"\nb = \"p\0q\"\n").unwrap();
        let c = Conf::read_file(&file, 0).unwrap();
        assert_eq!(c.get("a"), Some(&s("x\u{fffd}y")));
        assert_eq!(c.get("b"), Some(&s("p")), "a NUL ends a C string");
        assert_eq!(c.filename(), Some(file.to_str().unwrap()));

        std::fs::write(&file, vec![b'#'; 10 * 1024 * 1024 + 1]).unwrap();
        let e = Conf::read_file(&file, 0).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "Failed to read file '{}': Value too large for defined data type",
                file.display()
            )
        );
        std::fs::remove_file(&file).unwrap();
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn text_ends_at_a_nul() {
        assert_eq!(Conf::parse_string("a=1\0garbage").unwrap().entries().len(), 1);
    }
}
