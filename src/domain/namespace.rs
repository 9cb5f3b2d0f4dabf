//! Drivers' own XML namespaces inside `<domain>`: the test driver's
//! `<test:runstate>` and friends (read, never written), the Xen driver's
//! `<xen:commandline>` and VMware's `<vmware:datacenterpath>`.

use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// A driver namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// `http://libvirt.org/schemas/domain/test/1.0`.
    Test,
    /// `http://libvirt.org/schemas/domain/xen/1.0`.
    Xen,
    /// `http://libvirt.org/schemas/domain/vmware/1.0`.
    Vmware,
}

impl Namespace {
    /// The namespace URI.
    pub fn uri(self) -> &'static str {
        match self {
            Namespace::Test => "http://libvirt.org/schemas/domain/test/1.0",
            Namespace::Xen => "http://libvirt.org/schemas/domain/xen/1.0",
            Namespace::Vmware => "http://libvirt.org/schemas/domain/vmware/1.0",
        }
    }

    /// The prefix libvirt writes.
    pub fn prefix(self) -> &'static str {
        match self {
            Namespace::Test => "test",
            Namespace::Xen => "xen",
            Namespace::Vmware => "vmware",
        }
    }

    /// The `xmlns:prefix` attribute for the root element.
    pub fn declaration(self) -> (String, &'static str) {
        (format!("xmlns:{}", self.prefix()), self.uri())
    }
}

/// What a driver namespace contributed.
#[derive(Debug, Clone, PartialEq)]
pub enum NamespaceData {
    /// The test driver's state hints for node files.
    Test {
        /// `<test:runstate>` (a `virDomainState`, default running).
        runstate: u32,
        /// `<test:transient/>`.
        transient: bool,
        /// `<test:hasmanagedsave/>`.
        has_managed_save: bool,
        /// `<test:domainsnapshot>`s: snapshots the domain starts with,
        /// as `<domainsnapshot>` elements.
        snapshots: Vec<Element>,
    },
    /// `<xen:commandline><xen:arg value=.../>`.
    Xen(Vec<String>),
    /// `<vmware:datacenterpath>`.
    Vmware(String),
}

impl NamespaceData {
    /// The namespace this data belongs to.
    pub fn namespace(&self) -> Namespace {
        match self {
            NamespaceData::Test { .. } => Namespace::Test,
            NamespaceData::Xen(_) => Namespace::Xen,
            NamespaceData::Vmware(_) => Namespace::Vmware,
        }
    }
}

/// The root's children in namespace `ns` with local name `local`.
fn children_in<'a>(
    root: &'a Element,
    ns: Namespace,
    local: &'a str,
) -> impl Iterator<Item = &'a Element> + 'a {
    root.elements().filter(move |c| in_ns(root, c, ns, local))
}

fn in_ns(parent: &Element, el: &Element, ns: Namespace, local: &str) -> bool {
    let Some((prefix, name)) = el.name.split_once(':') else {
        return false;
    };
    let key = format!("xmlns:{prefix}");
    name == local && el.attr(&key).or_else(|| parent.attr(&key)) == Some(ns.uri())
}

fn test_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_TEST, VIR_ERR_XML_ERROR, detail)
}

/// Reads the namespace's elements from the document element.
pub fn parse(ns: Namespace, root: &Element) -> Result<Option<NamespaceData>> {
    match ns {
        Namespace::Test => {
            let transient = children_in(root, ns, "transient").next().is_some();
            let has_managed_save = children_in(root, ns, "hasmanagedsave").next().is_some();
            let mut runstate = 1;
            if let Some(r) = children_in(root, ns, "runstate").next() {
                let t = r.text();
                if !t.is_empty() {
                    let v = parse_ui(&t).ok_or_else(|| test_error("invalid runstate"))?;
                    if v >= 8 {
                        return Err(test_error(format!("runstate '{v}' out of range'")));
                    }
                    runstate = v;
                }
            }
            if transient && runstate == 5 {
                return Err(test_error("transient domain cannot have runstate 'shutoff'"));
            }
            if has_managed_save && runstate != 5 {
                return Err(test_error(
                    "domain with managedsave data can only have runstate 'shutoff'",
                ));
            }
            let snapshots = children_in(root, ns, "domainsnapshot")
                .map(|s| Element {
                    name: "domainsnapshot".into(),
                    ..s.clone()
                })
                .collect();
            Ok(Some(NamespaceData::Test {
                runstate,
                transient,
                has_managed_save,
                snapshots,
            }))
        }
        Namespace::Xen => {
            let mut args = Vec::new();
            for cl in children_in(root, ns, "commandline") {
                for a in cl
                    .elements()
                    .filter(|a| in_ns(cl, a, ns, "arg") || in_ns(root, a, ns, "arg"))
                {
                    let v = a
                        .attr("value")
                        .ok_or_else(|| xml_error("No device model command-line argument specified"))?;
                    args.push(v.to_string());
                }
            }
            Ok((!args.is_empty()).then_some(NamespaceData::Xen(args)))
        }
        Namespace::Vmware => Ok(children_in(root, ns, "datacenterpath")
            .next()
            .map(Element::text)
            .filter(|t| !t.is_empty())
            .map(NamespaceData::Vmware)),
    }
}

/// Writes the namespace's elements (the test namespace writes none).
pub fn format(data: &NamespaceData, w: &mut Writer) {
    match data {
        NamespaceData::Test { .. } => {}
        NamespaceData::Xen(args) => {
            w.open("xen:commandline", &[]);
            for a in args {
                w.empty("xen:arg", &[("value", a)]);
            }
            w.close("xen:commandline");
        }
        NamespaceData::Vmware(path) => w.text("vmware:datacenterpath", &[], path),
    }
}
