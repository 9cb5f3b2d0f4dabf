//! auth.conf as a connection's credential store, read only when a driver
//! actually asks for a credential (as libvirt does: a broken file must not
//! break connections that need none).

use std::path::PathBuf;

use once_cell::unsync::OnceCell;

use crate::auth::CredentialStore;
use crate::conf::authfile::{auth_file_path, AuthConfig};
use crate::error::Result;
use crate::uri::Uri;

/// The credentials file that applies to one URI, found and loaded on first use.
pub struct AuthConf<'a> {
    uri: &'a Uri,
    loaded: OnceCell<Option<AuthConfig>>,
}

impl<'a> AuthConf<'a> {
    /// The file for `uri` (`LIBVIRT_AUTH_FILE`, `authfile=`, user's, system's).
    pub fn for_uri(uri: &'a Uri) -> Self {
        AuthConf {
            uri,
            loaded: OnceCell::new(),
        }
    }
}

impl CredentialStore for AuthConf<'_> {
    fn lookup(&self, service: &str, host: &str, credname: &str) -> Result<Option<String>> {
        let config = self.loaded.get_or_try_init(|| -> Result<Option<AuthConfig>> {
            let path: Option<PathBuf> = auth_file_path(Some(self.uri));
            path.map(|p| AuthConfig::load(&p)).transpose()
        })?;
        match config {
            Some(c) => c.lookup(service, Some(host), credname),
            None => Ok(None),
        }
    }
}
