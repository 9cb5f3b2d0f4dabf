//! The ESX driver's networks (the host's virtual switches and their port
//! groups) against VMware's vSphere simulator: what the driver lists and
//! describes is checked against what the simulator's host network system
//! holds, and defining or undefining a network really changes it.

mod esx;

use std::sync::atomic::Ordering;

use esx::oracle::Oracle;
use esx::{counted, esx_sim, expect_err};
use virt::abi::*;
use virt::domain::Uuid;
use virt::network::NetworkDef;

/// A virtual switch as the simulator holds it.
struct SimSwitch {
    name: String,
    key: String,
    portgroups: Vec<String>,
    pnics: Vec<String>,
}

/// The simulator's host networking.
struct SimNet {
    switches: Vec<SimSwitch>,
    /// (key, name, switch name, port types)
    portgroups: Vec<(String, String, String, Vec<String>)>,
    /// (key, device)
    pnics: Vec<(String, String)>,
    /// The datacenter's network objects.
    networks: Vec<String>,
}

impl SimNet {
    fn names(&self) -> Vec<String> {
        self.switches.iter().map(|s| s.name.clone()).collect()
    }

    fn switch(&self, name: &str) -> &SimSwitch {
        self.switches.iter().find(|s| s.name == name).unwrap()
    }
}

fn sim_net(o: &Oracle) -> SimNet {
    let hosts = o.objects("HostSystem", &["configManager.networkSystem"]);
    let host = &hosts[0];
    let ns = o.props(
        "HostNetworkSystem",
        &host["configManager.networkSystem"],
        &["networkInfo.vswitch", "networkInfo.portgroup"],
    );
    let cfg = o.props("HostSystem", &host["_ref"], &["config.network.pnic"]);
    let texts = |el: &virt::xml::dom::Element, name: &str| -> Vec<String> {
        Oracle::kids(el, name)
            .map(|e| e.text().trim().to_string())
            .collect()
    };
    let switches = ns
        .get("networkInfo.vswitch")
        .map(|v| {
            Oracle::kids(v, "HostVirtualSwitch")
                .map(|s| SimSwitch {
                    name: Oracle::text(s, "name"),
                    key: Oracle::text(s, "key"),
                    portgroups: texts(s, "portgroup"),
                    pnics: texts(s, "pnic"),
                })
                .collect()
        })
        .unwrap_or_default();
    let portgroups = ns
        .get("networkInfo.portgroup")
        .map(|v| {
            Oracle::kids(v, "HostPortGroup")
                .map(|p| {
                    let spec = Oracle::kids(p, "spec").next().unwrap();
                    (
                        Oracle::text(p, "key"),
                        Oracle::text(spec, "name"),
                        Oracle::text(spec, "vswitchName"),
                        Oracle::kids(p, "port")
                            .map(|port| Oracle::text(port, "type"))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let pnics = cfg
        .get("config.network.pnic")
        .map(|v| {
            Oracle::kids(v, "PhysicalNic")
                .map(|n| (Oracle::text(n, "key"), Oracle::text(n, "device")))
                .collect()
        })
        .unwrap_or_default();
    let networks = o
        .objects("Network", &["name"])
        .into_iter()
        .map(|n| n["name"].clone())
        .collect();
    SimNet {
        switches,
        portgroups,
        pnics,
        networks,
    }
}

/// libvirt's network UUID: the MD5 of the switch key (ESX's key for a
/// switch of that name where the simulator leaves the key out).
fn expected_uuid(s: &SimSwitch) -> Uuid {
    let key = if s.key.is_empty() {
        format!("key-vim.host.VirtualSwitch-{}", s.name)
    } else {
        s.key.clone()
    };
    Uuid(<md5::Md5 as md5::Digest>::digest(key.as_bytes()).into())
}

#[test]
fn switches_are_networks() {
    let sim = esx_sim();
    let (conn, counter) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let net = sim_net(&o);
    assert!(!net.switches.is_empty());
    // Listing: every switch, all active; a second listing costs one request.
    assert_eq!(d.list_networks(true).unwrap(), net.names());
    let before = counter.load(Ordering::Relaxed);
    assert_eq!(d.list_networks(true).unwrap(), net.names());
    assert_eq!(counter.load(Ordering::Relaxed) - before, 1);
    assert!(d.list_networks(false).unwrap().is_empty());
    let all = d.list_all_networks(0).unwrap();
    assert_eq!(
        all.iter().map(|n| n.name.clone()).collect::<Vec<_>>(),
        net.names()
    );
    for s in &net.switches {
        let found = all.iter().find(|n| n.name == s.name).unwrap();
        assert_eq!(found.uuid, expected_uuid(s));
        assert_eq!(d.network_lookup_by_name(&s.name).unwrap(), *found);
        assert_eq!(d.network_lookup_by_uuid(&found.uuid).unwrap(), *found);
        assert!(d.network_is_active(found).unwrap());
        assert!(d.network_is_persistent(found).unwrap());
        assert!(d.network_get_autostart(found).unwrap());
        d.network_set_autostart(found, true).unwrap();
        let e = expect_err(d.network_set_autostart(found, false));
        assert_eq!(e.code, VIR_ERR_INTERNAL_ERROR);
        assert_eq!(e.message, "internal error: Cannot deactivate network autostart");
    }
    // Filters: ESX networks are active, persistent and autostarted.
    for (flags, all_of_them) in [
        (VIR_CONNECT_LIST_NETWORKS_ACTIVE, true),
        (VIR_CONNECT_LIST_NETWORKS_INACTIVE, false),
        (
            VIR_CONNECT_LIST_NETWORKS_PERSISTENT | VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
            true,
        ),
        (VIR_CONNECT_LIST_NETWORKS_TRANSIENT, false),
        (VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART, false),
        (
            VIR_CONNECT_LIST_NETWORKS_ACTIVE | VIR_CONNECT_LIST_NETWORKS_INACTIVE,
            true,
        ),
    ] {
        let n = d.list_all_networks(flags).unwrap().len();
        assert_eq!(
            n,
            if all_of_them { net.switches.len() } else { 0 },
            "flags {flags:#x}"
        );
    }
    assert_eq!(expect_err(d.list_all_networks(1 << 20)).code, VIR_ERR_INVALID_ARG);
    // Unknown networks.
    let e = expect_err(d.network_lookup_by_name("nosuch"));
    assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_NO_NETWORK));
    assert_eq!(
        e.message,
        "Network not found: Could not find HostVirtualSwitch with name 'nosuch'"
    );
    let e = expect_err(d.network_lookup_by_uuid(&Uuid([7; 16])));
    assert_eq!(e.code, VIR_ERR_NO_NETWORK);
}

#[test]
fn network_xml_shows_port_groups_and_nics() {
    let sim = esx_sim();
    let (conn, counter) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let net = sim_net(&o);
    for s in &net.switches {
        let handle = d.network_lookup_by_name(&s.name).unwrap();
        let before = counter.load(Ordering::Relaxed);
        let xml = d.network_get_xml_desc(&handle, 0).unwrap();
        assert_eq!(
            counter.load(Ordering::Relaxed) - before,
            1,
            "one retrieval for the XML"
        );
        let def = NetworkDef::parse(&xml).unwrap();
        assert_eq!(def.name, s.name);
        assert_eq!(def.uuid, expected_uuid(s));
        // The switch's port groups that guests can use (they have a network object).
        let expected: Vec<String> = s
            .portgroups
            .iter()
            .filter_map(|entry| {
                net.portgroups
                    .iter()
                    .find(|p| p.0 == *entry)
                    .or_else(|| net.portgroups.iter().find(|p| p.1 == *entry))
            })
            .map(|p| p.1.clone())
            .filter(|name| net.networks.contains(name))
            .collect();
        let got: Vec<String> = def.portgroups.iter().map(|p| p.name.clone()).collect();
        assert_eq!(got, expected, "{xml}");
        // Bridged to its physical NICs, if it has any.
        let devices: Vec<String> = s
            .pnics
            .iter()
            .map(|k| net.pnics.iter().find(|p| p.0 == *k).unwrap().1.clone())
            .collect();
        match &def.forward {
            Some(f) => {
                assert_eq!(f.mode, "bridge");
                assert_eq!(f.interfaces, devices);
            }
            None => assert!(devices.is_empty(), "{xml}"),
        }
    }
}

const NEW_NET: &str = "<network>
  <name>libvirt-net</name>
  <forward mode='bridge'>
    <interface dev='vmnic1'/>
  </forward>
  <portgroup name='guests-a'>
    <bandwidth>
      <inbound average='1000' peak='2000' burst='64'/>
      <outbound average='1000' peak='2000' burst='64'/>
    </bandwidth>
  </portgroup>
  <portgroup name='guests-b'/>
</network>";

#[test]
fn define_and_undefine_change_the_host() {
    let sim = esx_sim();
    let (conn, _) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let before = sim_net(&o);
    assert!(before.pnics.iter().any(|p| p.1 == "vmnic1"));

    let handle = d.network_define_xml(NEW_NET, 0).unwrap();
    assert_eq!(handle.name, "libvirt-net");
    let after = sim_net(&o);
    let s = after.switch("libvirt-net");
    assert_eq!(handle.uuid, expected_uuid(s));
    for pg in ["guests-a", "guests-b"] {
        let p = after.portgroups.iter().find(|p| p.1 == pg).unwrap();
        assert_eq!(p.2, "libvirt-net", "port group {pg} is on the new switch");
        assert!(after.networks.iter().any(|n| n == pg), "network object {pg}");
    }
    assert!(d
        .list_networks(true)
        .unwrap()
        .contains(&"libvirt-net".to_string()));
    assert_eq!(d.network_lookup_by_uuid(&handle.uuid).unwrap(), handle);
    // The port groups and the shaping policy come back in the XML.
    let xml = d.network_get_xml_desc(&handle, 0).unwrap();
    let def = NetworkDef::parse(&xml).unwrap();
    let names: Vec<&str> = def.portgroups.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["guests-a", "guests-b"]);
    assert!(
        xml.contains("<inbound average='1000' peak='2000' burst='64'/>"),
        "{xml}"
    );
    assert!(def.portgroups[1].bandwidth.is_none());

    // libvirt's refusals, each leaving the host as it was.
    let count = after.switches.len();
    let refused = [
        (
            NEW_NET.to_string(),
            VIR_ERR_INTERNAL_ERROR,
            "internal error: HostVirtualSwitch already exists, editing existing ones is not supported yet",
        ),
        (
            "<network><name>n2</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid></network>".into(),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: Cannot use predefined UUID",
        ),
        (
            "<network><name>n2</name><forward mode='nat'/></network>".into(),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: Unsupported forward mode 'nat'",
        ),
        (
            "<network><name>n2</name><portgroup name='VM Network'/></network>".into(),
            VIR_ERR_NETWORK_EXIST,
            // libvirt's template wraps the detail: "network %s exists already".
            "network HostPortGroup with name 'VM Network' exists already exists already",
        ),
        (
            "<network><name>n2</name><forward mode='bridge'><interface dev='vmnic9'/></forward></network>"
                .into(),
            VIR_ERR_INTERNAL_ERROR,
            "internal error: Could not find PhysicalNic with name 'vmnic9'",
        ),
        (
            "<network><name>n2</name><bandwidth><inbound average='10'/></bandwidth></network>".into(),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: Different inbound and outbound bandwidth is unsupported",
        ),
    ];
    for (xml, code, message) in refused {
        let e = expect_err(d.network_define_xml(&xml, 0));
        assert_eq!((e.domain, e.code), (VIR_FROM_ESX, code), "{xml}");
        assert_eq!(e.message, message);
        assert_eq!(sim_net(&o).switches.len(), count, "{xml} changed the host");
    }
    assert_eq!(
        expect_err(d.network_define_xml(NEW_NET, 1 << 5)).code,
        VIR_ERR_INVALID_ARG
    );

    // Undefining removes the switch, its port groups and their networks.
    d.network_undefine(&handle).unwrap();
    let gone = sim_net(&o);
    assert!(!gone.names().contains(&"libvirt-net".to_string()));
    assert!(!gone.portgroups.iter().any(|p| p.1.starts_with("guests-")));
    assert!(!gone.networks.iter().any(|n| n.starts_with("guests-")));
    assert_eq!(gone.names(), before.names());
    let e = expect_err(d.network_undefine(&handle));
    assert_eq!(e.code, VIR_ERR_NO_NETWORK);
    let e = expect_err(d.network_lookup_by_name("libvirt-net"));
    assert_eq!(e.code, VIR_ERR_NO_NETWORK);

    // A switch with nothing on it and no forward mode.
    let plain = d
        .network_define_xml("<network><name>isolated</name></network>", 0)
        .unwrap();
    let xml = d.network_get_xml_desc(&plain, 0).unwrap();
    assert_eq!(
        xml,
        format!(
            "<network>\n  <name>isolated</name>\n  <uuid>{}</uuid>\n  <bridge stp='off' delay='0'/>\n</network>\n",
            plain.uuid
        )
    );
    d.network_undefine(&plain).unwrap();
}

#[test]
fn physical_nics_are_interfaces() {
    let sim = esx_sim();
    let (conn, _) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let host = &o.objects("HostSystem", &["name"])[0];
    let cfg = o.props("HostSystem", &host["_ref"], &["config.network.pnic"]);
    let nics: Vec<(String, String)> = Oracle::kids(&cfg["config.network.pnic"], "PhysicalNic")
        .map(|n| (Oracle::text(n, "device"), Oracle::text(n, "mac")))
        .collect();
    assert!(!nics.is_empty());
    let names: Vec<String> = nics.iter().map(|n| n.0.clone()).collect();
    assert_eq!(d.list_interfaces(true).unwrap(), names);
    assert!(d.list_interfaces(false).unwrap().is_empty());
    for (device, mac) in &nics {
        let by_name = d.interface_lookup_by_name(device).unwrap();
        assert_eq!((&by_name.name, &by_name.mac), (device, mac));
        assert_eq!(d.interface_lookup_by_mac(&mac.to_uppercase()).unwrap(), by_name);
        assert!(d.interface_is_active(&by_name).unwrap());
        let xml = d.interface_get_xml_desc(&by_name, 0).unwrap();
        assert!(
            xml.starts_with(&format!(
                "<interface type='ethernet' name='{device}'>\n  <start mode='onboot'/>\n  <mac address='{mac}'/>\n"
            )),
            "{xml}"
        );
        assert_eq!(
            expect_err(d.interface_get_xml_desc(&by_name, 2)).code,
            VIR_ERR_INVALID_ARG
        );
    }
    let e = expect_err(d.interface_lookup_by_name("vmnic99"));
    assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_NO_INTERFACE));
    assert_eq!(
        expect_err(d.interface_lookup_by_mac("00:00:00:00:00:01")).code,
        VIR_ERR_NO_INTERFACE
    );
}
