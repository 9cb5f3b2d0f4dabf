//! Network interfaces (`ethernetN`).

use std::collections::BTreeSet;

use super::values::{error, parse_mac, parse_uuid, strtoi_prefix, Vmx};
use crate::domain::devices::Interface;
use crate::error::Result;

/// The interface numbers that have entries.  Like libvirt, every name that
/// starts with `ethernet` must continue with a number and a dot.
pub(crate) fn indexes(vmx: &Vmx) -> Result<BTreeSet<i32>> {
    let mut found = BTreeSet::new();
    for name in vmx.names() {
        let Some(head) = name.get(..8).filter(|h| h.eq_ignore_ascii_case("ethernet")) else {
            continue;
        };
        let suffix = &name[head.len()..];
        match strtoi_prefix(suffix) {
            Some((idx, rest)) if rest.starts_with('.') && idx >= 0 => {
                // Entries are looked up by the canonical spelling of the
                // number; others only raise libvirt's highest index.
                if suffix[..suffix.len() - rest.len()] == idx.to_string() {
                    found.insert(idx);
                }
            }
            _ => {
                return Err(error(format!(
                    "failed to parse the index of the VMX key '{name}'"
                )))
            }
        }
    }
    Ok(found)
}

/// `ethernetN` as an interface; `None` when it is not present.
pub(crate) fn parse_ethernet(vmx: &Vmx, controller: i32) -> Result<Option<Interface>> {
    let key = |suffix: &str| format!("ethernet{controller}.{suffix}");
    let present = vmx.boolean(&key("present"), false, true)?;
    vmx.boolean(&key("startConnected"), true, true)?;
    if !present {
        return Ok(None);
    }
    let mut net = Interface::default();

    let connection_type_name = key("connectionType");
    let connection_type = vmx.string(&connection_type_name, true)?;
    let address_type_name = key("addressType");
    let address_type = vmx.string(&address_type_name, true)?;
    let generated_name = key("generatedAddress");
    let generated = vmx.string(&generated_name, true)?;
    let address_name = key("address");
    let address = vmx.string(&address_name, true)?;
    let check_mac = vmx.string(&key("checkMACAddress"), true)?;

    let mut mac = [0u8; 6];
    let parse = |name: &str, value: &str| {
        parse_mac(value).ok_or_else(|| {
            error(format!(
                "Expecting VMX entry '{name}' to be MAC address but found '{value}'"
            ))
        })
    };
    match address_type.as_deref() {
        None => {
            if let Some(g) = &generated {
                mac = parse(&generated_name, g)?;
            }
        }
        Some(t) if t.eq_ignore_ascii_case("generated") || t.eq_ignore_ascii_case("vpx") => {
            if let Some(g) = &generated {
                mac = parse(&generated_name, g)?;
            }
            net.mac_type = Some("generated".into());
        }
        Some(t) if t.eq_ignore_ascii_case("static") => {
            if let Some(a) = &address {
                mac = parse(&address_name, a)?;
            }
            net.mac_type = Some("static".into());
        }
        Some(t) => {
            return Err(error(format!(
                "Expecting VMX entry '{address_type_name}' to be 'generated' or 'static' or 'vpx' but found '{t}'"
            )))
        }
    }
    net.mac = Some(crate::domain::devices::Mac(mac).to_string());
    if let Some(c) = &check_mac {
        net.mac_check = Some(c == "true");
    }

    let virtual_dev_name = key("virtualDev");
    let virtual_dev = vmx.string(&virtual_dev_name, true)?;
    let features = vmx.long(&key("features"), 0, true)?;
    if let Some(dev) = &virtual_dev {
        let model = ["vlance", "vmxnet", "vmxnet3", "e1000", "e1000e"]
            .into_iter()
            .find(|m| dev.eq_ignore_ascii_case(m))
            .ok_or_else(|| {
                error(format!(
                    "Expecting VMX entry '{virtual_dev_name}' to be 'vlance' or 'vmxnet' or 'vmxnet3' or 'e1000' or 'e1000e' but found '{dev}'"
                ))
            })?;
        let model = if model == "vmxnet" && features == 15 {
            "vmxnet2"
        } else {
            model
        };
        net.model = Some(model.to_string());
    }

    let ct = connection_type.as_deref();
    let is = |v: &str| ct.is_some_and(|c| c.eq_ignore_ascii_case(v));
    let mut network_name = None;
    if ct.is_none() || is("bridged") || is("custom") {
        network_name = vmx.string(&key("networkName"), ct.is_none())?;
    }
    let mut vnet = None;
    if is("custom") {
        vnet = vmx.string(&key("vnet"), false)?;
    }

    let dvs = |suffix: &str| format!("ethernet{controller}.dvs.{suffix}");
    let switch_id = vmx.string(&dvs("switchId"), true)?;
    if let Some(sw) = switch_id {
        net.kind = "vds".into();
        let uuid = parse_uuid(&sw)?;
        let portgroup = vmx.string(&dvs("portgroupId"), false)?.unwrap_or_default();
        let port = vmx.long(&dvs("portId"), 0, false)?;
        let connection = vmx.long(&dvs("connectionId"), 0, false)?;
        net.source.0 = vec![
            ("switchid".into(), uuid.to_string()),
            ("portid".into(), port.to_string()),
            ("portgroupid".into(), portgroup),
            ("connectionid".into(), connection.to_string()),
        ];
    } else if ct.is_none() && network_name.is_none() {
        net.kind = "null".into();
    } else if ct.is_none() || is("bridged") {
        net.kind = "bridge".into();
        if let Some(n) = network_name {
            net.source.0.push(("bridge".into(), n));
        }
    } else if is("hostonly") {
        return Err(error(format!(
            "No yet handled value '{}' for VMX entry '{connection_type_name}'",
            ct.unwrap_or_default()
        )));
    } else if is("nat") {
        net.kind = "user".into();
    } else if is("custom") {
        net.kind = "bridge".into();
        if let Some(n) = network_name {
            net.source.0.push(("bridge".into(), n));
        }
        net.target_dev = vnet;
    } else {
        return Err(error(format!(
            "Invalid value '{}' for VMX entry '{connection_type_name}'",
            ct.unwrap_or_default()
        )));
    }
    Ok(Some(net))
}
