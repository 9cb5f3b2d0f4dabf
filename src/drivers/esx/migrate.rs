//! Migration between two hosts of one vCenter (libvirt's version 1
//! protocol): the destination names itself as a vpx:// URI, the source has
//! the vCenter move the VM there.

use super::inventory::{self, Placement};
use super::params::Product;
use super::soap::{self, MoRef, Reply};
use super::vi::Session;
use super::EsxDriver;
use crate::abi::*;
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::uri::Uri;

/// The migration flags the driver accepts (a vMotion is always live, and
/// the VM stays defined where it runs).
const FLAGS: u64 =
    (VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_PAUSED) as u64;

fn check_flags(flags: u64, func: &str) -> Result<()> {
    if flags & !FLAGS != 0 {
        return Err(Error::bad_flags(VIR_FROM_ESX, func, (flags & !FLAGS) as u32));
    }
    Ok(())
}

fn invalid(text: &str) -> Error {
    Error::invalid_arg(VIR_FROM_ESX, text)
}

/// `host[:port]` of a session's `scheme://host:port` base, without the port
/// when it is the scheme's default.
fn authority(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let default = if scheme == "http" { ":80" } else { ":443" };
    rest.strip_suffix(default).unwrap_or(rest).to_string()
}

impl EsxDriver {
    /// The vCenter session: the connection's own for vpx://, the one the
    /// `vcenter` parameter opened otherwise.
    fn vcenter_session(&self) -> Option<&Session> {
        if self.params.product == Product::Vpx {
            Some(&self.session)
        } else {
            self.vcenter.as_ref()
        }
    }

    fn need_vcenter(&self) -> Result<&Session> {
        self.vcenter_session()
            .ok_or_else(|| invalid("Migration not possible without a vCenter"))
    }

    /// Whether migrations can go through a vCenter.
    pub(super) fn can_migrate(&self) -> bool {
        self.vcenter_session().is_some()
    }

    /// This host as the vCenter sees it.
    fn vcenter_placement(&self, vc: &Session) -> Result<Placement> {
        if self.params.product == Product::Vpx {
            return Ok(self.placement.clone());
        }
        // The host is known to the vCenter by its address.
        let index = vc.content.search_index.clone().ok_or_else(|| {
            Error::internal(VIR_FROM_ESX, "The vCenter's service content lacks 'searchIndex'")
        })?;
        let ip = super::vcenter::resolve(&self.params.server)?;
        let args = format!("{}{}", soap::text("ip", &ip), soap::text("vmSearch", "false"));
        let found = vc.call("FindByIp", &index, &args)?;
        let host = soap::child(&found, "returnval")
            .and_then(|r| MoRef::from_element(r, Some("HostSystem")))
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    format!("The vCenter does not know host '{}'", self.params.server),
                )
            })?;
        inventory::locate_host(vc, &host)
    }

    /// The VM of `dom` as the vCenter knows it.
    fn vcenter_vm(&self, vc: &Session, dom: &DomainRef) -> Result<MoRef> {
        let vm = self.vm(dom, &[])?;
        if self.params.product == Product::Vpx {
            return Ok(vm.obj);
        }
        let index = vc.content.search_index.clone().ok_or_else(|| {
            Error::internal(VIR_FROM_ESX, "The vCenter's service content lacks 'searchIndex'")
        })?;
        let args = format!(
            "{}{}",
            soap::text("uuid", &dom.uuid.to_string()),
            soap::text("vmSearch", "true")
        );
        let found = vc.call("FindByUuid", &index, &args)?;
        soap::child(&found, "returnval")
            .and_then(|r| MoRef::from_element(r, Some("VirtualMachine")))
            .ok_or_else(|| super::vms::no_uuid(&dom.uuid))
    }

    /// On the destination: the vpx:// URI of this host.
    pub(super) fn migrate_prepare(&self, uri_in: Option<&str>, flags: u64) -> Result<Option<String>> {
        check_flags(flags, "esxDomainMigratePrepare")?;
        if uri_in.is_some() {
            return Ok(None);
        }
        let vc = self.need_vcenter()?;
        let here = self.vcenter_placement(vc)?;
        Ok(Some(format!("vpx://{}/{}", authority(vc.base()), here.path)))
    }

    /// On the source: has the vCenter move the VM to the host `uri` names.
    pub(super) fn migrate_perform(
        &self,
        dom: &DomainRef,
        uri: &str,
        flags: u64,
        dname: Option<&str>,
    ) -> Result<()> {
        check_flags(flags, "esxDomainMigratePerform")?;
        let vc = self.need_vcenter()?;
        if dname.is_some() {
            return Err(invalid("Renaming domains on migration not supported"));
        }
        let target = Uri::parse(uri)?;
        if target.scheme.as_deref() != Some("vpx") {
            return Err(invalid("Only vpx:// migration URIs are supported"));
        }
        let mut wanted = target.server.clone().unwrap_or_default();
        if target.port != 0 {
            wanted = format!("{wanted}:{}", target.port);
        }
        if authority(&format!("{}://{wanted}", self.params.transport)) != authority(vc.base()) {
            return Err(invalid(
                "Migration source and destination have to refer to the same vCenter",
            ));
        }
        let path = target.path.as_deref().unwrap_or("").trim_matches('/');
        if path.is_empty() {
            return Err(invalid("Migration URI has to specify a host system"));
        }
        let dest = inventory::locate(vc, path)?;
        let pool = dest.resource_pool.clone().ok_or_else(|| {
            Error::internal(VIR_FROM_ESX, format!("Host system '{path}' has no resource pool"))
        })?;
        let vm = self.vcenter_vm(vc, dom)?;
        let what = "Could not migrate domain, migration task finished with an error";
        let args = format!(
            "{}{}{}",
            pool.xml("pool"),
            dest.host.xml("host"),
            soap::text("priority", "defaultPriority")
        );
        let reply = vc.call_raw("MigrateVM_Task", &vm, &args)?;
        let result = match reply {
            // Servers without MigrateVM (the vSphere simulator) relocate.
            Reply::Fault(_, f) if f.kind.as_deref() == Some("MethodNotFound") => {
                let spec = format!("<spec>{}{}</spec>", pool.xml("pool"), dest.host.xml("host"));
                let reply = vc.call_raw("RelocateVM_Task", &vm, &spec)?;
                self.await_task(vc, "RelocateVM_Task", reply, Some(&vm), what)
            }
            reply => self.await_task(vc, "MigrateVM_Task", reply, Some(&vm), what),
        };
        // The VM is on another host now, whatever this host's session saw.
        self.session.changed();
        result.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_leave_out_default_ports() {
        assert_eq!(authority("https://10.0.0.1:443"), "10.0.0.1");
        assert_eq!(authority("https://10.0.0.1:8443"), "10.0.0.1:8443");
        assert_eq!(authority("http://vc:80"), "vc");
        assert_eq!(authority("http://vc:443"), "vc:443");
    }
}
