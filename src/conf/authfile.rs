//! libvirt's client credentials file, `auth.conf`: where it is found and how
//! a username or password is looked up in it (`virAuthGetConfigFilePathURI`,
//! `virAuthConfigLookup`).
//!
//! The file is in GLib's key-file format, read the way libvirt 9.0 reads it
//! through `GKeyFile`:
//!
//! ```text
//! [credentials-admin]
//! username=alice
//! password=secret
//!
//! [auth-libvirt-example.com]
//! credentials=admin
//! ```

use std::path::{Path, PathBuf};

use super::client::user_config_dir_with;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::uri::Uri;

/// libvirt's environment variable naming the credentials file.
pub const AUTH_FILE_ENV: &str = "LIBVIRT_AUTH_FILE";
/// The system-wide credentials file.
pub const SYSTEM_AUTH_FILE: &str = "/etc/libvirt/auth.conf";

/// Finds the credentials file given an environment lookup and a readability
/// test: `LIBVIRT_AUTH_FILE` (even when empty), the URI's `authfile` param
/// (exact name, first one), then the first readable of the user's
/// `auth.conf` and the system one. Root uses its user file too.
pub fn auth_file_path_with(
    env: &dyn Fn(&str) -> Option<String>,
    uri: Option<&Uri>,
    readable: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(path) = env(AUTH_FILE_ENV) {
        return Some(PathBuf::from(path));
    }
    if let Some((_, value)) = uri.and_then(|u| u.params.iter().find(|(n, _)| n == "authfile")) {
        return Some(PathBuf::from(value));
    }
    let user = user_config_dir_with(env).join("auth.conf");
    [user, PathBuf::from(SYSTEM_AUTH_FILE)]
        .into_iter()
        .find(|p| readable(p))
}

/// [`auth_file_path_with`] for this process.
pub fn auth_file_path(uri: Option<&Uri>) -> Option<PathBuf> {
    auth_file_path_with(
        &|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        uri,
        &|p| std::fs::File::open(p).is_ok(),
    )
}

/// The failure libvirt ends up reporting when the key file cannot be loaded:
/// it raises no error of its own, so the public API reports an unknown cause
/// (which also keeps any secret in the file out of the message).
fn load_failed() -> Error {
    Error::unknown_cause()
}

/// A group of a key file.
#[derive(Debug, Clone)]
struct Group {
    name: Vec<u8>,
    /// Raw (still escaped) values; a repeated key keeps its last value.
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A loaded credentials file.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    path: String,
    groups: Vec<Group>,
}

impl AuthConfig {
    /// Reads and parses the file at `path` (`virAuthConfigNew`).
    pub fn load(path: &Path) -> Result<AuthConfig> {
        let data = std::fs::read(path).map_err(|_| load_failed())?;
        AuthConfig::parse(&data, &path.display().to_string())
    }

    /// Parses key-file `data` that came from `path` (`virAuthConfigNewData`).
    pub fn parse(data: &[u8], path: &str) -> Result<AuthConfig> {
        let mut groups: Vec<Group> = Vec::new();
        let mut current: Option<usize> = None;
        let mut lines: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
        let last_unterminated = !data.ends_with(b"\n");
        if !last_unterminated {
            lines.pop();
        }
        let count = lines.len();
        for (i, mut line) in lines.into_iter().enumerate() {
            // GLib drops a CR only before a LF.
            if (i + 1 < count || !last_unterminated) && line.ends_with(b"\r") {
                line = &line[..line.len() - 1];
            }
            let start = line.iter().position(|c| !is_space(*c)).unwrap_or(line.len());
            let full = &line[start..];
            // GLib handles lines as C strings, except for one length check.
            let line = full.split(|&c| c == 0).next().unwrap_or_default();
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            if let Some(name) = group_line(line) {
                if !is_group_name(name) {
                    return Err(load_failed());
                }
                current = Some(match groups.iter().position(|g| g.name == name) {
                    Some(idx) => idx,
                    None => {
                        groups.push(Group {
                            name: name.to_vec(),
                            pairs: Vec::new(),
                        });
                        groups.len() - 1
                    }
                });
            } else if line.contains(&b'=') && line[0] != b'=' {
                let idx = current.ok_or_else(load_failed)?;
                let eq = line.iter().position(|&c| c == b'=').unwrap_or(0);
                let key_end = line[..eq]
                    .iter()
                    .rposition(|c| !is_space(*c))
                    .map_or(0, |p| p + 1);
                let key = &line[..key_end];
                let value_start = eq
                    + 1
                    + line[eq + 1..]
                        .iter()
                        .position(|c| !is_space(*c))
                        .unwrap_or(line.len() - eq - 1);
                let value = &line[value_start..];
                let Some(has_locale) = key_kind(key) else {
                    return Err(load_failed());
                };
                // The first group may declare its encoding, which must be UTF-8;
                // this check alone sees past a NUL in the line.
                if idx == 0 && key == b"Encoding" && !full[value_start..].eq_ignore_ascii_case(b"UTF-8") {
                    return Err(load_failed());
                }
                // Translated keys (`key[locale]`) are never looked up here.
                if !has_locale {
                    let pairs = &mut groups[idx].pairs;
                    match pairs.iter_mut().find(|(k, _)| k == key) {
                        Some(pair) => pair.1 = value.to_vec(),
                        None => pairs.push((key.to_vec(), value.to_vec())),
                    }
                }
            } else {
                return Err(load_failed());
            }
        }
        Ok(AuthConfig {
            path: path.to_string(),
            groups,
        })
    }

    fn has_group(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.name == name.as_bytes())
    }

    /// A value as `g_key_file_get_string` returns it: unescaped, and only if
    /// it is UTF-8.
    fn get_string(&self, group: &str, key: &str) -> Option<String> {
        let group = self.groups.iter().find(|g| g.name == group.as_bytes())?;
        let (_, raw) = group.pairs.iter().find(|(k, _)| k == key.as_bytes())?;
        let raw = std::str::from_utf8(raw).ok()?;
        Some(unescape_value(raw))
    }

    /// Looks up `credname` ("username" or "password") for `service` on
    /// `hostname` (default "localhost"): group `auth-SERVICE-HOSTNAME`, else
    /// `auth-SERVICE-default`, names a `credentials-NAME` group holding it.
    /// `None` when the file has nothing for this service and host.
    pub fn lookup(&self, service: &str, hostname: Option<&str>, credname: &str) -> Result<Option<String>> {
        let hostname = hostname.unwrap_or("localhost");
        let mut auth_group = format!("auth-{service}-{hostname}");
        if !self.has_group(&auth_group) {
            auth_group = format!("auth-{service}-default");
        }
        if !self.has_group(&auth_group) {
            return Ok(None);
        }
        let Some(cred) = self.get_string(&auth_group, "credentials") else {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_CONF_SYNTAX,
                format!(
                    "Missing item 'credentials' in group '{auth_group}' in '{}'",
                    self.path
                ),
            ));
        };
        let cred_group = format!("credentials-{cred}");
        if !self.has_group(&cred_group) {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_CONF_SYNTAX,
                format!(
                    "Missing group 'credentials-{cred}' referenced from group '{auth_group}' in '{}'",
                    self.path
                ),
            ));
        }
        Ok(self.get_string(&cred_group, credname))
    }
}

/// `virAuthGetCredential`: nothing without a file, else load and look up.
pub fn get_credential(
    path: Option<&Path>,
    service: &str,
    hostname: Option<&str>,
    credname: &str,
) -> Result<Option<String>> {
    match path {
        None => Ok(None),
        Some(path) => AuthConfig::load(path)?.lookup(service, hostname, credname),
    }
}

/// Looks up a credential in this process's credentials file.
pub fn lookup(service: &str, hostname: Option<&str>, credname: &str) -> Result<Option<String>> {
    get_credential(auth_file_path(None).as_deref(), service, hostname, credname)
}

/// GLib's ASCII whitespace.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The name inside `[...]` if the line is a group header: a `]` followed
/// only by blanks.
fn group_line(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"[")?;
    let close = rest.iter().position(|&c| c == b']')?;
    rest[close + 1..]
        .iter()
        .all(|&c| c == b' ' || c == b'\t')
        .then_some(&rest[..close])
}

fn is_group_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&c| c != b'[' && c != b']' && !c.is_ascii_control())
}

/// Checks a key as GLib does: `Some(false)` for a plain key, `Some(true)`
/// for a translated `key[locale]`, `None` when invalid.
fn key_kind(key: &[u8]) -> Option<bool> {
    let base_len = key
        .iter()
        .position(|&c| matches!(c, b'=' | b'[' | b']'))
        .unwrap_or(key.len());
    let base = &key[..base_len];
    if base.is_empty() || base[0] == b' ' || base[base.len() - 1] == b' ' {
        return None;
    }
    let rest = &key[base_len..];
    if rest.is_empty() {
        return Some(false);
    }
    let locale = std::str::from_utf8(rest.strip_prefix(b"[")?.strip_suffix(b"]")?).ok()?;
    locale
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        .then_some(true)
}

/// GLib's string unescaping. An unknown escape is kept as written and a
/// trailing backslash ends the value; GLib flags both as errors but libvirt
/// ignores that and uses the text.
fn unescape_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/x/auth.conf";

    fn auth(text: &str) -> AuthConfig {
        AuthConfig::parse(text.as_bytes(), PATH).expect("valid key file")
    }

    fn get(text: &str, service: &str, host: Option<&str>, cred: &str) -> Result<Option<String>> {
        auth(text).lookup(service, host, cred)
    }

    const BASIC: &str =
        "[credentials-t]\nusername=alice\npassword=secret\n[auth-test-localhost]\ncredentials=t\n";

    #[test]
    fn looks_up_through_the_auth_group() {
        assert_eq!(
            get(BASIC, "test", Some("localhost"), "username")
                .unwrap()
                .as_deref(),
            Some("alice")
        );
        assert_eq!(
            get(BASIC, "test", None, "password").unwrap().as_deref(),
            Some("secret")
        );
        assert_eq!(get(BASIC, "test", Some("other"), "username").unwrap(), None);
        assert_eq!(get(BASIC, "libvirt", None, "username").unwrap(), None);
        assert_eq!(get(BASIC, "test", None, "foo").unwrap(), None);
    }

    #[test]
    fn falls_back_to_the_default_host() {
        let text = "[auth-test-default]\ncredentials=t\n[credentials-t]\nusername=bob";
        assert_eq!(
            get(text, "test", Some("h"), "username").unwrap().as_deref(),
            Some("bob")
        );
        let both = format!("{text}\n[auth-test-h]\ncredentials=u\n[credentials-u]\nusername=carol\n");
        assert_eq!(
            get(&both, "test", Some("h"), "username").unwrap().as_deref(),
            Some("carol")
        );
    }

    #[test]
    fn missing_references_are_errors() {
        let e = get("[auth-test-h]\ncredentials=nope\n", "test", Some("h"), "username").unwrap_err();
        assert_eq!((e.code, e.domain), (VIR_ERR_CONF_SYNTAX, VIR_FROM_NONE));
        assert_eq!(
            e.message,
            "configuration file syntax error: Missing group 'credentials-nope' referenced from group 'auth-test-h' in '/x/auth.conf'"
        );
        let e = get("[auth-test-h]\nfoo=bar\n", "test", Some("h"), "username").unwrap_err();
        assert_eq!(
            e.message,
            "configuration file syntax error: Missing item 'credentials' in group 'auth-test-h' in '/x/auth.conf'"
        );
    }

    #[test]
    fn key_file_details_follow_glib() {
        let text = "# c\n\n[auth-test-h]\n  credentials = t\n[credentials-t]\n username = a b \npassword=x\\ty\\s\\n\\\\\\z\nk2=a\\\nk3=\\;x\nk4= \\sq\nk5=1\nk5=2\nk6[de]=x\n[auth-test-h]\nk7=merged\n";
        let a = auth(text);
        let v = |cred: &str| a.lookup("test", Some("h"), cred).unwrap();
        assert_eq!(v("username").as_deref(), Some("a b "), "trailing blanks are kept");
        assert_eq!(v("password").as_deref(), Some("x\ty \n\\\\z"));
        assert_eq!(v("k2").as_deref(), Some("a"));
        assert_eq!(v("k3").as_deref(), Some("\\;x"));
        assert_eq!(v("k4").as_deref(), Some(" q"));
        assert_eq!(v("k5").as_deref(), Some("2"), "the last of repeated keys wins");
        assert_eq!(v("k6").as_deref(), None);
        assert_eq!(a.get_string("auth-test-h", "k7").as_deref(), Some("merged"));
        let crlf = auth("[auth-test-h]\r\ncredentials=t\r\n[credentials-t]\r\nusername=u\r\n");
        assert_eq!(
            crlf.lookup("test", Some("h"), "username").unwrap().as_deref(),
            Some("u")
        );
        let bytes = b"[auth-test-h]\ncredentials=t\n[credentials-t]\nusername=\xff\npassword=a\0b\n";
        let a = AuthConfig::parse(bytes, PATH).unwrap();
        assert_eq!(
            a.lookup("test", Some("h"), "username").unwrap(),
            None,
            "values must be UTF-8"
        );
        assert_eq!(
            a.lookup("test", Some("h"), "password").unwrap().as_deref(),
            Some("a")
        );
        assert!(AuthConfig::parse(b"", PATH).unwrap().groups.is_empty());
    }

    #[test]
    fn malformed_files_fail_without_a_message() {
        for text in [
            "garbage\n",
            "x=1\n",
            "[a\n",
            "[]\n",
            "[a[b]\n",
            "[g]x\n",
            "[g]\n=x\n",
            "[g]\nk]=1\n",
            "[g]\nk[a=1\n",
            "[g]\n a b=1\n[h]\nk =v\n k\n",
            "[g]\nEncoding=latin1\n",
            "[g]\nEncoding=UTF-8\0\n",
            "[credentials-t]\npassword=secret\nsecret\n",
        ] {
            let e = AuthConfig::parse(text.as_bytes(), PATH).expect_err(text);
            assert_eq!(e, Error::unknown_cause(), "{text:?}");
            assert!(!e.message.contains("secret"));
        }
        for text in [
            "[g] \t\n",
            "[g]\nk[]=1\n",
            "[g]\na b=1\n",
            "[g]\nk=UTF-8\0\n",
            "[h]\n[g]\nEncoding=latin1\n",
        ] {
            assert!(AuthConfig::parse(text.as_bytes(), PATH).is_ok(), "{text:?}");
        }
    }

    #[test]
    fn file_path_resolution() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let all = |_: &Path| true;
        let none = |_: &Path| false;
        let base = env(&[("XDG_CONFIG_HOME", "/x")]);
        let uri = Uri::parse("test:///default?AUTHFILE=/no&authfile=/a&authfile=/b").unwrap();
        assert_eq!(
            auth_file_path_with(&base, Some(&uri), &none),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            auth_file_path_with(&base, None, &all),
            Some(PathBuf::from("/x/libvirt/auth.conf"))
        );
        let system_only = |p: &Path| p == Path::new(SYSTEM_AUTH_FILE);
        assert_eq!(
            auth_file_path_with(&base, None, &system_only),
            Some(PathBuf::from(SYSTEM_AUTH_FILE))
        );
        assert_eq!(auth_file_path_with(&base, None, &none), None);
        let forced = env(&[(AUTH_FILE_ENV, ""), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(
            auth_file_path_with(&forced, Some(&uri), &all),
            Some(PathBuf::from(""))
        );
    }

    #[test]
    fn credentials_from_files() {
        assert_eq!(get_credential(None, "test", None, "username").unwrap(), None);
        let missing = std::env::temp_dir().join(format!("virt-auth-{}-none", std::process::id()));
        assert_eq!(
            get_credential(Some(&missing), "test", None, "username").unwrap_err(),
            Error::unknown_cause()
        );
        assert_eq!(
            get_credential(Some(Path::new("")), "test", None, "username").unwrap_err(),
            Error::unknown_cause()
        );
        let file = std::env::temp_dir().join(format!("virt-auth-{}.conf", std::process::id()));
        std::fs::write(&file, BASIC).unwrap();
        assert_eq!(
            get_credential(Some(&file), "test", None, "password")
                .unwrap()
                .as_deref(),
            Some("secret")
        );
        let e = {
            std::fs::write(&file, "[auth-test-localhost]\ncredentials=nope\n").unwrap();
            get_credential(Some(&file), "test", None, "password").unwrap_err()
        };
        assert!(
            e.message.ends_with(&format!("in '{}'", file.display())),
            "{}",
            e.message
        );
        std::fs::remove_file(&file).unwrap();
    }
}
