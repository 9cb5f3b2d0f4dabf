//! The driver interface: one method per libvirt driver entry.  A method a
//! driver does not override fails as libvirt does when a driver lacks it.

use crate::abi::*;
use crate::error::{Error, Result};

/// What `virNodeGetInfo` reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfo {
    /// CPU model (at most 31 bytes reach C).
    pub model: String,
    /// Memory in KiB.
    pub memory: u64,
    /// Active CPUs.
    pub cpus: u32,
    /// CPU frequency in MHz.
    pub mhz: u32,
    /// NUMA nodes.
    pub nodes: u32,
    /// Sockets per node.
    pub sockets: u32,
    /// Cores per socket.
    pub cores: u32,
    /// Threads per core.
    pub threads: u32,
}

fn unsupported<T>(func: &str) -> Result<T> {
    Err(Error::no_support(VIR_FROM_DOMAIN, func))
}

/// A hypervisor connection as a driver serves it.
pub trait Driver: Send + Sync {
    /// The hypervisor type `virConnectGetType` reports ("TEST", "ESX", ...).
    fn kind(&self) -> &'static str;

    /// The hypervisor version, packed as major * 1,000,000 + minor * 1,000 + micro.
    fn version(&self) -> Result<u64> {
        unsupported("virConnectGetVersion")
    }

    /// The host's name.
    fn hostname(&self) -> Result<String> {
        unsupported("virConnectGetHostname")
    }

    /// The capabilities XML document.
    fn capabilities(&self) -> Result<String> {
        unsupported("virConnectGetCapabilities")
    }

    /// The most vCPUs a guest of `kind` may have.
    fn max_vcpus(&self, kind: Option<&str>) -> Result<i32> {
        let _ = kind;
        unsupported("virConnectGetMaxVcpus")
    }

    /// The host's CPU and memory summary.
    fn node_info(&self) -> Result<NodeInfo> {
        unsupported("virNodeGetInfo")
    }

    /// Whether the connection still works.
    fn is_alive(&self) -> Result<bool> {
        unsupported("virConnectIsAlive")
    }

    /// Whether the channel is safe from eavesdropping.
    fn is_secure(&self) -> Result<bool> {
        unsupported("virConnectIsSecure")
    }

    /// Whether the channel is encrypted.
    fn is_encrypted(&self) -> Result<bool> {
        unsupported("virConnectIsEncrypted")
    }

    /// Starts (or with `interval <= 0` stops) keepalive probing.
    fn set_keep_alive(&self, interval: i32, count: u32) -> Result<()> {
        let _ = (interval, count);
        unsupported("virConnectSetKeepAlive")
    }

    /// Releases the driver's resources; called once, when the last reference goes.
    fn close(&self) {}
}
