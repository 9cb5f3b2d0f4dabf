//! libvirt's domain XML: the model every driver and native-format converter
//! shares.  [`parse`] reads a document into a [`DomainDef`] (with libvirt's
//! defaults and checks), [`format`] writes it back exactly as libvirt 9.0
//! formats it.  No I/O here.

pub mod devices;
mod uuid;

pub use uuid::{fill_random, Uuid};

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::Writer;

/// What a driver contributes to parsing: the defaults libvirt takes from the
/// driver's capabilities and XML options.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Architecture filled into `<os><type arch=...>` when absent.
    pub default_arch: &'static str,
    /// First three bytes of generated MAC addresses.
    pub mac_prefix: [u8; 3],
}

impl Profile {
    /// The test driver's (libvirt's test capabilities: i686; MACs 52:54:00).
    pub const TEST: Profile = Profile {
        default_arch: "i686",
        mac_prefix: [0x52, 0x54, 0x00],
    };
}

/// How to parse.
#[derive(Debug, Clone)]
pub struct ParseOptions<'a> {
    /// Driver defaults.
    pub profile: &'a Profile,
    /// Ignore runtime-only state (a definition, not a running domain's status).
    pub inactive: bool,
}

/// How to format (the `VIR_DOMAIN_XML_*` flags and the runtime id).
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    /// The id of a running domain (`<domain id=...>`); None when inactive.
    pub id: Option<i32>,
    /// `VIR_DOMAIN_XML_SECURE`: include passwords.
    pub secure: bool,
    /// `VIR_DOMAIN_XML_INACTIVE`: the persistent definition only.
    pub inactive: bool,
    /// `VIR_DOMAIN_XML_UPDATE_CPU`.
    pub update_cpu: bool,
    /// `VIR_DOMAIN_XML_MIGRATABLE`.
    pub migratable: bool,
}

/// `<memory>`, `<currentMemory>` and `<maxMemory>`, in KiB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// `<memory>`: the maximum the guest may balloon to.
    pub total: u64,
    /// `<currentMemory>`.
    pub current: u64,
    /// `<maxMemory slots=...>` for hotplug: (KiB, slots).
    pub max: Option<(u64, u32)>,
}

/// `<vcpu>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vcpu {
    /// Maximum vCPUs.
    pub max: u32,
    /// Online vCPUs when fewer than the maximum.
    pub current: Option<u32>,
    /// `placement` attribute.
    pub placement: Option<String>,
    /// `cpuset` attribute.
    pub cpuset: Option<String>,
}

/// `<os>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Os {
    /// `hvm`, `xen`, `linux`, `exe`.
    pub os_type: String,
    /// `arch` attribute.
    pub arch: Option<String>,
    /// `machine` attribute.
    pub machine: Option<String>,
    /// `<boot dev=...>` in order.
    pub boot: Vec<String>,
}

/// A domain definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainDef {
    /// `<domain type=...>`.
    pub virt_type: String,
    /// `<name>`.
    pub name: String,
    /// `<uuid>` (generated when absent).
    pub uuid: Uuid,
    /// `<title>`.
    pub title: Option<String>,
    /// `<description>`.
    pub description: Option<String>,
    /// Memory sizes.
    pub memory: Memory,
    /// vCPUs.
    pub vcpu: Vcpu,
    /// Guest OS and boot.
    pub os: Os,
    /// `<on_poweroff>`.
    pub on_poweroff: String,
    /// `<on_reboot>`.
    pub on_reboot: String,
    /// `<on_crash>`.
    pub on_crash: String,
    /// `<devices>`.
    pub devices: devices::Devices,
}

fn xml_error(domain: i32, detail: impl AsRef<str>) -> Error {
    Error::with(domain, VIR_ERR_XML_ERROR, detail)
}

fn scaled_kib(el: &Element, what: &str) -> Result<u64> {
    let text = el.text();
    let value: u64 = text.trim().parse().map_err(|_| {
        xml_error(
            VIR_FROM_XML,
            format!(
                "Invalid value '{}' for element or attribute './{what}[1]'",
                text.trim()
            ),
        )
    })?;
    let factor: u64 = match el.attr("unit").unwrap_or("KiB") {
        "b" | "bytes" => return Ok(value.div_ceil(1024)),
        "KB" => return Ok((value * 1000).div_ceil(1024)),
        "k" | "KiB" => 1,
        "MB" => return Ok((value * 1_000_000).div_ceil(1024)),
        "M" | "MiB" => 1024,
        "GB" => return Ok((value * 1_000_000_000).div_ceil(1024)),
        "G" | "GiB" => 1024 * 1024,
        "T" | "TiB" => 1024 * 1024 * 1024,
        unit => return Err(xml_error(VIR_FROM_NONE, format!("unknown suffix '{unit}'"))),
    };
    Ok(value * factor)
}

/// Reads a domain document.
pub fn parse(xml: &str, opts: &ParseOptions) -> Result<DomainDef> {
    let root = dom::parse(xml).map_err(|e| {
        Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_XML_DETAIL,
            e.detail("(domain_definition)"),
        )
    })?;
    if root.name != "domain" {
        return Err(xml_error(
            VIR_FROM_XML,
            format!("expecting root element of 'domain', not '{}'", root.name),
        ));
    }
    let virt_type = root
        .attr("type")
        .ok_or_else(|| Error::internal(VIR_FROM_DOMAIN, "missing domain type attribute"))?
        .to_string();
    let name = root
        .child_text("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::new(VIR_FROM_DOMAIN, VIR_ERR_NO_NAME, None))?;
    let uuid = match root.child_text("uuid") {
        Some(text) => {
            Uuid::parse(&text).ok_or_else(|| Error::internal(VIR_FROM_DOMAIN, "malformed uuid element"))?
        }
        None => Uuid::generate(),
    };
    let total = root
        .child("memory")
        .map(|m| scaled_kib(m, "memory"))
        .transpose()?
        .ok_or_else(|| {
            xml_error(
                VIR_FROM_DOMAIN,
                "Memory size must be specified via <memory> or in the <numa> configuration",
            )
        })?;
    let current = root
        .child("currentMemory")
        .map(|m| scaled_kib(m, "currentMemory"))
        .transpose()?;
    let vcpu = match root.child("vcpu") {
        Some(v) => Vcpu {
            max: v
                .text()
                .trim()
                .parse()
                .map_err(|_| xml_error(VIR_FROM_DOMAIN, "maximum vcpus count must be an integer"))?,
            current: v.attr("current").map(|c| c.parse().unwrap_or(0)),
            placement: Some(v.attr("placement").unwrap_or("static").to_string()),
            cpuset: v.attr("cpuset").map(str::to_string),
        },
        None => Vcpu {
            max: 1,
            current: None,
            placement: Some("static".into()),
            cpuset: None,
        },
    };
    let os_el = root.child("os");
    let type_el = os_el.and_then(|o| o.child("type"));
    let os_type = type_el.map(Element::text).unwrap_or_default();
    let mut os = Os {
        os_type,
        arch: type_el.and_then(|t| t.attr("arch")).map(str::to_string),
        machine: type_el.and_then(|t| t.attr("machine")).map(str::to_string),
        boot: os_el
            .map(|o| {
                o.children_named("boot")
                    .filter_map(|b| b.attr("dev").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    };
    if os.arch.is_none() {
        os.arch = Some(opts.profile.default_arch.to_string());
    }
    if os.os_type == "hvm" && os.boot.is_empty() {
        os.boot.push("hd".into());
    }
    let lifecycle = |name: &str, default: &str| root.child_text(name).unwrap_or_else(|| default.to_string());
    let devices = match root.child("devices") {
        Some(d) => devices::parse(d, opts)?,
        None => devices::Devices::default(),
    };
    let def = DomainDef {
        virt_type,
        name,
        uuid,
        title: root.child_text("title"),
        description: root.child_text("description"),
        memory: Memory {
            total,
            current: current.unwrap_or(total).min(total),
            max: None,
        },
        vcpu,
        os,
        on_poweroff: lifecycle("on_poweroff", "destroy"),
        on_reboot: lifecycle("on_reboot", "restart"),
        on_crash: lifecycle("on_crash", "destroy"),
        devices,
    };
    if let Some(cur) = def.vcpu.current {
        if cur > def.vcpu.max {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "maximum vCPU count must not be less than current vCPU count",
            ));
        }
    }
    Ok(def)
}

/// Writes a domain document as libvirt formats it.
pub fn format(def: &DomainDef, opts: &FormatOptions) -> String {
    let mut w = Writer::new();
    let id = opts.id.filter(|_| !opts.inactive).map(|i| i.to_string());
    let mut attrs = vec![("type", def.virt_type.as_str())];
    if let Some(id) = &id {
        attrs.push(("id", id));
    }
    w.open("domain", &attrs);
    w.text("name", &[], &def.name);
    w.text("uuid", &[], &def.uuid.to_string());
    if let Some(t) = &def.title {
        w.text("title", &[], t);
    }
    if let Some(d) = &def.description {
        w.text("description", &[], d);
    }
    w.text("memory", &[("unit", "KiB")], &def.memory.total.to_string());
    w.text(
        "currentMemory",
        &[("unit", "KiB")],
        &def.memory.current.to_string(),
    );
    let mut vattrs = Vec::new();
    if let Some(p) = &def.vcpu.placement {
        vattrs.push(("placement", p.as_str()));
    }
    let current = def
        .vcpu
        .current
        .filter(|c| *c != def.vcpu.max)
        .map(|c| c.to_string());
    if let Some(c) = &current {
        vattrs.push(("current", c.as_str()));
    }
    w.text("vcpu", &vattrs, &def.vcpu.max.to_string());
    w.open("os", &[]);
    let mut tattrs = Vec::new();
    if let Some(a) = &def.os.arch {
        tattrs.push(("arch", a.as_str()));
    }
    if let Some(m) = &def.os.machine {
        tattrs.push(("machine", m.as_str()));
    }
    w.text("type", &tattrs, &def.os.os_type);
    for b in &def.os.boot {
        w.empty("boot", &[("dev", b)]);
    }
    w.close("os");
    w.empty("clock", &[("offset", "utc")]);
    w.text("on_poweroff", &[], &def.on_poweroff);
    w.text("on_reboot", &[], &def.on_reboot);
    w.text("on_crash", &[], &def.on_crash);
    devices::format(&def.devices, &mut w, opts);
    w.close("domain");
    w.finish()
}
