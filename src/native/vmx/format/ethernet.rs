//! Network cards (`ethernetN.*`).
//!
//! VMware checks MAC addresses against the ranges it owns: 00:0c:29 is the
//! server's generated range, 00:50:56:00-3f is for static addresses and
//! 00:50:56:80-bf is vCenter's ("vpx"); anything else needs the check
//! switched off or the server replaces the address.

use super::{internal, spaced_uuid, unsupported, Vmx};
use crate::domain::devices::{Interface, Mac};
use crate::domain::Uuid;
use crate::error::Result;

/// VMware's network card slots: 4, and 10 from hardware version 7 on.
fn max_cards(virtual_hw_version: i32) -> usize {
    if virtual_hw_version >= 7 {
        10
    } else {
        4
    }
}

/// The card models VMX knows (vmxnet2 is written as vmxnet with features).
const MODELS: &[&str] = &["vlance", "vmxnet", "vmxnet2", "vmxnet3", "e1000", "e1000e"];

/// Writes card number `index`.
pub(super) fn format(vmx: &mut Vmx, index: usize, net: &Interface, virtual_hw_version: i32) -> Result<()> {
    let cards = max_cards(virtual_hw_version);
    if index >= cards {
        return Err(internal(format!(
            "Ethernet controller index {index} out of [0..{}] range",
            cards - 1
        )));
    }
    let prefix = format!("ethernet{index}");
    vmx.set(format!("{prefix}.present"), "true");

    if let Some(model) = &net.model {
        if !MODELS.contains(&model.as_str()) {
            return Err(internal(format!(
                "Expecting domain XML entry 'devices/interface/model' to be 'vlance' or 'vmxnet' or 'vmxnet2' or 'vmxnet3' or 'e1000' or 'e1000e' but found '{model}'"
            )));
        }
        if model == "vmxnet2" {
            vmx.set(format!("{prefix}.virtualDev"), "vmxnet");
            vmx.set(format!("{prefix}.features"), "15");
        } else {
            vmx.set(format!("{prefix}.virtualDev"), model);
        }
    }

    match net.kind.as_str() {
        "bridge" => {
            if let Some(bridge) = net.source.get("bridge").filter(|b| !b.is_empty()) {
                vmx.set(format!("{prefix}.networkName"), bridge);
            }
            match &net.target_dev {
                Some(vnet) => {
                    vmx.set(format!("{prefix}.connectionType"), "custom");
                    vmx.set(format!("{prefix}.vnet"), vnet);
                }
                None => vmx.set(format!("{prefix}.connectionType"), "bridged"),
            }
        }
        "user" => vmx.set(format!("{prefix}.connectionType"), "nat"),
        "null" => {}
        "vds" => format_vds(vmx, &prefix, net)?,
        other => return Err(unsupported(format!("Unsupported net type '{other}'"))),
    }

    format_mac(vmx, &prefix, net)
}

fn format_vds(vmx: &mut Vmx, prefix: &str, net: &Interface) -> Result<()> {
    let switch = net.source.get("switchid").unwrap_or("");
    let uuid = Uuid::parse(switch).ok_or_else(|| {
        internal(format!(
            "Could not parse UUID from string '{switch}' of entry 'devices/interface/source/@switchid'"
        ))
    })?;
    vmx.set(format!("{prefix}.dvs.switchId"), spaced_uuid(&uuid.0));
    // libvirt keeps the two ids as numbers where 0 means unset.
    let id = |attr: &str| net.source.get(attr).filter(|v| v.parse::<i64>() != Ok(0));
    if let Some(port) = id("portid") {
        vmx.set(format!("{prefix}.dvs.portId"), port);
    }
    if let Some(group) = net.source.get("portgroupid") {
        // libvirt writes this one through its XML escaper.
        vmx.set(format!("{prefix}.dvs.portgroupId"), crate::xml::escape(group));
    }
    if let Some(connection) = id("connectionid") {
        vmx.set(format!("{prefix}.dvs.connectionId"), connection);
    }
    Ok(())
}

fn format_mac(vmx: &mut Vmx, prefix: &str, net: &Interface) -> Result<()> {
    let text = net.mac.as_deref().unwrap_or("");
    let mac = Mac::parse(text).ok_or_else(|| internal(format!("Could not parse MAC address '{text}'")))?;
    let b = mac.0;
    let oui = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    let nic = (u32::from(b[3]) << 16) | (u32::from(b[4]) << 8) | u32::from(b[5]);

    // What the address itself says, unless the definition says otherwise.
    let (mut address_type, mut check) = match (oui, nic) {
        (0x000c29, _) => ("generated", None),
        (0x005056, 0..=0x3fffff) => ("static", None),
        (0x005056, 0x800000..=0xbfffff) => ("vpx", None),
        _ => ("static", Some(false)),
    };
    match net.mac_type.as_deref() {
        Some("static") => address_type = "static",
        Some("generated") => {
            // vCenter's addresses are generated too, by vCenter; a generated
            // address is the server's own, nothing to switch off.
            if address_type != "vpx" {
                address_type = "generated";
            }
            check = None;
        }
        _ => {}
    }
    if let Some(c) = net.mac_check {
        check = Some(c);
    }

    vmx.set(format!("{prefix}.addressType"), address_type);
    match address_type {
        "generated" => {
            vmx.set(format!("{prefix}.generatedAddress"), mac);
            vmx.set(format!("{prefix}.generatedAddressOffset"), "0");
        }
        "static" => vmx.set(format!("{prefix}.address"), mac),
        _ => vmx.set(format!("{prefix}.generatedAddress"), mac),
    }
    if let Some(c) = check {
        vmx.set(format!("{prefix}.checkMACAddress"), c);
    }
    Ok(())
}
