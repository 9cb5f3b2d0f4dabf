//! What the connection's host reports: product version, DNS name, node
//! summary and the capabilities document.

use super::{soap, EsxDriver};
use crate::abi::*;
use crate::caps::{Capabilities, Guest, Host, Migration};
use crate::driver::NodeInfo;
use crate::error::{Error, Result};

/// `major.minor[.micro]` packed as libvirt packs versions.
pub fn pack_version(text: &str) -> Result<u64> {
    let bad = || {
        Error::internal(
            VIR_FROM_ESX,
            format!("Could not parse version number from '{text}'"),
        )
    };
    let mut parts = text.trim().split('.');
    let mut nums = [0u64; 3];
    for (i, slot) in nums.iter_mut().enumerate() {
        match parts.next() {
            Some(p) => {
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                let n: u64 = digits.parse().map_err(|_| bad())?;
                if n > 999 && i > 0 {
                    return Err(bad());
                }
                *slot = n;
            }
            None if i > 0 => break,
            None => return Err(bad()),
        }
    }
    Ok(nums[0] * 1_000_000 + nums[1] * 1000 + nums[2])
}

impl EsxDriver {
    /// virNodeGetInfo from the host's hardware summary.
    pub(super) fn node(&self) -> Result<NodeInfo> {
        let host = self.host_props(&["summary.hardware"])?;
        let hw = host
            .get("summary.hardware")
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The host does not report its hardware summary"))?;
        let num = |name: &str| -> u64 {
            soap::child_text(hw, name)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0)
        };
        // The model as one line with single spaces (hosts pad it).
        let model: String = soap::child_text(hw, "cpuModel")
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let pkgs = num("numCpuPkgs").max(1);
        let cores = num("numCpuCores").max(1);
        let threads = num("numCpuThreads").max(cores);
        let mut model = model;
        // libvirt's node info holds 31 bytes of the model.
        while model.len() > 31 {
            model.pop();
        }
        Ok(NodeInfo {
            model,
            memory: num("memorySize") / 1024,
            cpus: cores as u32,
            mhz: num("cpuMhz") as u32,
            nodes: 1,
            sockets: pkgs as u32,
            cores: (cores / pkgs).max(1) as u32,
            threads: (threads / cores).max(1) as u32,
        })
    }

    /// The capabilities document.
    pub(super) fn caps(&self) -> Result<String> {
        let host = self.host_props(&["hardware.systemInfo.uuid", "summary.hardware"])?;
        let guest = |arch: &str, wordsize| Guest {
            os_type: "hvm".to_string(),
            arch: arch.to_string(),
            wordsize,
            domains: vec!["vmware".to_string()],
            ..Guest::default()
        };
        let caps = Capabilities {
            host: Host {
                uuid: host.text("hardware.systemInfo.uuid"),
                arch: "x86_64".to_string(),
                // Migration goes through a vCenter (VMotion).
                migration: Some(Migration {
                    live: true,
                    transports: vec!["vpxmigr".to_string()],
                }),
                ..Host::default()
            },
            guests: vec![guest("i686", 32), guest("x86_64", 64)],
        };
        Ok(caps.to_xml())
    }

    /// The host's DNS name (host name and domain).
    pub(super) fn host_dns_name(&self) -> Result<String> {
        let host = self.host_props(&["config.network.dnsConfig"])?;
        let dns = host.get("config.network.dnsConfig");
        let name = dns
            .and_then(|d| soap::child_text(d, "hostName"))
            .unwrap_or_default();
        let domain = dns
            .and_then(|d| soap::child_text(d, "domainName"))
            .unwrap_or_default();
        if name.is_empty() {
            return Err(Error::internal(
                VIR_FROM_ESX,
                "Missing or empty 'hostName' property",
            ));
        }
        Ok(if domain.is_empty() {
            name
        } else {
            format!("{name}.{domain}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_pack_like_libvirt() {
        assert_eq!(pack_version("6.5.0").unwrap(), 6_005_000);
        assert_eq!(pack_version("8.0.3").unwrap(), 8_000_003);
        assert_eq!(pack_version("4.1").unwrap(), 4_001_000);
        assert_eq!(pack_version("7.0.3a").unwrap(), 7_000_003);
        for bad in ["", "x.1", "6.1000.0", "6..1"] {
            let e = pack_version(bad).unwrap_err();
            assert_eq!(e.domain, VIR_FROM_ESX, "{bad}");
        }
    }
}
