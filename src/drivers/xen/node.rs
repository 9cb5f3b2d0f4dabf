//! What XenD's `/xend/node/` reports: version, host name, node summary and
//! the capabilities built from `xen_caps`.

use super::{XenDriver, Xend};
use crate::abi::*;
use crate::caps::{Capabilities, Guest, GuestFeature, Host, Migration};
use crate::driver::NodeInfo;
use crate::error::{Error, Result};
use crate::native::xen::common::DEFAULT_LOADER;
use crate::native::xen::sexpr::Sexpr;

/// The device model XenD's HVM guests ran under.
pub const DEVICE_MODEL: &str = "/usr/lib/xen/bin/qemu-dm";

/// `GET /xend/node/`.
pub fn fetch(xend: &Xend) -> Result<Sexpr> {
    let (node, _) = xend
        .get_sexpr("/xend/node/")?
        .ok_or_else(|| Error::internal(VIR_FROM_XEND, "xend has no /xend/node/ resource"))?;
    if node.key() != Some("node") {
        return Err(Error::internal(
            VIR_FROM_XEND,
            "xend's reply to GET /xend/node/ is not a (node ...) expression",
        ));
    }
    Ok(node)
}

/// `xen_major`, `xen_minor` and the number leading `xen_extra` (".4-1"),
/// packed as libvirt packs versions.
pub fn pack_version(node: &Sexpr) -> Result<u64> {
    let part = |key: &str| -> Result<u64> {
        let v = node.node_i64(&format!("node/{key}"))?.ok_or_else(|| {
            Error::internal(VIR_FROM_XEND, format!("xend's node information lacks '{key}'"))
        })?;
        u64::try_from(v).map_err(|_| Error::internal(VIR_FROM_XEND, format!("invalid '{key}' {v}")))
    };
    let major = part("xen_major")?;
    let minor = part("xen_minor")?;
    let extra = node.node("node/xen_extra").unwrap_or_default();
    let digits: String = extra
        .trim_start_matches('.')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let micro = digits.parse::<u64>().unwrap_or(0);
    if minor > 999 || micro > 999 {
        return Err(Error::internal(
            VIR_FROM_XEND,
            format!("xend reports an invalid Xen version {major}.{minor}{extra}"),
        ));
    }
    Ok(major * 1_000_000 + minor * 1000 + micro)
}

fn num(node: &Sexpr, key: &str) -> Result<u64> {
    Ok(node.node_u64(&format!("node/{key}"))?.unwrap_or(0))
}

impl XenDriver {
    /// virConnectGetVersion.
    pub(super) fn xen_version(&self) -> Result<u64> {
        pack_version(&fetch(&self.xend)?)
    }

    /// virConnectGetHostname: the host XenD runs on.
    pub(super) fn host_name(&self) -> Result<String> {
        match fetch(&self.xend)?.node("node/host") {
            Some(h) if !h.is_empty() => Ok(h.to_string()),
            _ => crate::host::hostname(),
        }
    }

    /// virNodeGetInfo.
    pub(super) fn node(&self) -> Result<NodeInfo> {
        let node = fetch(&self.xend)?;
        let cpus = num(&node, "nr_cpus")?;
        let nodes = num(&node, "nr_nodes")?.max(1);
        let cores = num(&node, "cores_per_socket")?.max(1);
        let threads = num(&node, "threads_per_core")?.max(1);
        let sockets = match num(&node, "sockets_per_node")? {
            0 => (cpus / (nodes * cores * threads)).max(1),
            s => s,
        };
        let mut model = node.node("node/machine").unwrap_or_default().to_string();
        model.truncate(31);
        Ok(NodeInfo {
            model,
            memory: num(&node, "total_memory")? * 1024,
            cpus: cpus as u32,
            mhz: num(&node, "cpu_mhz")? as u32,
            nodes: nodes as u32,
            sockets: sockets as u32,
            cores: cores as u32,
            threads: threads as u32,
        })
    }

    /// virConnectGetCapabilities: one guest per entry of `xen_caps`
    /// (`xen-3.0-x86_64`, `xen-3.0-x86_32p`, `hvm-3.0-x86_32`, ...).
    pub(super) fn caps(&self) -> Result<String> {
        let node = fetch(&self.xend)?;
        Ok(capabilities(&node).to_xml())
    }
}

/// The capabilities document of a node.
pub fn capabilities(node: &Sexpr) -> Capabilities {
    let machine = node.node("node/machine").unwrap_or("x86_64");
    let host_arch = match machine {
        "i386" | "i486" | "i586" | "i686" => "i686",
        m => m,
    };
    let mut guests: Vec<Guest> = Vec::new();
    for token in node.node("node/xen_caps").unwrap_or_default().split_whitespace() {
        let mut parts = token.splitn(3, '-');
        let (Some(kind), Some(_), Some(arch)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (arch, wordsize, pae) = match arch {
            "x86_32" => ("i686", 32, false),
            "x86_32p" => ("i686", 32, true),
            "x86_64" => ("x86_64", 64, false),
            "ia64" => ("ia64", 64, false),
            "powerpc64" => ("ppc64", 64, false),
            _ => continue,
        };
        let hvm = match kind {
            "hvm" => true,
            "xen" => false,
            _ => continue,
        };
        let os_type = if hvm { "hvm" } else { "xen" };
        // x86_32 and x86_32p name one guest; PAE only adds a feature.
        if let Some(g) = guests.iter_mut().find(|g| g.os_type == os_type && g.arch == arch) {
            if pae && !g.features.iter().any(|f| f.name == "pae") {
                g.features.push(GuestFeature::flag("pae"));
            }
            continue;
        }
        let mut features = Vec::new();
        if pae {
            features.push(GuestFeature::flag("pae"));
        }
        if hvm {
            features.push(GuestFeature {
                name: "acpi".into(),
                toggle: Some((true, true)),
            });
            features.push(GuestFeature {
                name: "apic".into(),
                toggle: Some((true, true)),
            });
        }
        guests.push(Guest {
            os_type: os_type.to_string(),
            arch: arch.to_string(),
            wordsize,
            emulator: Some(DEVICE_MODEL.to_string()),
            loader: hvm.then(|| DEFAULT_LOADER.to_string()),
            machines: vec![(if hvm { "xenfv" } else { "xenpv" }.to_string(), None)],
            domains: vec!["xen".to_string()],
            features,
        });
    }
    Capabilities {
        host: Host {
            arch: host_arch.to_string(),
            migration: Some(Migration {
                live: true,
                transports: vec!["xenmigr".to_string()],
            }),
            ..Host::default()
        },
        guests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::xen::sexpr;

    #[test]
    fn versions_pack_and_caps_follow_xen_caps() {
        let node = sexpr::read(
            "(node (machine x86_64) (xen_major 3) (xen_minor 2) (xen_extra .1-rc2) \
             (xen_caps 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'))",
        )
        .unwrap();
        assert_eq!(pack_version(&node).unwrap(), 3_002_001);
        let caps = capabilities(&node);
        let kinds: Vec<_> = caps
            .guests
            .iter()
            .map(|g| format!("{}/{}", g.os_type, g.arch))
            .collect();
        assert_eq!(kinds, ["xen/x86_64", "xen/i686", "hvm/i686", "hvm/x86_64"]);
        let bad = sexpr::read("(node (xen_major x) (xen_minor 1))").unwrap();
        assert_eq!(pack_version(&bad).unwrap_err().domain, VIR_FROM_SEXPR);
    }
}
