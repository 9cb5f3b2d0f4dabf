//! What the host reports: Windows version, host name, node summary and the
//! capabilities document.

use super::{wsman, HypervDriver};
use crate::abi::*;
use crate::caps::{Capabilities, Guest, Host};
use crate::driver::NodeInfo;
use crate::error::{Error, Result};

/// A Windows version (`10.0.14393`) packed as libvirt's Hyper-V driver
/// packs it: major * 100000000 + minor * 1000000 + micro, because build
/// numbers exceed the three digits of the usual packing.
pub fn pack_version(text: &str) -> Result<u64> {
    let bad = || {
        Error::internal(
            VIR_FROM_HYPERV,
            format!("Could not parse version number from '{text}'"),
        )
    };
    let mut parts = text.trim().split('.');
    let mut nums = [0u64; 3];
    for slot in nums.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        *slot = p.parse().map_err(|_| bad())?;
    }
    if nums[0] > 99 || nums[1] > 99 || nums[2] > 999_999 {
        return Err(bad());
    }
    Ok(nums[0] * 100_000_000 + nums[1] * 1_000_000 + nums[2])
}

/// A processor name as node info shows it: single spaces, no (R)/(C)/(TM),
/// nothing from " @ " on, at most 31 bytes.
pub fn cpu_model(name: &str) -> String {
    let mut s = name.split_whitespace().collect::<Vec<_>>().join(" ");
    for mark in ["(R)", "(C)", "(TM)"] {
        s = s.replace(mark, "");
    }
    if let Some(at) = s.find(" @ ") {
        s.truncate(at);
    }
    let mut s = s.trim().to_string();
    while s.len() > 31 {
        s.pop();
    }
    s
}

impl HypervDriver {
    /// virConnectGetVersion.
    pub(super) fn version_number(&self) -> Result<u64> {
        pack_version(&self.os_version)
    }

    fn win32(&self, class: &str) -> Result<Vec<wsman::Instance>> {
        self.client.query(wsman::CIMV2, &format!("SELECT * FROM {class}"))
    }

    /// The host's DNS name.
    pub(super) fn host_name(&self) -> Result<String> {
        let cs = self.win32("Win32_ComputerSystem")?;
        cs.first()
            .and_then(|c| c.get("DNSHostName").or(c.get("Name")))
            .map(str::to_string)
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not get Win32_ComputerSystem"))
    }

    /// virNodeGetInfo.
    pub(super) fn node(&self) -> Result<NodeInfo> {
        let cs = self.win32("Win32_ComputerSystem")?;
        let cs = cs
            .first()
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not get Win32_ComputerSystem"))?;
        let name = cs.need("Name")?;
        let wql = format!(
            "ASSOCIATORS OF {{Win32_ComputerSystem.Name=\"{name}\"}} \
             WHERE AssocClass = Win32_ComputerSystemProcessor ResultClass = Win32_Processor"
        );
        let cpus = self.client.query(wsman::CIMV2, &wql)?;
        let first = cpus
            .first()
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not get Win32_Processor"))?;
        let cores = first.int("NumberOfCores").unwrap_or(1).max(1) as u32;
        let logical = first
            .int("NumberOfLogicalProcessors")
            .unwrap_or(cores as i64)
            .max(1) as u32;
        let sockets = cpus.len() as u32;
        Ok(NodeInfo {
            model: cpu_model(first.get("Name").unwrap_or("")),
            memory: cs.int("TotalPhysicalMemory").unwrap_or(0).max(0) as u64 / 1024,
            cpus: sockets * cores,
            mhz: first.int("MaxClockSpeed").unwrap_or(0).max(0) as u32,
            nodes: 1,
            sockets,
            cores,
            threads: (logical / cores).max(1),
        })
    }

    /// Free memory in bytes (Win32_OperatingSystem counts KiB).
    pub(super) fn free_memory(&self) -> Result<u64> {
        let os = self.win32("Win32_OperatingSystem")?;
        let kib = os
            .first()
            .and_then(|o| o.int("FreePhysicalMemory"))
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not get Win32_OperatingSystem"))?;
        Ok(kib.max(0) as u64 * 1024)
    }

    /// The capabilities document.
    pub(super) fn caps(&self) -> Result<String> {
        let product = self.win32("Win32_ComputerSystemProduct")?;
        let guest = |arch: &str, wordsize| Guest {
            os_type: "hvm".to_string(),
            arch: arch.to_string(),
            wordsize,
            domains: vec!["hyperv".to_string()],
            ..Guest::default()
        };
        let caps = Capabilities {
            host: Host {
                uuid: product
                    .first()
                    .and_then(|p| p.get("UUID"))
                    .map(str::to_ascii_lowercase),
                arch: "x86_64".to_string(),
                ..Host::default()
            },
            guests: vec![guest("i686", 32), guest("x86_64", 64)],
        };
        Ok(caps.to_xml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_versions_pack_like_libvirt() {
        assert_eq!(pack_version("10.0.14393").unwrap(), 1_000_014_393);
        assert_eq!(pack_version("6.3.9600").unwrap(), 603_009_600);
        assert_eq!(pack_version("6.0.6001").unwrap(), 600_006_001);
        assert!(pack_version("100.0.1").is_err());
        assert!(pack_version("10.0").is_err());
        assert!(pack_version("x").is_err());
    }

    #[test]
    fn cpu_models_are_trimmed() {
        assert_eq!(
            cpu_model("Intel(R) Xeon(R) CPU  E5-2670 0 @ 2.60GHz"),
            "Intel Xeon CPU E5-2670 0"
        );
    }
}
