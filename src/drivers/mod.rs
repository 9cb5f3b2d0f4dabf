//! The hypervisor drivers, and which URI each one claims.

pub mod test;

use crate::auth::Auth;
use crate::driver::Driver;
use crate::error::Result;
use crate::uri::Uri;

/// Opens `uri` with the driver that claims it; `None` when none does.
pub fn open(uri: &Uri, auth: &Auth, flags: u32) -> Result<Option<Box<dyn Driver>>> {
    let local = uri.server.as_deref().is_none_or(str::is_empty);
    match uri.scheme.as_deref() {
        // A test URI with a host or transport belongs to a remote daemon.
        Some("test") if local => Ok(Some(Box::new(test::TestDriver::open(
            uri.path.as_deref(),
            auth,
            flags,
        )?))),
        _ => Ok(None),
    }
}
