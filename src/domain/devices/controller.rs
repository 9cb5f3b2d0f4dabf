//! `<controller>`: every controller type with its models, driver options,
//! PCI targets; plus libvirt's ordering of controllers and the implicit
//! controllers it adds for disks, virtio-serial ports and smartcards.

use super::address::*;
use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;

/// Controller types, in libvirt's enumeration order (`ide` is the zero).
pub const TYPES: &[&str] = &[
    "ide",
    "fdc",
    "scsi",
    "sata",
    "virtio-serial",
    "ccid",
    "usb",
    "pci",
    "xenbus",
    "isa",
];

/// libvirt's SCSI controller model names, in its enumeration order.
pub const SCSI_MODELS: &[&str] = &[
    "auto",
    "buslogic",
    "lsilogic",
    "lsisas1068",
    "vmpvscsi",
    "ibmvscsi",
    "virtio-scsi",
    "lsisas1078",
    "virtio-transitional",
    "virtio-non-transitional",
    "ncr53c90",
    "am53c974",
    "dc390",
];

fn models(kind: &str) -> &'static [&'static str] {
    match kind {
        "scsi" => SCSI_MODELS,
        "usb" => &[
            "piix3-uhci",
            "piix4-uhci",
            "ehci",
            "ich9-ehci1",
            "ich9-uhci1",
            "ich9-uhci2",
            "ich9-uhci3",
            "vt82c686b-uhci",
            "pci-ohci",
            "nec-xhci",
            "qusb1",
            "qusb2",
            "qemu-xhci",
            "none",
        ],
        "pci" => &[
            "pci-root",
            "pcie-root",
            "pci-bridge",
            "dmi-to-pci-bridge",
            "pcie-root-port",
            "pcie-switch-upstream-port",
            "pcie-switch-downstream-port",
            "pci-expander-bus",
            "pcie-expander-bus",
            "pcie-to-pci-bridge",
        ],
        "ide" => &["piix3", "piix4", "ich6"],
        "virtio-serial" => &["virtio", "virtio-transitional", "virtio-non-transitional"],
        "isa" => &[],
        _ => &[],
    }
}

const PCI_MODEL_NAMES: &[&str] = &[
    "none",
    "pci-bridge",
    "i82801b11-bridge",
    "ioh3420",
    "x3130-upstream",
    "xio3130-downstream",
    "pxb",
    "pxb-pcie",
    "pcie-root-port",
    "spapr-pci-host-bridge",
    "pcie-pci-bridge",
];

/// The virtio options libvirt accepts on the `<driver>` of virtio devices.
pub const VIRTIO_OPTIONS: &[(&str, Kind)] = &[
    ("iommu", Kind::OnOff),
    ("ats", Kind::OnOff),
    ("packed", Kind::OnOff),
    ("page_per_vq", Kind::OnOff),
];

const DRIVER_ATTRS: &[(&str, Kind)] = &[
    ("queues", Kind::Uint(10)),
    ("cmd_per_lun", Kind::Uint(10)),
    ("max_sectors", Kind::Uint(10)),
    ("ioeventfd", Kind::OnOff),
    ("iothread", Kind::Uint(10)),
    ("iommu", Kind::OnOff),
    ("ats", Kind::OnOff),
    ("packed", Kind::OnOff),
    ("page_per_vq", Kind::OnOff),
];

/// A `<controller>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controller {
    /// `type`.
    pub kind: String,
    /// `index` (None until libvirt assigns the first unused one).
    pub index: Option<i32>,
    /// `model`.
    pub model: Option<String>,
    /// Type-specific attributes (`ports`, `vectors`, `maxGrantFrames`, ...).
    pub attrs: Attrs,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// `<model name=...>` of PCI controllers.
    pub model_name: Option<String>,
    /// `<target>` attributes of PCI controllers.
    pub target: Attrs,
    /// `<target><node>`.
    pub target_node: Option<u32>,
    /// `<pcihole64>` in KiB.
    pub pcihole64: Option<u64>,
    /// Address, alias, USB master.
    pub info: DeviceInfo,
}

fn int_nonneg(el: &Element, name: &str) -> crate::error::Result<Option<i32>> {
    match el.attr(name) {
        None => Ok(None),
        Some(v) => match to_int(v, 10) {
            None => Err(bad_value(el, name, v, " Expected integer value")),
            Some(n) if n < 0 => Err(bad_value(el, name, v, " Expected non-negative value")),
            Some(n) => Ok(Some(n)),
        },
    }
}

fn int_any(el: &Element, name: &str, base: u32) -> crate::error::Result<Option<String>> {
    match el.attr(name) {
        None => Ok(None),
        Some(v) => match to_int(v, base) {
            None => Err(bad_value(el, name, v, " Expected integer value")),
            Some(n) => Ok(Some(n.to_string())),
        },
    }
}

/// Reads a `<controller>`.
pub fn parse(el: &Element) -> Result<Controller> {
    let kind = prop_enum(el, "type", TYPES, false)?.unwrap_or_else(|| "ide".into());
    let mut c = Controller {
        index: int_nonneg(el, "index")?,
        ..Default::default()
    };
    if let Some(m) = el.attr("model") {
        if !models(&kind).contains(&m) {
            return Err(unsupported(format!("Unknown model type '{m}'")));
        }
        c.model = Some(m.to_string());
    }
    if let Some(d) = el.child("driver") {
        c.driver = Attrs::read(d, DRIVER_ATTRS)?;
    }
    match kind.as_str() {
        "virtio-serial" => {
            if let Some(p) = int_nonneg(el, "ports")? {
                c.attrs.set("ports", p.to_string());
            }
            if let Some(p) = int_nonneg(el, "vectors")? {
                c.attrs.set("vectors", p.to_string());
            }
        }
        "usb" => {
            if let Some(p) = int_nonneg(el, "ports")? {
                c.attrs.set("ports", p.to_string());
            }
        }
        "xenbus" => {
            let a = Attrs::read(
                el,
                &[("maxGrantFrames", Kind::Int), ("maxEventChannels", Kind::Int)],
            )?;
            for (k, v) in &a.0 {
                if v.starts_with('-') {
                    return Err(bad_value(
                        el,
                        k,
                        el.attr(k).unwrap_or(""),
                        " Expected non-negative value",
                    ));
                }
            }
            c.attrs = a;
        }
        "pci" => {
            for name in ["model", "target"] {
                if el.children_named(name).count() > 1 {
                    return Err(dom_xml_err(format!(
                        "Multiple <{name}> elements in controller definition not allowed"
                    )));
                }
            }
            if let Some(m) = el.child("model") {
                c.model_name = prop_enum(m, "name", PCI_MODEL_NAMES, true)?;
            }
            if let Some(t) = el.child("target") {
                for (name, base) in [("chassisNr", 10), ("chassis", 10), ("port", 0), ("busNr", 10)] {
                    if let Some(v) = int_any(t, name, base)? {
                        if v.starts_with('-') {
                            return Err(bad_value(
                                t,
                                name,
                                t.attr(name).unwrap_or(""),
                                " Expected non-negative value",
                            ));
                        }
                        c.target.set(name, v);
                    }
                }
                if let Some(v) = prop_onoff(t, "hotplug")? {
                    c.target.set("hotplug", onoff(v));
                }
                if let Some(v) = int_any(t, "index", 10)? {
                    c.target.set("index", v);
                }
                if let Some(n) = t.child("node") {
                    let txt = n.text();
                    c.target_node = Some(
                        to_uint(&txt, 10)
                            .ok_or_else(|| dom_xml_err(format!("invalid NUMA node in target: '{txt}'")))?,
                    );
                }
            }
            if let Some(h) = el.child("pcihole64").filter(|e| !e.text().trim().is_empty()) {
                c.pcihole64 = Some(super::scaled_kib(h)?);
            }
        }
        _ => {}
    }
    c.kind = kind;
    c.info = parse_info(el, INFO_PLAIN)?;
    // ICH9 UHCI companions know their slot under the EHCI master even
    // without <master>.
    if c.info.master_startport.is_none() {
        c.info.master_startport = match c.model.as_deref() {
            Some("ich9-uhci1") => Some(0),
            Some("ich9-uhci2") => Some(2),
            Some("ich9-uhci3") => Some(4),
            _ => None,
        };
    }
    Ok(c)
}

/// Writes a `<controller>`.
pub fn format(c: &Controller) -> Out<'_> {
    let mut o = Out::new("controller");
    o.a("type", &c.kind).o("index", c.index);
    o.o("model", c.model.as_ref());
    c.attrs.write_to(&mut o);
    if let Some(n) = &c.model_name {
        let mut x = Out::new("model");
        x.a("name", n);
        o.push(x);
    }
    if !c.target.is_empty() || c.target_node.is_some() {
        let mut x = Out::new("target");
        for name in ["chassisNr", "chassis", "port", "busNr", "index", "hotplug"] {
            if let Some(v) = c.target.get(name) {
                if name == "port" {
                    let n: i64 = v.parse().unwrap_or(0);
                    x.a(name, format!("0x{n:x}"));
                } else {
                    x.a(name, v);
                }
            }
        }
        x.t("node", c.target_node);
        o.push(x);
    }
    if let Some(h) = c.pcihole64 {
        let mut x = Out::text("pcihole64", h.to_string());
        x.a("unit", "KiB");
        o.push(x);
    }
    if !c.driver.is_empty() {
        let mut x = Out::new("driver");
        c.driver.write_to(&mut x);
        o.push(x);
    }
    format_info(&mut o, &c.info);
    o
}

/// Inserts a parsed controller where libvirt keeps it: among those of the
/// same type, ordered by index; otherwise at the end.
pub fn insert_sorted(list: &mut Vec<Controller>, c: Controller) {
    let mut at: Option<usize> = None;
    let new_idx = c.index.unwrap_or(-1);
    for i in (0..list.len()).rev() {
        let cur = &list[i];
        if cur.kind != c.kind {
            continue;
        }
        if new_idx == -1 {
            at = Some(i + 1);
            break;
        }
        let cur_idx = cur.index.unwrap_or(-1);
        if cur_idx > new_idx {
            at = Some(i);
        } else if c.info.master_startport.is_none()
            && cur.info.master_startport.is_some()
            && cur_idx == new_idx
        {
            // A USB master goes before its companions.
            at = Some(i);
        } else if at.is_none() {
            at = Some(i + 1);
        }
    }
    match at {
        Some(i) => list.insert(i, c),
        None => list.push(c),
    }
}

/// Gives controllers without an index the first index unused by their type.
pub fn assign_indexes(list: &mut [Controller]) {
    for i in 0..list.len() {
        if list[i].index.is_some() {
            continue;
        }
        let kind = list[i].kind.clone();
        let mut n = 0;
        while list.iter().any(|c| c.kind == kind && c.index == Some(n)) {
            n += 1;
        }
        list[i].index = Some(n);
    }
}

/// Appends a controller of `kind` with `index` unless one exists.
pub fn ensure(list: &mut Vec<Controller>, kind: &str, index: i32) {
    if list.iter().any(|c| c.kind == kind && c.index == Some(index)) {
        return;
    }
    list.push(Controller {
        kind: kind.to_string(),
        index: Some(index),
        ..Default::default()
    });
}

/// Checks that ICH9 UHCI companions have their EHCI master.
pub fn assign_usb_masters(list: &mut [Controller]) -> Result<()> {
    for i in 0..list.len() {
        if !matches!(
            list[i].model.as_deref(),
            Some("ich9-uhci1") | Some("ich9-uhci2") | Some("ich9-uhci3")
        ) {
            continue;
        }
        let idx = list[i].index;
        let has_master = list
            .iter()
            .any(|c| c.kind == "usb" && c.index == idx && c.model.as_deref() == Some("ich9-ehci1"));
        if !has_master {
            return Err(crate::error::Error::with(
                crate::abi::VIR_FROM_DOMAIN,
                crate::abi::VIR_ERR_XML_DETAIL,
                "No master USB controller specified",
            ));
        }
    }
    Ok(())
}
