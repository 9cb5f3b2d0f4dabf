//! The smaller sections of a network: `<vlan>`, `<virtualport>`,
//! `<bandwidth>`, `<dns>` and `<route>`, each kept as libvirt keeps it and
//! written in libvirt's attribute order.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// Copies the attributes of `el` named in `order`, in that order.
fn ordered(el: &Element, order: &[&str]) -> Vec<(String, String)> {
    order
        .iter()
        .filter_map(|k| el.attr(k).map(|v| (k.to_string(), v.to_string())))
        .collect()
}

/// Borrowed attribute pairs for [`Writer`].
fn pairs(attrs: &[(String, String)]) -> Vec<(&str, &str)> {
    attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `<vlan>`: tags and trunking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vlan {
    /// `trunk='yes'` as given.
    pub trunk: bool,
    /// `<tag id nativeMode>` entries.
    pub tags: Vec<(String, Option<String>)>,
}

impl Vlan {
    /// Reads `<vlan>`.
    pub fn parse(el: &Element) -> Vlan {
        Vlan {
            trunk: el.attr("trunk") == Some("yes"),
            tags: el
                .children_named("tag")
                .filter_map(|t| {
                    t.attr("id")
                        .map(|id| (id.to_string(), t.attr("nativeMode").map(str::to_string)))
                })
                .collect(),
        }
    }

    /// Writes `<vlan>`.
    pub fn write(&self, w: &mut Writer) {
        let attrs: &[(&str, &str)] = if self.trunk { &[("trunk", "yes")] } else { &[] };
        w.open("vlan", attrs);
        for (id, native) in &self.tags {
            let mut a = vec![("id", id.as_str())];
            if let Some(n) = native {
                a.push(("nativeMode", n.as_str()));
            }
            w.empty("tag", &a);
        }
        w.close("vlan");
    }
}

/// `<virtualport>`: a type and its `<parameters>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VirtualPort {
    /// `type`.
    pub kind: Option<String>,
    /// `<parameters>` attributes in libvirt's order.
    pub params: Vec<(String, String)>,
}

const VPORT_PARAMS: &[&str] = &[
    "managerid",
    "typeid",
    "typeidversion",
    "instanceid",
    "interfaceid",
    "profileid",
];

impl VirtualPort {
    /// Reads `<virtualport>`.
    pub fn parse(el: &Element) -> VirtualPort {
        VirtualPort {
            kind: el.attr("type").map(str::to_string),
            params: el
                .child("parameters")
                .map(|p| ordered(p, VPORT_PARAMS))
                .unwrap_or_default(),
        }
    }

    /// Writes `<virtualport>`.
    pub fn write(&self, w: &mut Writer) {
        let mut a = Vec::new();
        if let Some(k) = &self.kind {
            a.push(("type", k.as_str()));
        }
        if self.params.is_empty() {
            w.empty("virtualport", &a);
            return;
        }
        w.open("virtualport", &a);
        w.empty("parameters", &pairs(&self.params));
        w.close("virtualport");
    }
}

/// `<bandwidth>`: inbound and outbound rates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bandwidth {
    /// `<inbound>` attributes.
    pub inbound: Option<Vec<(String, String)>>,
    /// `<outbound>` attributes.
    pub outbound: Option<Vec<(String, String)>>,
}

const RATE_ATTRS: &[&str] = &["average", "peak", "floor", "burst"];

impl Bandwidth {
    /// Reads `<bandwidth>`; a network has no use for `floor`, which libvirt refuses.
    pub fn parse(el: &Element) -> Result<Bandwidth> {
        let rate = |tag: &str| el.child(tag).map(|r| ordered(r, RATE_ATTRS));
        let bw = Bandwidth {
            inbound: rate("inbound"),
            outbound: rate("outbound"),
        };
        if bw.inbound.iter().flatten().any(|(k, _)| k == "floor") {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "floor attribute is not supported for this config",
            ));
        }
        Ok(bw)
    }

    /// Writes `<bandwidth>`.
    pub fn write(&self, w: &mut Writer) {
        w.open("bandwidth", &[]);
        for (tag, rate) in [("inbound", &self.inbound), ("outbound", &self.outbound)] {
            if let Some(r) = rate {
                w.empty(tag, &pairs(r));
            }
        }
        w.close("bandwidth");
    }
}

/// `<dns>`: forwarders, TXT, SRV and host records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dns {
    /// `enable` and `forwardPlainNames`, as given.
    pub attrs: Vec<(String, String)>,
    /// `<forwarder domain addr>` entries.
    pub forwarders: Vec<Vec<(String, String)>>,
    /// `<txt name value>` entries.
    pub txts: Vec<Vec<(String, String)>>,
    /// `<srv>` entries.
    pub srvs: Vec<Vec<(String, String)>>,
    /// `<host ip>` entries with their host names.
    pub hosts: Vec<(String, Vec<String>)>,
}

impl Dns {
    /// Reads `<dns>`.
    pub fn parse(el: &Element) -> Dns {
        let all = |tag: &str, order: &[&str]| el.children_named(tag).map(|e| ordered(e, order)).collect();
        Dns {
            attrs: ordered(el, &["enable", "forwardPlainNames"]),
            forwarders: all("forwarder", &["domain", "addr"]),
            txts: all("txt", &["name", "value"]),
            srvs: all(
                "srv",
                &[
                    "service", "protocol", "domain", "target", "port", "priority", "weight",
                ],
            ),
            hosts: el
                .children_named("host")
                .map(|h| {
                    let names = h.children_named("hostname").map(Element::text).collect();
                    (h.attr("ip").unwrap_or_default().to_string(), names)
                })
                .collect(),
        }
    }

    /// Whether libvirt would leave the element out.
    pub fn is_empty(&self) -> bool {
        *self == Dns::default()
    }

    /// Writes `<dns>`.
    pub fn write(&self, w: &mut Writer) {
        let attrs = pairs(&self.attrs);
        if self.forwarders.is_empty() && self.txts.is_empty() && self.srvs.is_empty() && self.hosts.is_empty()
        {
            w.empty("dns", &attrs);
            return;
        }
        w.open("dns", &attrs);
        for (tag, list) in [
            ("forwarder", &self.forwarders),
            ("txt", &self.txts),
            ("srv", &self.srvs),
        ] {
            for a in list {
                w.empty(tag, &pairs(a));
            }
        }
        for (ip, names) in &self.hosts {
            w.open("host", &[("ip", ip)]);
            for n in names {
                w.text("hostname", &[], n);
            }
            w.close("host");
        }
        w.close("dns");
    }
}

/// `<route>` attributes in libvirt's order.
pub fn parse_route(el: &Element) -> Vec<(String, String)> {
    ordered(
        el,
        &["family", "address", "netmask", "prefix", "gateway", "metric"],
    )
}

/// Writes one `<route>`.
pub fn write_route(w: &mut Writer, attrs: &[(String, String)]) {
    w.empty("route", &pairs(attrs));
}
