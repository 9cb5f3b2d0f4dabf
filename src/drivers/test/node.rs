//! The test driver's host: libvirt's built-in default, or a node file.

use super::domains::{self, DomainObj};
use super::moments::Listing;
use crate::abi::*;
use crate::caps::{Capabilities, Cell, CellCpu, Guest, GuestFeature, Host, SecModel};
use crate::domain::snapshot::{self, SnapshotParseOptions};
use crate::domain::{NamespaceData, ParseOptions, Profile};
use crate::driver::NodeInfo;
use crate::error::{Error, Result};
use crate::interface::InterfaceDef;
use crate::network::NetworkDef;
use crate::storage::{volume_formats, PoolDef, VolumeDef};
use crate::xml::dom::{self, Element};

/// One `<user>` of a node file's `<auth>`: name and optional password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Password; None means any password (none is asked).
    pub password: Option<String>,
}

/// The host a test connection pretends to be.
#[derive(Debug, Clone)]
pub struct Node {
    /// What virNodeGetInfo reports.
    pub info: NodeInfo,
    /// NUMA cells shown in the capabilities (node files have none).
    pub cells: Vec<Cell>,
    /// Users who may log in; empty means no authentication.
    pub users: Vec<User>,
    /// The node file's domains and the state each starts in.
    pub domains: Vec<(DomainObj, i32)>,
    /// The node file's networks.
    pub networks: Vec<NetworkDef>,
    /// The node file's host interfaces.
    pub interfaces: Vec<InterfaceDef>,
    /// The node file's pools, each with the volumes given inside it.
    pub pools: Vec<(PoolDef, Vec<VolumeDef>)>,
}

/// A `<network>`, `<interface>`, `<pool>` or `<volume>` of a node file: inline, or in the
/// file its `file` attribute names (relative to the node file).
fn inline_or_file(el: &Element, dir: &std::path::Path) -> Result<Element> {
    match el.attr("file") {
        Some(file) => read_document(&dir.join(file).to_string_lossy()),
        None => Ok(el.clone()),
    }
}

/// A node file's `<pool>` and the `<volume>` elements inside it.
fn load_pool(el: &Element, dir: &std::path::Path) -> Result<(PoolDef, Vec<VolumeDef>)> {
    let pool_el = inline_or_file(el, dir)?;
    let def = PoolDef::from_element(&pool_el)?;
    let mut vols = Vec::new();
    for v in pool_el.children_named("volume") {
        let formats = volume_formats(&def.pool_type);
        vols.push(VolumeDef::from_element(&inline_or_file(v, dir)?, formats)?);
    }
    Ok((def, vols))
}

/// A node file's `<domain>`: its definition and `<test:...>` settings
/// (runstate, transient, hasmanagedsave, the snapshots it starts with).
fn load_domain(el: &Element) -> Result<(DomainObj, i32)> {
    let mut def = domains::parse_def(&el.to_xml())?;
    let (state, transient, managed_save, snapshots) = match def.namespace.take() {
        Some(NamespaceData::Test {
            runstate,
            transient,
            has_managed_save,
            snapshots,
        }) => (runstate as i32, transient, has_managed_save, snapshots),
        _ => (VIR_DOMAIN_RUNNING, false, false, Vec::new()),
    };
    let name = def.name.clone();
    let mut obj = DomainObj::new(def, !transient);
    obj.managed_save = managed_save;
    for el in &snapshots {
        let snap = snapshot::parse_snapshot(
            &el.to_xml(),
            &SnapshotParseOptions {
                domain: ParseOptions {
                    profile: &Profile::TEST,
                    inactive: true,
                },
                redefine: true,
                disks: true,
                internal: true,
                now: 0,
            },
        )?;
        if obj.snapshots.contains(&snap.name) {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_FAILED,
                format!("domain moment {} already exists", snap.name),
            ));
        }
        if snap.active == Some(true) {
            if obj.snapshots.current().is_some() {
                return Err(Error::internal(
                    VIR_FROM_TEST,
                    "more than one snapshot claims to be active",
                ));
            }
            obj.snapshots.set_current(Some(snap.name.clone()));
        }
        obj.snapshots.put(snap);
    }
    let orphan = obj.snapshots.list(None, Listing::default(), |s| {
        s.parent.as_deref().is_some_and(|p| !obj.snapshots.contains(p))
    })?;
    if !orphan.is_empty() {
        return Err(Error::internal(
            VIR_FROM_TEST,
            format!("Snapshots have inconsistent relations for domain {name}"),
        ));
    }
    Ok((obj, state))
}

impl Node {
    /// libvirt's built-in `test:///default` host.
    pub fn builtin() -> Node {
        Node {
            info: NodeInfo {
                model: "i686".into(),
                memory: 3 * 1024 * 1024,
                cpus: 16,
                mhz: 1400,
                nodes: 2,
                sockets: 2,
                cores: 2,
                threads: 2,
            },
            cells: vec![
                builtin_cell(0, 2 * 1024 * 1024, 4),
                builtin_cell(1, 4 * 1024 * 1024, 8),
            ],
            users: Vec::new(),
            domains: Vec::new(),
            networks: Vec::new(),
            interfaces: Vec::new(),
            pools: Vec::new(),
        }
    }

    /// A node file: the built-in host overridden by the file's `<cpu>`,
    /// `<memory>` and `<auth>`.
    pub fn from_element(root: &Element) -> Result<Node> {
        if root.name != "node" {
            return Err(Error::with(
                VIR_FROM_XML,
                VIR_ERR_XML_ERROR,
                format!("expecting root element of 'node', not '{}'", root.name),
            ));
        }
        let mut node = Node::builtin();
        node.cells.clear();
        if let Some(cpu) = root.child("cpu") {
            let info = &mut node.info;
            for (field, slot) in [
                ("nodes", &mut info.nodes),
                ("sockets", &mut info.sockets),
                ("cores", &mut info.cores),
                ("threads", &mut info.threads),
            ] {
                if let Some(v) = number(cpu, field, "cpu ")? {
                    *slot = v as u32;
                }
            }
            info.cpus = info.nodes * info.sockets * info.cores * info.threads;
            if let Some(active) = number(cpu, "active", "cpu ")? {
                info.cpus = info.cpus.min(active as u32);
            }
            if let Some(mhz) = number(cpu, "mhz", "cpu ")? {
                info.mhz = mhz as u32;
            }
            if let Some(model) = cpu.child_text("model") {
                // virNodeInfo's model field holds 31 bytes and a NUL.
                if model.len() >= 32 {
                    return Err(Error::internal(
                        VIR_FROM_TEST,
                        format!("Model {model} too big for destination"),
                    ));
                }
                info.model = model;
            }
        }
        if let Some(kib) = number(root, "memory", "")? {
            node.info.memory = kib;
        }
        if let Some(auth) = root.child("auth") {
            for user in auth.children_named("user") {
                node.users.push(User {
                    name: user.text(),
                    password: user.attr("password").map(str::to_string),
                });
            }
        }
        Ok(node)
    }

    /// Reads a node file; `<domain file='...'/>` references are relative to it.
    pub fn load(path: &str) -> Result<Node> {
        let root = read_document(path)?;
        let mut node = Node::from_element(&root)?;
        let dir = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new("/"));
        for el in root.children_named("domain") {
            let loaded = match el.attr("file") {
                Some(file) => {
                    let full = dir.join(file);
                    load_domain(&read_document(&full.to_string_lossy())?)?
                }
                None => load_domain(el)?,
            };
            node.domains.push(loaded);
        }
        for el in root.children_named("network") {
            node.networks
                .push(NetworkDef::from_element(&inline_or_file(el, dir)?)?);
        }
        for el in root.children_named("interface") {
            node.interfaces
                .push(InterfaceDef::from_element(&inline_or_file(el, dir)?)?);
        }
        for el in root.children_named("pool") {
            node.pools.push(load_pool(el, dir)?);
        }
        Ok(node)
    }

    /// The capabilities document of this host.
    pub fn capabilities(&self) -> Capabilities {
        let guest = |os: &str| Guest {
            os_type: os.into(),
            arch: "i686".into(),
            wordsize: 32,
            emulator: Some("/usr/bin/test-hv".into()),
            domains: vec!["test".into()],
            features: vec![GuestFeature::flag("pae"), GuestFeature::flag("nonpae")],
            ..Guest::default()
        };
        Capabilities {
            host: Host {
                arch: "i686".into(),
                arch_features: vec!["pae".into(), "nonpae".into()],
                page_sizes: vec![4, 8, 2048, 1048576],
                iommu: Some(false),
                cells: Some(self.cells.clone()),
                secmodels: vec![SecModel {
                    model: "testSecurity".into(),
                    doi: String::new(),
                    baselabels: vec![],
                }],
                ..Host::default()
            },
            guests: vec![guest("hvm"), guest("xen")],
        }
    }
}

fn builtin_cell(id: u32, memory: u64, small_page: u64) -> Cell {
    let first = id * 8;
    Cell {
        id,
        memory,
        pages: vec![(small_page, 524288), (2048, 0), (1048576, 0)],
        cpus: (first..first + 8)
            .map(|c| CellCpu {
                id: c,
                socket_id: id,
                die_id: 0,
                core_id: c - first,
                siblings: c.to_string(),
            })
            .collect(),
    }
}

/// Reads and parses one XML file of a node configuration.
fn read_document(path: &str) -> Result<Element> {
    let parse_failed = || {
        Error::with(
            VIR_FROM_TEST,
            VIR_ERR_XML_ERROR,
            format!("failed to parse xml document '{path}'"),
        )
    };
    let text = std::fs::read(path).map_err(|_| parse_failed())?;
    let text = String::from_utf8(text).map_err(|_| parse_failed())?;
    dom::parse(&text).map_err(|e| Error::with(VIR_FROM_TEST, VIR_ERR_XML_DETAIL, e.detail(path)))
}

/// A non-negative decimal child value; libvirt's "invalid node ... value" otherwise.
fn number(parent: &Element, field: &str, what: &str) -> Result<Option<u64>> {
    let Some(text) = parent.child_text(field) else {
        return Ok(None);
    };
    text.parse::<u64>()
        .ok()
        .filter(|v| field == "memory" || *v <= u32::MAX as u64)
        .map(Some)
        .ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_XML_ERROR,
                format!("invalid node {what}{field} value"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(xml: &str) -> Result<Node> {
        Node::from_element(&dom::parse(xml).unwrap())
    }

    #[test]
    fn node_files_override_the_builtin_host() {
        let n =
            node("<node><cpu><mhz>3000</mhz><active>7</active></cpu><memory>2048</memory></node>").unwrap();
        assert_eq!(
            (n.info.mhz, n.info.cpus, n.info.memory, n.info.nodes),
            (3000, 7, 2048, 2)
        );
        let n = node("<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>1</cores><threads>1</threads><active>100</active></cpu></node>").unwrap();
        assert_eq!(n.info.cpus, 1);
        assert!(n.cells.is_empty());
    }

    #[test]
    fn bad_values_are_xml_errors() {
        let e = node("<node><cpu><mhz> 5 </mhz></cpu></node>").unwrap_err();
        assert_eq!(e.message, "XML error: invalid node cpu mhz value");
        assert_eq!((e.code, e.domain), (VIR_ERR_XML_ERROR, VIR_FROM_TEST));
        assert_eq!(
            node("<node><memory>x</memory></node>").unwrap_err().message,
            "XML error: invalid node memory value"
        );
        assert_eq!(
            node("<node><cpu><nodes>-1</nodes></cpu></node>")
                .unwrap_err()
                .message,
            "XML error: invalid node cpu nodes value"
        );
        let e = node("<nodex/>").unwrap_err();
        assert_eq!(
            e.message,
            "XML error: expecting root element of 'node', not 'nodex'"
        );
        assert_eq!(e.domain, VIR_FROM_XML);
        let e = node("<node><cpu><model>01234567890123456789012345678901</model></cpu></node>").unwrap_err();
        assert_eq!(
            e.message,
            "internal error: Model 01234567890123456789012345678901 too big for destination"
        );
    }

    #[test]
    fn auth_users_are_read() {
        let n =
            node("<node><auth><user password='secret'>alice</user><user>bob</user></auth></node>").unwrap();
        assert_eq!(
            n.users[0],
            User {
                name: "alice".into(),
                password: Some("secret".into())
            }
        );
        assert_eq!(n.users[1].password, None);
    }
}
