//! Networks: the host's virtual Ethernet switches (Msvm_VirtualEthernetSwitch
//! on v2 hosts, Msvm_VirtualSwitch on 2008 R2), always active and persistent.

use super::wsman::wql_quote;
use super::{HypervDriver, WmiVersion};
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::NetworkRef;
use crate::error::{Error, Result};
use crate::xml::escape;

fn no_network(detail: String) -> Error {
    Error::with(VIR_FROM_HYPERV, VIR_ERR_NO_NETWORK, detail)
}

impl HypervDriver {
    fn switch_class(&self) -> &'static str {
        match self.wmi {
            WmiVersion::V1 => "Msvm_VirtualSwitch",
            WmiVersion::V2 => "Msvm_VirtualEthernetSwitch",
        }
    }

    /// (Name, ElementName) of the switches matching `cond`.
    fn switches_where(&self, cond: Option<&str>) -> Result<Vec<(String, String)>> {
        let mut wql = format!("SELECT * FROM {}", self.switch_class());
        if let Some(c) = cond {
            wql.push_str(" WHERE ");
            wql.push_str(c);
        }
        Ok(self
            .client
            .query(self.ns(), &wql)?
            .iter()
            .filter_map(|s| {
                Some((
                    s.get("Name")?.to_string(),
                    s.get("ElementName").unwrap_or("").to_string(),
                ))
            })
            .collect())
    }

    /// Every switch as (Name, ElementName).
    pub(super) fn switches(&self) -> Result<Vec<(String, String)>> {
        self.switches_where(None)
    }

    fn net_ref((id, name): (String, String)) -> Result<NetworkRef> {
        let uuid = Uuid::parse(&id).ok_or_else(|| {
            Error::internal(
                VIR_FROM_HYPERV,
                format!("Could not parse UUID from string '{id}'"),
            )
        })?;
        Ok(NetworkRef { name, uuid })
    }

    /// Names of the active (all) or inactive (none) networks.
    pub(super) fn network_names(&self, active: bool) -> Result<Vec<String>> {
        if !active {
            return Ok(Vec::new());
        }
        Ok(self.switches()?.into_iter().map(|(_, n)| n).collect())
    }

    /// virConnectListAllNetworks with its filters.
    pub(super) fn all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        let has = |f: u32| flags & f != 0;
        // Switches are active, persistent and "autostarted".
        if (has(VIR_CONNECT_LIST_NETWORKS_INACTIVE) && !has(VIR_CONNECT_LIST_NETWORKS_ACTIVE))
            || (has(VIR_CONNECT_LIST_NETWORKS_TRANSIENT) && !has(VIR_CONNECT_LIST_NETWORKS_PERSISTENT))
            || (has(VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART) && !has(VIR_CONNECT_LIST_NETWORKS_AUTOSTART))
        {
            return Ok(Vec::new());
        }
        self.switches()?.into_iter().map(Self::net_ref).collect()
    }

    /// The switch whose ElementName is `name`.
    pub(super) fn network_by_name(&self, name: &str) -> Result<NetworkRef> {
        let cond = format!("ElementName = {}", wql_quote(name));
        let found = self.switches_where(Some(&cond))?.into_iter().next();
        found
            .map(Self::net_ref)
            .unwrap_or_else(|| Err(no_network(format!("No network found with name '{name}'"))))
    }

    /// The switch whose Name is `uuid`.
    pub(super) fn network_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        let cond = format!("Name = {}", wql_quote(&uuid.to_string().to_ascii_uppercase()));
        let found = self.switches_where(Some(&cond))?.into_iter().next();
        found
            .map(Self::net_ref)
            .unwrap_or_else(|| Err(no_network(format!("No network found with UUID '{uuid}'"))))
    }

    /// The network XML of a switch: name and UUID.
    pub(super) fn network_xml(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        if flags & !VIR_NETWORK_XML_INACTIVE != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervNetworkGetXMLDesc",
                flags,
            ));
        }
        let net = self.network_by_uuid(&net.uuid)?;
        Ok(format!(
            "<network>\n  <name>{}</name>\n  <uuid>{}</uuid>\n</network>\n",
            escape(&net.name),
            net.uuid
        ))
    }
}
