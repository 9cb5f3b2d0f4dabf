//! The capabilities document of `virConnectGetCapabilities`: what the host
//! is and which guests it can run, formatted as libvirt formats it.

use crate::xml::Writer;

/// A host and the guests it supports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capabilities {
    /// The host.
    pub host: Host,
    /// Guest kinds, in order.
    pub guests: Vec<Guest>,
}

/// The `<host>` element.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Host {
    /// Host UUID, when known.
    pub uuid: Option<String>,
    /// CPU architecture (`x86_64`, `i686`, ...).
    pub arch: String,
    /// CPU model name, when known.
    pub cpu_model: Option<String>,
    /// CPU vendor, when known.
    pub cpu_vendor: Option<String>,
    /// CPU topology (sockets, dies, cores, threads), when known.
    pub cpu_topology: Option<(u32, u32, u32, u32)>,
    /// Named CPU features (`<feature name='...'/>`).
    pub cpu_features: Vec<String>,
    /// Architecture flags listed under `<features>` (`pae`, `nonpae`, ...).
    pub arch_features: Vec<String>,
    /// Supported memory page sizes in KiB.
    pub page_sizes: Vec<u64>,
    /// Supported suspend targets (`suspend_mem`, ...); empty gives `<power_management/>`.
    pub power_management: Vec<String>,
    /// IOMMU support, when reported.
    pub iommu: Option<bool>,
    /// Migration support, when any.
    pub migration: Option<Migration>,
    /// NUMA cells; `None` omits `<topology>`.
    pub cells: Option<Vec<Cell>>,
    /// Security models.
    pub secmodels: Vec<SecModel>,
}

/// `<migration_features>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migration {
    /// Live migration possible.
    pub live: bool,
    /// URI transports accepted.
    pub transports: Vec<String>,
}

/// One NUMA cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// Cell number.
    pub id: u32,
    /// Memory in KiB.
    pub memory: u64,
    /// (page size KiB, page count) pairs.
    pub pages: Vec<(u64, u64)>,
    /// CPUs of the cell.
    pub cpus: Vec<CellCpu>,
}

/// One CPU of a NUMA cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellCpu {
    /// CPU number.
    pub id: u32,
    /// Socket.
    pub socket_id: u32,
    /// Die.
    pub die_id: u32,
    /// Core.
    pub core_id: u32,
    /// Sibling CPUs, as libvirt's list text (`0-1`, `3`).
    pub siblings: String,
}

/// A security model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecModel {
    /// Model name.
    pub model: String,
    /// Domain of interpretation.
    pub doi: String,
    /// (virt type, base label) pairs.
    pub baselabels: Vec<(String, String)>,
}

/// One `<guest>`: an OS type on an architecture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guest {
    /// `hvm`, `xen`, `exe`, ...
    pub os_type: String,
    /// Architecture name.
    pub arch: String,
    /// Word size in bits.
    pub wordsize: u32,
    /// Default emulator.
    pub emulator: Option<String>,
    /// Default loader.
    pub loader: Option<String>,
    /// Machine types (name, canonical name).
    pub machines: Vec<(String, Option<String>)>,
    /// Domain types (`<domain type='...'/>`).
    pub domains: Vec<String>,
    /// Guest features.
    pub features: Vec<GuestFeature>,
}

/// A guest feature: `<pae/>`, or `<acpi default='on' toggle='yes'/>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestFeature {
    /// Element name.
    pub name: String,
    /// (default on, toggle) when the feature is switchable.
    pub toggle: Option<(bool, bool)>,
}

impl GuestFeature {
    /// A plain feature flag.
    pub fn flag(name: &str) -> Self {
        GuestFeature {
            name: name.to_string(),
            toggle: None,
        }
    }
}

fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn yesno(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

impl Capabilities {
    /// The XML document, as libvirt formats it.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new();
        w.open("capabilities", &[]);
        w.blank();
        self.host.write(&mut w);
        for g in &self.guests {
            w.blank();
            g.write(&mut w);
        }
        w.blank();
        w.close("capabilities");
        w.finish()
    }
}

impl Host {
    fn write(&self, w: &mut Writer) {
        w.open("host", &[]);
        if let Some(uuid) = &self.uuid {
            w.text("uuid", &[], uuid);
        }
        w.open("cpu", &[]);
        w.text("arch", &[], &self.arch);
        if let Some(model) = &self.cpu_model {
            w.text("model", &[], model);
        }
        if let Some(vendor) = &self.cpu_vendor {
            w.text("vendor", &[], vendor);
        }
        if let Some((s, d, c, t)) = self.cpu_topology {
            let (s, d, c, t) = (s.to_string(), d.to_string(), c.to_string(), t.to_string());
            w.empty(
                "topology",
                &[("sockets", &s), ("dies", &d), ("cores", &c), ("threads", &t)],
            );
        }
        for f in &self.cpu_features {
            w.empty("feature", &[("name", f)]);
        }
        if !self.arch_features.is_empty() {
            w.open("features", &[]);
            for f in &self.arch_features {
                w.empty(f, &[]);
            }
            w.close("features");
        }
        for size in &self.page_sizes {
            w.empty("pages", &[("unit", "KiB"), ("size", &size.to_string())]);
        }
        w.close("cpu");
        if self.power_management.is_empty() {
            w.empty("power_management", &[]);
        } else {
            w.open("power_management", &[]);
            for p in &self.power_management {
                w.empty(p, &[]);
            }
            w.close("power_management");
        }
        if let Some(iommu) = self.iommu {
            w.empty("iommu", &[("support", yesno(iommu))]);
        }
        if let Some(m) = &self.migration {
            w.open("migration_features", &[]);
            if m.live {
                w.empty("live", &[]);
            }
            if !m.transports.is_empty() {
                w.open("uri_transports", &[]);
                for t in &m.transports {
                    w.text("uri_transport", &[], t);
                }
                w.close("uri_transports");
            }
            w.close("migration_features");
        }
        if let Some(cells) = &self.cells {
            w.open("topology", &[]);
            w.open("cells", &[("num", &cells.len().to_string())]);
            for cell in cells {
                cell.write(w);
            }
            w.close("cells");
            w.close("topology");
        }
        for sm in &self.secmodels {
            w.open("secmodel", &[]);
            w.text("model", &[], &sm.model);
            w.text("doi", &[], &sm.doi);
            for (ty, label) in &sm.baselabels {
                w.text("baselabel", &[("type", ty)], label);
            }
            w.close("secmodel");
        }
        w.close("host");
    }
}

impl Cell {
    fn write(&self, w: &mut Writer) {
        w.open("cell", &[("id", &self.id.to_string())]);
        w.text("memory", &[("unit", "KiB")], &self.memory.to_string());
        for (size, count) in &self.pages {
            w.text(
                "pages",
                &[("unit", "KiB"), ("size", &size.to_string())],
                &count.to_string(),
            );
        }
        w.open("cpus", &[("num", &self.cpus.len().to_string())]);
        for c in &self.cpus {
            w.empty(
                "cpu",
                &[
                    ("id", &c.id.to_string()),
                    ("socket_id", &c.socket_id.to_string()),
                    ("die_id", &c.die_id.to_string()),
                    ("core_id", &c.core_id.to_string()),
                    ("siblings", &c.siblings),
                ],
            );
        }
        w.close("cpus");
        w.close("cell");
    }
}

impl Guest {
    fn write(&self, w: &mut Writer) {
        w.open("guest", &[]);
        w.text("os_type", &[], &self.os_type);
        w.open("arch", &[("name", &self.arch)]);
        w.text("wordsize", &[], &self.wordsize.to_string());
        if let Some(e) = &self.emulator {
            w.text("emulator", &[], e);
        }
        if let Some(l) = &self.loader {
            w.text("loader", &[], l);
        }
        for (name, canonical) in &self.machines {
            match canonical {
                Some(c) => w.text("machine", &[("canonical", c)], name),
                None => w.text("machine", &[], name),
            }
        }
        for d in &self.domains {
            w.empty("domain", &[("type", d)]);
        }
        w.close("arch");
        if !self.features.is_empty() {
            w.open("features", &[]);
            for f in &self.features {
                match f.toggle {
                    Some((default, toggle)) => {
                        w.empty(&f.name, &[("default", onoff(default)), ("toggle", yesno(toggle))])
                    }
                    None => w.empty(&f.name, &[]),
                }
            }
            w.close("features");
        }
        w.close("guest");
    }
}
