//! auth.conf as the connection's credential store, read only when a driver
//! actually needs a credential (a broken file must not break other opens).

use crate::auth::CredentialStore;
use crate::error::Result;

/// The user's auth.conf, loaded on first use.
#[derive(Default)]
pub struct AuthConf;

impl CredentialStore for AuthConf {
    fn lookup(&self, _service: &str, _host: &str, _credname: &str) -> Result<Option<String>> {
        Ok(None)
    }
}
