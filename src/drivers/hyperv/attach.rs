//! Attaching devices to a defined VM: disks on a free IDE location, NICs on
//! a switch, and named pipes on its COM ports, the kinds libvirt's Hyper-V
//! driver attaches.

use super::settings::Settings;
use super::wsman::{resource_uri, Epr};
use super::HypervDriver;
use crate::abi::*;
use crate::domain::devices::{chardev, disk, interface};
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::xml::dom;

/// IDE locations: two controllers of two drives.
const IDE_SLOTS: usize = 4;

impl HypervDriver {
    /// virDomainAttachDevice(Flags): the device `xml` added to the VM.
    pub(super) fn attach_device(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<()> {
        if flags & !(VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG) != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainAttachDeviceFlags",
                flags,
            ));
        }
        self.v2_only("virDomainAttachDeviceFlags")?;
        let el = dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_XML_DETAIL,
                e.detail("(device_definition)"),
            )
        })?;
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        let vssd = Epr {
            resource_uri: resource_uri(self.ns(), "Msvm_VirtualSystemSettingData"),
            selectors: vec![("InstanceID".to_string(), s.vssd.need("InstanceID")?.to_string())],
        };
        let result = match dom::local(&el.name) {
            "disk" => {
                let d = disk::parse(&el, true)?;
                let slot = self.disk_slot(&s, &d)?;
                self.add_disk(&s, &vssd, slot, &d)
            }
            "interface" => {
                let nic = interface::parse(&el, super::settings::PROFILE.mac_prefix, true)?;
                self.add_nic(&vssd, &nic)
            }
            "serial" => {
                let port = chardev::parse(&el, chardev::ChrKind::Serial, true)?;
                self.attach_serial(&s, &port)
            }
            other => Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("Attaching devices of type '{other}' is not implemented"),
            )),
        };
        self.cache.clear();
        result
    }

    /// The IDE location a new disk takes: the one its `hdX` target names,
    /// else the first free one.
    fn disk_slot(&self, s: &Settings, d: &disk::Disk) -> Result<usize> {
        let ide = self.ide_controllers(s);
        let taken: Vec<usize> = s
            .parts
            .iter()
            .filter(|p| {
                p.class == "Msvm_ResourceAllocationSettingData"
                    && matches!(p.int("ResourceType"), Some(16 | 17))
            })
            .filter_map(|drive| {
                let parent = super::settings::path_instance_id(drive.get("Parent")?)?;
                let ctrl = ide
                    .iter()
                    .position(|c| c.get("InstanceID") == Some(parent.as_str()))?;
                Some(ctrl * 2 + drive.int("AddressOnParent").unwrap_or(0).clamp(0, 1) as usize)
            })
            .collect();
        let wanted = d
            .target
            .strip_prefix("hd")
            .filter(|_| d.bus.as_deref().is_none_or(|b| b == "ide"))
            .and_then(|t| t.chars().next())
            .map(|c| (c as usize).wrapping_sub('a' as usize));
        let slot = match wanted {
            Some(n) if n < IDE_SLOTS => n,
            _ => (0..IDE_SLOTS).find(|n| !taken.contains(n)).ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    "Only up to four disks on the IDE controllers are supported",
                )
            })?,
        };
        if taken.contains(&slot) {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_OPERATION_INVALID,
                format!("Target '{}' already exists", d.target),
            ));
        }
        Ok(slot)
    }

    /// A named pipe on the COM port `<target port>` names (COM 1 for port 0).
    fn attach_serial(&self, s: &Settings, port: &chardev::Chardev) -> Result<()> {
        let pipe = match (port.source.kind.as_str(), port.source.path.as_deref()) {
            ("pipe", Some(p)) if !p.is_empty() => p,
            _ => {
                return Err(Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    "Only serial ports of type 'pipe' with a source path are supported",
                ))
            }
        };
        let n = port.target_port.unwrap_or(0);
        let name = format!("COM {}", n + 1);
        let com = s
            .parts
            .iter()
            .find(|p| p.class == "Msvm_SerialPortSettingData" && p.get("ElementName") == Some(name.as_str()))
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("The VM has no serial port {name} (target port {n})"),
                )
            })?;
        self.modify_resource(
            "Msvm_SerialPortSettingData",
            com.need("InstanceID")?,
            &[("Connection", pipe.to_string())],
        )
    }
}
