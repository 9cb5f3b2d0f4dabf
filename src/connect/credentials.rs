//! auth.conf as a connection's credential store, read only when a driver
//! actually asks for a credential (as libvirt does: a broken file must not
//! break connections that need none).

use std::path::PathBuf;

use once_cell::unsync::OnceCell;

use crate::auth::CredentialStore;
use crate::conf::authfile::{auth_file_path, AuthConfig};
use crate::error::Result;
use crate::uri::Uri;

/// The credentials file that applies to one URI, loaded on first use.
pub struct AuthConf {
    path: Option<PathBuf>,
    loaded: OnceCell<AuthConfig>,
}

impl AuthConf {
    /// The file for `uri` (`LIBVIRT_AUTH_FILE`, `authfile=`, user's, system's).
    pub fn for_uri(uri: &Uri) -> Self {
        AuthConf { path: auth_file_path(Some(uri)), loaded: OnceCell::new() }
    }
}

impl CredentialStore for AuthConf {
    fn lookup(&self, service: &str, host: &str, credname: &str) -> Result<Option<String>> {
        let Some(path) = &self.path else { return Ok(None) };
        let config = self.loaded.get_or_try_init(|| AuthConfig::load(path))?;
        config.lookup(service, Some(host), credname)
    }
}
