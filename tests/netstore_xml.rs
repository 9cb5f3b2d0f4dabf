//! Network, pool and volume XML: every document in tests/netstore_xml was
//! written by libvirt 9.0 (its test driver's XMLDesc); reading one and
//! writing it back must give the same bytes.  Bad documents fail with
//! libvirt's messages.

use std::fs;
use std::path::Path;

use virt::network::NetworkDef;
use virt::storage::{PoolDef, VolFormats, VolumeDef};

fn fixtures(prefix: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netstore_xml");
    let mut found: Vec<(String, String)> = fs::read_dir(&dir)
        .expect("fixture directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".xml"))
        .map(|n| {
            let text = fs::read_to_string(dir.join(&n)).expect("fixture");
            (n, text)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no {prefix} fixtures");
    found
}

#[test]
fn networks_are_fixed_points() {
    for (name, text) in fixtures("network-") {
        let def = NetworkDef::parse(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(def.to_xml(), text, "{name}");
    }
}

#[test]
fn pools_are_fixed_points() {
    for (name, text) in fixtures("pool-") {
        let mut def = PoolDef::parse(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        // Sizes are the driver's to fill in; the document carries them.
        let root = virt::xml::dom::parse(&text).unwrap();
        for (tag, slot) in [
            ("capacity", &mut def.capacity),
            ("allocation", &mut def.allocation),
            ("available", &mut def.available),
        ] {
            *slot = root.child_text(tag).unwrap().parse().unwrap();
        }
        assert_eq!(def.to_xml(), text, "{name}");
    }
}

#[test]
fn volumes_are_fixed_points() {
    for (name, text) in fixtures("volume-") {
        let def = VolumeDef::parse(&text, VolFormats::File).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(def.to_xml(), text, "{name}");
    }
}

fn message<T: std::fmt::Debug>(r: virt::error::Result<T>) -> String {
    r.expect_err("the document must be refused").message
}

#[test]
fn bad_networks_fail_as_in_libvirt() {
    for (xml, want) in [
        ("<network/>", "missing name information"),
        (
            "<foo/>",
            "XML error: expecting root element of 'network', not 'foo'",
        ),
        ("<network><name>a/b</name></network>", "invalid char in name: /"),
        (
            "<network><name>n</name><forward mode='route'/></network>",
            "XML error: route forwarding requested, but no IP address provided for network 'n'",
        ),
        (
            "<network><name>n</name><ip address='foo'/></network>",
            "XML error: Invalid address 'foo' in network 'n'",
        ),
        (
            "<network><name>n</name><forward mode='isolated'/></network>",
            "unsupported configuration: unknown forwarding type 'isolated'",
        ),
    ] {
        assert_eq!(message(NetworkDef::parse(xml)), want, "{xml}");
    }
}

#[test]
fn bad_pools_and_volumes_fail_as_in_libvirt() {
    for (xml, want) in [
        (
            "<pool/>",
            "XML error: Missing required attribute 'type' in element 'pool'",
        ),
        (
            "<pool type='dir'><name>x</name></pool>",
            "XML error: missing storage pool target path",
        ),
        (
            "<pool type='fs'><name>x</name><target><path>/x</path></target></pool>",
            "XML error: missing storage pool source device name",
        ),
    ] {
        assert_eq!(message(PoolDef::parse(xml)), want, "{xml}");
    }
    for (xml, want) in [
        (
            "<volume><name>x</name></volume>",
            "XML error: missing capacity element",
        ),
        (
            "<volume><name>x</name><capacity>x</capacity></volume>",
            "XML error: malformed capacity element",
        ),
    ] {
        assert_eq!(message(VolumeDef::parse(xml, VolFormats::File)), want, "{xml}");
    }
}
