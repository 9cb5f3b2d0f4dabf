//! Connections: opening a URI with the right driver, and the calls that are
//! answered by the connection itself rather than by its driver.

use crate::driver::Driver;

/// An open connection to a hypervisor.
pub struct Connection {
    uri: String,
    driver: Box<dyn Driver>,
    read_only: bool,
}

impl Connection {
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
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.close();
    }
}
