//! Settings changed with ReconfigVM_Task (memory, vCPUs, the CPU
//! allocation libvirt shows as scheduler parameters) and autostart through
//! the host's HostAutoStartManager.

use std::collections::HashSet;

use super::soap::{self, child, child_text, children, path, MoRef};
use super::vms::Power;
use super::EsxDriver;
use crate::abi::*;
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::typed_params::{self, ParamType, TypedParam, TypedValue};

/// The scheduler libvirt's ESX driver reports.
pub const SCHEDULER: &str = "allocation";

/// The CPU allocation as the three scheduler parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuAllocation {
    /// Guaranteed MHz.
    pub reservation: i64,
    /// Most MHz, -1 for unlimited.
    pub limit: i64,
    /// Shares, or -1/-2/-3 for the levels low/normal/high.
    pub shares: i32,
}

/// libvirt's ESX wording for flags a vCPU call does not take.
fn unsupported_flags(flags: u32) -> Error {
    Error::invalid_arg(VIR_FROM_ESX, format!("unsupported flags: (0x{flags:x})"))
}

fn level_to_shares(level: &str, custom: i32) -> Result<i32> {
    Ok(match level {
        "low" => -1,
        "normal" => -2,
        "high" => -3,
        "custom" => custom,
        other => {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("Shares level has unknown value {other}"),
            ))
        }
    })
}

fn shares_xml(shares: i32) -> Result<String> {
    let (value, level) = match shares {
        -1 => (0, "low"),
        -2 => (0, "normal"),
        -3 => (0, "high"),
        n if n >= 0 => (n, "custom"),
        n => {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                format!(
                    "Shares has unsupported value {n}, expecting positive value or -1 (low), -2 (normal) or -3 (high)"
                ),
            ))
        }
    };
    Ok(format!(
        "<shares><shares>{value}</shares><level>{level}</level></shares>"
    ))
}

impl EsxDriver {
    /// Reconfigures a VM with `spec` (the inside of a VirtualMachineConfigSpec).
    fn reconfigure(&self, obj: &MoRef, spec: &str, what: &str) -> Result<()> {
        self.run_task(
            "ReconfigVM_Task",
            obj,
            &format!("<spec>{spec}</spec>"),
            Some(obj),
            what,
        )
        .map(|_| ())
    }

    /// The VM's CPU allocation.
    pub(super) fn cpu_allocation(&self, dom: &DomainRef) -> Result<CpuAllocation> {
        let vm = self.vm(dom, &["config.cpuAllocation"])?;
        let alloc = vm
            .props
            .get("config.cpuAllocation")
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "Missing 'config.cpuAllocation' property"))?;
        let num = |name: &str| child_text(alloc, name).and_then(|t| t.parse::<i64>().ok());
        let shares = child(alloc, "shares");
        let custom = shares
            .and_then(|s| child_text(s, "shares"))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let level = shares
            .and_then(|s| child_text(s, "level"))
            .unwrap_or_else(|| "normal".to_string());
        Ok(CpuAllocation {
            reservation: num("reservation").unwrap_or(0),
            limit: num("limit").unwrap_or(-1),
            shares: level_to_shares(&level, custom)?,
        })
    }

    /// The scheduler parameters: reservation, limit, shares.
    pub(super) fn scheduler_params(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainGetSchedulerParametersFlags",
                flags,
            ));
        }
        let a = self.cpu_allocation(dom)?;
        Ok(vec![
            TypedParam::new("reservation", TypedValue::LLong(a.reservation))?,
            TypedParam::new("limit", TypedValue::LLong(a.limit))?,
            TypedParam::new("shares", TypedValue::Int(a.shares))?,
        ])
    }

    /// Changes the CPU allocation.
    pub(super) fn set_scheduler_params(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSetSchedulerParametersFlags",
                flags,
            ));
        }
        typed_params::validate(
            params,
            &[
                ("reservation", ParamType::LLong),
                ("limit", ParamType::LLong),
                ("shares", ParamType::Int),
            ],
        )
        .map_err(|mut e| {
            e.domain = VIR_FROM_ESX;
            e
        })?;
        let reservation: Option<i64> = typed_params::get(params, "reservation")?;
        let limit: Option<i64> = typed_params::get(params, "limit")?;
        let shares: Option<i32> = typed_params::get(params, "shares")?;
        let mut spec = String::new();
        if let Some(r) = reservation {
            if r < 0 {
                return Err(Error::invalid_arg(
                    VIR_FROM_ESX,
                    format!("Could not set reservation to {r} MHz, expecting positive value"),
                ));
            }
            spec.push_str(&format!("<reservation>{r}</reservation>"));
        }
        if let Some(l) = limit {
            if l < -1 {
                return Err(Error::invalid_arg(
                    VIR_FROM_ESX,
                    format!("Could not set limit to {l} MHz, expecting positive value or -1 (unlimited)"),
                ));
            }
            spec.push_str(&format!("<limit>{l}</limit>"));
        }
        if let Some(s) = shares {
            spec.push_str(&shares_xml(s)?);
        }
        // The limit may not fall below the reservation.
        if reservation.is_some() || limit.is_some() {
            let cur = self.cpu_allocation(dom)?;
            let r = reservation.unwrap_or(cur.reservation);
            let l = limit.unwrap_or(cur.limit);
            if l != -1 && l < r {
                return Err(Error::invalid_arg(
                    VIR_FROM_ESX,
                    format!(
                        "Could not set limit to {l} MHz, it must not be less than the reservation of {r} MHz"
                    ),
                ));
            }
        }
        if spec.is_empty() {
            return Ok(());
        }
        let vm = self.vm_for_task(dom, &[])?;
        self.reconfigure(
            &vm.obj,
            &format!("<cpuAllocation>{spec}</cpuAllocation>"),
            "Could not change scheduler parameters",
        )
    }

    /// The memory parameters: the reservation as `min_guarantee` (KiB).
    pub(super) fn memory_params(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainGetMemoryParameters",
                flags,
            ));
        }
        let vm = self.vm(dom, &["config.memoryAllocation.reservation"])?;
        let mb = vm
            .props
            .int("config.memoryAllocation.reservation")
            .unwrap_or(0)
            .max(0) as u64;
        Ok(vec![TypedParam::new(
            VIR_DOMAIN_MEMORY_MIN_GUARANTEE,
            TypedValue::ULLong(mb * 1024),
        )?])
    }

    /// Changes the memory reservation (`min_guarantee`, KiB rounded up to MiB).
    pub(super) fn set_memory_params(&self, dom: &DomainRef, params: &[TypedParam], flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSetMemoryParameters",
                flags,
            ));
        }
        typed_params::validate(params, &[(VIR_DOMAIN_MEMORY_MIN_GUARANTEE, ParamType::ULLong)]).map_err(
            |mut e| {
                e.domain = VIR_FROM_ESX;
                e
            },
        )?;
        let Some(kib) = typed_params::get::<u64>(params, VIR_DOMAIN_MEMORY_MIN_GUARANTEE)? else {
            return Ok(());
        };
        let vm = self.vm_for_task(dom, &[])?;
        self.reconfigure(
            &vm.obj,
            &format!(
                "<memoryAllocation><reservation>{}</reservation></memoryAllocation>",
                kib.div_ceil(1024)
            ),
            "Could not change memory parameters",
        )
    }

    /// The memory the host can still reserve for VMs, in bytes (its
    /// resource pool's unreserved memory).
    pub(super) fn free_memory(&self) -> Result<u64> {
        let pool = self
            .placement
            .resource_pool
            .clone()
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The host has no resource pool"))?;
        let found = self.session.retrieve_one(&pool, &["runtime.memory"])?;
        found
            .get("runtime.memory")
            .and_then(|m| child_text(m, "unreservedForVm"))
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|v| v.max(0) as u64)
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    "Missing or invalid 'runtime.memory.unreservedForVm' property",
                )
            })
    }

    /// Sets the memory limit, or with VIR_DOMAIN_MEM_MAXIMUM the maximum.
    pub(super) fn set_memory(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_MEM_MAXIMUM | VIR_DOMAIN_AFFECT_LIVE;
        if flags & !known != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainSetMemoryFlags", flags));
        }
        let vm = self.vm_for_task(dom, &[])?;
        if flags & VIR_DOMAIN_MEM_MAXIMUM != 0 {
            if vm.power != Power::Off {
                return Err(Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_OPERATION_INVALID,
                    "Domain is not powered off",
                ));
            }
            // The maximum is kept in whole multiples of 4 MiB: rounded up.
            let mb = kib.div_ceil(4096) * 4;
            return self.reconfigure(
                &vm.obj,
                &format!("<memoryMB>{mb}</memoryMB>"),
                &format!("Could not set max-memory to {kib} kilobytes"),
            );
        }
        // The memory a running domain may use is its limit, in whole MiB;
        // the server refuses a limit it cannot honour.
        self.reconfigure(
            &vm.obj,
            &format!(
                "<memoryAllocation><limit>{}</limit></memoryAllocation>",
                kib.div_ceil(1024)
            ),
            &format!("Could not set memory to {kib} kilobytes"),
        )
    }

    /// The most vCPUs a guest may have on this host.
    pub(super) fn host_max_vcpus(&self) -> Result<i32> {
        let host = self.host_props(&["capability.maxSupportedVcpus"])?;
        Ok(host
            .int("capability.maxSupportedVcpus")
            .filter(|n| *n > 0)
            .unwrap_or(8) as i32)
    }

    /// Sets the number of vCPUs of the running configuration.
    pub(super) fn set_vcpus(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        if flags != VIR_DOMAIN_AFFECT_LIVE {
            return Err(unsupported_flags(flags));
        }
        if n < 1 {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                "Requested number of virtual CPUs must at least be 1",
            ));
        }
        self.vm(dom, &[])?;
        let max = self.host_max_vcpus()?;
        if i64::from(n) > i64::from(max) {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                format!("Requested number of virtual CPUs is greater than max allowable number of virtual CPUs for the domain: {n} > {max}"),
            ));
        }
        let vm = self.vm_for_task(dom, &[])?;
        self.reconfigure(
            &vm.obj,
            &format!("<numCPUs>{n}</numCPUs>"),
            &format!("Could not set number of virtual CPUs to {n}"),
        )
    }

    /// Only the maximum can be asked for, as libvirt's ESX driver answers.
    pub(super) fn get_vcpus(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        if flags != (VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM) {
            return Err(unsupported_flags(flags));
        }
        self.vm(dom, &[])?;
        self.host_max_vcpus()
    }

    fn autostart_manager(&self) -> Result<MoRef> {
        let host = self.host_props(&["configManager.autoStartManager"])?;
        host.moref("configManager.autoStartManager", Some("HostAutoStartManager"))
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_NO_SUPPORT,
                    "The host has no autostart manager",
                )
            })
    }

    /// The references of the VMs that start with the host (none when the
    /// host's autostart is off).
    pub(super) fn autostart_set(&self) -> Result<HashSet<String>> {
        let mgr = self.autostart_manager()?;
        let cfg = self.session.retrieve_one(&mgr, &["config"])?;
        let mut set = HashSet::new();
        let Some(config) = cfg.get("config") else {
            return Ok(set);
        };
        let enabled = path(config, "defaults.enabled").is_some_and(|e| e.text().trim() == "true");
        if !enabled {
            return Ok(set);
        }
        for info in children(config, "powerInfo") {
            if child_text(info, "startAction").as_deref() == Some("powerOn") {
                if let Some(key) =
                    child(info, "key").and_then(|k| MoRef::from_element(k, Some("VirtualMachine")))
                {
                    set.insert(key.value);
                }
            }
        }
        Ok(set)
    }

    /// Whether the VM starts with the host.
    pub(super) fn get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        let vm = self.vm(dom, &[])?;
        Ok(self.autostart_set()?.contains(&vm.obj.value))
    }

    /// Makes the VM start (or not) with the host.
    pub(super) fn set_autostart(&self, dom: &DomainRef, on: bool) -> Result<()> {
        let vm = self.vm(dom, &[])?;
        let mgr = self.autostart_manager()?;
        let mut spec = String::new();
        if on {
            // Turning one VM on needs the host's autostart on as well.
            spec.push_str("<defaults><enabled>true</enabled></defaults>");
        }
        spec.push_str(&format!(
            "<powerInfo>{}<startOrder>-1</startOrder><startDelay>-1</startDelay>\
             <waitForHeartbeat>systemDefault</waitForHeartbeat><startAction>{}</startAction>\
             <stopDelay>-1</stopDelay><stopAction>systemDefault</stopAction></powerInfo>",
            vm.obj.xml("key"),
            if on { "powerOn" } else { "none" }
        ));
        match self
            .session
            .call_raw("ReconfigureAutostart", &mgr, &format!("<spec>{spec}</spec>"))?
        {
            soap::Reply::Ok(_) => Ok(()),
            soap::Reply::Fault(status, f) => Err(soap::fault_error("ReconfigureAutostart", status, &f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_levels() {
        assert_eq!(level_to_shares("low", 5).unwrap(), -1);
        assert_eq!(level_to_shares("normal", 5).unwrap(), -2);
        assert_eq!(level_to_shares("high", 5).unwrap(), -3);
        assert_eq!(level_to_shares("custom", 5).unwrap(), 5);
        assert!(level_to_shares("weird", 5).is_err());
        assert!(shares_xml(-3).unwrap().contains("<level>high</level>"));
        assert!(shares_xml(700)
            .unwrap()
            .contains("<shares>700</shares><level>custom</level>"));
        assert!(shares_xml(-4).is_err());
    }
}
