//! Finding the host a connection works with: the only one of an ESX server,
//! or the one a vpx:// URI's path names (`datacenter[/cluster]/server`), with
//! its datacenter, compute resource and resource pool.  One retrieval walks
//! the inventory from the root folder to the hosts.

use std::collections::HashMap;

use super::soap::MoRef;
use super::vi::{object_spec, prop_spec, traversal, ObjectContent, Session};
use crate::abi::*;
use crate::error::{Error, Result};

/// The host of a connection and where it lives.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The host.
    pub host: MoRef,
    /// The host's inventory name.
    pub host_name: String,
    /// The compute resource's root resource pool.
    pub resource_pool: Option<MoRef>,
    /// The datacenter's path below the root folder (`dc1`, `folder/dc1`).
    pub datacenter_path: String,
    /// The datacenter's VM folder.
    pub vm_folder: Option<MoRef>,
    /// The host's inventory path (`dc/cluster/host`), as vpx:// URIs name it.
    pub path: String,
}

struct Node {
    name: String,
    parent: Option<MoRef>,
}

/// Walks the inventory and picks the host `path` names (`""` for an ESX
/// server: its only host).
pub fn locate(session: &Session, path: &str) -> Result<Placement> {
    let specs = inventory_specs(session);
    let objects = session.retrieve(&specs)?;
    pick(&objects, &session.content.root_folder, path)
}

/// Where the host `host` of `session`'s inventory is.
pub fn locate_host(session: &Session, host: &MoRef) -> Result<Placement> {
    let objects = session.retrieve(&inventory_specs(session))?;
    candidates(&objects, &session.content.root_folder)
        .into_iter()
        .map(|(_, placement, _)| placement)
        .find(|p| p.host == *host)
        .ok_or_else(|| {
            Error::internal(
                VIR_FROM_ESX,
                format!("Could not find host system '{}' in the inventory", host.value),
            )
        })
}

/// Every host with its placement: (compute resource path, placement, the
/// number of hosts of its compute resource).
fn candidates(objects: &[ObjectContent], root: &MoRef) -> Vec<(String, Placement, usize)> {
    let nodes: HashMap<&MoRef, Node> = objects
        .iter()
        .map(|o| {
            (
                &o.obj,
                Node {
                    name: super::vi::unescape_name(&o.text("name").unwrap_or_default()),
                    parent: o.moref("parent", None),
                },
            )
        })
        .collect();
    // The names from `top` down to `obj` (exclusive of `top`).
    let path_below = |obj: &MoRef, top: &MoRef| -> Option<String> {
        let mut parts = Vec::new();
        let mut cur = obj.clone();
        for _ in 0..64 {
            if cur == *top {
                parts.reverse();
                return Some(parts.join("/"));
            }
            let node = nodes.get(&cur)?;
            parts.push(node.name.clone());
            cur = node.parent.clone()?;
        }
        None
    };
    let hosts: Vec<&ObjectContent> = objects.iter().filter(|o| o.obj.kind == "HostSystem").collect();
    let mut candidates = Vec::new();
    for host in &hosts {
        let Some(cr_ref) = host.moref("parent", None) else {
            continue;
        };
        let Some(cr) = objects.iter().find(|o| o.obj == cr_ref) else {
            continue;
        };
        // Up from the compute resource to its datacenter.
        let mut cur = cr.moref("parent", None);
        let mut dc = None;
        for _ in 0..64 {
            let Some(c) = cur else { break };
            if c.kind == "Datacenter" {
                dc = objects.iter().find(|o| o.obj == c);
                break;
            }
            cur = nodes.get(&c).and_then(|n| n.parent.clone());
        }
        let Some(dc) = dc else { continue };
        let Some(dc_path) = path_below(&dc.obj, root) else {
            continue;
        };
        let host_folder = dc.moref("hostFolder", Some("Folder"));
        let cr_path = host_folder
            .as_ref()
            .and_then(|hf| path_below(&cr.obj, hf))
            .unwrap_or_default();
        let host_name = nodes.get(&host.obj).map(|n| n.name.clone()).unwrap_or_default();
        candidates.push((
            format!("{dc_path}/{cr_path}"),
            Placement {
                host: host.obj.clone(),
                path: format!("{dc_path}/{cr_path}/{host_name}"),
                host_name,
                resource_pool: cr.moref("resourcePool", Some("ResourcePool")),
                datacenter_path: dc_path,
                vm_folder: dc.moref("vmFolder", Some("Folder")),
            },
            cr.morefs("host", Some("HostSystem")).len(),
        ));
    }
    candidates
}

/// One retrieval of the folders, datacenters, compute resources and hosts.
fn inventory_specs(session: &Session) -> String {
    let cr_paths = ["name", "parent", "host", "resourcePool"];
    [
        prop_spec("Folder", &["name", "parent"]),
        prop_spec("Datacenter", &["name", "parent", "vmFolder", "hostFolder"]),
        prop_spec("ComputeResource", &cr_paths),
        prop_spec("ClusterComputeResource", &cr_paths),
        prop_spec("HostSystem", &["name", "parent"]),
        object_spec(
            &session.content.root_folder,
            false,
            &[
                traversal(
                    "folderToChild",
                    "Folder",
                    "childEntity",
                    &["folderToChild", "dcToHostFolder", "crToHost", "ccrToHost"],
                ),
                traversal("dcToHostFolder", "Datacenter", "hostFolder", &["folderToChild"]),
                traversal("crToHost", "ComputeResource", "host", &[]),
                traversal("ccrToHost", "ClusterComputeResource", "host", &[]),
            ],
        ),
    ]
    .concat()
}

fn pick(objects: &[ObjectContent], root: &MoRef, path: &str) -> Result<Placement> {
    let mut candidates = candidates(objects, root);
    if path.is_empty() {
        // An ESX server holds exactly one host.
        return match candidates.len() {
            0 => Err(Error::internal(VIR_FROM_ESX, "Could not find a host system")),
            _ => Ok(candidates.swap_remove(0).1),
        };
    }
    let wanted = path.trim_matches('/');
    for (cr_path, placement, nhosts) in &candidates {
        // `dc/cluster/host`, or `dc/host` for a standalone host whose
        // compute resource carries the host's name.
        let full = format!("{cr_path}/{}", placement.host_name);
        if wanted == full || (wanted == cr_path && *nhosts == 1) {
            return Ok(placement.clone());
        }
    }
    // Say which part of the path is wrong.
    let dc_known = candidates.iter().any(|(_, p, _)| {
        wanted == p.datacenter_path || wanted.starts_with(&format!("{}/", p.datacenter_path))
    });
    if !dc_known {
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!("Could not find datacenter specified in '{wanted}'"),
        ));
    }
    Err(Error::internal(
        VIR_FROM_ESX,
        format!("Could not find compute resource or host system specified in '{wanted}'"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::dom;

    fn obj(kind: &str, id: &str, props: &[(&str, &str)]) -> ObjectContent {
        ObjectContent {
            obj: MoRef::new(kind, id),
            props: props
                .iter()
                .map(|(name, xml)| (name.to_string(), dom::parse(xml).unwrap()))
                .collect(),
        }
    }

    /// root / folder1 / dc1 (hosts: cluster1 {h1, h2}, standalone h3)
    fn inventory() -> Vec<ObjectContent> {
        vec![
            obj("Folder", "root", &[("name", "<val>Datacenters</val>")]),
            obj(
                "Folder",
                "f1",
                &[
                    ("name", "<val>folder1</val>"),
                    ("parent", "<val type='Folder'>root</val>"),
                ],
            ),
            obj(
                "Datacenter",
                "dc1",
                &[
                    ("name", "<val>dc1</val>"),
                    ("parent", "<val type='Folder'>f1</val>"),
                    ("hostFolder", "<val>hf</val>"),
                    ("vmFolder", "<val>vmf</val>"),
                ],
            ),
            obj(
                "Folder",
                "hf",
                &[
                    ("name", "<val>host</val>"),
                    ("parent", "<val type='Datacenter'>dc1</val>"),
                ],
            ),
            obj(
                "ClusterComputeResource",
                "c1",
                &[
                    ("name", "<val>cluster1</val>"),
                    ("parent", "<val type='Folder'>hf</val>"),
                    (
                        "host",
                        "<val><ManagedObjectReference type='HostSystem'>h1</ManagedObjectReference>\
                         <ManagedObjectReference type='HostSystem'>h2</ManagedObjectReference></val>",
                    ),
                    ("resourcePool", "<val>rp1</val>"),
                ],
            ),
            obj(
                "ComputeResource",
                "cr3",
                &[
                    ("name", "<val>esx3.example.com</val>"),
                    ("parent", "<val type='Folder'>hf</val>"),
                    (
                        "host",
                        "<val><ManagedObjectReference type='HostSystem'>h3</ManagedObjectReference></val>",
                    ),
                ],
            ),
            obj(
                "HostSystem",
                "h1",
                &[
                    ("name", "<val>esx1.example.com</val>"),
                    ("parent", "<val type='ClusterComputeResource'>c1</val>"),
                ],
            ),
            obj(
                "HostSystem",
                "h2",
                &[
                    ("name", "<val>esx2.example.com</val>"),
                    ("parent", "<val type='ClusterComputeResource'>c1</val>"),
                ],
            ),
            obj(
                "HostSystem",
                "h3",
                &[
                    ("name", "<val>esx3.example.com</val>"),
                    ("parent", "<val type='ComputeResource'>cr3</val>"),
                ],
            ),
        ]
    }

    #[test]
    fn vpx_paths_name_hosts() {
        let inv = inventory();
        let root = MoRef::new("Folder", "root");
        let p = pick(&inv, &root, "folder1/dc1/cluster1/esx2.example.com").unwrap();
        assert_eq!(p.host.value, "h2");
        assert_eq!(p.datacenter_path, "folder1/dc1");
        assert_eq!(p.resource_pool.unwrap().value, "rp1");
        assert_eq!(p.vm_folder.unwrap().value, "vmf");
        // A standalone host by its own name or its compute resource's.
        assert_eq!(
            pick(&inv, &root, "folder1/dc1/esx3.example.com")
                .unwrap()
                .host
                .value,
            "h3"
        );
        assert_eq!(
            pick(&inv, &root, "/folder1/dc1/esx3.example.com/esx3.example.com/")
                .unwrap()
                .host
                .value,
            "h3"
        );
        // A cluster of two does not name one host.
        let e = pick(&inv, &root, "folder1/dc1/cluster1").unwrap_err();
        assert!(
            e.message
                .contains("Could not find compute resource or host system"),
            "{}",
            e.message
        );
        let e = pick(&inv, &root, "dc1/cluster1/esx1.example.com").unwrap_err();
        assert!(e.message.contains("Could not find datacenter"), "{}", e.message);
        // Without a path: the first host (an ESX server has one).
        assert!(pick(&inv, &root, "").is_ok());
        assert!(pick(&[], &root, "").is_err());
    }
}
