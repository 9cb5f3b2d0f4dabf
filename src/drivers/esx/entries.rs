//! The libvirt driver entries of the ESX driver, each handing over to the
//! module that does the work.

use super::{host::pack_version, networks, storage, tune, volumes, EsxDriver};
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::{
    DomainInfo, DomainRef, Driver, GuestInterface, InterfaceRef, NetworkRef, NodeInfo, PoolInfo, PoolRef,
    SnapshotRef, VolInfo, VolRef,
};
use crate::error::{Error, Result};
use crate::stream::Payload;
use crate::typed_params::TypedParam;

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

    fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: u32,
        flags: u32,
    ) -> Result<Vec<GuestInterface>> {
        self.interface_addresses(dom, source, flags)
    }

    fn get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: u32,
        flags: u32,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        crate::stats::state_records(
            self,
            doms,
            stats,
            flags,
            "esxConnectGetAllDomainStats",
            VIR_FROM_ESX,
        )
    }

    fn domain_screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Payload)> {
        let (mime, image) = self.screenshot(dom, screen, flags)?;
        Ok((mime, image.into()))
    }

    fn node_get_free_memory(&self) -> Result<u64> {
        self.free_memory()
    }

    fn domain_get_memory_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        self.memory_params(dom, flags)
    }

    fn domain_set_memory_parameters(&self, dom: &DomainRef, params: &[TypedParam], flags: u32) -> Result<()> {
        self.set_memory_params(dom, params, flags)
    }

    fn supports_feature(&self, feature: i32) -> Result<bool> {
        Ok(feature == crate::driver::feature::MIGRATION_V1 && self.can_migrate())
    }

    fn domain_migrate_prepare(
        &self,
        uri_in: Option<&str>,
        flags: u64,
        _dname: Option<&str>,
        _bandwidth: u64,
    ) -> Result<Option<String>> {
        self.migrate_prepare(uri_in, flags)
    }

    fn domain_migrate_perform(
        &self,
        dom: &DomainRef,
        uri: &str,
        flags: u64,
        dname: Option<&str>,
        _bandwidth: u64,
    ) -> Result<()> {
        self.migrate_perform(dom, uri, flags, dname)
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

    fn domain_get_os_type(&self, _dom: &DomainRef) -> Result<String> {
        // Every ESX guest is a full virtual machine; libvirt does not ask.
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

    fn domain_xml_from_native(&self, format: &str, config: &str, flags: u32) -> Result<String> {
        self.xml_from_native(format, config, flags)
    }

    fn domain_xml_to_native(&self, format: &str, xml: &str, flags: u32) -> Result<String> {
        self.xml_to_native(format, xml, flags)
    }

    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        self.define(xml, flags)
    }

    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.undefine(dom, flags)
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

    fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        self.network_define(xml, flags)
    }

    fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        self.network_remove(net)
    }

    fn network_get_xml_desc(&self, net: &NetworkRef, _flags: u32) -> Result<String> {
        self.network_xml(net)
    }

    // Every switch is active, persistent and started with the host;
    // libvirt answers these without asking the server.
    fn network_get_autostart(&self, _net: &NetworkRef) -> Result<bool> {
        Ok(true)
    }

    fn network_set_autostart(&self, _net: &NetworkRef, on: bool) -> Result<()> {
        networks::set_autostart(on)
    }

    fn network_is_active(&self, _net: &NetworkRef) -> Result<bool> {
        Ok(true)
    }

    fn network_is_persistent(&self, _net: &NetworkRef) -> Result<bool> {
        Ok(true)
    }

    fn list_storage_pools(&self, active: bool) -> Result<Vec<String>> {
        self.pool_names(active)
    }

    fn pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        self.pool_by_name(name)
    }

    fn pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.pool_by_uuid(uuid)
    }

    fn pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        self.pool_by_name(&vol.pool)
    }

    fn pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        self.pool_rescan(pool, flags)
    }

    fn pool_get_info(&self, pool: &PoolRef) -> Result<PoolInfo> {
        self.pool_info(pool)
    }

    fn pool_get_xml_desc(&self, pool: &PoolRef, flags: u32) -> Result<String> {
        self.pool_xml(pool, flags)
    }

    // Every datastore is active, persistent and started with the host;
    // libvirt answers these without asking the server.
    fn pool_get_autostart(&self, _pool: &PoolRef) -> Result<bool> {
        Ok(true)
    }

    fn pool_set_autostart(&self, _pool: &PoolRef, on: bool) -> Result<()> {
        storage::set_autostart(on)
    }

    fn pool_is_active(&self, _pool: &PoolRef) -> Result<bool> {
        Ok(true)
    }

    fn pool_is_persistent(&self, _pool: &PoolRef) -> Result<bool> {
        Ok(true)
    }

    fn pool_list_volumes(&self, pool: &PoolRef) -> Result<Vec<String>> {
        self.volume_names(pool)
    }

    fn vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        self.volume_by_name(pool, name)
    }

    fn vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        self.volume_by_key(key)
    }

    fn vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        self.volume_by_path(path)
    }

    fn vol_create_xml(&self, pool: &PoolRef, xml: &str, flags: u32) -> Result<VolRef> {
        self.volume_create(pool, xml, flags)
    }

    fn vol_create_xml_from(&self, pool: &PoolRef, xml: &str, from: &VolRef, flags: u32) -> Result<VolRef> {
        self.volume_copy(pool, xml, from, flags)
    }

    fn vol_delete(&self, vol: &VolRef, flags: u32) -> Result<()> {
        self.volume_delete(vol, flags)
    }

    fn vol_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        self.volume_wipe(vol, flags)
    }

    fn vol_get_info(&self, vol: &VolRef) -> Result<VolInfo> {
        self.volume_info(vol)
    }

    fn vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        self.volume_xml(vol, flags)
    }

    fn vol_get_path(&self, vol: &VolRef) -> Result<String> {
        Ok(volumes::volume_path(vol))
    }
    fn list_interfaces(&self, active: bool) -> Result<Vec<String>> {
        self.interface_names(active)
    }

    fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        self.interface_by_name(name)
    }

    fn interface_lookup_by_mac(&self, mac: &str) -> Result<InterfaceRef> {
        self.interface_by_mac(mac)
    }

    fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        self.interface_xml(iface, flags)
    }

    // Every physical NIC is active; libvirt answers without asking.
    fn interface_is_active(&self, _iface: &InterfaceRef) -> Result<bool> {
        Ok(true)
    }
}
