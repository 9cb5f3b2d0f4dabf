//! Networks: each virtual switch of the host is one libvirt network, named
//! after the switch, always active, persistent and started with the host,
//! its UUID the MD5 of the switch's key (as libvirt derives it).  Its port
//! groups are the network's `<portgroup>`s, its physical NICs the
//! interfaces of a `<forward mode='bridge'>`.
//!
//! The switches and port groups are read from the host's network system
//! (`networkInfo`), which is what changes when a switch is added; the
//! physical NICs from the host's configuration, as libvirt reads them.
//! One retrieval answers a listing, a lookup or an XML description.

use std::sync::OnceLock;

use super::soap::{self, child_text, children, MoRef};
use super::vi::{object_spec, prop_spec, traversal};
use super::EsxDriver;
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::NetworkRef;
use crate::error::{Error, Result};
use crate::network::{Bandwidth, Forward, NetworkDef, PortGroup};
use crate::xml::dom::{self, Element};

/// The ports of a virtual switch libvirt creates it with.
const NUM_PORTS: u32 = 128;

/// A traffic shaping policy in vSphere's units (bits per second, bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shaping {
    /// Average bandwidth, bits per second.
    pub average: Option<u64>,
    /// Peak bandwidth, bits per second.
    pub peak: Option<u64>,
    /// Burst size, bytes.
    pub burst: Option<u64>,
}

/// One virtual switch.
#[derive(Debug, Clone, Default)]
pub struct VSwitch {
    /// Its name (the network's).
    pub name: String,
    /// Its key, the source of the network's UUID.
    pub key: String,
    /// The keys of its port groups.
    pub portgroups: Vec<String>,
    /// The keys of its physical NICs.
    pub pnics: Vec<String>,
    /// Its shaping policy, when enabled.
    pub shaping: Option<Shaping>,
}

impl VSwitch {
    /// The network's UUID: the MD5 of the key.  A switch without a key (the
    /// simulator leaves it out) gets the one ESX gives a switch of its name.
    pub fn uuid(&self) -> Uuid {
        let key = if self.key.is_empty() {
            format!("key-vim.host.VirtualSwitch-{}", self.name)
        } else {
            self.key.clone()
        };
        Uuid(crate::drivers::esx::md5(key.as_bytes()))
    }

    fn reference(&self) -> NetworkRef {
        NetworkRef {
            name: self.name.clone(),
            uuid: self.uuid(),
        }
    }
}

/// One port group.
#[derive(Debug, Clone, Default)]
pub struct HostPortGroup {
    /// Its key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The types of its ports in use (`virtualMachine`, `host`, ...).
    pub port_types: Vec<String>,
    /// Its shaping policy, when enabled.
    pub shaping: Option<Shaping>,
}

/// What the host's networking holds.
#[derive(Debug, Clone, Default)]
pub struct HostNet {
    /// The virtual switches.
    pub vswitches: Vec<VSwitch>,
    /// Every port group.
    pub portgroups: Vec<HostPortGroup>,
    /// Physical NICs: (key, device).
    pub pnics: Vec<(String, String)>,
    /// The names of the datacenter's networks (asked for XML only).
    pub networks: Vec<String>,
}

impl HostNet {
    /// The switch called `name`, or libvirt's error.
    pub fn vswitch(&self, name: &str) -> Result<&VSwitch> {
        self.vswitches.iter().find(|v| v.name == name).ok_or_else(|| {
            Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_NETWORK,
                format!("Could not find HostVirtualSwitch with name '{name}'"),
            )
        })
    }

    /// The port group a switch lists as `entry`: by key, or by name, as the
    /// simulator lists names where ESX lists keys.
    pub fn portgroup(&self, entry: &str) -> Option<&HostPortGroup> {
        self.portgroups
            .iter()
            .find(|p| p.key == entry)
            .or_else(|| self.portgroups.iter().find(|p| p.name == entry))
    }
}

/// Reads a `HostNetworkTrafficShapingPolicy`; None unless enabled.
fn read_shaping(el: Option<&Element>) -> Option<Shaping> {
    let el = el?;
    if child_text(el, "enabled").as_deref() != Some("true") {
        return None;
    }
    let num = |name: &str| child_text(el, name).and_then(|t| t.parse::<u64>().ok());
    Some(Shaping {
        average: num("averageBandwidth"),
        peak: num("peakBandwidth"),
        burst: num("burstSize"),
    })
}

/// Reads `ArrayOfHostVirtualSwitch`.
pub fn read_vswitches(val: &Element) -> Vec<VSwitch> {
    children(val, "HostVirtualSwitch")
        .map(|v| VSwitch {
            name: child_text(v, "name").unwrap_or_default(),
            key: child_text(v, "key").unwrap_or_default(),
            portgroups: children(v, "portgroup")
                .map(|p| p.text().trim().to_string())
                .collect(),
            pnics: children(v, "pnic").map(|p| p.text().trim().to_string()).collect(),
            shaping: read_shaping(soap::path(v, "spec.policy.shapingPolicy")),
        })
        .collect()
}

/// Reads `ArrayOfHostPortGroup`.
pub fn read_portgroups(val: &Element) -> Vec<HostPortGroup> {
    children(val, "HostPortGroup")
        .map(|p| HostPortGroup {
            key: child_text(p, "key").unwrap_or_default(),
            name: soap::path(p, "spec.name")
                .map(|n| n.text().trim().to_string())
                .unwrap_or_default(),
            port_types: children(p, "port")
                .map(|port| child_text(port, "type").unwrap_or_default())
                .collect(),
            shaping: read_shaping(soap::path(p, "spec.policy.shapingPolicy")),
        })
        .collect()
}

/// Reads `ArrayOfPhysicalNic` as (key, device) pairs.
pub fn read_pnics(val: &Element) -> Vec<(String, String)> {
    children(val, "PhysicalNic")
        .map(|n| {
            (
                child_text(n, "key").unwrap_or_default(),
                child_text(n, "device").unwrap_or_default(),
            )
        })
        .collect()
}

/// vSphere's shaping (bits per second, bytes) as libvirt's bandwidth
/// (kilobytes per second, kilobytes), the same both ways.
pub fn shaping_to_bandwidth(s: &Shaping) -> Bandwidth {
    let mut rate = Vec::new();
    let mut put = |name: &str, v: u64| {
        if v > 0 {
            rate.push((name.to_string(), v.to_string()));
        }
    };
    put("average", s.average.unwrap_or(0) / 8 / 1000);
    put("peak", s.peak.unwrap_or(0) / 8 / 1000);
    put("burst", s.burst.unwrap_or(0) / 1024);
    Bandwidth {
        inbound: Some(rate.clone()),
        outbound: Some(rate),
    }
}

/// libvirt's bandwidth as a `HostNetworkTrafficShapingPolicy` element
/// (empty when no rate is set); inbound and outbound must agree.
pub fn bandwidth_to_shaping(bw: &Bandwidth) -> Result<String> {
    let rate = |r: &Option<Vec<(String, String)>>, name: &str| -> u64 {
        r.as_ref()
            .and_then(|attrs| attrs.iter().find(|(k, _)| k == name))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    };
    let same = ["average", "peak", "burst"]
        .iter()
        .all(|n| rate(&bw.inbound, n) == rate(&bw.outbound, n));
    if bw.inbound.is_none() || bw.outbound.is_none() || !same {
        return Err(Error::with(
            VIR_FROM_ESX,
            VIR_ERR_CONFIG_UNSUPPORTED,
            "Different inbound and outbound bandwidth is unsupported",
        ));
    }
    let (average, peak, burst) = (
        rate(&bw.inbound, "average"),
        rate(&bw.inbound, "peak"),
        rate(&bw.inbound, "burst"),
    );
    if average == 0 && peak == 0 && burst == 0 {
        return Ok(String::new());
    }
    let mut s = String::from("<shapingPolicy><enabled>true</enabled>");
    if average > 0 {
        s.push_str(&soap::text("averageBandwidth", &(average * 8 * 1000).to_string()));
    }
    if peak > 0 {
        s.push_str(&soap::text("peakBandwidth", &(peak * 8 * 1000).to_string()));
    }
    if burst > 0 {
        s.push_str(&soap::text("burstSize", &(burst * 1024).to_string()));
    }
    s.push_str("</shapingPolicy>");
    Ok(s)
}

/// The network XML of switch `vs`, as libvirt describes it.
pub fn network_def(net: &HostNet, vs: &VSwitch) -> Result<NetworkDef> {
    let mut def = NetworkDef {
        name: vs.name.clone(),
        uuid: vs.uuid(),
        ..NetworkDef::default()
    };
    if !vs.pnics.is_empty() {
        let mut devices = Vec::new();
        for key in &vs.pnics {
            let dev = net.pnics.iter().find(|(k, _)| k == key).ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    format!("Could not find PhysicalNic with key '{key}'"),
                )
            })?;
            devices.push(dev.1.clone());
        }
        def.forward = Some(Forward {
            mode: "bridge".to_string(),
            dev: devices.first().cloned(),
            interfaces: devices,
            ..Forward::default()
        });
    }
    for entry in &vs.portgroups {
        let pg = net.portgroup(entry).ok_or_else(|| {
            Error::internal(
                VIR_FROM_ESX,
                format!("Could not find HostPortGroup with key '{entry}'"),
            )
        })?;
        // Only port groups that guests can use have a network object.
        if net.networks.contains(&pg.name) {
            def.portgroups.push(PortGroup {
                name: pg.name.clone(),
                bandwidth: pg.shaping.as_ref().map(shaping_to_bandwidth),
                ..PortGroup::default()
            });
        }
    }
    def.bandwidth = vs.shaping.as_ref().map(shaping_to_bandwidth);
    Ok(def)
}

/// The network system of the host, asked once per connection.
#[derive(Default)]
pub struct NetSystem(OnceLock<MoRef>);

impl EsxDriver {
    fn network_system(&self) -> Result<MoRef> {
        if let Some(m) = self.net_system.0.get() {
            return Ok(m.clone());
        }
        let host = self.host_props(&["configManager.networkSystem"])?;
        let m = host
            .moref("configManager.networkSystem", Some("HostNetworkSystem"))
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The host has no network system"))?;
        Ok(self.net_system.0.get_or_init(|| m).clone())
    }

    /// The host's switches, port groups and NICs (and, with `networks`,
    /// the names of the datacenter's networks) in one retrieval.
    pub(super) fn host_net(&self, networks: bool) -> Result<HostNet> {
        let ns = self.network_system()?;
        let mut specs = [
            prop_spec(
                "HostNetworkSystem",
                &["networkInfo.vswitch", "networkInfo.portgroup"],
            ),
            object_spec(&ns, false, &[]),
            prop_spec("HostSystem", &["config.network.pnic"]),
            object_spec(&self.placement.host, false, &[]),
        ]
        .concat();
        if networks {
            specs.push_str(&prop_spec("Network", &["name"]));
            specs.push_str(&object_spec(
                &self.placement.datacenter,
                true,
                &[
                    traversal(
                        "dcToNetFolder",
                        "Datacenter",
                        "networkFolder",
                        &["netFolderToChild"],
                    ),
                    traversal("netFolderToChild", "Folder", "childEntity", &["netFolderToChild"]),
                ],
            ));
        }
        let mut net = HostNet::default();
        for obj in self.session.retrieve(&specs)? {
            if obj.obj == ns {
                if let Some(v) = obj.get("networkInfo.vswitch") {
                    net.vswitches = read_vswitches(v);
                }
                if let Some(v) = obj.get("networkInfo.portgroup") {
                    net.portgroups = read_portgroups(v);
                }
            } else if obj.obj == self.placement.host {
                if let Some(v) = obj.get("config.network.pnic") {
                    net.pnics = read_pnics(v);
                }
            } else if let Some(name) = obj.text("name") {
                net.networks.push(super::vi::unescape_name(&name));
            }
        }
        Ok(net)
    }

    /// The names of the networks: every switch is active.
    pub(super) fn network_names(&self, active: bool) -> Result<Vec<String>> {
        if !active {
            return Ok(Vec::new());
        }
        Ok(self
            .host_net(false)?
            .vswitches
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    /// virConnectListAllNetworks: every switch is active, persistent and
    /// autostarted, so a filter asking for anything else finds none.
    pub(super) fn all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        let filters = VIR_CONNECT_LIST_NETWORKS_ACTIVE
            | VIR_CONNECT_LIST_NETWORKS_INACTIVE
            | VIR_CONNECT_LIST_NETWORKS_PERSISTENT
            | VIR_CONNECT_LIST_NETWORKS_TRANSIENT
            | VIR_CONNECT_LIST_NETWORKS_AUTOSTART
            | VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART;
        if flags & !filters != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxConnectListAllNetworks", flags));
        }
        let excludes = |yes: u32, no: u32| flags & (yes | no) != 0 && flags & yes == 0;
        if excludes(
            VIR_CONNECT_LIST_NETWORKS_ACTIVE,
            VIR_CONNECT_LIST_NETWORKS_INACTIVE,
        ) || excludes(
            VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
            VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
        ) || excludes(
            VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
            VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART,
        ) {
            return Ok(Vec::new());
        }
        Ok(self
            .host_net(false)?
            .vswitches
            .iter()
            .map(VSwitch::reference)
            .collect())
    }

    /// The network called `name`.
    pub(super) fn network_by_name(&self, name: &str) -> Result<NetworkRef> {
        Ok(self.host_net(false)?.vswitch(name)?.reference())
    }

    /// The network with `uuid`.
    pub(super) fn network_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.host_net(false)?
            .vswitches
            .iter()
            .find(|v| v.uuid() == *uuid)
            .map(VSwitch::reference)
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_NO_NETWORK,
                    format!("Could not find HostVirtualSwitch with UUID '{uuid}'"),
                )
            })
    }

    /// The network's XML.
    pub(super) fn network_xml(&self, net: &NetworkRef) -> Result<String> {
        let host = self.host_net(true)?;
        let vs = host.vswitch(&net.name)?;
        Ok(network_def(&host, vs)?.to_xml())
    }

    /// Defines a network: a new switch with its port groups, under
    /// libvirt's restrictions (no editing, no UUID, bridging or nothing).
    pub(super) fn network_define(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        if flags & !VIR_NETWORK_DEFINE_VALIDATE != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxNetworkDefineXMLFlags", flags));
        }
        let def = NetworkDef::parse(xml)?;
        let host = self.host_net(false)?;
        if host.vswitches.iter().any(|v| v.name == def.name) {
            return Err(Error::internal(
                VIR_FROM_ESX,
                "HostVirtualSwitch already exists, editing existing ones is not supported yet",
            ));
        }
        let uuid_given = dom::parse(xml)
            .ok()
            .and_then(|root| root.child_text("uuid"))
            .is_some_and(|u| !u.trim().is_empty());
        if uuid_given {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "Cannot use predefined UUID",
            ));
        }
        let mode = def.forward.as_ref().map_or("none", |f| f.mode.as_str());
        if mode != "none" && mode != "bridge" {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("Unsupported forward mode '{mode}'"),
            ));
        }
        for pg in &def.portgroups {
            if host.portgroups.iter().any(|p| p.name == pg.name) {
                return Err(Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_NETWORK_EXIST,
                    format!("HostPortGroup with name '{}' exists already", pg.name),
                ));
            }
        }
        let mut spec = format!("<numPorts>{NUM_PORTS}</numPorts>");
        let devices: Vec<&String> = def
            .forward
            .iter()
            .flat_map(|f| f.dev.iter().chain(f.interfaces.iter()))
            .collect();
        if !devices.is_empty() {
            spec.push_str("<bridge xsi:type=\"HostVirtualSwitchBondBridge\">");
            let mut seen = Vec::new();
            for dev in devices {
                if seen.contains(&dev) {
                    continue;
                }
                seen.push(dev);
                let key = host.pnics.iter().find(|(_, d)| d == dev).ok_or_else(|| {
                    Error::internal(
                        VIR_FROM_ESX,
                        format!("Could not find PhysicalNic with name '{dev}'"),
                    )
                })?;
                spec.push_str(&soap::text("nicDevice", &key.0));
            }
            spec.push_str("</bridge>");
        }
        if let Some(bw) = &def.bandwidth {
            spec.push_str(&format!("<policy>{}</policy>", bandwidth_to_shaping(bw)?));
        }
        // Checked before anything is created, so a refused port group
        // leaves no half-made network behind.
        let mut portgroup_specs = Vec::new();
        for pg in &def.portgroups {
            let shaping = match &pg.bandwidth {
                Some(bw) => bandwidth_to_shaping(bw)?,
                None => String::new(),
            };
            portgroup_specs.push(format!(
                "<portgrp>{}<vlanId>0</vlanId>{}<policy>{shaping}</policy></portgrp>",
                soap::text("name", &pg.name),
                soap::text("vswitchName", &def.name)
            ));
        }
        let ns = self.network_system()?;
        self.session.call(
            "AddVirtualSwitch",
            &ns,
            &format!("{}<spec>{spec}</spec>", soap::text("vswitchName", &def.name)),
        )?;
        for pg in portgroup_specs {
            self.session.call("AddPortGroup", &ns, &pg)?;
        }
        Ok(self.host_net(false)?.vswitch(&def.name)?.reference())
    }

    /// Removes a network's switch and its port groups, refused while a
    /// port of anything but a guest is on it.
    pub(super) fn network_remove(&self, net: &NetworkRef) -> Result<()> {
        let host = self.host_net(false)?;
        let vs = host.vswitch(&net.name)?;
        let mut names = Vec::new();
        for entry in &vs.portgroups {
            let pg = host.portgroup(entry).ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    format!("Could not find HostPortGroup for key '{entry}'"),
                )
            })?;
            if let Some(kind) = pg.port_types.iter().find(|t| *t != "virtualMachine") {
                return Err(Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_OPERATION_INVALID,
                    format!("Cannot undefine HostVirtualSwitch that has a '{kind}' port"),
                ));
            }
            names.push(pg.name.clone());
        }
        let ns = self.network_system()?;
        for name in names {
            self.session
                .call("RemovePortGroup", &ns, &soap::text("pgName", &name))?;
        }
        self.session
            .call("RemoveVirtualSwitch", &ns, &soap::text("vswitchName", &net.name))?;
        Ok(())
    }
}

/// libvirt refuses to turn a network's autostart off.
pub fn set_autostart(on: bool) -> Result<()> {
    if on {
        Ok(())
    } else {
        Err(Error::internal(
            VIR_FROM_ESX,
            "Cannot deactivate network autostart",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(xml: &str) -> Element {
        dom::parse(xml).unwrap()
    }

    #[test]
    fn uuid_is_the_md5_of_the_key() {
        let vs = VSwitch {
            name: "vSwitch0".into(),
            key: "key-vim.host.VirtualSwitch-vSwitch0".into(),
            ..VSwitch::default()
        };
        // md5("key-vim.host.VirtualSwitch-vSwitch0")
        let digest = crate::drivers::esx::md5(b"key-vim.host.VirtualSwitch-vSwitch0");
        assert_eq!(vs.uuid(), Uuid(digest));
        let keyless = VSwitch {
            key: String::new(),
            ..vs.clone()
        };
        assert_eq!(keyless.uuid(), vs.uuid());
    }

    #[test]
    fn xml_of_a_bridged_switch() {
        let vs = read_vswitches(&el("<val><HostVirtualSwitch><name>vSwitch0</name><key>k0</key>\
             <portgroup>key-vim.host.PortGroup-VM Network</portgroup>\
             <portgroup>key-vim.host.PortGroup-Management Network</portgroup>\
             <pnic>key-vim.host.PhysicalNic-vmnic0</pnic>\
             <spec><numPorts>128</numPorts><policy><shapingPolicy><enabled>true</enabled>\
             <averageBandwidth>8000000</averageBandwidth><burstSize>102400</burstSize>\
             </shapingPolicy></policy></spec></HostVirtualSwitch></val>"));
        let pgs = read_portgroups(&el(
            "<val><HostPortGroup><key>key-vim.host.PortGroup-VM Network</key>\
             <spec><name>VM Network</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName></spec></HostPortGroup>\
             <HostPortGroup><key>key-vim.host.PortGroup-Management Network</key>\
             <port><key>p</key><type>host</type></port>\
             <spec><name>Management Network</name></spec></HostPortGroup></val>",
        ));
        let net = HostNet {
            vswitches: vs.clone(),
            portgroups: pgs,
            pnics: vec![("key-vim.host.PhysicalNic-vmnic0".into(), "vmnic0".into())],
            networks: vec!["VM Network".into()],
        };
        let xml = network_def(&net, &vs[0]).unwrap().to_xml();
        let uuid = Uuid(crate::drivers::esx::md5(b"k0"));
        assert_eq!(
            xml,
            format!(
                "<network>\n  <name>vSwitch0</name>\n  <uuid>{uuid}</uuid>\n  \
                 <forward dev='vmnic0' mode='bridge'>\n    <interface dev='vmnic0'/>\n  </forward>\n  \
                 <bandwidth>\n    <inbound average='1000' burst='100'/>\n    <outbound average='1000' burst='100'/>\n  </bandwidth>\n  \
                 <portgroup name='VM Network'>\n  </portgroup>\n</network>\n"
            )
        );
        assert_eq!(net.portgroup("Management Network").unwrap().port_types, ["host"]);
    }

    #[test]
    fn bandwidth_round_trip_and_refusal() {
        let rate = vec![("average".to_string(), "1000".to_string())];
        let bw = Bandwidth {
            inbound: Some(rate.clone()),
            outbound: Some(rate),
        };
        assert_eq!(
            bandwidth_to_shaping(&bw).unwrap(),
            "<shapingPolicy><enabled>true</enabled><averageBandwidth>8000000</averageBandwidth></shapingPolicy>"
        );
        let lopsided = Bandwidth { outbound: None, ..bw };
        let e = bandwidth_to_shaping(&lopsided).unwrap_err();
        assert_eq!(e.code, VIR_ERR_CONFIG_UNSUPPORTED);
        assert!(set_autostart(true).is_ok());
        assert_eq!(
            set_autostart(false).unwrap_err().message,
            "internal error: Cannot deactivate network autostart"
        );
    }
}
