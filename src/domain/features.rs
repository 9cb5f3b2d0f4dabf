//! `<features>`: hypervisor features, kept in libvirt's feature order.

use std::collections::BTreeMap;

use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

/// Feature names in the order libvirt formats them.
const FEATURES: &[&str] = &[
    "acpi",
    "apic",
    "pae",
    "hap",
    "viridian",
    "privnet",
    "hyperv",
    "kvm",
    "pvspinlock",
    "capabilities",
    "pmu",
    "vmport",
    "gic",
    "smm",
    "ioapic",
    "hpt",
    "vmcoreinfo",
    "htm",
    "nested-hv",
    "msrs",
    "ccf-assist",
    "xen",
    "cfpc",
    "sbbc",
    "ibs",
    "tcg",
];

const HYPERV: &[&str] = &[
    "relaxed",
    "vapic",
    "spinlocks",
    "vpindex",
    "runtime",
    "synic",
    "stimer",
    "reset",
    "vendor_id",
    "frequencies",
    "reenlightenment",
    "tlbflush",
    "ipi",
    "evmcs",
    "avic",
];

const KVM: &[&str] = &["hidden", "hint-dedicated", "poll-control", "pv-ipi", "dirty-ring"];

const XEN: &[&str] = &["e820_host", "passthrough"];

const CAPS: &[&str] = &[
    "audit_control",
    "audit_write",
    "block_suspend",
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "ipc_lock",
    "ipc_owner",
    "kill",
    "lease",
    "linux_immutable",
    "mac_admin",
    "mac_override",
    "mknod",
    "net_admin",
    "net_bind_service",
    "net_broadcast",
    "net_raw",
    "setgid",
    "setfcap",
    "setpcap",
    "setuid",
    "sys_admin",
    "sys_boot",
    "sys_chroot",
    "sys_module",
    "sys_nice",
    "sys_pacct",
    "sys_ptrace",
    "sys_rawio",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "syslog",
    "wake_alarm",
];

/// One Hyper-V enlightenment.
#[derive(Debug, Clone, PartialEq)]
pub struct HypervFeature {
    /// `state='on'`.
    pub on: bool,
    /// `spinlocks retries=` (only when on).
    pub retries: Option<u32>,
    /// `vendor_id value=` (only when on).
    pub value: Option<String>,
    /// `stimer/direct state='on'`.
    pub direct: bool,
}

/// A parsed feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// `<acpi/>`, `<pae/>`, `<viridian/>`, `<privnet/>`.
    Present,
    /// `<apic eoi=.../>`.
    Apic {
        /// `eoi` on/off.
        eoi: Option<bool>,
    },
    /// Features with a `state` on/off.
    State(bool),
    /// `<smm state=...>` with its TSEG size in bytes.
    Smm {
        /// on/off.
        on: bool,
        /// `<tseg>` in bytes.
        tseg: Option<u64>,
    },
    /// `<gic version=.../>`.
    Gic(Option<String>),
    /// `<ioapic driver=.../>`.
    Ioapic(String),
    /// `<hpt resizing=...>` and `<maxpagesize>` in KiB.
    Hpt {
        /// `resizing`.
        resizing: Option<String>,
        /// `<maxpagesize>` in KiB.
        maxpagesize: Option<u64>,
    },
    /// `<msrs unknown=.../>`.
    Msrs(String),
    /// `<cfpc value=...>`, `<sbbc>`, `<ibs>`.
    Value(String),
    /// `<tcg><tb-cache>` in KiB.
    Tcg(u64),
    /// `<hyperv mode=...>` and its enlightenments by index.
    Hyperv {
        /// `custom` or `passthrough`.
        mode: String,
        /// Enlightenments keyed by libvirt's order.
        features: BTreeMap<usize, HypervFeature>,
    },
    /// `<kvm>` children keyed by order: (on, dirty-ring size).
    Kvm(BTreeMap<usize, (bool, Option<u32>)>),
    /// `<xen>` children keyed by order: (on, passthrough mode).
    Xen(BTreeMap<usize, (bool, Option<String>)>),
    /// `<capabilities policy=...>` and per-capability states by order.
    Capabilities {
        /// `default`, `allow` or `deny`.
        policy: String,
        /// Capability index -> on.
        caps: BTreeMap<usize, bool>,
    },
}

/// The `<features>` element: features keyed by libvirt's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Feature index (into libvirt's list) -> value.
    pub items: BTreeMap<usize, Feature>,
}

impl Features {
    /// The value of a feature by name.
    pub fn get(&self, name: &str) -> Option<&Feature> {
        let i = FEATURES.iter().position(|f| *f == name)?;
        self.items.get(&i)
    }

    /// Sets a feature by name (for native-format converters).
    pub fn set(&mut self, name: &str, value: Feature) {
        if let Some(i) = FEATURES.iter().position(|f| *f == name) {
            self.items.insert(i, value);
        }
    }

    /// Whether an on/off or presence feature is on.
    pub fn is_on(&self, name: &str) -> bool {
        matches!(
            self.get(name),
            Some(Feature::Present)
                | Some(Feature::State(true))
                | Some(Feature::Apic { .. })
                | Some(Feature::Smm { on: true, .. })
        )
    }
}

fn state_or_on(el: &Element) -> Result<bool> {
    Ok(prop_on_off(el, "state", false)?.unwrap_or(true))
}

/// Reads `<features>`.
pub fn parse(el: &Element) -> Result<Features> {
    let mut f = Features::default();
    for node in el.elements() {
        let idx = FEATURES
            .iter()
            .position(|n| *n == node.name)
            .ok_or_else(|| unsupported(format!("unexpected feature '{}'", node.name)))?;
        let name = FEATURES[idx];
        let value = match name {
            "acpi" | "pae" | "viridian" | "privnet" => Some(Feature::Present),
            "apic" => Some(Feature::Apic {
                eoi: prop_on_off(node, "eoi", false)?,
            }),
            "hap" | "pmu" | "pvspinlock" | "vmport" => Some(Feature::State(state_or_on(node)?)),
            "vmcoreinfo" => Some(Feature::State(state_or_on(node)?)),
            "htm" | "nested-hv" | "ccf-assist" => {
                Some(Feature::State(prop_on_off(node, "state", true)?.unwrap_or(true)))
            }
            "smm" => {
                let on = state_or_on(node)?;
                let mut tseg = None;
                if on {
                    if let Some(t) = node.child("tseg") {
                        let text = t.text();
                        if !text.is_empty() {
                            let v = parse_ullp(&text).ok_or_else(|| {
                                prop_error(format!(
                                    "Invalid value '{text}' for element or attribute 'string(./features/smm/tseg)'"
                                ))
                            })?;
                            tseg = Some(scale_integer(v, t.attr("unit"), 1024 * 1024, u64::MAX)?);
                        }
                    }
                }
                Some(Feature::Smm { on, tseg })
            }
            "gic" => Some(Feature::Gic(
                prop_enum_str(node, "version", &["host", "2", "3"], false)?.map(str::to_string),
            )),
            "ioapic" => prop_enum_str(node, "driver", &["kvm", "qemu"], false)?
                .map(|d| Feature::Ioapic(d.to_string())),
            "hpt" => {
                let resizing = prop_enum_str(node, "resizing", &["enabled", "disabled", "required"], false)?
                    .map(str::to_string);
                let maxpagesize = match node.child("maxpagesize") {
                    Some(m) => parse_memory_text(m, "./features/hpt/maxpagesize")?.filter(|v| *v != 0),
                    None => None,
                };
                (resizing.is_some() || maxpagesize.is_some()).then_some(Feature::Hpt {
                    resizing,
                    maxpagesize,
                })
            }
            "msrs" => Some(Feature::Msrs(
                prop_enum_str(node, "unknown", &["ignore", "fault"], true)?
                    .unwrap_or_default()
                    .to_string(),
            )),
            "cfpc" => prop_enum_str(node, "value", &["broken", "workaround", "fixed"], false)?
                .map(|v| Feature::Value(v.to_string())),
            "sbbc" => prop_enum_str(node, "value", &["broken", "workaround", "fixed"], false)?
                .map(|v| Feature::Value(v.to_string())),
            "ibs" => prop_enum_str(
                node,
                "value",
                &["broken", "workaround", "fixed-ibs", "fixed-ccd", "fixed-na"],
                false,
            )?
            .map(|v| Feature::Value(v.to_string())),
            "tcg" => match node.child("tb-cache") {
                Some(t) => parse_memory_text(t, "./features/tcg/tb-cache")?
                    .filter(|v| *v != 0)
                    .map(Feature::Tcg),
                None => None,
            },
            "hyperv" => Some(parse_hyperv(node)?),
            "kvm" => Some(parse_kvm(node)?),
            "xen" => Some(parse_xen(node)?),
            "capabilities" => {
                let policy = prop_enum_str(node, "policy", &["default", "allow", "deny"], false)?;
                let mut caps = BTreeMap::new();
                for c in node.elements() {
                    let ci = CAPS
                        .iter()
                        .position(|n| *n == c.name)
                        .ok_or_else(|| unsupported(format!("unexpected capability feature '{}'", c.name)))?;
                    caps.insert(ci, state_or_on(c)?);
                }
                if policy.is_none_or(|p| p == "default") && caps.is_empty() {
                    None
                } else {
                    Some(Feature::Capabilities {
                        policy: policy.unwrap_or("default").to_string(),
                        caps,
                    })
                }
            }
            _ => None,
        };
        match value {
            Some(v) => {
                f.items.insert(idx, v);
            }
            None => {
                f.items.remove(&idx);
            }
        }
    }
    Ok(f)
}

fn parse_hyperv(node: &Element) -> Result<Feature> {
    let mode = prop_enum_str(node, "mode", &["custom", "passthrough"], false)?.unwrap_or("custom");
    let mut features = BTreeMap::new();
    for c in node.elements() {
        let i = HYPERV
            .iter()
            .position(|n| *n == c.name)
            .ok_or_else(|| unsupported(format!("unsupported HyperV Enlightenment feature: {}", c.name)))?;
        let on = prop_on_off(c, "state", true)?.unwrap_or(false);
        let mut hf = HypervFeature {
            on,
            retries: None,
            value: None,
            direct: false,
        };
        match HYPERV[i] {
            "stimer" if on => {
                for d in c.elements() {
                    if d.name != "direct" {
                        return Err(unsupported(format!(
                            "unsupported Hyper-V stimer feature: {}",
                            d.name
                        )));
                    }
                    hf.direct = prop_on_off(d, "state", true)?.unwrap_or(false);
                }
            }
            "spinlocks" if on => {
                let r = prop_u32(c, "retries", true, false)?.unwrap_or(0);
                if r < 0xfff {
                    return Err(xml_error("HyperV spinlock retry count must be at least 4095"));
                }
                hf.retries = Some(r);
            }
            "vendor_id" if on => {
                let v = c
                    .attr("value")
                    .ok_or_else(|| xml_error("missing 'value' attribute for HyperV feature 'vendor_id'"))?;
                if v.len() > 12 {
                    return Err(xml_error(
                        "HyperV vendor_id value must not be more than 12 characters.",
                    ));
                }
                if v.contains(',') {
                    return Err(xml_error("HyperV vendor_id value is invalid"));
                }
                hf.value = Some(v.to_string());
            }
            _ => {}
        }
        features.insert(i, hf);
    }
    Ok(Feature::Hyperv {
        mode: mode.to_string(),
        features,
    })
}

fn parse_kvm(node: &Element) -> Result<Feature> {
    let mut m = BTreeMap::new();
    for c in node.elements() {
        let i = KVM
            .iter()
            .position(|n| *n == c.name)
            .ok_or_else(|| unsupported(format!("unsupported KVM feature: {}", c.name)))?;
        let on = prop_on_off(c, "state", true)?.unwrap_or(false);
        let mut size = None;
        if KVM[i] == "dirty-ring" && on {
            let s = prop_u32(c, "size", true, false)?.unwrap_or(0);
            if !s.is_power_of_two() || !(1024..=65536).contains(&s) {
                return Err(xml_error(
                    "dirty ring must be power of 2 and ranges [1024, 65536]",
                ));
            }
            size = Some(s);
        }
        m.insert(i, (on, size));
    }
    Ok(Feature::Kvm(m))
}

fn parse_xen(node: &Element) -> Result<Feature> {
    let mut m = BTreeMap::new();
    for c in node.elements() {
        let i = XEN
            .iter()
            .position(|n| *n == c.name)
            .ok_or_else(|| unsupported(format!("unsupported Xen feature: {}", c.name)))?;
        let on = prop_on_off(c, "state", true)?.unwrap_or(false);
        let mut mode = None;
        if XEN[i] == "passthrough" && on {
            mode = prop_enum_str(c, "mode", &["sync_pt", "share_pt"], false)?.map(str::to_string);
        }
        m.insert(i, (on, mode));
    }
    Ok(Feature::Xen(m))
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `virFormatIntPretty`: the largest binary unit dividing `bytes` exactly.
pub(crate) fn pretty_size(bytes: u64) -> (u64, &'static str) {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes;
    let mut u = 0;
    while v != 0 && v.is_multiple_of(1024) && u < UNITS.len() - 1 {
        v /= 1024;
        u += 1;
    }
    (v, UNITS[u])
}

/// Writes `<features>` (nothing when there are none).
pub fn format(f: &Features, w: &mut Writer) {
    if f.items.is_empty() {
        return;
    }
    w.open("features", &[]);
    for (i, v) in &f.items {
        let name = FEATURES[*i];
        match v {
            Feature::Present => w.empty(name, &[]),
            Feature::Apic { eoi } => match eoi {
                Some(e) => w.empty(name, &[("eoi", on_off(*e))]),
                None => w.empty(name, &[]),
            },
            Feature::State(on) => w.empty(name, &[("state", on_off(*on))]),
            Feature::Smm { on, tseg } => match tseg {
                Some(t) if *on => {
                    w.open(name, &[("state", "on")]);
                    let (v, u) = pretty_size(*t);
                    w.text("tseg", &[("unit", u)], &v.to_string());
                    w.close(name);
                }
                _ => w.empty(name, &[("state", on_off(*on))]),
            },
            Feature::Gic(version) => match version {
                Some(v) => w.empty(name, &[("version", v)]),
                None => w.empty(name, &[]),
            },
            Feature::Ioapic(d) => w.empty(name, &[("driver", d)]),
            Feature::Hpt {
                resizing,
                maxpagesize,
            } => {
                let attrs: Vec<(&str, &str)> = resizing.iter().map(|r| ("resizing", r.as_str())).collect();
                match maxpagesize {
                    Some(m) => {
                        w.open(name, &attrs);
                        w.text("maxpagesize", &[("unit", "KiB")], &m.to_string());
                        w.close(name);
                    }
                    None => w.empty(name, &attrs),
                }
            }
            Feature::Msrs(u) => w.empty(name, &[("unknown", u)]),
            Feature::Value(v) => w.empty(name, &[("value", v)]),
            Feature::Tcg(kib) => {
                w.open(name, &[]);
                w.text("tb-cache", &[("unit", "KiB")], &kib.to_string());
                w.close(name);
            }
            Feature::Hyperv { mode, features } => {
                w.open(name, &[("mode", mode)]);
                for (j, hf) in features {
                    let hname = HYPERV[*j];
                    let retries = hf.retries.map(|r| r.to_string());
                    let mut attrs = vec![("state", on_off(hf.on))];
                    if let (true, Some(r)) = (hf.on, &retries) {
                        attrs.push(("retries", r));
                    }
                    if let (true, Some(v)) = (hf.on, &hf.value) {
                        attrs.push(("value", v));
                    }
                    if hname == "stimer" && hf.on && hf.direct {
                        w.open(hname, &attrs);
                        w.empty("direct", &[("state", "on")]);
                        w.close(hname);
                    } else {
                        w.empty(hname, &attrs);
                    }
                }
                w.close(name);
            }
            Feature::Kvm(m) => {
                w.open(name, &[]);
                for (j, (on, size)) in m {
                    let size = size.map(|s| s.to_string());
                    let mut attrs = vec![("state", on_off(*on))];
                    if let (true, Some(s)) = (*on, &size) {
                        attrs.push(("size", s));
                    }
                    w.empty(KVM[*j], &attrs);
                }
                w.close(name);
            }
            Feature::Xen(m) => {
                w.open(name, &[]);
                for (j, (on, mode)) in m {
                    let mut attrs = vec![("state", on_off(*on))];
                    if let Some(md) = mode {
                        attrs.push(("mode", md));
                    }
                    w.empty(XEN[*j], &attrs);
                }
                w.close(name);
            }
            Feature::Capabilities { policy, caps } => {
                if caps.is_empty() {
                    w.empty(name, &[("policy", policy)]);
                } else {
                    w.open(name, &[("policy", policy)]);
                    for (j, on) in caps {
                        w.empty(CAPS[*j], &[("state", on_off(*on))]);
                    }
                    w.close(name);
                }
            }
        }
    }
    w.close("features");
}
