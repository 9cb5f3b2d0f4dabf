//! The libvirt driver entries of the Hyper-V driver, each handing over to
//! the module that does the work.

use super::vms::state;
use super::HypervDriver;
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::{DomainInfo, DomainRef, Driver, NetworkRef, NodeInfo, VcpuInfo};
use crate::error::{Error, Result};
use crate::stream::Payload;
use crate::typed_params::TypedParam;

impl Driver for HypervDriver {
    fn kind(&self) -> &'static str {
        "Hyper-V"
    }

    fn version(&self) -> Result<u64> {
        self.version_number()
    }

    fn hostname(&self) -> Result<String> {
        self.host_name()
    }

    fn capabilities(&self) -> Result<String> {
        self.caps()
    }

    fn max_vcpus(&self, _kind: Option<&str>) -> Result<i32> {
        self.max_vcpus()
    }

    fn node_info(&self) -> Result<NodeInfo> {
        self.node()
    }

    fn node_get_free_memory(&self) -> Result<u64> {
        self.free_memory()
    }

    fn is_alive(&self) -> Result<bool> {
        Ok(!self.closed.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn is_secure(&self) -> Result<bool> {
        Ok(self.params.transport == "https")
    }

    fn is_encrypted(&self) -> Result<bool> {
        Ok(self.params.transport == "https")
    }

    fn close(&self, _owner: usize) {
        self.mark_closed();
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

    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        self.define(xml, flags)
    }

    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.undefine(dom, flags)
    }

    fn domain_create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        self.create(dom, flags)
    }

    fn domain_destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.destroy(dom, flags)
    }

    fn domain_shutdown(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.shutdown(dom, flags)?;
        Ok(0)
    }

    fn domain_reboot(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainReboot", flags));
        }
        self.reboot_or_reset(dom, state::REBOOT)?;
        Ok(0)
    }

    fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainReset", flags));
        }
        self.reboot_or_reset(dom, state::RESET)
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
        self.get_state(dom, flags)
    }

    fn domain_get_os_type(&self, _dom: &DomainRef) -> Result<String> {
        Ok("hvm".to_string())
    }

    fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        Ok(self.info(dom)?.max_mem)
    }

    fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.vcpus(dom)
    }

    fn domain_get_vcpus(&self, dom: &DomainRef) -> Result<Vec<VcpuInfo>> {
        let info = self.info(dom)?;
        if info.state != VIR_DOMAIN_RUNNING && info.state != VIR_DOMAIN_PAUSED {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_OPERATION_INVALID,
                "Domain is not active",
            ));
        }
        Ok((0..info.nr_virt_cpu)
            .map(|n| VcpuInfo {
                number: n,
                state: VIR_VCPU_RUNNING,
                cpu_time: 0,
                cpu: -1,
                affinity: Vec::new(),
            })
            .collect())
    }

    fn domain_get_xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.xml_desc(dom, flags)
    }

    fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.vm(dom)?.is_active())
    }

    fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        self.vm(dom)?;
        Ok(true)
    }

    fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        self.vm(dom)?;
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
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainGetVcpusFlags",
                flags,
            ));
        }
        self.vcpus(dom)
    }

    fn domain_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.managed_save(dom, flags)
    }

    fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        self.has_managed_save(dom, flags)
    }

    fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.managed_save_remove(dom, flags)
    }

    fn domain_send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        self.send_key(dom, codeset, holdtime, keycodes, flags)
    }

    fn domain_attach_device(&self, dom: &DomainRef, xml: &str, flags: Option<u32>) -> Result<()> {
        self.attach_device(dom, xml, flags.unwrap_or(0))
    }

    fn domain_screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Payload)> {
        let (mime, image) = self.screenshot(dom, screen, flags)?;
        Ok((mime, image.into()))
    }

    fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        self.vm(dom)?;
        Ok(("allocation".to_string(), 3))
    }

    fn domain_get_scheduler_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        self.scheduler_params(dom, flags)
    }

    fn list_networks(&self, active: bool) -> Result<Vec<String>> {
        self.network_names(active)
    }

    fn list_all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        self.all_networks(flags)
    }

    fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        self.network_by_name(name)
    }

    fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.network_by_uuid(uuid)
    }

    fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        self.network_xml(net, flags)
    }

    fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        self.network_by_uuid(&net.uuid)?;
        Ok(true)
    }

    fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        self.network_by_uuid(&net.uuid)?;
        Ok(true)
    }

    fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        self.network_by_uuid(&net.uuid)?;
        Ok(true)
    }
}
