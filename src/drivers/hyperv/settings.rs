//! A VM's settings (Msvm_VirtualSystemSettingData and its components):
//! the domain XML read from them, memory, vCPU, autostart and scheduler
//! changes, and defining and undefining VMs through the management service.

use super::vms::{guid, Vm};
use super::wsman::{resource_uri, Arg, Epr, Instance};
use super::{HypervDriver, WmiVersion};
use crate::abi::*;
use crate::domain::{self, DomainDef, FormatOptions, ParseOptions, Profile};
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::typed_params::{TypedParam, TypedValue};
use crate::xml::escape;

/// Parsing defaults of Hyper-V domains (guests i686 and x86_64; Microsoft's
/// MAC prefix 00:15:5d).
pub const PROFILE: Profile = Profile {
    default_arch: "i686",
    mac_prefix: [0x00, 0x15, 0x5d],
    namespace: None,
    memory_hotplug: true,
    fw_autoselect: false,
    wide_scsi: false,
    default_video: ("vga", 16 * 1024),
};

const VSMS: &str = "Msvm_VirtualSystemManagementService";

/// A VM's settings: the VSSD and its components.
pub struct Settings {
    /// Msvm_VirtualSystemSettingData.
    pub vssd: Instance,
    /// The components (memory, processor, controllers, drives, NICs ...).
    pub parts: Vec<Instance>,
}

impl Settings {
    fn first(&self, class: &str) -> Option<&Instance> {
        self.parts.iter().find(|p| p.class == class)
    }
}

/// The InstanceID a WMI object path (`...:Class.InstanceID="x"`) names.
fn path_instance_id(path: &str) -> Option<String> {
    let start = path.find("InstanceID=\"")? + "InstanceID=\"".len();
    let rest = &path[start..];
    let end = rest.find('"')?;
    Some(rest[..end].replace("\\\\", "\\"))
}

/// A WMI object path of a settings instance, as `Parent` properties hold.
fn object_path(ns: &str, class: &str, instance_id: &str) -> String {
    format!(
        "\\\\.\\{}:{class}.InstanceID=\"{}\"",
        ns.replace('/', "\\"),
        instance_id.replace('\\', "\\\\")
    )
}

/// Memory in KiB as Hyper-V takes it: MiB, rounded up to an even number.
fn kib_to_mib(kib: u64) -> u64 {
    let mib = kib.div_ceil(1024);
    mib + (mib % 2)
}

fn disk_target(prefix: &str, index: usize) -> String {
    let mut n = index;
    let mut name = String::new();
    loop {
        name.insert(0, (b'a' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    format!("{prefix}{name}")
}

impl HypervDriver {
    /// The VSSD and components of a VM (two requests).
    pub(super) fn settings(&self, vm: &Vm) -> Result<Settings> {
        let wql = format!(
            "ASSOCIATORS OF {{Msvm_ComputerSystem.CreationClassName=\"Msvm_ComputerSystem\",Name=\"{}\"}} \
             WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData",
            vm.guid
        );
        let vssd = self
            .client
            .query(self.ns(), &wql)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    format!("Could not look up virtual system settings for domain {}", vm.name),
                )
            })?;
        let id = vssd.need("InstanceID")?.to_string();
        let wql = format!(
            "ASSOCIATORS OF {{Msvm_VirtualSystemSettingData.InstanceID=\"{}\"}} \
             WHERE AssocClass = Msvm_VirtualSystemSettingDataComponent",
            id.replace('\\', "\\\\")
        );
        let parts = self.client.query(self.ns(), &wql)?;
        Ok(Settings { vssd, parts })
    }

    /// The domain XML of a VM.
    pub(super) fn xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        let known = VIR_DOMAIN_XML_SECURE
            | VIR_DOMAIN_XML_INACTIVE
            | VIR_DOMAIN_XML_UPDATE_CPU
            | VIR_DOMAIN_XML_MIGRATABLE;
        if flags & !known != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainGetXMLDesc", flags));
        }
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        let mem = s.first("Msvm_MemorySettingData");
        let cpu = s.first("Msvm_ProcessorSettingData");
        let limit = mem.and_then(|m| m.int("Limit")).unwrap_or(0).max(0) as u64 * 1024;
        let current = mem.and_then(|m| m.int("VirtualQuantity")).unwrap_or(0).max(0) as u64 * 1024;
        let vcpus = cpu.and_then(|c| c.int("VirtualQuantity")).unwrap_or(1).max(1);
        let mut x = String::from("<domain type='hyperv'>");
        x.push_str(&format!(
            "<name>{}</name><uuid>{}</uuid>",
            escape(&vm.name),
            vm.uuid
        ));
        let notes = s.vssd.all("Notes");
        let notes: Vec<&str> = notes.into_iter().filter(|n| !n.is_empty()).collect();
        if !notes.is_empty() {
            x.push_str(&format!(
                "<description>{}</description>",
                escape(&notes.join("\n\n"))
            ));
        }
        x.push_str(&format!(
            "<memory unit='KiB'>{limit}</memory><currentMemory unit='KiB'>{current}</currentMemory>\
             <vcpu placement='static'>{vcpus}</vcpu><os><type>hvm</type></os><devices>"
        ));
        x.push_str(&self.devices_xml(&s));
        x.push_str("</devices></domain>");
        let def = domain::parse(
            &x,
            &ParseOptions {
                profile: &PROFILE,
                inactive: false,
            },
        )?;
        let active = vm.is_active() && flags & VIR_DOMAIN_XML_INACTIVE == 0;
        Ok(domain::format(
            &def,
            &FormatOptions {
                id: active.then(|| vm.domain_ref().id),
                secure: flags & VIR_DOMAIN_XML_SECURE != 0,
                inactive: flags & VIR_DOMAIN_XML_INACTIVE != 0,
                ..FormatOptions::default()
            },
        ))
    }

    /// Controllers, disks, serial ports and NICs of the settings.
    fn devices_xml(&self, s: &Settings) -> String {
        let by_id = |id: &str| s.parts.iter().find(|p| p.get("InstanceID") == Some(id));
        let mut out = String::new();
        let (mut ide, mut scsi) = (Vec::new(), Vec::new());
        for p in &s.parts {
            match (p.class.as_str(), p.int("ResourceType")) {
                ("Msvm_ResourceAllocationSettingData", Some(5)) => ide.push(p),
                ("Msvm_ResourceAllocationSettingData", Some(6)) => scsi.push(p),
                _ => {}
            }
        }
        for (i, _) in scsi.iter().enumerate() {
            out.push_str(&format!("<controller type='scsi' index='{i}'/>"));
        }
        let mut scsi_n = 0;
        for img in s
            .parts
            .iter()
            .filter(|p| p.class == "Msvm_StorageAllocationSettingData")
        {
            let Some(path) = img.get("HostResource") else {
                continue;
            };
            let sub = img.get("ResourceSubType").unwrap_or("");
            let device = if sub.contains("CD/DVD") {
                "cdrom"
            } else if sub.contains("Floppy") {
                "floppy"
            } else {
                "disk"
            };
            let drive = img
                .get("Parent")
                .and_then(path_instance_id)
                .and_then(|id| by_id(&id));
            let controller = drive
                .and_then(|d| d.get("Parent"))
                .and_then(path_instance_id)
                .and_then(|id| by_id(&id));
            let slot = drive.and_then(|d| d.int("AddressOnParent")).unwrap_or(0).max(0) as usize;
            let (bus, target) = if device == "floppy" {
                ("fdc", "fda".to_string())
            } else if let Some(c) = controller.filter(|c| c.int("ResourceType") == Some(5)) {
                let index = c.int("Address").unwrap_or(0).max(0) as usize;
                ("ide", disk_target("hd", index * 2 + slot))
            } else {
                scsi_n += 1;
                ("scsi", disk_target("sd", scsi_n - 1))
            };
            out.push_str(&format!(
                "<disk type='file' device='{device}'><source file='{}'/><target dev='{target}' bus='{bus}'/></disk>",
                escape(path)
            ));
        }
        for port in s.parts.iter().filter(|p| {
            p.class == "Msvm_SerialPortSettingData"
                || (p.class == "Msvm_ResourceAllocationSettingData" && p.int("ResourceType") == Some(17))
        }) {
            let n: u32 = port
                .get("ElementName")
                .and_then(|e| e.rsplit(' ').next())
                .and_then(|d| d.parse().ok())
                .unwrap_or(1);
            match port.get("Connection").filter(|c| !c.is_empty()) {
                Some(pipe) => out.push_str(&format!(
                    "<serial type='pipe'><source path='{}'/><target port='{}'/></serial>",
                    escape(pipe),
                    n.saturating_sub(1)
                )),
                None => continue,
            }
        }
        for nic in s
            .parts
            .iter()
            .filter(|p| p.class == "Msvm_SyntheticEthernetPortSettingData")
        {
            let mac = nic.get("Address").unwrap_or("");
            let mac = if mac.len() == 12 {
                (0..6)
                    .map(|i| &mac[i * 2..i * 2 + 2])
                    .collect::<Vec<_>>()
                    .join(":")
                    .to_ascii_lowercase()
            } else {
                String::new()
            };
            let nic_id = nic.get("InstanceID").unwrap_or("");
            let switch = s
                .parts
                .iter()
                .find(|p| {
                    p.class == "Msvm_EthernetPortAllocationSettingData"
                        && p.get("Parent").and_then(path_instance_id).as_deref() == Some(nic_id)
                })
                .and_then(|conn| conn.get("HostResource"))
                .and_then(|h| self.switch_name_of_path(h));
            // An adapter connected to no switch has no bridge to name.
            out.push_str(if switch.is_some() {
                "<interface type='bridge'>"
            } else {
                "<interface type='ethernet'>"
            });
            if !mac.is_empty() {
                out.push_str(&format!("<mac address='{mac}'/>"));
            }
            if let Some(sw) = switch {
                out.push_str(&format!("<source bridge='{}'/>", escape(&sw)));
            }
            out.push_str("</interface>");
        }
        // The display controller's setting is a graphics controller (24).
        if s.parts.iter().any(|p| p.int("ResourceType") == Some(24)) {
            out.push_str("<video><model type='vga'/></video>");
        }
        out
    }

    /// The ElementName of the switch a `HostResource` path names.
    fn switch_name_of_path(&self, path: &str) -> Option<String> {
        // The key after CreationClassName: `,Name="<guid>"`.
        let start = path.find(",Name=\"").or_else(|| path.find(".Name=\""))? + 7;
        let name = &path[start..];
        let name = &name[..name.find('"')?];
        self.switches()
            .ok()?
            .into_iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(name))
            .map(|(_, n)| n)
    }

    fn vsms_selectors(&self) -> Vec<(String, String)> {
        vec![("CreationClassName".to_string(), VSMS.to_string())]
    }

    fn modify_resource(&self, class: &str, instance_id: &str, props: &[(&str, String)]) -> Result<()> {
        self.cache.clear();
        let mut all = vec![("InstanceID".to_string(), instance_id.to_string())];
        all.extend(props.iter().map(|(k, v)| (k.to_string(), v.clone())));
        if self.wmi == WmiVersion::V1 {
            // 2008 R2 names the VM and calls the method differently.
            let guid = instance_id
                .strip_prefix("Microsoft:")
                .and_then(|r| r.split('\\').next())
                .unwrap_or_default()
                .to_string();
            self.client.invoke(
                self.ns(),
                VSMS,
                &self.vsms_selectors(),
                "ModifyVirtualSystemResources",
                &[
                    Arg::Reference(
                        "ComputerSystem".to_string(),
                        Epr {
                            resource_uri: resource_uri(self.ns(), "Msvm_ComputerSystem"),
                            selectors: vec![
                                ("CreationClassName".to_string(), "Msvm_ComputerSystem".to_string()),
                                ("Name".to_string(), guid),
                            ],
                        },
                    ),
                    Arg::Embedded("ResourceSettingData".to_string(), class.to_string(), all),
                ],
            )?;
            return Ok(());
        }
        self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "ModifyResourceSettings",
            &[Arg::Embedded(
                "ResourceSettings".to_string(),
                class.to_string(),
                all,
            )],
        )?;
        Ok(())
    }

    /// virDomainSetMemoryFlags (current, or with VIR_DOMAIN_MEM_MAXIMUM the limit).
    pub(super) fn set_memory(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_MEM_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainSetMemoryFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        let mem = s
            .first("Msvm_MemorySettingData")
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not look up memory settings"))?;
        let prop = if flags & VIR_DOMAIN_MEM_MAXIMUM != 0 {
            "Limit"
        } else {
            "VirtualQuantity"
        };
        self.modify_resource(
            "Msvm_MemorySettingData",
            mem.need("InstanceID")?,
            &[(prop, kib_to_mib(kib).to_string())],
        )
    }

    /// virDomainSetVcpusFlags.
    pub(super) fn set_vcpus(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainSetVcpusFlags",
                flags,
            ));
        }
        if n == 0 {
            return Err(Error::invalid_arg(
                VIR_FROM_HYPERV,
                "Requested vCPUs count must be positive",
            ));
        }
        let max = self.max_vcpus()?;
        if n as i64 > max as i64 {
            return Err(Error::invalid_arg(
                VIR_FROM_HYPERV,
                format!("requested vcpus is greater than max allowable vcpus for the host: {n} > {max}"),
            ));
        }
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        let cpu = s
            .first("Msvm_ProcessorSettingData")
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not look up processor settings"))?;
        self.modify_resource(
            "Msvm_ProcessorSettingData",
            cpu.need("InstanceID")?,
            &[("VirtualQuantity", n.to_string())],
        )
    }

    /// virDomainGetVcpusFlags (and the maximum: Hyper-V has one count).
    pub(super) fn vcpus(&self, dom: &DomainRef) -> Result<i32> {
        let vm = self.vm(dom)?;
        let (_, cpu) = self.mem_cpu(&vm.guid)?;
        Ok(cpu.first().and_then(|c| c.int("VirtualQuantity")).unwrap_or(0) as i32)
    }

    /// The host's VM GUIDs whose VM starts automatically.
    pub(super) fn autostart_guids(&self) -> Result<std::collections::HashSet<String>> {
        let wql = "SELECT * FROM Msvm_VirtualSystemSettingData WHERE AutomaticStartupAction = 4";
        Ok(self
            .client
            .query(self.ns(), wql)?
            .iter()
            .filter_map(|v| v.get("VirtualSystemIdentifier").or(v.get("SystemName")))
            .map(str::to_ascii_uppercase)
            .collect())
    }

    /// Whether the VM starts with the host (AutomaticStartupAction 4).
    pub(super) fn get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        self.v2_only("virDomainGetAutostart")?;
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        Ok(s.vssd.int("AutomaticStartupAction") == Some(4))
    }

    /// ModifySystemSettings of AutomaticStartupAction: 4 starts, 2 does nothing.
    pub(super) fn set_autostart(&self, dom: &DomainRef, on: bool) -> Result<()> {
        self.v2_only("virDomainSetAutostart")?;
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        self.cache.clear();
        self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "ModifySystemSettings",
            &[Arg::Embedded(
                "SystemSettings".to_string(),
                "Msvm_VirtualSystemSettingData".to_string(),
                vec![
                    ("InstanceID".to_string(), s.vssd.need("InstanceID")?.to_string()),
                    (
                        "AutomaticStartupAction".to_string(),
                        if on { "4" } else { "2" }.to_string(),
                    ),
                ],
            )],
        )?;
        Ok(())
    }

    /// The processor's limit, reservation and weight.
    pub(super) fn scheduler_params(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_TYPED_PARAM_STRING_OKAY;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainGetSchedulerParametersFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        let (_, cpu) = self.mem_cpu(&vm.guid)?;
        let cpu = cpu
            .first()
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not look up processor settings"))?;
        let n = |k: &str| cpu.int(k).unwrap_or(0);
        Ok(vec![
            TypedParam::new("limit", TypedValue::LLong(n("Limit")))?,
            TypedParam::new("reservation", TypedValue::LLong(n("Reservation")))?,
            TypedParam::new("weight", TypedValue::UInt(n("Weight").max(0) as u32))?,
        ])
    }

    /// DefineSystem with the name, then memory, vCPUs, disks and NICs; the
    /// VM is destroyed again when any step fails.
    pub(super) fn define(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        if flags & !VIR_DOMAIN_DEFINE_VALIDATE != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainDefineXMLFlags",
                flags,
            ));
        }
        self.v2_only("virDomainDefineXML")?;
        let def = domain::parse(
            xml,
            &ParseOptions {
                profile: &PROFILE,
                inactive: true,
            },
        )?;
        if def.virt_type != "hyperv" {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_INTERNAL_ERROR,
                format!("Invalid domain type '{}'; expected 'hyperv'", def.virt_type),
            ));
        }
        if self.lookup_name(&def.name).is_ok() {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_DOM_EXIST,
                format!("Domain already exists with name '{}'", def.name),
            ));
        }
        self.cache.clear();
        self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "DefineSystem",
            &[Arg::Embedded(
                "SystemSettings".to_string(),
                "Msvm_VirtualSystemSettingData".to_string(),
                vec![("ElementName".to_string(), def.name.clone())],
            )],
        )?;
        let dom = self.lookup_name(&def.name)?;
        if let Err(e) = self.configure_new(&dom, &def) {
            let _ = self.undefine(&dom, 0);
            return Err(e);
        }
        self.lookup_name(&def.name)
    }

    fn configure_new(&self, dom: &DomainRef, def: &DomainDef) -> Result<()> {
        let vm = self.vm(dom)?;
        let s = self.settings(&vm)?;
        let vssd_id = s.vssd.need("InstanceID")?.to_string();
        if def.vcpu.max > 0 {
            if let Some(cpu) = s.first("Msvm_ProcessorSettingData") {
                self.modify_resource(
                    "Msvm_ProcessorSettingData",
                    cpu.need("InstanceID")?,
                    &[("VirtualQuantity", def.vcpu.max.to_string())],
                )?;
            }
        }
        if let Some(mem) = s.first("Msvm_MemorySettingData") {
            let id = mem.need("InstanceID")?.to_string();
            if def.memory.total > 0 {
                self.modify_resource(
                    "Msvm_MemorySettingData",
                    &id,
                    &[("Limit", kib_to_mib(def.memory.total).to_string())],
                )?;
            }
            let current = if def.memory.current > 0 {
                def.memory.current
            } else {
                def.memory.total
            };
            if current > 0 {
                self.modify_resource(
                    "Msvm_MemorySettingData",
                    &id,
                    &[("VirtualQuantity", kib_to_mib(current).to_string())],
                )?;
            }
        }
        let vssd_epr = Epr {
            resource_uri: resource_uri(self.ns(), "Msvm_VirtualSystemSettingData"),
            selectors: vec![("InstanceID".to_string(), vssd_id)],
        };
        let ide: Vec<&Instance> = s
            .parts
            .iter()
            .filter(|p| p.class == "Msvm_ResourceAllocationSettingData" && p.int("ResourceType") == Some(5))
            .collect();
        for (n, disk) in def.devices.disks.iter().enumerate() {
            let Some(path) = disk.source.path.clone() else {
                continue;
            };
            let cdrom = disk.device == "cdrom";
            let controller = ide.get(n / 2).ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    "Only up to four disks on the IDE controllers are supported",
                )
            })?;
            let ctrl_id = controller.need("InstanceID")?;
            let drive = self.add_resource(
                &vssd_epr,
                "Msvm_ResourceAllocationSettingData",
                vec![
                    ("ResourceType".into(), if cdrom { "16" } else { "17" }.into()),
                    (
                        "ResourceSubType".into(),
                        if cdrom {
                            "Microsoft:Hyper-V:Synthetic DVD Drive"
                        } else {
                            "Microsoft:Hyper-V:Synthetic Disk Drive"
                        }
                        .into(),
                    ),
                    (
                        "Parent".into(),
                        object_path(self.ns(), "Msvm_ResourceAllocationSettingData", ctrl_id),
                    ),
                    ("AddressOnParent".into(), (n % 2).to_string()),
                ],
            )?;
            let drive_id = drive
                .selectors
                .iter()
                .find(|(k, _)| k == "InstanceID")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            self.add_resource(
                &vssd_epr,
                "Msvm_StorageAllocationSettingData",
                vec![
                    ("ResourceType".into(), if cdrom { "16" } else { "31" }.into()),
                    (
                        "ResourceSubType".into(),
                        if cdrom {
                            "Microsoft:Hyper-V:Virtual CD/DVD Disk"
                        } else {
                            "Microsoft:Hyper-V:Virtual Hard Disk"
                        }
                        .into(),
                    ),
                    (
                        "Parent".into(),
                        object_path(self.ns(), "Msvm_ResourceAllocationSettingData", &drive_id),
                    ),
                    ("HostResource".into(), path),
                ],
            )?;
        }
        for nic in &def.devices.interfaces {
            let switch_name = nic
                .source
                .get("bridge")
                .or(nic.source.get("network"))
                .map(str::to_string);
            let mac = nic.mac.as_ref().map(|m| m.replace(':', "").to_ascii_uppercase());
            let mut props = vec![
                ("ResourceType".to_string(), "10".to_string()),
                (
                    "ResourceSubType".into(),
                    "Microsoft:Hyper-V:Synthetic Ethernet Port".into(),
                ),
                ("ElementName".into(), "Network Adapter".into()),
                (
                    "VirtualSystemIdentifiers".into(),
                    format!("{{{}}}", guid(&crate::domain::Uuid::generate())),
                ),
            ];
            if let Some(m) = &mac {
                props.push(("StaticMacAddress".into(), "True".into()));
                props.push(("Address".into(), m.clone()));
            }
            let port = self.add_resource(&vssd_epr, "Msvm_SyntheticEthernetPortSettingData", props)?;
            if let Some(sw) = switch_name {
                let (switch_id, _) =
                    self.switches()?
                        .into_iter()
                        .find(|(_, n)| *n == sw)
                        .ok_or_else(|| {
                            Error::with(
                                VIR_FROM_HYPERV,
                                VIR_ERR_NO_NETWORK,
                                format!("Network not found: no network with matching name '{sw}'"),
                            )
                        })?;
                let port_id = port
                    .selectors
                    .iter()
                    .find(|(k, _)| k == "InstanceID")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                self.add_resource(
                    &vssd_epr,
                    "Msvm_EthernetPortAllocationSettingData",
                    vec![
                        ("ResourceType".into(), "33".into()),
                        ("ResourceSubType".into(), "Microsoft:Hyper-V:Ethernet Connection".into()),
                        ("EnabledState".into(), "2".into()),
                        ("Parent".into(), object_path(self.ns(), "Msvm_SyntheticEthernetPortSettingData", &port_id)),
                        (
                            "HostResource".into(),
                            format!("\\\\.\\{}:Msvm_VirtualEthernetSwitch.CreationClassName=\"Msvm_VirtualEthernetSwitch\",Name=\"{switch_id}\"", self.ns().replace('/', "\\")),
                        ),
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// AddResourceSettings of one embedded instance; the new setting's EPR.
    fn add_resource(&self, system: &Epr, class: &str, props: Vec<(String, String)>) -> Result<Epr> {
        let out = self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "AddResourceSettings",
            &[
                Arg::Reference("AffectedConfiguration".to_string(), system.clone()),
                Arg::Embedded("ResourceSettings".to_string(), class.to_string(), props),
            ],
        )?;
        out.references("ResultingResourceSettings")
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    "AddResourceSettings returned no resulting resource settings",
                )
            })
    }

    /// Entries libvirt's driver offers on 2012 and newer hosts only (their
    /// methods are v2's): refused on 2008 R2 as a driver without them.
    fn v2_only(&self, func: &str) -> Result<()> {
        if self.wmi == WmiVersion::V1 {
            return Err(Error::no_support(VIR_FROM_HYPERV, func));
        }
        Ok(())
    }

    /// DestroySystem.
    pub(super) fn undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.v2_only("virDomainUndefine")?;
        let known = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            | VIR_DOMAIN_UNDEFINE_NVRAM
            | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainUndefineFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if vm.is_active() {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_OPERATION_INVALID,
                "Domain is active, cannot undefine it",
            ));
        }
        self.cache.clear();
        self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "DestroySystem",
            &[Arg::Reference(
                "AffectedSystem".to_string(),
                Epr {
                    resource_uri: resource_uri(self.ns(), "Msvm_ComputerSystem"),
                    selectors: vec![
                        ("CreationClassName".to_string(), "Msvm_ComputerSystem".to_string()),
                        ("Name".to_string(), vm.guid.clone()),
                    ],
                },
            )],
        )?;
        Ok(())
    }

    /// The processor count a VM may have at most.
    pub(super) fn max_vcpus(&self) -> Result<i32> {
        let wql =
            "SELECT * FROM Msvm_ProcessorSettingData WHERE InstanceID LIKE 'Microsoft:Definition%Maximum'";
        let inst = self
            .client
            .query(self.ns(), wql)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    "Could not get maximum definition of Msvm_ProcessorSettingData",
                )
            })?;
        Ok(inst.int("VirtualQuantity").unwrap_or(0) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_goes_to_even_mib() {
        assert_eq!(kib_to_mib(1024), 2);
        assert_eq!(kib_to_mib(2048), 2);
        assert_eq!(kib_to_mib(2049), 4);
        assert_eq!(kib_to_mib(512 * 1024), 512);
    }

    #[test]
    fn paths_round_trip() {
        let p = object_path("root/virtualization/v2", "Msvm_X", "Microsoft:A\\B");
        assert_eq!(path_instance_id(&p).as_deref(), Some("Microsoft:A\\B"));
        assert_eq!(disk_target("hd", 0), "hda");
        assert_eq!(disk_target("sd", 27), "sdab");
    }
}
