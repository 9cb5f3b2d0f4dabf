//! The client configuration, `libvirt.conf`: where it lives, the default URI
//! (`uri_default`), URI aliases (`uri_aliases`) and `remote_mode`, resolved
//! the way libvirt 9.0's `virConnectOpen` does.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::Conf;
use crate::abi::*;
use crate::error::{Error, Result};

/// Our own override: a path to use instead of the usual `libvirt.conf`.
pub const CONFIG_ENV: &str = "LIBVIRT_CONFIG";
/// libvirt's environment variable naming the default URI.
pub const DEFAULT_URI_ENV: &str = "LIBVIRT_DEFAULT_URI";
/// The system-wide client configuration, used by root.
pub const SYSTEM_CONFIG: &str = "/etc/libvirt/libvirt.conf";

/// The characters an alias name may consist of.
fn is_alias_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// The process's effective user id, which decides root's system paths.
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The process's real user id, which GLib uses to find a home directory.
fn real_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The home directory from the password database, GLib's fallback when
/// `HOME` is unset.
fn passwd_home(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 7 && fields[2].parse() == Ok(uid)).then(|| fields[5].to_string())
    })
}

/// libvirt's per-user configuration directory (`virGetUserConfigDirectory`),
/// from the given environment lookup: `$XDG_CONFIG_HOME/libvirt` when that
/// is set and non-empty, else `$HOME/.config/libvirt`.
pub fn user_config_dir_with(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let base = match env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = env("HOME")
                .or_else(|| passwd_home(real_uid()))
                .unwrap_or_else(|| "/".to_string());
            Path::new(&home).join(".config")
        }
    };
    base.join("libvirt")
}

/// [`user_config_dir_with`] from the process environment.
pub fn user_config_dir() -> PathBuf {
    user_config_dir_with(&env_var)
}

/// The loaded client configuration; empty when there is no file.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    conf: Option<Conf>,
}

impl ClientConfig {
    /// Where `libvirt.conf` is looked for, given an environment lookup and
    /// an effective uid: our override first, then root's system file, then
    /// the user's configuration directory.
    pub fn path_with(env: &dyn Fn(&str) -> Option<String>, euid: u32) -> PathBuf {
        if let Some(path) = env(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        if euid == 0 {
            PathBuf::from(SYSTEM_CONFIG)
        } else {
            user_config_dir_with(env).join("libvirt.conf")
        }
    }

    /// [`ClientConfig::path_with`] for this process.
    pub fn path() -> PathBuf {
        ClientConfig::path_with(&env_var, effective_uid())
    }

    /// Loads the configuration from its usual place ([`ClientConfig::path`]).
    pub fn load() -> Result<Arc<ClientConfig>> {
        ClientConfig::load_from(&ClientConfig::path())
    }

    /// Loads `path`; a path that does not exist (or cannot be reached) is an
    /// empty configuration, while an unreadable or malformed file is an error.
    pub fn load_from(path: &Path) -> Result<Arc<ClientConfig>> {
        // libvirt reads the file on every open; a file whose identity, size
        // and times are unchanged is taken from the last read instead, which
        // spares an open, a read and a parse per connection.
        type Stamp = (u64, u64, u64, i64, i64, i64, i64);
        static LAST: Mutex<Option<(PathBuf, Stamp, Arc<ClientConfig>)>> = Mutex::new(None);
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(Arc::default());
        };
        let stamp: Stamp = (
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        );
        if let Some((p, st, cfg)) = &*LAST.lock() {
            if p == path && *st == stamp {
                return Ok(cfg.clone());
            }
        }
        let cfg = match Conf::read_file(path, 0) {
            Ok(conf) => Arc::new(ClientConfig::from_conf(conf)),
            Err(_) if std::fs::metadata(path).is_err() => return Ok(Arc::default()),
            Err(e) => return Err(e),
        };
        *LAST.lock() = Some((path.to_path_buf(), stamp, cfg.clone()));
        Ok(cfg)
    }

    /// Wraps an already parsed configuration.
    pub fn from_conf(conf: Conf) -> ClientConfig {
        ClientConfig { conf: Some(conf) }
    }

    /// The parsed file, if there was one.
    pub fn conf(&self) -> Option<&Conf> {
        self.conf.as_ref()
    }

    /// The URI to open when the caller gave none, given the value of
    /// `LIBVIRT_DEFAULT_URI`: that value unless empty, else `uri_default`.
    /// The result may still be an alias (see [`ClientConfig::resolve_alias`]).
    pub fn default_uri_with(&self, env_value: Option<&str>) -> Result<Option<String>> {
        if let Some(uri) = env_value.filter(|v| !v.is_empty()) {
            return Ok(Some(uri.to_string()));
        }
        match &self.conf {
            Some(conf) => Ok(conf.get_string("uri_default")?.map(str::to_string)),
            None => Ok(None),
        }
    }

    /// [`ClientConfig::default_uri_with`] with the process environment.
    pub fn default_uri(&self) -> Result<Option<String>> {
        self.default_uri_with(env_var(DEFAULT_URI_ENV).as_deref())
    }

    /// The URI that `name` is an alias for, if any. Entries are checked in
    /// order until one matches `name` exactly; a malformed entry met on the
    /// way is an error, even when `name` could never be an alias.
    pub fn resolve_alias(&self, name: &str) -> Result<Option<String>> {
        let Some(conf) = &self.conf else {
            return Ok(None);
        };
        let aliases = conf.get_string_list("uri_aliases", false)?.unwrap_or_default();
        for entry in &aliases {
            let Some((alias, uri)) = entry.split_once('=') else {
                return Err(Error::with(
                    VIR_FROM_URI,
                    VIR_ERR_CONF_SYNTAX,
                    format!(
                        "Malformed 'uri_aliases' config entry '{entry}', expected 'alias=uri://host/path'"
                    ),
                ));
            };
            if !alias.bytes().all(is_alias_char) {
                return Err(Error::with(
                    VIR_FROM_URI,
                    VIR_ERR_CONF_SYNTAX,
                    format!(
                        "Malformed 'uri_aliases' config entry '{entry}', aliases may only contain 'a-Z, 0-9, _, -'"
                    ),
                ));
            }
            if alias == name {
                return Ok(Some(uri.to_string()));
            }
        }
        Ok(None)
    }

    /// The `remote_mode` setting (`auto`, `legacy` or `direct`), unchecked.
    pub fn remote_mode(&self) -> Result<Option<String>> {
        match &self.conf {
            Some(conf) => Ok(conf.get_string("remote_mode")?.map(str::to_string)),
            None => Ok(None),
        }
    }
}

/// The default URI from the environment and this process's `libvirt.conf`.
pub fn default_uri() -> Result<Option<String>> {
    ClientConfig::load()?.default_uri()
}

/// Resolves `name` through this process's `libvirt.conf` aliases.
pub fn resolve_alias(name: &str) -> Result<Option<String>> {
    ClientConfig::load()?.resolve_alias(name)
}

/// The `remote_mode` of this process's `libvirt.conf`.
pub fn remote_mode() -> Result<Option<String>> {
    ClientConfig::load()?.remote_mode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::MEMORY_CONF;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    fn config(text: &str) -> ClientConfig {
        ClientConfig::from_conf(Conf::parse(text, "/h/.config/libvirt/libvirt.conf").unwrap())
    }

    fn alias_error(text: &str, name: &str) -> Error {
        config(text).resolve_alias(name).expect_err("malformed aliases")
    }

    #[test]
    fn config_path_for_root_users_and_overrides() {
        let none = env_of(&[]);
        let xdg = env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        let home = env_of(&[("XDG_CONFIG_HOME", ""), ("HOME", "/h")]);
        let empty_home = env_of(&[("HOME", "")]);
        let custom = env_of(&[(CONFIG_ENV, "/tmp/my.conf"), ("HOME", "/h")]);
        assert_eq!(
            ClientConfig::path_with(&xdg, 0),
            Path::new("/etc/libvirt/libvirt.conf")
        );
        assert_eq!(
            ClientConfig::path_with(&xdg, 1000),
            Path::new("/x/libvirt/libvirt.conf")
        );
        assert_eq!(
            ClientConfig::path_with(&home, 1000),
            Path::new("/h/.config/libvirt/libvirt.conf")
        );
        // GLib joins an empty HOME into a relative path.
        assert_eq!(
            ClientConfig::path_with(&empty_home, 1000),
            Path::new(".config/libvirt/libvirt.conf")
        );
        assert_eq!(ClientConfig::path_with(&custom, 0), Path::new("/tmp/my.conf"));
        assert!(ClientConfig::path_with(&none, 1000).ends_with(".config/libvirt/libvirt.conf"));
    }

    #[test]
    fn default_uri_prefers_the_environment() {
        let c = config("uri_default = \"test:///default\"");
        assert_eq!(
            c.default_uri_with(Some("qemu:///system")).unwrap().as_deref(),
            Some("qemu:///system")
        );
        assert_eq!(
            c.default_uri_with(Some("")).unwrap().as_deref(),
            Some("test:///default")
        );
        assert_eq!(
            c.default_uri_with(None).unwrap().as_deref(),
            Some("test:///default")
        );
        assert_eq!(ClientConfig::default().default_uri_with(None).unwrap(), None);
        assert_eq!(
            config("uri_default = \"\"")
                .default_uri_with(None)
                .unwrap()
                .as_deref(),
            Some("")
        );
        let bad = config("uri_default = 1");
        let e = bad.default_uri_with(None).unwrap_err();
        assert_eq!(
            e.message,
            "internal error: /h/.config/libvirt/libvirt.conf: expected a string for 'uri_default' parameter"
        );
        assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_CONF));
        assert!(
            bad.default_uri_with(Some("test:///default")).is_ok(),
            "the file is not consulted"
        );
    }

    #[test]
    fn aliases_resolve_by_exact_name() {
        let c =
            config("uri_aliases = [\n  \"my-al_1=test:///default\",\n  \"x=qemu+ssh://h/system?a=b=c\",\n]");
        assert_eq!(
            c.resolve_alias("my-al_1").unwrap().as_deref(),
            Some("test:///default")
        );
        assert_eq!(
            c.resolve_alias("x").unwrap().as_deref(),
            Some("qemu+ssh://h/system?a=b=c")
        );
        assert_eq!(c.resolve_alias("My-al_1").unwrap(), None);
        assert_eq!(c.resolve_alias("my").unwrap(), None);
        assert_eq!(c.resolve_alias("test:///default").unwrap(), None);
        assert_eq!(config("uri_aliases = []").resolve_alias("x").unwrap(), None);
        assert_eq!(ClientConfig::default().resolve_alias("x").unwrap(), None);
        // An alias naming another alias is not followed.
        assert_eq!(
            config("uri_aliases=[\"a=b\",\"b=test:///\"]")
                .resolve_alias("a")
                .unwrap()
                .as_deref(),
            Some("b")
        );
    }

    #[test]
    fn malformed_aliases_are_reported_when_reached() {
        let e = alias_error("uri_aliases = [\"bad\", \"my=test:///default\"]", "my");
        assert_eq!((e.code, e.domain), (VIR_ERR_CONF_SYNTAX, VIR_FROM_URI));
        assert_eq!(
            e.message,
            "configuration file syntax error: Malformed 'uri_aliases' config entry 'bad', expected 'alias=uri://host/path'"
        );
        let after = config("uri_aliases = [\"my=test:///default\", \"bad\"]");
        assert_eq!(
            after.resolve_alias("my").unwrap().as_deref(),
            Some("test:///default")
        );
        // A name that can never be an alias still walks the whole list.
        assert_eq!(
            after.resolve_alias("test:///default").unwrap_err().code,
            VIR_ERR_CONF_SYNTAX
        );
        let e = alias_error("uri_aliases = [\"b.d=test:///default\"]", "b.d");
        assert_eq!(
            e.message,
            "configuration file syntax error: Malformed 'uri_aliases' config entry 'b.d=test:///default', aliases may only contain 'a-Z, 0-9, _, -'"
        );
        let e = alias_error("uri_aliases = [\"my =x\"]", "my");
        assert!(
            e.message.contains("'my =x', aliases may only contain"),
            "{}",
            e.message
        );
    }

    #[test]
    fn aliases_must_be_a_list_of_strings() {
        let e = alias_error("uri_aliases = \"my=test:///default\"", "my");
        assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_CONF));
        assert_eq!(
            e.message,
            "internal error: /h/.config/libvirt/libvirt.conf: expected a string list for 'uri_aliases' parameter"
        );
        let e = alias_error("uri_aliases = [\"my=test:///\", 5]", "my");
        assert_eq!((e.code, e.domain), (VIR_ERR_CONF_SYNTAX, VIR_FROM_CONF));
    }

    #[test]
    fn remote_mode_is_a_string() {
        assert_eq!(
            config("remote_mode = \"direct\"")
                .remote_mode()
                .unwrap()
                .as_deref(),
            Some("direct")
        );
        assert_eq!(ClientConfig::default().remote_mode().unwrap(), None);
        let e = ClientConfig::from_conf(Conf::parse_string("remote_mode = 5").unwrap())
            .remote_mode()
            .unwrap_err();
        assert_eq!(
            e.message,
            format!("internal error: {MEMORY_CONF}: expected a string for 'remote_mode' parameter")
        );
    }

    #[test]
    fn loading_files() {
        let dir = std::env::temp_dir().join(format!("virt-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = ClientConfig::load_from(&dir.join("none.conf")).unwrap();
        assert!(missing.conf().is_none());

        let good = dir.join("good.conf");
        std::fs::write(&good, "uri_default = \"test:///default\"\n").unwrap();
        let c = ClientConfig::load_from(&good).unwrap();
        assert_eq!(
            c.default_uri_with(None).unwrap().as_deref(),
            Some("test:///default")
        );

        let bad = dir.join("bad.conf");
        std::fs::write(&bad, "uri_default = \"test:///default\"\nxx\n").unwrap();
        let e = ClientConfig::load_from(&bad).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "configuration file syntax error: {}:2: expecting an assignment",
                bad.display()
            )
        );

        let e = ClientConfig::load_from(&dir).unwrap_err();
        assert_eq!(
            e.message,
            format!("Failed to read file '{}': Is a directory", dir.display())
        );
        for f in [good, bad] {
            std::fs::remove_file(f).unwrap();
        }
        std::fs::remove_dir(&dir).unwrap();
    }
}
