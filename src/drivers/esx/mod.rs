//! The VMware ESX driver (`esx://`, `gsx://`, `vpx://`): a client of the
//! vSphere SOAP API.  It logs in with the caller's credentials, works with
//! one host (an ESX server's own, or the one a vpx:// path names) and maps
//! libvirt's calls onto the host's virtual machines.

mod config;
mod domains;
mod inventory;
mod params;
mod power;
mod snapshots;
mod soap;
mod tasks;
mod tune;
mod vcenter;
mod vi;
mod vms;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::abi::*;
use crate::auth::Auth;
use crate::caps::{Capabilities, Guest, Host};
use crate::domain::Uuid;
use crate::driver::{DomainInfo, DomainRef, Driver, NodeInfo, SnapshotRef};
use crate::error::{Error, Result};
use crate::net::HttpOptions;
use crate::typed_params::TypedParam;
use crate::uri::Uri;

pub use params::{remote_transport_error, EsxParams, Product};
pub use soap::{parse_reply, Fault, MoRef, Reply};
pub use vi::RequestCounter;

use inventory::Placement;
use vi::Session;

/// An open ESX driver connection.
pub struct EsxDriver {
    params: EsxParams,
    session: Session,
    /// The vCenter session of an esx:// URI with `vcenter`.
    vcenter: Option<Session>,
    placement: Placement,
    requests: RequestCounter,
    vm_cache: vms::VmCache,
    closed: AtomicBool,
}

impl EsxDriver {
    /// Opens `uri` (an esx, gsx or vpx URI) and logs in.
    pub fn open(uri: &Uri, auth: &Auth, _flags: u32) -> Result<EsxDriver> {
        let scheme = uri.scheme.as_deref().unwrap_or_default();
        let product = Product::from_scheme(scheme).ok_or_else(|| remote_transport_error(scheme))?;
        if uri.server.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid_arg(VIR_FROM_ESX, "URI is missing the server part"));
        }
        // Logging in needs the caller's callback (auth.conf alone is not enough).
        if !auth.has_prompter() {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                "Missing or invalid auth pointer",
            ));
        }
        let params = EsxParams::parse(uri, product)?;
        let requests: RequestCounter = Arc::default();
        let opts = HttpOptions {
            no_verify: params.no_verify,
            proxy: params.proxy.clone(),
            error_domain: VIR_FROM_ESX,
            ..HttpOptions::default()
        };
        let session = Session::connect(&params.base_url(), &opts, requests.clone())?;
        // A vpx:// connection is to the vCenter already.
        let vcenter_param = params.vcenter.clone().filter(|_| product != Product::Vpx);
        check_product(&params, &session.content.about)?;
        let service = product.scheme();
        let user = match &params.user {
            Some(u) => u.clone(),
            None => {
                let default = if product == Product::Vpx {
                    "administrator"
                } else {
                    "root"
                };
                auth.username(service, &params.server, Some(default))?
            }
        };
        let password = auth.password(service, &user, &params.server)?;
        session.login(&user, &password)?;
        let path = if product == Product::Vpx {
            params.path.as_str()
        } else {
            ""
        };
        let placement = match inventory::locate(&session, path) {
            Ok(p) => p,
            Err(e) => {
                session.logout();
                return Err(e);
            }
        };
        let vcenter = match vcenter_param {
            Some(wanted) => {
                let managed_by = session
                    .retrieve_one(&placement.host, &["summary.managementServerIp"])
                    .map(|h| h.text("summary.managementServerIp"));
                let vc = managed_by.and_then(|ip| {
                    vcenter::connect(&params, &wanted, ip.as_deref(), auth, &opts, requests.clone())
                });
                match vc {
                    Ok(vc) => Some(vc),
                    Err(e) => {
                        session.logout();
                        return Err(e);
                    }
                }
            }
            None => None,
        };
        Ok(EsxDriver {
            params,
            session,
            vcenter,
            placement,
            requests,
            vm_cache: vms::VmCache::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// How many SOAP requests (and file transfers) this connection made.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The shared request counter, still readable after the driver went
    /// into a [`crate::connect::Connection`].
    pub fn request_counter(&self) -> RequestCounter {
        self.requests.clone()
    }

    /// The product the connection talks to.
    pub fn product(&self) -> Product {
        self.params.product
    }

    /// The inventory name of the connection's host.
    pub fn host_name(&self) -> &str {
        &self.placement.host_name
    }

    /// Properties of the connection's host.
    fn host_props(&self, paths: &[&str]) -> Result<vi::ObjectContent> {
        self.session.retrieve_one(&self.placement.host, paths)
    }
}

impl EsxDriver {
    /// Ends the session the first time only (close, then drop).
    fn logout_once(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            if let Some(vc) = &self.vcenter {
                vc.logout();
            }
            self.session.logout();
        }
    }
}

impl Drop for EsxDriver {
    fn drop(&mut self) {
        self.logout_once();
    }
}

/// Refuses an endpoint that is not what the scheme says.
fn check_product(params: &EsxParams, about: &vi::About) -> Result<()> {
    let ok = match params.product {
        Product::Esx => about.api_type == "HostAgent" && about.product_line_id != "gsx",
        Product::Gsx => about.api_type == "HostAgent" && about.product_line_id == "gsx",
        Product::Vpx => about.api_type == "VirtualCenter",
    };
    if ok {
        return Ok(());
    }
    let wanted = match params.product {
        Product::Esx => "an ESX server",
        Product::Gsx => "a GSX server",
        Product::Vpx => "a vCenter",
    };
    Err(Error::internal(
        VIR_FROM_ESX,
        format!(
            "Expecting '{}' to be {wanted} but found {} ({}/{})",
            params.server, about.full_name, about.api_type, about.product_line_id
        ),
    ))
}

/// `major.minor[.micro]` packed as libvirt packs versions.
pub fn pack_version(text: &str) -> Result<u64> {
    let bad = || {
        Error::internal(
            VIR_FROM_ESX,
            format!("Could not parse version number from '{text}'"),
        )
    };
    let mut parts = text.trim().split('.');
    let mut nums = [0u64; 3];
    for (i, slot) in nums.iter_mut().enumerate() {
        match parts.next() {
            Some(p) => {
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                let n: u64 = digits.parse().map_err(|_| bad())?;
                if n > 999 && i > 0 {
                    return Err(bad());
                }
                *slot = n;
            }
            None if i > 0 => break,
            None => return Err(bad()),
        }
    }
    Ok(nums[0] * 1_000_000 + nums[1] * 1000 + nums[2])
}

impl EsxDriver {
    fn node(&self) -> Result<NodeInfo> {
        let host = self.host_props(&["summary.hardware"])?;
        let hw = host
            .get("summary.hardware")
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The host does not report its hardware summary"))?;
        let num = |name: &str| -> u64 {
            soap::child_text(hw, name)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0)
        };
        // The model as one line with single spaces (hosts pad it).
        let model: String = soap::child_text(hw, "cpuModel")
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let pkgs = num("numCpuPkgs").max(1);
        let cores = num("numCpuCores").max(1);
        let threads = num("numCpuThreads").max(cores);
        let mut model = model;
        // libvirt's node info holds 31 bytes of the model.
        while model.len() > 31 {
            model.pop();
        }
        Ok(NodeInfo {
            model,
            memory: num("memorySize") / 1024,
            cpus: cores as u32,
            mhz: num("cpuMhz") as u32,
            nodes: 1,
            sockets: pkgs as u32,
            cores: (cores / pkgs).max(1) as u32,
            threads: (threads / cores).max(1) as u32,
        })
    }

    fn caps(&self) -> Result<String> {
        let host = self.host_props(&["hardware.systemInfo.uuid", "summary.hardware"])?;
        let guest = |arch: &str, wordsize| Guest {
            os_type: "hvm".to_string(),
            arch: arch.to_string(),
            wordsize,
            domains: vec!["vmware".to_string()],
            ..Guest::default()
        };
        let caps = Capabilities {
            host: Host {
                uuid: host.text("hardware.systemInfo.uuid"),
                arch: "x86_64".to_string(),
                ..Host::default()
            },
            guests: vec![guest("i686", 32), guest("x86_64", 64)],
        };
        Ok(caps.to_xml())
    }

    fn host_dns_name(&self) -> Result<String> {
        let host = self.host_props(&["config.network.dnsConfig"])?;
        let dns = host.get("config.network.dnsConfig");
        let name = dns
            .and_then(|d| soap::child_text(d, "hostName"))
            .unwrap_or_default();
        let domain = dns
            .and_then(|d| soap::child_text(d, "domainName"))
            .unwrap_or_default();
        if name.is_empty() {
            return Err(Error::internal(
                VIR_FROM_ESX,
                "Missing or empty 'hostName' property",
            ));
        }
        Ok(if domain.is_empty() {
            name
        } else {
            format!("{name}.{domain}")
        })
    }
}

impl Driver for EsxDriver {
    fn kind(&self) -> &'static str {
        "ESX"
    }

    fn version(&self) -> Result<u64> {
        pack_version(&self.session.content.about.version)
    }

    fn hostname(&self) -> Result<String> {
        self.host_dns_name()
    }

    fn capabilities(&self) -> Result<String> {
        self.caps()
    }

    fn node_info(&self) -> Result<NodeInfo> {
        self.node()
    }

    fn is_alive(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_secure(&self) -> Result<bool> {
        Ok(self.params.transport == "https")
    }

    fn is_encrypted(&self) -> Result<bool> {
        Ok(self.params.transport == "https")
    }

    fn close(&self, _owner: usize) {
        self.logout_once();
    }

    fn num_of_domains(&self) -> Result<i32> {
        Ok(self.running_ids()?.len() as i32)
    }

    fn list_domains(&self) -> Result<Vec<i32>> {
        self.running_ids()
    }

    fn num_of_defined_domains(&self) -> Result<i32> {
        Ok(self.inactive_names()?.len() as i32)
    }

    fn list_defined_domains(&self) -> Result<Vec<String>> {
        self.inactive_names()
    }

    fn list_all_domains(&self, flags: u32) -> Result<Vec<DomainRef>> {
        self.list_all(flags)
    }

    fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        self.lookup_id(id)
    }

    fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        self.lookup_name(name)
    }

    fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.lookup_uuid(uuid)
    }

    fn domain_create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        self.create(dom, flags)
    }

    fn domain_destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.destroy(dom, flags)
    }

    fn domain_shutdown(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.guest_power(dom, flags, "ShutdownGuest", "esxDomainShutdownFlags")
    }

    fn domain_reboot(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.guest_power(dom, flags, "RebootGuest", "esxDomainReboot")
    }

    fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        self.suspend(dom)
    }

    fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        self.resume(dom)
    }

    fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        self.info(dom)
    }

    fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        self.state(dom, flags)
    }

    fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        self.vm(dom, &[])?;
        Ok("hvm".to_string())
    }

    fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        self.max_memory(dom)
    }

    fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.vm(dom, &[])?;
        self.host_max_vcpus()
    }

    fn domain_get_hostname(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.guest_hostname(dom, flags)
    }

    fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.vm(dom, &[])?.is_active())
    }

    fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        self.vm(dom, &[])?;
        Ok(true)
    }

    fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        self.vm(dom, &[])?;
        Ok(false)
    }

    fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainHasManagedSaveImage",
                flags,
            ));
        }
        self.vm(dom, &[])?;
        Ok(false)
    }

    fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        self.get_autostart(dom)
    }

    fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        self.set_autostart(dom, autostart)
    }

    fn domain_set_memory_flags(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        self.set_memory(dom, kib, flags)
    }

    fn domain_set_vcpus_flags(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        self.set_vcpus(dom, n, flags)
    }

    fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.get_vcpus(dom, flags)
    }

    fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        self.vm(dom, &[])?;
        Ok((tune::SCHEDULER.to_string(), 3))
    }

    fn domain_get_scheduler_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        self.scheduler_params(dom, flags)
    }

    fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        self.set_scheduler_params(dom, params, flags)
    }

    fn snapshot_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<(SnapshotRef, bool)> {
        self.snap_create(dom, xml, flags)
    }

    fn snapshot_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        _api: &str,
    ) -> Result<Vec<String>> {
        self.snap_list(dom, parent, flags)
    }

    fn snapshot_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<SnapshotRef> {
        self.snap_lookup(dom, name, flags)
    }

    fn snapshot_get_xml_desc(&self, snap: &SnapshotRef, flags: u32) -> Result<String> {
        self.snap_xml(snap, flags)
    }

    fn snapshot_has_current(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        Ok(self.snap_current(dom, flags)?.is_some())
    }

    fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        self.snap_current(dom, flags)?.ok_or_else(|| {
            Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
                "Domain has no current snapshot",
            )
        })
    }

    fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        self.snap_parent(snap, flags)
    }

    fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        self.snap_is_current(snap, flags)
    }

    fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        self.snap_has_metadata(snap, flags)
    }

    fn snapshot_revert(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        self.snap_revert(snap, flags)
    }

    fn snapshot_delete(&self, snap: &SnapshotRef, flags: u32) -> Result<()> {
        self.snap_delete(snap, flags)
    }

    fn domain_get_xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.xml_desc(dom, flags)
    }

    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        self.define(xml, flags)
    }

    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.undefine(dom, flags)
    }
}
