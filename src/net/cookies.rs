//! The cookies of one connection: a vSphere session lives in a cookie the
//! server sets at login and expects on every later call.

use std::collections::{BTreeMap, HashMap};

/// Cookies by name, for one server.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: BTreeMap<String, String>,
}

impl CookieJar {
    /// The `Cookie` header to send, if any cookie is set.
    pub fn header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Some(parts.join("; "))
    }

    /// Takes in the cookies of a reply; an empty value removes one.
    pub fn update(&mut self, set: HashMap<String, String>) {
        for (name, value) in set {
            if value.is_empty() {
                self.cookies.remove(&name);
            } else {
                self.cookies.insert(name, value);
            }
        }
    }
}

/// The name and value of a `Set-Cookie` header (attributes ignored: one
/// connection talks to one server, and its session ends with the connection).
/// A quoted value keeps its quotes: they are part of it (RFC 6265), and
/// vSphere's session cookie is quoted.
pub fn parse_set_cookie(header: &str) -> Option<(String, String)> {
    let first = header.split(';').next()?;
    let (name, value) = first.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    Some((name.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_is_kept_and_sent_back() {
        let (n, v) = parse_set_cookie("vmware_soap_session=\"abc\"; Path=/; HttpOnly").unwrap();
        let mut jar = CookieJar::default();
        jar.update(HashMap::from([(n, v)]));
        assert_eq!(jar.header().as_deref(), Some("vmware_soap_session=\"abc\""));
        jar.update(HashMap::from([("vmware_soap_session".into(), String::new())]));
        assert_eq!(jar.header(), None);
        assert_eq!(parse_set_cookie("garbage"), None);
    }
}
