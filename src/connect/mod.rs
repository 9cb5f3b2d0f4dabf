//! Connections: resolving the name (default URI, aliases), picking the driver
//! that claims the URI, and the calls the connection answers itself.

use crate::abi::*;
use crate::auth::{Auth, Prompter};
use crate::driver::Driver;
use crate::drivers;
use crate::error::{Error, Result};
use crate::uri::Uri;

mod credentials;
mod name;

/// An open connection to a hypervisor.
pub struct Connection {
    uri: String,
    driver: Box<dyn Driver>,
    read_only: bool,
}

impl Connection {
    /// Opens `name` as `virConnectOpenAuth` does: NULL or "" takes the default
    /// URI, aliases are resolved unless `VIR_CONNECT_NO_ALIASES`, and the first
    /// driver that claims the URI opens it (with `prompter` for credentials).
    pub fn open(name: Option<&str>, prompter: Option<&dyn Prompter>, flags: u32) -> Result<Connection> {
        let Some(name) = name::resolve(name, flags)? else {
            // No URI anywhere: the local daemon probes one, as libvirt 9.0 does.
            let auth = Auth::new(prompter, None);
            let driver = drivers::remote::RemoteDriver::open(None, &auth, flags)?;
            let uri = driver.probed_uri().unwrap_or_default();
            return Ok(Connection::new(
                uri,
                Box::new(driver),
                flags & VIR_CONNECT_RO != 0,
            ));
        };
        let uri = Uri::parse(&name)?;
        if uri.scheme.is_none() {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_NO_CONNECT,
                format!("URI '{name}' does not include a driver name"),
            ));
        }
        let store = credentials::AuthConf::for_uri(&uri);
        let auth = Auth::new(prompter, Some(&store));
        let driver = drivers::open(&uri, &auth, flags)?
            .ok_or_else(|| Error::with(VIR_FROM_NONE, VIR_ERR_NO_CONNECT, &name))?;
        Ok(Connection {
            uri: uri.format(),
            driver,
            read_only: flags & VIR_CONNECT_RO != 0,
        })
    }

    /// Wraps an opened driver.
    pub fn new(uri: String, driver: Box<dyn Driver>, read_only: bool) -> Self {
        Connection {
            uri,
            driver,
            read_only,
        }
    }

    /// The driver serving this connection.
    pub fn driver(&self) -> &dyn Driver {
        &*self.driver
    }

    /// The URI the connection was opened with, as libvirt formats it.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether the connection was opened read-only.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Identifies this connection to its driver (event registrations belong
    /// to a connection): the connection's address, fixed for its life.
    pub fn owner_key(&self) -> usize {
        self as *const Connection as usize
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let key = self.owner_key();
        self.driver.close(key);
    }
}
