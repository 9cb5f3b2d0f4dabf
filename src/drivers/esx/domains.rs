//! Listing and looking up domains, and what a domain reports about itself.

use super::soap::{child, child_text, children};
use super::vms::{self, Power, Vm};
use super::EsxDriver;
use crate::abi::*;
use crate::domain::listing::{Facts, Filter};
use crate::domain::Uuid;
use crate::driver::{DomainInfo, DomainRef, GuestInterface};
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// The listing flags `virConnectListAllDomains` understands here.
const LIST_FLAGS: u32 = VIR_CONNECT_LIST_DOMAINS_ACTIVE
    | VIR_CONNECT_LIST_DOMAINS_INACTIVE
    | VIR_CONNECT_LIST_DOMAINS_PERSISTENT
    | VIR_CONNECT_LIST_DOMAINS_TRANSIENT
    | VIR_CONNECT_LIST_DOMAINS_RUNNING
    | VIR_CONNECT_LIST_DOMAINS_PAUSED
    | VIR_CONNECT_LIST_DOMAINS_SHUTOFF
    | VIR_CONNECT_LIST_DOMAINS_OTHER
    | VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE
    | VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE
    | VIR_CONNECT_LIST_DOMAINS_AUTOSTART
    | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART
    | VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT
    | VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT
    | VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT
    | VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT;

impl EsxDriver {
    /// All VMs of the host with `extra` properties (one round trip).
    pub(super) fn vms(&self, extra: &[&str]) -> Result<Vec<Vm>> {
        vms::list_into(&self.session, &self.placement, &self.vm_cache, extra)
    }

    /// The VM `pick` chooses: from a recent listing when it has one there,
    /// else from a new listing (what is not in a recent listing may have
    /// appeared since).
    fn lookup(&self, pick: impl Fn(&Vm) -> bool) -> Result<Option<Vm>> {
        let recent = self.vm_cache.recent(self.session.changes(), &[]);
        if let Some(vm) = recent.and_then(|listing| listing.vms.iter().find(|vm| pick(vm)).cloned()) {
            return Ok(Some(vm));
        }
        Ok(self.vms(&[])?.into_iter().find(pick))
    }

    /// The VM of a domain handle with `extra` properties.
    pub(super) fn vm(&self, dom: &DomainRef, extra: &[&str]) -> Result<Vm> {
        vms::find(&self.session, &self.placement, &self.vm_cache, dom, extra)
    }

    /// The ids of the running domains.
    pub(super) fn running_ids(&self) -> Result<Vec<i32>> {
        Ok(self
            .vms(&[])?
            .iter()
            .filter(|vm| vm.is_active())
            .map(Vm::number)
            .collect())
    }

    /// The names of the domains that do not run.
    pub(super) fn inactive_names(&self) -> Result<Vec<String>> {
        Ok(self
            .vms(&[])?
            .into_iter()
            .filter(|vm| !vm.is_active())
            .map(|vm| vm.name)
            .collect())
    }

    /// virConnectListAllDomains with its filters.
    pub(super) fn list_all(&self, flags: u32) -> Result<Vec<DomainRef>> {
        if flags & !LIST_FLAGS != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxConnectListAllDomains", flags));
        }
        let filter = Filter(flags);
        // ESX domains are all persistent, none has a managed save image or
        // a checkpoint: those filters decide without asking the server.
        if filter.only(
            VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
            VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
        ) || filter.only(
            VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
            VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE,
        ) || filter.only(
            VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
            VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
        ) {
            return Ok(Vec::new());
        }
        let want_snap = filter.asks(
            VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
            VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT,
        );
        let want_auto = filter.asks(
            VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
            VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
        );
        let mut extra = Vec::new();
        if want_snap {
            extra.push("snapshot.rootSnapshotList");
        }
        let vms = self.vms(&extra)?;
        let autostarted = if want_auto {
            self.autostart_set()?
        } else {
            Default::default()
        };
        Ok(vms
            .into_iter()
            .filter(|vm| {
                filter.matches(&Facts {
                    active: vm.is_active(),
                    persistent: true,
                    state: vm.power.domain_state(),
                    autostart: want_auto && autostarted.contains(&vm.obj.value),
                    has_snapshot: want_snap
                        && vm
                            .props
                            .get("snapshot.rootSnapshotList")
                            .is_some_and(|l| l.elements().next().is_some()),
                    ..Facts::default()
                })
            })
            .map(|vm| vm.domain_ref())
            .collect())
    }

    /// The domain running (or suspended) with this id.
    pub(super) fn lookup_id(&self, id: i32) -> Result<DomainRef> {
        self.lookup(|vm| vm.power != Power::Off && vm.number() == id)?
            .map(|vm| vm.domain_ref())
            .ok_or_else(|| vms::no_id(id))
    }

    /// The domain with this name.
    pub(super) fn lookup_name(&self, name: &str) -> Result<DomainRef> {
        self.lookup(|vm| vm.name == name)?
            .map(|vm| vm.domain_ref())
            .ok_or_else(|| vms::no_name(name))
    }

    /// The domain with this UUID.
    pub(super) fn lookup_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.lookup(|vm| vm.uuid == *uuid)?
            .map(|vm| vm.domain_ref())
            .ok_or_else(|| vms::no_uuid(uuid))
    }

    /// virDomainGetInfo.
    pub(super) fn info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let vm = self.vm(
            dom,
            &[
                "config.hardware.memoryMB",
                "config.hardware.numCPU",
                "config.memoryAllocation.limit",
            ],
        )?;
        let max_mem = vm.props.int("config.hardware.memoryMB").unwrap_or(0).max(0) as u64 * 1024;
        // The memory a domain may use is its limit; -1 means none is set.
        let memory = match vm.props.int("config.memoryAllocation.limit") {
            Some(limit) if limit >= 0 => limit as u64 * 1024,
            _ => max_mem,
        };
        Ok(DomainInfo {
            state: vm.power.domain_state(),
            max_mem,
            memory,
            nr_virt_cpu: vm.props.int("config.hardware.numCPU").unwrap_or(0).max(0) as u32,
            cpu_time: 0,
        })
    }

    /// virDomainGetState (no reasons: ESX reports none).
    pub(super) fn state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainGetState", flags));
        }
        let vm = self.vm(dom, &[])?;
        Ok((vm.power.domain_state(), 0))
    }

    /// The maximum memory in KiB.
    pub(super) fn max_memory(&self, dom: &DomainRef) -> Result<u64> {
        let vm = self.vm(dom, &["config.hardware.memoryMB"])?;
        let mb = vm.props.int("config.hardware.memoryMB").ok_or_else(|| {
            Error::internal(
                VIR_FROM_ESX,
                "Missing or invalid 'config.hardware.memoryMB' property",
            )
        })?;
        Ok(mb.max(0) as u64 * 1024)
    }

    /// The guest's host name as VMware Tools report it.
    pub(super) fn guest_hostname(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainGetHostname", flags));
        }
        let vm = self.vm(dom, &["guest.hostName"])?;
        vm.props
            .text("guest.hostName")
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_OPERATION_FAILED,
                    "hostname unavailable: the guest does not report it (are VMware Tools running?)",
                )
            })
    }

    /// The guest's interfaces and addresses as VMware Tools report them
    /// (the only source ESX has: it keeps no leases and no ARP table).
    pub(super) fn interface_addresses(
        &self,
        dom: &DomainRef,
        source: u32,
        flags: u32,
    ) -> Result<Vec<GuestInterface>> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainInterfaceAddresses",
                flags,
            ));
        }
        if source != VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT as u32 {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_ARGUMENT_UNSUPPORTED,
                format!("IP address data source {source} is not available: only the guest agent (VMware Tools) reports addresses"),
            ));
        }
        let vm = self.vm(dom, &["guest.net"])?;
        let Some(list) = vm.props.get("guest.net") else {
            return Ok(Vec::new());
        };
        Ok(list
            .elements()
            .enumerate()
            .map(|(i, nic)| guest_interface(i, nic))
            .collect())
    }
}

/// One `GuestNicInfo`: named `ethernetN` after its device (keys count from
/// 4000, as the VMX names them), its addresses from `ipConfig` where the
/// tools report prefixes, else from the plain address list.
fn guest_interface(position: usize, nic: &Element) -> GuestInterface {
    let index = child_text(nic, "deviceConfigId")
        .and_then(|k| k.trim().parse::<i64>().ok())
        .filter(|k| *k >= 4000)
        .map(|k| (k - 4000) as usize)
        .unwrap_or(position);
    let kind = |a: &str| {
        if a.contains(':') {
            VIR_IP_ADDR_TYPE_IPV6
        } else {
            VIR_IP_ADDR_TYPE_IPV4
        }
    };
    let mut addrs: Vec<(i32, String, u32)> = child(nic, "ipConfig")
        .map(|c| {
            children(c, "ipAddress")
                .filter_map(|a| {
                    let addr = child_text(a, "ipAddress")?;
                    let prefix = child_text(a, "prefixLength")
                        .and_then(|p| p.trim().parse().ok())
                        .unwrap_or(0);
                    Some((kind(&addr), addr, prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    if addrs.is_empty() {
        addrs = children(nic, "ipAddress")
            .map(|a| a.text().trim().to_string())
            .filter(|a| !a.is_empty())
            .map(|a| (kind(&a), a, 0))
            .collect();
    }
    GuestInterface {
        name: format!("ethernet{index}"),
        hwaddr: child_text(nic, "macAddress"),
        addrs,
    }
}
