//! Power operations: tasks started on a VM and awaited, guest operations
//! that need VMware Tools in the guest, and libvirt's errors for a VM in the
//! wrong state.

use super::soap::{MoRef, Reply};
use super::tasks::{self, Outcome};
use super::vi::Session;
use super::vms::{Power, Vm};
use super::EsxDriver;
use crate::abi::*;
use crate::driver::DomainRef;
use crate::error::{Error, Result};

fn wrong_state(text: &str) -> Error {
    Error::with(VIR_FROM_ESX, VIR_ERR_OPERATION_INVALID, text)
}

impl EsxDriver {
    /// The VM of a handle, ready for a task: a question it is waiting on is
    /// answered (auto_answer) or reported first, as no task could run.
    pub(super) fn vm_for_task(&self, dom: &DomainRef, extra: &[&str]) -> Result<Vm> {
        let mut paths = vec!["runtime.question"];
        paths.extend_from_slice(extra);
        let vm = self.vm(dom, &paths)?;
        if let Some(question) = vm.props.get("runtime.question") {
            tasks::handle_question(&self.session, &vm.obj, question, None, self.params.auto_answer)?;
        }
        Ok(vm)
    }

    /// Runs `method` (a `*_Task`) on `obj` with `args` and waits for it;
    /// a failure reads "`what`: reason".
    pub(super) fn run_task(
        &self,
        method: &str,
        obj: &MoRef,
        args: &str,
        vm: Option<&MoRef>,
        what: &str,
    ) -> Result<Option<String>> {
        let reply = self.session.call_raw(method, obj, args)?;
        self.await_task(&self.session, method, reply, vm, what)
    }

    /// Waits for the task a `*_Task` call on `session` returned in `reply`.
    pub(super) fn await_task(
        &self,
        session: &Session,
        method: &str,
        reply: Reply,
        vm: Option<&MoRef>,
        what: &str,
    ) -> Result<Option<String>> {
        let task = match reply {
            Reply::Ok(el) => super::soap::child(&el, "returnval")
                .and_then(|r| MoRef::from_element(r, Some("Task")))
                .ok_or_else(|| {
                    Error::internal(VIR_FROM_ESX, format!("Call to '{method}' returned no task"))
                })?,
            Reply::Fault(status, fault) => return Err(super::soap::fault_error(method, status, &fault)),
        };
        match tasks::wait(session, &task, vm, self.params.auto_answer)? {
            Outcome::Success(result) => Ok(result),
            Outcome::Failed(msg) => Err(Error::internal(VIR_FROM_ESX, format!("{what}: {msg}"))),
        }
    }

    fn power_task(&self, vm: &Vm, method: &str, what: &str) -> Result<()> {
        self.run_task(method, &vm.obj, "", Some(&vm.obj), what)
            .map(|_| ())
    }

    /// Powers a stopped domain on.
    pub(super) fn create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainCreateWithFlags", flags));
        }
        let vm = self.vm_for_task(dom, &[])?;
        if vm.power != Power::Off {
            return Err(wrong_state("Domain is not powered off"));
        }
        self.power_task(&vm, "PowerOnVM_Task", "Could not start domain")?;
        let mut started = dom.clone();
        started.id = vm.number();
        Ok(started)
    }

    /// Powers a running domain off.
    pub(super) fn destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainDestroyFlags", flags));
        }
        let vm = self.vm_for_task(dom, &[])?;
        if vm.power != Power::On {
            return Err(wrong_state("Domain is not powered on"));
        }
        self.power_task(&vm, "PowerOffVM_Task", "Could not destroy domain")
    }

    /// Suspends a running domain.
    pub(super) fn suspend(&self, dom: &DomainRef) -> Result<()> {
        let vm = self.vm_for_task(dom, &[])?;
        if vm.power != Power::On {
            return Err(wrong_state("Domain is not powered on"));
        }
        self.power_task(&vm, "SuspendVM_Task", "Could not suspend domain")
    }

    /// Powers a suspended domain on again.
    pub(super) fn resume(&self, dom: &DomainRef) -> Result<()> {
        let vm = self.vm_for_task(dom, &[])?;
        if vm.power != Power::Suspended {
            return Err(wrong_state("Domain is not suspended"));
        }
        self.power_task(&vm, "PowerOnVM_Task", "Could not resume domain")
    }

    /// ShutdownGuest / RebootGuest: they go through VMware Tools in the
    /// guest, so a guest without running Tools is refused up front.
    pub(super) fn guest_power(&self, dom: &DomainRef, flags: u32, method: &str, func: &str) -> Result<i32> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, func, flags));
        }
        let vm = self.vm(dom, &["guest.toolsRunningStatus"])?;
        if vm.power != Power::On {
            return Err(wrong_state("Domain is not powered on"));
        }
        let what = if method == "ShutdownGuest" {
            "shut down"
        } else {
            "reboot"
        };
        let tools_missing = || {
            Error::with(
                VIR_FROM_ESX,
                VIR_ERR_OPERATION_INVALID,
                format!(
                    "Could not {what} domain '{}': VMware Tools is not running in the guest, which this needs",
                    vm.name
                ),
            )
        };
        if let Some(status) = vm.props.text("guest.toolsRunningStatus") {
            if status != "guestToolsRunning" {
                return Err(tools_missing());
            }
        }
        match self.session.call_raw(method, &vm.obj, "")? {
            Reply::Ok(_) => Ok(vm.number()),
            Reply::Fault(_, fault) if fault.kind.as_deref() == Some("ToolsUnavailable") => {
                Err(tools_missing())
            }
            Reply::Fault(status, fault) => Err(super::soap::fault_error(method, status, &fault)),
        }
    }
}

impl EsxDriver {
    /// A screenshot of a running VM's console, as the host's `/screen`
    /// page serves it (PNG).
    pub(super) fn screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Vec<u8>)> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainScreenshot", flags));
        }
        if screen != 0 {
            return Err(Error::invalid_arg(VIR_FROM_ESX, "Screen cannot be selected"));
        }
        let vm = self.vm(dom, &[])?;
        if vm.power != Power::On {
            return Err(wrong_state("Domain is not powered on"));
        }
        let url = format!("{}/screen?id={}", self.session.base(), vm.obj.value);
        self.session.count_request();
        let reply = self.session.http().request("GET", &url, &[], None)?;
        if reply.status != 200 {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("HTTP response code {} for screenshot from '{url}'", reply.status),
            ));
        }
        if !reply.body.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("The screenshot from '{url}' is not a PNG image"),
            ));
        }
        Ok(("image/png".to_string(), reply.body))
    }
}
