//! libvirt's URI handling: parsing and formatting connection URIs the way
//! libvirt 9.0 does on top of libxml2 2.9's RFC 3986 parser, including the
//! quirks callers can observe (what is rejected, how fields are decoded, how a
//! URI is written back by `virConnectGetURI`).

use crate::abi::*;
use crate::error::{Error, Result};

/// A parsed URI, with the fields libvirt's `virURI` has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uri {
    /// The scheme, e.g. `qemu+ssh`.
    pub scheme: Option<String>,
    /// The host, percent-decoded, without the brackets of an IPv6 address.
    pub server: Option<String>,
    /// The user information before `@`, percent-decoded.
    pub user: Option<String>,
    /// The port; 0 means none.
    pub port: u32,
    /// The path, percent-decoded.
    pub path: Option<String>,
    /// The query as written (still percent-encoded).
    pub query: Option<String>,
    /// The fragment, percent-decoded.
    pub fragment: Option<String>,
    /// The query split into decoded `(name, value)` pairs, in order.
    pub params: Vec<(String, String)>,
}

impl Uri {
    /// Parses `input` as libvirt's `virURIParse` does.
    ///
    /// A C caller cannot pass a string with an embedded NUL, so the input is
    /// taken to end at the first NUL, as it would for libvirt.
    pub fn parse(input: &str) -> Result<Uri> {
        let text = input.split('\0').next().unwrap_or_default();
        let raw = Parser::new(text.as_bytes())
            .absolute()
            .or_else(|| Parser::new(text.as_bytes()).relative())
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_URI,
                    VIR_ERR_INTERNAL_ERROR,
                    format!("Unable to parse URI {text}"),
                )
            })?;

        let mut server = raw.server.map(lossy);
        if let Some(s) = &mut server {
            // Only a bracketed literal that looks like IPv6 loses its brackets;
            // anything else in brackets stays as written.
            if s.len() >= 2 && s.starts_with('[') && s.ends_with(']') && s.contains(':') {
                *s = s[1..s.len() - 1].to_string();
            }
        }
        let port = match &server {
            Some(s) if !s.is_empty() => raw.port,
            _ => 0,
        };
        let query = raw.query.map(lossy);
        let params = query.as_deref().map(parse_params).unwrap_or_default();
        Ok(Uri {
            scheme: raw.scheme.map(lossy),
            server,
            user: raw.user.map(lossy),
            port,
            path: raw.path.map(lossy),
            query,
            fragment: raw.fragment.map(lossy),
            params,
        })
    }

    /// Writes the URI back as libvirt's `virURIFormat` does: from `query`, not
    /// from `params` (see [`Uri::format_params`] and [`Uri::sync_query`]).
    pub fn format(&self) -> String {
        let mut out = String::new();
        let mut server = self.server.as_deref().map(|s| {
            if s.contains(':') {
                format!("[{s}]")
            } else {
                s.to_string()
            }
        });
        // libvirt substitutes an empty server so that libxml2 writes
        // `scheme:///path` rather than `scheme:/path`.
        if server.is_none() && self.port == 0 {
            server = Some(String::new());
        }
        // libxml2 keeps the port in a C int.
        let port = self.port as i32;

        if let Some(scheme) = &self.scheme {
            out.push_str(scheme);
            out.push(':');
        }
        if server.is_some() || port == -1 {
            out.push_str("//");
            if let Some(user) = &self.user {
                escape_into(&mut out, user.as_bytes(), |c| {
                    is_mark_or_alnum(c) || b";:&=+$,".contains(&c)
                });
                out.push('@');
            }
            if let Some(server) = &server {
                out.push_str(server);
                if port > 0 {
                    out.push_str(&format!(":{port}"));
                }
            }
        }
        if let Some(path) = &self.path {
            let mut bytes = path.as_bytes();
            // libxml2 leaves a Windows drive letter of a file: URI unescaped.
            if self.scheme.as_deref() == Some("file")
                && bytes.len() >= 3
                && bytes[0] == b'/'
                && bytes[1].is_ascii_alphabetic()
                && bytes[2] == b':'
            {
                out.push_str(&path[..3]);
                bytes = &bytes[3..];
            }
            escape_into(&mut out, bytes, |c| {
                is_mark_or_alnum(c) || b"/;@&=+$,".contains(&c)
            });
        }
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = &self.fragment {
            out.push('#');
            escape_into(&mut out, fragment.as_bytes(), |c| {
                is_mark_or_alnum(c) || b";/?:@&=+$,[]".contains(&c)
            });
        }
        out
    }

    /// The params encoded as a query, as libvirt's `virURIFormatParams` does;
    /// `None` when there are no params.
    pub fn format_params(&self) -> Option<String> {
        if self.params.is_empty() {
            return None;
        }
        let mut out = String::new();
        for (i, (name, value)) in self.params.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            escape_into(&mut out, value.as_bytes(), |c| {
                c.is_ascii_alphanumeric() || b"-._~".contains(&c)
            });
        }
        Some(out)
    }

    /// Replaces `query` by the encoded `params`, as libvirt does before
    /// formatting a URI whose params it changed.
    pub fn sync_query(&mut self) {
        self.query = self.format_params();
    }

    /// The value of the last param named `name`, ignoring case: libvirt's
    /// drivers scan every param with a case-insensitive compare and keep the
    /// last match.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first param named exactly `name`, as libvirt's
    /// `virURIGetParam` looks it up, with its error when there is none.
    pub fn get_param(&self, name: &str) -> Result<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| Error::invalid_arg(VIR_FROM_URI, format!("Missing URI parameter '{name}'")))
    }

    /// The driver part of the scheme: everything before the first `+`.
    pub fn driver(&self) -> Option<&str> {
        let scheme = self.scheme.as_deref()?;
        Some(scheme.split_once('+').map_or(scheme, |(d, _)| d))
    }

    /// The transport part of the scheme: everything after the first `+`.
    pub fn transport(&self) -> Option<&str> {
        self.scheme.as_deref()?.split_once('+').map(|(_, t)| t)
    }

    /// Whether the URI names a `+unix` transport with an explicit `socket`
    /// param, which libvirt treats as a possibly remote connection even inside
    /// a daemon (`virURICheckUnixSocket`).
    pub fn check_unix_socket(&self) -> bool {
        self.transport() == Some("unix") && self.params.iter().any(|(n, _)| n.eq_ignore_ascii_case("socket"))
    }
}

/// The fields libxml2 extracts, as bytes because decoding may yield any byte.
#[derive(Default)]
struct RawUri {
    scheme: Option<Vec<u8>>,
    server: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    port: u32,
    path: Option<Vec<u8>>,
    query: Option<Vec<u8>>,
    fragment: Option<Vec<u8>>,
}

/// A recursive-descent parser following libxml2 2.9's RFC 3986 grammar.
struct Parser<'a> {
    s: &'a [u8],
    uri: RawUri,
}

impl<'a> Parser<'a> {
    fn new(s: &'a [u8]) -> Self {
        Parser {
            s,
            uri: RawUri::default(),
        }
    }

    /// The byte at `i`, or 0 past the end, mirroring C's terminating NUL.
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn is_pct_encoded(&self, i: usize) -> bool {
        self.at(i) == b'%' && self.at(i + 1).is_ascii_hexdigit() && self.at(i + 2).is_ascii_hexdigit()
    }

    fn is_unreserved(&self, i: usize) -> bool {
        let c = self.at(i);
        c.is_ascii_alphanumeric() || b"-._~".contains(&c)
    }

    fn is_sub_delim(&self, i: usize) -> bool {
        b"!$&'()*+,;=".contains(&self.at(i))
    }

    fn is_pchar(&self, i: usize) -> bool {
        self.is_unreserved(i)
            || self.is_pct_encoded(i)
            || self.is_sub_delim(i)
            || self.at(i) == b':'
            || self.at(i) == b'@'
    }

    /// Steps over one character, a percent escape counting as one.
    fn next(&self, i: usize) -> usize {
        if self.at(i) == b'%' {
            i + 3
        } else {
            i + 1
        }
    }

    /// `scheme ":" hier-part [ "?" query ] [ "#" fragment ]`.
    fn absolute(mut self) -> Option<RawUri> {
        if !self.at(0).is_ascii_alphabetic() {
            return None;
        }
        let mut i = 1;
        while self.at(i).is_ascii_alphanumeric() || b"+-.".contains(&self.at(i)) {
            i += 1;
        }
        self.uri.scheme = Some(self.s[..i].to_vec());
        if self.at(i) != b':' {
            return None;
        }
        i += 1;
        i = if self.at(i) == b'/' && self.at(i + 1) == b'/' {
            let j = self.authority(i + 2)?;
            self.path_abempty(j)
        } else if self.at(i) == b'/' {
            self.path_absolute(i)
        } else if self.is_pchar(i) {
            self.path_segments(i, 0)?
        } else {
            i
        };
        self.tail(i)
    }

    /// `relative-part [ "?" query ] [ "#" fragment ]`.
    fn relative(mut self) -> Option<RawUri> {
        let i = if self.at(0) == b'/' && self.at(1) == b'/' {
            let j = self.authority(2)?;
            self.path_abempty(j)
        } else if self.at(0) == b'/' {
            self.path_absolute(0)
        } else if self.is_pchar(0) {
            // The first segment of a relative path may not contain ':', or it
            // would have been a scheme.
            self.path_segments(0, b':')?
        } else {
            0
        };
        self.tail(i)
    }

    /// The optional query and fragment, then the end of the input.
    fn tail(mut self, mut i: usize) -> Option<RawUri> {
        if self.at(i) == b'?' {
            let start = i + 1;
            i = start;
            while self.is_pchar(i) || self.at(i) == b'/' || self.at(i) == b'?' {
                i = self.next(i);
            }
            self.uri.query = Some(self.s[start..i].to_vec());
        }
        if self.at(i) == b'#' {
            let start = i + 1;
            i = start;
            while self.is_pchar(i) || b"/?[]".contains(&self.at(i)) {
                i = self.next(i);
            }
            self.uri.fragment = Some(unescape(self.s, start, i));
        }
        (i == self.s.len()).then_some(self.uri)
    }

    /// `[ userinfo "@" ] host [ ":" port ]`, starting at `i`.
    fn authority(&mut self, i: usize) -> Option<usize> {
        let mut j = i;
        while self.is_unreserved(j) || self.is_pct_encoded(j) || self.is_sub_delim(j) || self.at(j) == b':' {
            j = self.next(j);
        }
        let host = if self.at(j) == b'@' {
            self.uri.user = Some(unescape(self.s, i, j));
            j + 1
        } else {
            i
        };

        let mut j = host;
        if self.at(j) == b'[' {
            while self.at(j) != b']' && j < self.s.len() {
                j += 1;
            }
            if self.at(j) != b']' {
                return None;
            }
            j += 1;
        } else {
            while self.is_unreserved(j) || self.is_pct_encoded(j) || self.is_sub_delim(j) {
                j = self.next(j);
            }
        }
        self.uri.server = (j != host).then(|| unescape(self.s, host, j));

        if self.at(j) == b':' {
            j += 1;
            if !self.at(j).is_ascii_digit() {
                return None;
            }
            let mut port: u32 = 0;
            while self.at(j).is_ascii_digit() {
                // libxml2 rejects a port that does not fit a C int.
                port = port
                    .checked_mul(10)?
                    .checked_add(u32::from(self.at(j) - b'0'))
                    .filter(|p| *p <= i32::MAX as u32)?;
                j += 1;
            }
            self.uri.port = port;
        }
        Some(j)
    }

    /// Consumes one segment from `i`, stopping at `forbid` too; `None` when a
    /// non-empty segment is required and there is none.
    fn segment(&self, mut i: usize, forbid: u8, empty_ok: bool) -> Option<usize> {
        if !self.is_pchar(i) {
            return empty_ok.then_some(i);
        }
        while self.is_pchar(i) && (forbid == 0 || self.at(i) != forbid) {
            i = self.next(i);
        }
        Some(i)
    }

    /// Any number of `"/" segment`, starting at `i`.
    fn more_segments(&self, mut i: usize) -> usize {
        while self.at(i) == b'/' {
            i = self.segment(i + 1, 0, true).unwrap_or(i + 1);
        }
        i
    }

    fn set_path(&mut self, start: usize, end: usize) {
        self.uri.path = (end != start).then(|| unescape(self.s, start, end));
    }

    /// `path-abempty`: what follows an authority.
    fn path_abempty(&mut self, i: usize) -> usize {
        let end = self.more_segments(i);
        self.set_path(i, end);
        end
    }

    /// `path-absolute`: `/` followed by optional segments.
    fn path_absolute(&mut self, i: usize) -> usize {
        let end = match self.segment(i + 1, 0, false) {
            Some(j) => self.more_segments(j),
            None => i + 1,
        };
        self.set_path(i, end);
        end
    }

    /// `path-rootless` (forbid 0) or `path-noscheme` (forbid ':').
    fn path_segments(&mut self, i: usize, forbid: u8) -> Option<usize> {
        let j = self.segment(i, forbid, false)?;
        let end = self.more_segments(j);
        self.set_path(i, end);
        Some(end)
    }
}

/// Decodes `%XX` escapes in `s[start..end]` as libxml2 does. Quirks kept: an
/// empty range decodes everything from `start` to the end of `s`, and the
/// result stops at a decoded NUL, as a C string would.
fn unescape(s: &[u8], start: usize, end: usize) -> Vec<u8> {
    let end = if end <= start { s.len() } else { end };
    let mut out = Vec::with_capacity(end.saturating_sub(start));
    let mut i = start;
    while i < end {
        if end - i > 2 && s[i] == b'%' && s[i + 1].is_ascii_hexdigit() && s[i + 2].is_ascii_hexdigit() {
            out.push(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    out
}

fn hex_value(c: u8) -> u8 {
    char::from(c).to_digit(16).map_or(0, |d| d as u8)
}

/// Decoded bytes may not be UTF-8 (`%FF`); such bytes become U+FFFD.
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// RFC 2396's unreserved set, which libxml2's writer uses.
fn is_mark_or_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&c)
}

/// Appends `bytes`, escaping each byte `keep` rejects as `%XX` (upper case).
fn escape_into(out: &mut String, bytes: &[u8], keep: impl Fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in bytes {
        if keep(c) {
            out.push(char::from(c));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        }
    }
}

/// Splits a raw query into decoded params as libvirt's `virURIParseParams`.
fn parse_params(query: &str) -> Vec<(String, String)> {
    let q = query.as_bytes();
    let mut params = Vec::new();
    let mut i = 0;
    while i < q.len() {
        let rest = &q[i..];
        // ';' only separates when the rest has no '&' at all.
        let end = i + rest
            .iter()
            .position(|&c| c == b'&')
            .or_else(|| rest.iter().position(|&c| c == b';'))
            .unwrap_or(rest.len());
        let eq = rest
            .iter()
            .position(|&c| c == b'=')
            .map(|p| i + p)
            .filter(|&p| p < end);
        if end != i {
            match eq {
                None => params.push((lossy(unescape(q, i, end)), String::new())),
                // "name=": an empty range makes libxml2 decode the whole rest
                // of the query as the name, which libvirt keeps (so a lone
                // "=" yields a param named after everything that follows).
                Some(e) if e + 1 == end => params.push((lossy(unescape(q, i, e)), String::new())),
                Some(e) if e == i => {}
                Some(e) => params.push((lossy(unescape(q, i, e)), lossy(unescape(q, e + 1, end)))),
            }
        }
        i = if end < q.len() { end + 1 } else { end };
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case of libvirt's viruritest.c, checked the way its harness does.
    struct Case<'a> {
        input: &'a str,
        output: Option<&'a str>,
        scheme: &'a str,
        server: &'a str,
        port: u32,
        path: Option<&'a str>,
        query: Option<&'a str>,
        fragment: Option<&'a str>,
        user: Option<&'a str>,
        params: &'a [(&'a str, &'a str)],
    }

    fn check(c: Case) {
        let mut uri = Uri::parse(c.input).expect("libvirt parses this case");
        assert_eq!(uri.scheme.as_deref(), Some(c.scheme));
        assert_eq!(uri.server.as_deref(), Some(c.server));
        assert_eq!(uri.port, c.port);
        assert_eq!(uri.path.as_deref(), c.path);
        assert_eq!(uri.query.as_deref(), c.query);
        assert_eq!(uri.fragment.as_deref(), c.fragment);
        assert_eq!(uri.user.as_deref(), c.user);
        let params: Vec<(&str, &str)> = uri.params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(params, c.params);
        uri.sync_query();
        assert_eq!(uri.format(), c.output.unwrap_or(c.input));
    }

    /// A TEST_PARSE/TEST_FULL case without query, fragment or params.
    fn plain<'a>(
        input: &'a str,
        server: &'a str,
        port: u32,
        path: Option<&'a str>,
        user: Option<&'a str>,
    ) -> Case<'a> {
        Case {
            input,
            output: None,
            scheme: "test",
            server,
            port,
            path,
            query: None,
            fragment: None,
            user,
            params: &[],
        }
    }

    /// A TEST_PARAMS case: `test://example.com/?<query>`.
    fn params(query: &str, query_out: Option<&str>, params: &[(&str, &str)]) {
        let input = format!("test://example.com/?{query}");
        let output = query_out.map(|q| format!("test://example.com/?{q}"));
        check(Case {
            input: &input,
            output: output.as_deref(),
            scheme: "test",
            server: "example.com",
            port: 0,
            path: Some("/"),
            query: Some(query),
            fragment: None,
            user: None,
            params,
        });
    }

    #[test]
    fn case01_host_only() {
        check(plain("test://example.com", "example.com", 0, None, None));
    }

    #[test]
    fn case02_user() {
        check(plain(
            "test://foo@example.com",
            "example.com",
            0,
            None,
            Some("foo"),
        ));
    }

    #[test]
    fn case03_user_and_password() {
        check(plain(
            "test://foo:pass@example.com",
            "example.com",
            0,
            None,
            Some("foo:pass"),
        ));
    }

    #[test]
    fn case04_port() {
        check(plain("test://example.com:123", "example.com", 123, None, None));
    }

    #[test]
    fn case05_full() {
        check(Case {
            input: "test://example.com:123/system?name=value#foo",
            output: None,
            scheme: "test",
            server: "example.com",
            port: 123,
            path: Some("/system"),
            query: Some("name=value"),
            fragment: Some("foo"),
            user: None,
            params: &[("name", "value")],
        });
    }

    #[test]
    fn case06_ipv4() {
        check(plain(
            "test://127.0.0.1:123/system",
            "127.0.0.1",
            123,
            Some("/system"),
            None,
        ));
    }

    #[test]
    fn case07_ipv6_loopback() {
        check(plain(
            "test://[::1]:123/system",
            "::1",
            123,
            Some("/system"),
            None,
        ));
    }

    #[test]
    fn case08_ipv6() {
        check(plain(
            "test://[2001:41c8:1:4fd4::2]:123/system",
            "2001:41c8:1:4fd4::2",
            123,
            Some("/system"),
            None,
        ));
    }

    #[test]
    fn case09_transport_in_scheme() {
        check(Case {
            scheme: "gluster+rdma",
            ..plain(
                "gluster+rdma://example.com:1234/gv0/vol.img",
                "example.com",
                1234,
                Some("/gv0/vol.img"),
                None,
            )
        });
    }

    #[test]
    fn case10_value_with_equals_is_reencoded() {
        check(Case {
            input: "spice://[3ffe::104]:5900/?tlsSubject=C=XX,L=Testtown,O=Test%20Company,CN=tester.test",
            output: Some("spice://[3ffe::104]:5900/?tlsSubject=C%3DXX%2CL%3DTesttown%2CO%3DTest%20Company%2CCN%3Dtester.test"),
            scheme: "spice",
            server: "3ffe::104",
            port: 5900,
            path: Some("/"),
            query: Some("tlsSubject=C=XX,L=Testtown,O=Test%20Company,CN=tester.test"),
            fragment: None,
            user: None,
            params: &[("tlsSubject", "C=XX,L=Testtown,O=Test Company,CN=tester.test")],
        });
    }

    #[test]
    fn case11_two_params() {
        params("foo=one&bar=two", None, &[("foo", "one"), ("bar", "two")]);
    }

    #[test]
    fn case12_duplicates_kept_in_order() {
        params("foo=one&foo=two", None, &[("foo", "one"), ("foo", "two")]);
    }

    #[test]
    fn case13_empty_section_skipped() {
        params(
            "foo=one&&foo=two",
            Some("foo=one&foo=two"),
            &[("foo", "one"), ("foo", "two")],
        );
    }

    #[test]
    fn case14_semicolon_separator() {
        params(
            "foo=one;foo=two",
            Some("foo=one&foo=two"),
            &[("foo", "one"), ("foo", "two")],
        );
    }

    #[test]
    fn case15_escaped_ampersand() {
        params("foo=%26one&bar=%26two", None, &[("foo", "&one"), ("bar", "&two")]);
    }

    #[test]
    fn case16_name_without_equals() {
        params("foo", Some("foo="), &[("foo", "")]);
    }

    #[test]
    fn case17_empty_value() {
        params("foo=", None, &[("foo", "")]);
    }

    #[test]
    fn case18_trailing_separator() {
        params("foo=&", Some("foo="), &[("foo", "")]);
    }

    #[test]
    fn case19_trailing_separators() {
        params("foo=&&", Some("foo="), &[("foo", "")]);
    }

    #[test]
    fn case20_space_is_percent_encoded() {
        params("foo=one%20two", None, &[("foo", "one two")]);
    }

    #[test]
    fn case21_nameless_section_dropped() {
        params("=bogus&foo=one", Some("foo=one"), &[("foo", "one")]);
    }

    fn parse_error(input: &str) -> Error {
        Uri::parse(input).expect_err("libvirt rejects this URI")
    }

    #[test]
    fn rejected_inputs_report_libvirts_error() {
        let e = parse_error("test:///%zz");
        assert_eq!(e.message, "internal error: Unable to parse URI test:///%zz");
        assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_URI));
        assert_eq!(e.str2.as_deref(), Some("Unable to parse URI test:///%zz"));
        for input in [
            ":///default",
            "test:///a b",
            "%",
            "test:///é",
            "1test:///",
            "te_st:///",
            "test://h:/",
            "test://h:80x/",
            "test://h:2147483648/",
            "test://[::1/",
            "test://x]/",
            "test://[::1]x/",
            "test://%5B::1%5D/",
            "test://h/p?q=%zz",
            "test:///?a[b]",
        ] {
            assert_eq!(
                parse_error(input).message,
                format!("internal error: Unable to parse URI {input}")
            );
        }
    }

    #[test]
    fn schemeless_and_opaque_names_are_accepted() {
        let u = Uri::parse("test").unwrap();
        assert_eq!(
            (u.scheme, u.path.as_deref(), u.server),
            (None, Some("test"), None)
        );
        let u = Uri::parse("test:default").unwrap();
        assert_eq!(
            (u.scheme.as_deref(), u.path.as_deref()),
            (Some("test"), Some("default"))
        );
        assert_eq!(u.format(), "test://default");
        let u = Uri::parse("").unwrap();
        assert_eq!(u, Uri::default());
        assert_eq!(u.format(), "//");
        assert_eq!(Uri::parse("a:b:c").unwrap().format(), "a://b%3Ac");
        assert_eq!(Uri::parse("ab/cd:e").unwrap().path.as_deref(), Some("ab/cd:e"));
    }

    #[test]
    fn local_uris_round_trip() {
        for input in [
            "test:///default",
            "qemu:///system",
            "test:///",
            "test:///?",
            "test:////x",
            "Te+s-t.1:///x",
        ] {
            assert_eq!(Uri::parse(input).unwrap().format(), input);
        }
        let u = Uri::parse("test:///default").unwrap();
        assert_eq!((u.server, u.port, u.path.as_deref()), (None, 0, Some("/default")));
        assert_eq!(Uri::parse("test:/a//b").unwrap().format(), "test:///a//b");
        assert_eq!(Uri::parse("test:").unwrap().format(), "test://");
    }

    #[test]
    fn port_limits_follow_libxml2() {
        assert_eq!(Uri::parse("test://h:2147483647/").unwrap().port, 2147483647);
        assert_eq!(Uri::parse("test://h:00080/").unwrap().format(), "test://h:80/");
        assert_eq!(Uri::parse("test://h:0/").unwrap().format(), "test://h/");
        // A port without a host is dropped.
        let u = Uri::parse("test://:80/").unwrap();
        assert_eq!((u.server, u.port), (None, 0));
        let u = Uri::parse("test://%00:80/").unwrap();
        assert_eq!((u.server.as_deref(), u.port), (Some(""), 0));
        assert_eq!(u.format(), "test:///");
    }

    #[test]
    fn brackets_are_stripped_only_around_ipv6() {
        assert_eq!(
            Uri::parse("test://[a b]/").unwrap().server.as_deref(),
            Some("[a b]")
        );
        assert_eq!(Uri::parse("test://[]:80/").unwrap().port, 80);
        assert_eq!(
            Uri::parse("test://[%3A%3A1]/").unwrap().server.as_deref(),
            Some("::1")
        );
        assert_eq!(Uri::parse("test://[:]:80/").unwrap().format(), "test://[:]:80/");
    }

    #[test]
    fn decoding_quirks_of_libxml2() {
        assert_eq!(Uri::parse("test://h%41/").unwrap().server.as_deref(), Some("hA"));
        assert_eq!(Uri::parse("test://a%40b@h/").unwrap().format(), "test://a%40b@h/");
        // An empty user decodes the rest of the input.
        let u = Uri::parse("test://@h/").unwrap();
        assert_eq!(u.user.as_deref(), Some("@h/"));
        assert_eq!(u.format(), "test://%40h%2F@h/");
        // Decoding stops at a NUL, as a C string does.
        assert_eq!(Uri::parse("test:///a%00b").unwrap().path.as_deref(), Some("/a"));
        assert_eq!(Uri::parse("test://u%00x@h/").unwrap().user.as_deref(), Some("u"));
        assert_eq!(Uri::parse("test:///x#%41%20").unwrap().format(), "test:///x#A%20");
        assert_eq!(
            Uri::parse("test:///#a[b]").unwrap().fragment.as_deref(),
            Some("a[b]")
        );
    }

    #[test]
    fn formatting_escapes_like_libxml2() {
        assert_eq!(
            Uri::parse("test://h/a%3Ab%2F").unwrap().format(),
            "test://h/a%3Ab/"
        );
        assert_eq!(Uri::parse("file:///c:/x:y").unwrap().format(), "file:///c:/x%3Ay");
        assert_eq!(Uri::parse("File:///c:/x").unwrap().format(), "File:///c%3A/x");
        let u = Uri {
            scheme: Some("test".into()),
            user: Some("a b".into()),
            path: Some("/é".into()),
            ..Uri::default()
        };
        assert_eq!(u.format(), "test://a%20b@/%C3%A9");
        let u = Uri {
            scheme: Some("test".into()),
            port: 5,
            path: Some("/x".into()),
            ..Uri::default()
        };
        assert_eq!(u.format(), "test:/x");
    }

    #[test]
    fn params_quirks_of_libvirt() {
        let u = Uri::parse("test:///?=&foo=1").unwrap();
        let params: Vec<(&str, &str)> = u.params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(params, [("=&foo=1", ""), ("foo", "1")]);
        let u = Uri::parse("test:///?a=b;c=d&e").unwrap();
        assert_eq!(u.params[0], ("a".to_string(), "b;c=d".to_string()));
        assert_eq!(u.format_params().as_deref(), Some("a=b%3Bc%3Dd&e="));
        assert_eq!(Uri::parse("test:///?").unwrap().format_params(), None);
    }

    #[test]
    fn every_reserved_byte_is_encoded_in_params() {
        let value: String = (1u8..128).map(char::from).chain(['é']).collect();
        let u = Uri {
            params: vec![("v".into(), value.clone())],
            ..Uri::default()
        };
        let q = u.format_params().unwrap();
        assert!(
            q.contains("-.") && q.contains("_%60") && q.contains("~%7F%C3%A9"),
            "{q}"
        );
        let back = Uri::parse(&format!("test:///?{q}")).unwrap();
        assert_eq!(back.params, [("v".to_string(), value)]);
    }

    #[test]
    fn param_lookups() {
        let u = Uri::parse("test:///?Foo=1&foo=2&FOO=3&x").unwrap();
        assert_eq!(u.param("fOo"), Some("3"));
        assert_eq!(u.param("x"), Some(""));
        assert_eq!(u.param("y"), None);
        assert_eq!(u.get_param("Foo").unwrap(), "1");
        assert_eq!(u.get_param("FOO").unwrap(), "3");
        let e = u.get_param("fOo").unwrap_err();
        assert_eq!(e.message, "invalid argument: Missing URI parameter 'fOo'");
        assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_URI));
    }

    #[test]
    fn scheme_splits_into_driver_and_transport() {
        let u = Uri::parse("qemu+ssh://root@host:22/system?keyfile=/x").unwrap();
        assert_eq!((u.driver(), u.transport()), (Some("qemu"), Some("ssh")));
        assert_eq!(u.user.as_deref(), Some("root"));
        let u = Uri::parse("qemu:///system").unwrap();
        assert_eq!((u.driver(), u.transport()), (Some("qemu"), None));
        let u = Uri::parse("a+b+c:///").unwrap();
        assert_eq!((u.driver(), u.transport()), (Some("a"), Some("b+c")));
        assert_eq!(Uri::parse("/x").unwrap().driver(), None);
    }

    #[test]
    fn unix_socket_check() {
        assert!(Uri::parse("qemu+unix:///system?SOCKET=/s")
            .unwrap()
            .check_unix_socket());
        assert!(!Uri::parse("qemu+unix:///system").unwrap().check_unix_socket());
        assert!(!Uri::parse("qemu:///system?socket=/s")
            .unwrap()
            .check_unix_socket());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for input in [
            "%", "%4", "a%", "//[", "//[]", "test://[", "x:%", "?%", "#%", "\0", "a\0b", "//@", "//:",
            "//u@h:", "::::", "[[[", "=&=;",
        ] {
            let _ = Uri::parse(input).map(|u| (u.format(), u.format_params()));
        }
        assert_eq!(Uri::parse("test:///a\0junk").unwrap().path.as_deref(), Some("/a"));
    }
}
