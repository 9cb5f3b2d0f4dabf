//! The driver interface: one method per libvirt driver entry.  A method a
//! driver does not override fails as libvirt does when a driver lacks it.

use crate::abi::*;
use crate::domain::Uuid;
use crate::domain_events::Subscription;
use crate::error::{Error, Result};
use crate::stream::Payload;
use crate::typed_params::TypedParam;

/// How a domain handle names its domain: libvirt keeps name, UUID and the id
/// it had when the handle was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRef {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: Uuid,
    /// Id while running, -1 otherwise.
    pub id: i32,
}

/// What `virDomainGetInfo` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DomainInfo {
    /// `virDomainState`.
    pub state: i32,
    /// Maximum memory in KiB.
    pub max_mem: u64,
    /// Current memory in KiB.
    pub memory: u64,
    /// vCPUs in use.
    pub nr_virt_cpu: u32,
    /// CPU time used, in nanoseconds.
    pub cpu_time: u64,
}

/// One vCPU as `virDomainGetVcpus` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VcpuInfo {
    /// vCPU number.
    pub number: u32,
    /// `virVcpuState`.
    pub state: i32,
    /// CPU time used, in nanoseconds.
    pub cpu_time: u64,
    /// The host CPU it runs on.
    pub cpu: i32,
    /// Which host CPUs it may run on.
    pub affinity: Vec<bool>,
}

/// A snapshot or checkpoint handle's identity: the domain and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomentRef {
    /// The domain.
    pub domain: DomainRef,
    /// The snapshot's or checkpoint's name.
    pub name: String,
}

/// One `virDomainSetMetadata` call.
#[derive(Debug, Clone, Copy)]
pub struct MetadataEdit<'a> {
    /// `VIR_DOMAIN_METADATA_*`.
    pub kind: i32,
    /// The new text or element; None removes it.
    pub value: Option<&'a str>,
    /// The namespace prefix of an element.
    pub key: Option<&'a str>,
    /// The namespace URI of an element.
    pub uri: Option<&'a str>,
}

/// A snapshot of a domain.
pub type SnapshotRef = MomentRef;
/// A checkpoint of a domain.
pub type CheckpointRef = MomentRef;

/// What `virNodeGetInfo` reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfo {
    /// CPU model (at most 31 bytes reach C).
    pub model: String,
    /// Memory in KiB.
    pub memory: u64,
    /// Active CPUs.
    pub cpus: u32,
    /// CPU frequency in MHz.
    pub mhz: u32,
    /// NUMA nodes.
    pub nodes: u32,
    /// Sockets per node.
    pub sockets: u32,
    /// Cores per socket.
    pub cores: u32,
    /// Threads per core.
    pub threads: u32,
}

/// A network handle's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRef {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: Uuid,
}

/// A storage pool handle's identity.
pub type PoolRef = NetworkRef;

/// A host interface handle's identity: libvirt keeps its name and MAC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceRef {
    /// The interface's name.
    pub name: String,
    /// Its MAC address.
    pub mac: String,
}

/// A storage volume handle's identity: libvirt keeps pool name, name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolRef {
    /// The pool's name.
    pub pool: String,
    /// The volume's name.
    pub name: String,
    /// The volume's key.
    pub key: String,
}

/// What `virStoragePoolGetInfo` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolInfo {
    /// `virStoragePoolState`.
    pub state: i32,
    /// Size in bytes.
    pub capacity: u64,
    /// Bytes in use.
    pub allocation: u64,
    /// Bytes free.
    pub available: u64,
}

/// What `virStorageVolGetInfo` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VolInfo {
    /// `virStorageVolType`.
    pub vol_type: i32,
    /// Size in bytes.
    pub capacity: u64,
    /// Bytes allocated.
    pub allocation: u64,
}

/// `VIR_ERR_NO_SUPPORT` in the error domain of the file libvirt keeps `func` in.
fn unsupported<T>(func: &str) -> Result<T> {
    let from = if func.contains("Snapshot") {
        VIR_FROM_DOMAIN_SNAPSHOT
    } else if func.contains("Checkpoint") {
        VIR_FROM_DOMAIN_CHECKPOINT
    } else if func.contains("Network") {
        VIR_FROM_NETWORK
    } else if func.contains("StoragePool") || func.contains("StorageVol") {
        VIR_FROM_STORAGE
    } else if func.contains("Interface") {
        VIR_FROM_INTERFACE
    } else {
        VIR_FROM_DOMAIN
    };
    Err(Error::no_support(from, func))
}

/// The driver features `virConnectSupportsFeature` asks about (libvirt's
/// private `VIR_DRV_FEATURE_*` numbers, also used on the wire).
pub mod feature {
    /// Migration protocol version 1 (prepare, perform, finish).
    pub const MIGRATION_V1: i32 = 1;
    /// Migration protocol version 2.
    pub const MIGRATION_V2: i32 = 3;
    /// Peer-to-peer migration.
    pub const MIGRATION_P2P: i32 = 4;
    /// Direct migration.
    pub const MIGRATION_DIRECT: i32 = 5;
    /// Migration protocol version 3.
    pub const MIGRATION_V3: i32 = 6;
    /// Typed parameters may be strings.
    pub const TYPED_PARAM_STRING: i32 = 9;
    /// Offline migration.
    pub const MIGRATION_OFFLINE: i32 = 12;
}

/// One guest interface as `virDomainInterfaceAddresses` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestInterface {
    /// Its name.
    pub name: String,
    /// Its MAC address.
    pub hwaddr: Option<String>,
    /// Its addresses: `virIPAddrType`, text form, prefix length.
    pub addrs: Vec<(i32, String, u32)>,
}

/// What runs when a connection breaks, with the `VIR_CONNECT_CLOSE_REASON_*`.
pub type CloseFn = Box<dyn Fn(i32) + Send + Sync>;

/// A hypervisor connection as a driver serves it.
pub trait Driver: Send + Sync {
    /// The hypervisor type `virConnectGetType` reports ("TEST", "ESX", ...).
    fn kind(&self) -> &'static str;

    /// The hypervisor version, packed as major * 1,000,000 + minor * 1,000 + micro.
    fn version(&self) -> Result<u64> {
        unsupported("virConnectGetVersion")
    }

    /// The library version serving the connection (a daemon's, over RPC).
    fn lib_version(&self) -> Result<u64> {
        Ok(crate::LIB_VERSION)
    }

    /// The URI the driver settled on when the caller gave none.
    fn probed_uri(&self) -> Option<String> {
        None
    }

    /// The host's name.
    fn hostname(&self) -> Result<String> {
        unsupported("virConnectGetHostname")
    }

    /// The capabilities XML document.
    fn capabilities(&self) -> Result<String> {
        unsupported("virConnectGetCapabilities")
    }

    /// The most vCPUs a guest of `kind` may have.
    fn max_vcpus(&self, kind: Option<&str>) -> Result<i32> {
        let _ = kind;
        unsupported("virConnectGetMaxVcpus")
    }

    /// The host's CPU and memory summary.
    fn node_info(&self) -> Result<NodeInfo> {
        unsupported("virNodeGetInfo")
    }

    /// Whether the connection still works.
    fn is_alive(&self) -> Result<bool> {
        unsupported("virConnectIsAlive")
    }

    /// Whether the channel is safe from eavesdropping.
    fn is_secure(&self) -> Result<bool> {
        unsupported("virConnectIsSecure")
    }

    /// Whether the channel is encrypted.
    fn is_encrypted(&self) -> Result<bool> {
        unsupported("virConnectIsEncrypted")
    }

    /// Starts (or with `interval <= 0` stops) keepalive probing.
    fn set_keep_alive(&self, interval: i32, count: u32) -> Result<()> {
        let _ = (interval, count);
        unsupported("virConnectSetKeepAlive")
    }

    /// Sets (None: removes) what runs when the connection breaks; a driver
    /// whose connections cannot break keeps nothing, as libvirt's.
    fn set_close_callback(&self, cb: Option<CloseFn>) {
        let _ = cb;
    }

    /// Whether the connection can break, so close callbacks are kept (libvirt
    /// ignores them, free function and all, for other drivers).
    fn has_close_callbacks(&self) -> bool {
        false
    }

    /// Releases the driver's resources; called once, when the last reference
    /// goes.  `owner` identifies the connection (for its event callbacks).
    fn close(&self, owner: usize) {
        let _ = owner;
    }

    /// The host's CPU count and which CPUs are online.
    fn node_get_cpu_map(&self, flags: u32) -> Result<(i32, Vec<bool>)> {
        let _ = flags;
        unsupported("virNodeGetCPUMap")
    }

    /// The domain's vCPUs.
    fn domain_get_vcpus(&self, dom: &DomainRef) -> Result<Vec<VcpuInfo>> {
        let _ = dom;
        unsupported("virDomainGetVcpus")
    }

    /// The number of running domains.
    fn num_of_domains(&self) -> Result<i32> {
        unsupported("virConnectNumOfDomains")
    }

    /// Ids of running domains.
    fn list_domains(&self) -> Result<Vec<i32>> {
        unsupported("virConnectListDomains")
    }

    /// The number of defined, inactive domains.
    fn num_of_defined_domains(&self) -> Result<i32> {
        unsupported("virConnectNumOfDefinedDomains")
    }

    /// Names of defined, inactive domains.
    fn list_defined_domains(&self) -> Result<Vec<String>> {
        unsupported("virConnectListDefinedDomains")
    }

    /// Domains matching `VIR_CONNECT_LIST_DOMAINS_*` filters.
    fn list_all_domains(&self, flags: u32) -> Result<Vec<DomainRef>> {
        let _ = flags;
        unsupported("virConnectListAllDomains")
    }

    /// The running domain with this id.
    fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        let _ = id;
        unsupported("virDomainLookupByID")
    }

    /// The domain with this name.
    fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        let _ = name;
        unsupported("virDomainLookupByName")
    }

    /// The domain with this UUID.
    fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        let _ = uuid;
        unsupported("virDomainLookupByUUID")
    }

    /// Starts a transient domain from XML.
    fn domain_create_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        let _ = (xml, flags);
        unsupported("virDomainCreateXML")
    }

    /// Defines (or redefines) a persistent domain.
    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        let _ = (xml, flags);
        unsupported("virDomainDefineXML")
    }

    /// Removes a domain's persistent definition.
    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let _ = (dom, flags);
        unsupported("virDomainUndefine")
    }

    /// Starts a defined domain; returns its new identity (with the id).
    fn domain_create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        let _ = (dom, flags);
        unsupported("virDomainCreate")
    }

    /// Stops a domain immediately.
    fn domain_destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let _ = (dom, flags);
        unsupported("virDomainDestroy")
    }

    /// Asks a domain to shut down; returns its id afterwards (-1 when it stopped).
    fn domain_shutdown(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        let _ = (dom, flags);
        unsupported("virDomainShutdown")
    }

    /// Reboots a domain; returns its id afterwards (-1 when it stopped).
    fn domain_reboot(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        let _ = (dom, flags);
        unsupported("virDomainReboot")
    }

    /// Resets a domain.
    fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let _ = (dom, flags);
        unsupported("virDomainReset")
    }

    /// Pauses a domain.
    fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        let _ = dom;
        unsupported("virDomainSuspend")
    }

    /// Resumes a paused domain.
    fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        let _ = dom;
        unsupported("virDomainResume")
    }

    /// State, memory, vCPUs and CPU time.
    fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let _ = dom;
        unsupported("virDomainGetInfo")
    }

    /// (`virDomainState`, reason).
    fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        let _ = (dom, flags);
        unsupported("virDomainGetState")
    }

    /// The guest OS type.
    fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        let _ = dom;
        unsupported("virDomainGetOSType")
    }

    /// Maximum memory in KiB.
    fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        let _ = dom;
        unsupported("virDomainGetMaxMemory")
    }

    /// Maximum vCPUs.
    fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        let _ = dom;
        unsupported("virDomainGetMaxVcpus")
    }

    /// The domain's XML.
    fn domain_get_xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        let _ = (dom, flags);
        unsupported("virDomainGetXMLDesc")
    }

    /// `virConnectDomainXMLFromNative`: a native configuration as domain XML.
    fn domain_xml_from_native(&self, format: &str, config: &str, flags: u32) -> Result<String> {
        let _ = (format, config, flags);
        unsupported("virConnectDomainXMLFromNative")
    }

    /// `virConnectDomainXMLToNative`: domain XML as a native configuration.
    fn domain_xml_to_native(&self, format: &str, xml: &str, flags: u32) -> Result<String> {
        let _ = (format, xml, flags);
        unsupported("virConnectDomainXMLToNative")
    }

    /// Free memory of the NUMA cells from `start` on, at most `max` of them.
    fn node_get_cells_free_memory(&self, start: usize, max: usize) -> Result<Vec<u64>> {
        let _ = (start, max);
        unsupported("virNodeGetCellsFreeMemory")
    }

    /// The host's free memory as `virNodeGetFreeMemory` reports it.
    fn node_get_free_memory(&self) -> Result<u64> {
        unsupported("virNodeGetFreeMemory")
    }

    /// The memory tunables (`VIR_DOMAIN_MEMORY_*`).
    fn domain_get_memory_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        let _ = (dom, flags);
        unsupported("virDomainGetMemoryParameters")
    }

    /// Changes memory tunables.
    fn domain_set_memory_parameters(&self, dom: &DomainRef, params: &[TypedParam], flags: u32) -> Result<()> {
        let _ = (dom, params, flags);
        unsupported("virDomainSetMemoryParameters")
    }

    /// The guest's interfaces and their addresses, from `source`
    /// (`VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_*`).
    fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: u32,
        flags: u32,
    ) -> Result<Vec<GuestInterface>> {
        let _ = (dom, source, flags);
        unsupported("virDomainInterfaceAddresses")
    }

    /// A screenshot of the guest's `screen`: (MIME type, the image).
    fn domain_screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Payload)> {
        let _ = (dom, screen, flags);
        unsupported("virDomainScreenshot")
    }

    /// `virConnectGetAllDomainStats` (`doms` `None`) and
    /// `virDomainListGetStats`: each domain with its statistics.
    fn get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: u32,
        flags: u32,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        let _ = (doms, stats, flags);
        unsupported("virConnectGetAllDomainStats")
    }

    /// Whether the driver has a feature (`VIR_DRV_FEATURE_*`, see [`feature`]).
    fn supports_feature(&self, feature: i32) -> Result<bool> {
        let _ = feature;
        Ok(false)
    }

    /// Migration (version 1), on the destination: gets ready to receive a
    /// domain; the URI the source is to migrate to when `uri_in` is `None`.
    fn domain_migrate_prepare(
        &self,
        uri_in: Option<&str>,
        flags: u64,
        dname: Option<&str>,
        bandwidth: u64,
    ) -> Result<Option<String>> {
        let _ = (uri_in, flags, dname, bandwidth);
        unsupported("virDomainMigrate")
    }

    /// Migration (version 1), on the source: moves the domain to `uri`.
    fn domain_migrate_perform(
        &self,
        dom: &DomainRef,
        uri: &str,
        flags: u64,
        dname: Option<&str>,
        bandwidth: u64,
    ) -> Result<()> {
        let _ = (dom, uri, flags, dname, bandwidth);
        unsupported("virDomainMigrate")
    }

    /// Migration (version 1), on the destination: the domain that arrived.
    fn domain_migrate_finish(&self, dname: &str, uri: &str, flags: u64) -> Result<DomainRef> {
        let _ = (uri, flags);
        self.domain_lookup_by_name(dname)
    }

    /// The guest's host name.
    fn domain_get_hostname(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        let _ = (dom, flags);
        unsupported("virDomainGetHostname")
    }

    /// Whether the domain runs.
    fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        let _ = dom;
        unsupported("virDomainIsActive")
    }

    /// Whether the domain has a persistent definition.
    fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        let _ = dom;
        unsupported("virDomainIsPersistent")
    }

    /// Whether the running domain differs from its persistent definition.
    fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        let _ = dom;
        unsupported("virDomainIsUpdated")
    }

    /// Whether the domain starts with the host.
    fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        let _ = dom;
        unsupported("virDomainGetAutostart")
    }

    /// Sets whether the domain starts with the host.
    fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        let _ = (dom, autostart);
        unsupported("virDomainSetAutostart")
    }

    /// Adds the device `xml` describes: `flags` is `None` for
    /// `virDomainAttachDevice`, the `VIR_DOMAIN_AFFECT_*` flags of
    /// `virDomainAttachDeviceFlags` otherwise.
    fn domain_attach_device(&self, dom: &DomainRef, xml: &str, flags: Option<u32>) -> Result<()> {
        let _ = (dom, xml);
        unsupported(match flags {
            None => "virDomainAttachDevice",
            Some(_) => "virDomainAttachDeviceFlags",
        })
    }

    /// Sets the current (or with `VIR_DOMAIN_MEM_MAXIMUM` the maximum) memory.
    fn domain_set_memory_flags(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        let _ = (dom, kib, flags);
        unsupported("virDomainSetMemoryFlags")
    }

    /// Sets the number of vCPUs.
    fn domain_set_vcpus_flags(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        let _ = (dom, n, flags);
        unsupported("virDomainSetVcpusFlags")
    }

    /// The number of vCPUs.
    fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        let _ = (dom, flags);
        unsupported("virDomainGetVcpusFlags")
    }

    /// Saves the domain's state and stops it, to be restored on next start.
    fn domain_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let _ = (dom, flags);
        unsupported("virDomainManagedSave")
    }

    /// Whether a managed save image exists.
    fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        let _ = (dom, flags);
        unsupported("virDomainHasManagedSaveImage")
    }

    /// Discards the managed save image.
    fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let _ = (dom, flags);
        unsupported("virDomainManagedSaveRemove")
    }

    /// Saves the domain to a file and stops it.
    fn domain_save(&self, dom: &DomainRef, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        let _ = (dom, path, xml, flags);
        unsupported("virDomainSave")
    }

    /// Starts a domain from a saved file.
    fn domain_restore(&self, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        let _ = (path, xml, flags);
        unsupported("virDomainRestore")
    }

    /// The domain XML inside a save image.
    fn domain_save_image_get_xml_desc(&self, path: &str, flags: u32) -> Result<String> {
        let _ = (path, flags);
        unsupported("virDomainSaveImageGetXMLDesc")
    }

    /// Replaces the domain XML inside a save image.
    fn domain_save_image_define_xml(&self, path: &str, xml: &str, flags: u32) -> Result<()> {
        let _ = (path, xml, flags);
        unsupported("virDomainSaveImageDefineXML")
    }

    /// Sends key presses (`keycodes` in `codeset`, held `holdtime` ms).
    fn domain_send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        let _ = (dom, codeset, holdtime, keycodes, flags);
        unsupported("virDomainSendKey")
    }

    /// The scheduler's name and how many parameters it has.
    fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        let _ = dom;
        unsupported("virDomainGetSchedulerType")
    }

    /// The scheduler parameters.
    fn domain_get_scheduler_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        let _ = (dom, flags);
        unsupported("virDomainGetSchedulerParameters")
    }

    /// Changes scheduler parameters.
    fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let _ = (dom, params, flags);
        unsupported("virDomainSetSchedulerParameters")
    }

    /// Registers for domain events.
    fn domain_event_register(&self, sub: Subscription) -> Result<i32> {
        let _ = sub;
        unsupported("virConnectDomainEventRegisterAny")
    }

    /// Removes an event registration of connection `owner`.
    fn domain_event_deregister(&self, owner: usize, id: i32) -> Result<()> {
        let _ = (owner, id);
        unsupported("virConnectDomainEventDeregisterAny")
    }

    /// Removes an old-style event registration of connection `owner`.
    fn domain_event_deregister_legacy(&self, owner: usize, key: usize) -> Result<i32> {
        let _ = (owner, key);
        unsupported("virConnectDomainEventDeregister")
    }

    /// Creates a snapshot; true when it halted the running domain (the
    /// handle then forgets its id).
    fn snapshot_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<(SnapshotRef, bool)> {
        let _ = (dom, xml, flags);
        unsupported("virDomainSnapshotCreateXML")
    }

    /// Snapshot names matching `VIR_DOMAIN_SNAPSHOT_LIST_*` flags, of a domain
    /// or (with `parent`) of a snapshot's children, for the public call `api`.
    fn snapshot_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        let _ = (dom, parent, flags);
        unsupported(api)
    }

    /// The snapshot with this name.
    fn snapshot_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<SnapshotRef> {
        let _ = (dom, name, flags);
        unsupported("virDomainSnapshotLookupByName")
    }

    /// The snapshot's XML.
    fn snapshot_get_xml_desc(&self, snap: &SnapshotRef, flags: u32) -> Result<String> {
        let _ = (snap, flags);
        unsupported("virDomainSnapshotGetXMLDesc")
    }

    /// Whether the domain has a current snapshot.
    fn snapshot_has_current(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        let _ = (dom, flags);
        unsupported("virDomainHasCurrentSnapshot")
    }

    /// The domain's current snapshot.
    fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        let _ = (dom, flags);
        unsupported("virDomainSnapshotCurrent")
    }

    /// The snapshot's parent.
    fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        let _ = (snap, flags);
        unsupported("virDomainSnapshotGetParent")
    }

    /// Whether the snapshot is the current one.
    fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let _ = (snap, flags);
        unsupported("virDomainSnapshotIsCurrent")
    }

    /// Whether the snapshot has metadata.
    fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let _ = (snap, flags);
        unsupported("virDomainSnapshotHasMetadata")
    }

    /// Reverts the domain to the snapshot; true when the domain was running
    /// and was stopped on the way (the handle then forgets its id).
    fn snapshot_revert(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let _ = (snap, flags);
        unsupported("virDomainRevertToSnapshot")
    }

    /// Sets (or with None removes) the title, description or a metadata element.
    fn domain_set_metadata(&self, dom: &DomainRef, edit: &MetadataEdit, flags: u32) -> Result<()> {
        let _ = (dom, edit, flags);
        unsupported("virDomainSetMetadata")
    }

    /// The title, description or metadata element of namespace `uri`.
    fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: i32,
        uri: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        let _ = (dom, kind, uri, flags);
        unsupported("virDomainGetMetadata")
    }

    /// Sets the memory balloon's statistics period (seconds, 0 stops them).
    fn domain_set_memory_stats_period(&self, dom: &DomainRef, period: i32, flags: u32) -> Result<()> {
        let _ = (dom, period, flags);
        unsupported("virDomainSetMemoryStatsPeriod")
    }

    /// Creates a checkpoint.
    fn checkpoint_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<CheckpointRef> {
        let _ = (dom, xml, flags);
        unsupported("virDomainCheckpointCreateXML")
    }

    /// Checkpoint names matching `VIR_DOMAIN_CHECKPOINT_LIST_*` flags, of a
    /// domain or (with `parent`) of a checkpoint's children, for the public call `api`.
    fn checkpoint_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        let _ = (dom, parent, flags);
        unsupported(api)
    }

    /// The checkpoint with this name.
    fn checkpoint_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<CheckpointRef> {
        let _ = (dom, name, flags);
        unsupported("virDomainCheckpointLookupByName")
    }

    /// The checkpoint's XML.
    fn checkpoint_get_xml_desc(&self, cp: &CheckpointRef, flags: u32) -> Result<String> {
        let _ = (cp, flags);
        unsupported("virDomainCheckpointGetXMLDesc")
    }

    /// The checkpoint's parent.
    fn checkpoint_get_parent(&self, cp: &CheckpointRef, flags: u32) -> Result<CheckpointRef> {
        let _ = (cp, flags);
        unsupported("virDomainCheckpointGetParent")
    }

    /// Deletes the checkpoint (and with flags its children).
    fn checkpoint_delete(&self, cp: &CheckpointRef, flags: u32) -> Result<()> {
        let _ = (cp, flags);
        unsupported("virDomainCheckpointDelete")
    }

    /// Deletes the snapshot (and with flags its children).
    fn snapshot_delete(&self, snap: &SnapshotRef, flags: u32) -> Result<()> {
        let _ = (snap, flags);
        unsupported("virDomainSnapshotDelete")
    }

    /// Names of the active (or defined) networks.
    fn list_networks(&self, active: bool) -> Result<Vec<String>> {
        let _ = active;
        unsupported(if active {
            "virConnectListNetworks"
        } else {
            "virConnectListDefinedNetworks"
        })
    }

    /// All networks matching the `VIR_CONNECT_LIST_NETWORKS_*` filter.
    fn list_all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        let _ = flags;
        unsupported("virConnectListAllNetworks")
    }

    /// The network called `name`.
    fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        let _ = name;
        unsupported("virNetworkLookupByName")
    }

    /// The network with `uuid`.
    fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        let _ = uuid;
        unsupported("virNetworkLookupByUUID")
    }

    /// Defines (or redefines) a persistent network.
    fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        let _ = (xml, flags);
        unsupported("virNetworkDefineXMLFlags")
    }

    /// Creates and starts a transient network.
    fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        let _ = (xml, flags);
        unsupported("virNetworkCreateXMLFlags")
    }

    /// Removes a network's persistent configuration.
    fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        let _ = net;
        unsupported("virNetworkUndefine")
    }

    /// Starts a defined network.
    fn network_create(&self, net: &NetworkRef, flags: u32) -> Result<()> {
        let _ = (net, flags);
        unsupported("virNetworkCreate")
    }

    /// Stops a network.
    fn network_destroy(&self, net: &NetworkRef) -> Result<()> {
        let _ = net;
        unsupported("virNetworkDestroy")
    }

    /// The network's XML.
    fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        let _ = (net, flags);
        unsupported("virNetworkGetXMLDesc")
    }

    /// The network's bridge device.
    fn network_get_bridge_name(&self, net: &NetworkRef) -> Result<String> {
        let _ = net;
        unsupported("virNetworkGetBridgeName")
    }

    /// Whether the network starts with the host.
    fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        let _ = net;
        unsupported("virNetworkGetAutostart")
    }

    /// Sets whether the network starts with the host.
    fn network_set_autostart(&self, net: &NetworkRef, on: bool) -> Result<()> {
        let _ = (net, on);
        unsupported("virNetworkSetAutostart")
    }

    /// Whether the network is running.
    fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        let _ = net;
        unsupported("virNetworkIsActive")
    }

    /// Whether the network has a persistent configuration.
    fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        let _ = net;
        unsupported("virNetworkIsPersistent")
    }

    /// Names of the active (or defined) host interfaces.
    fn list_interfaces(&self, active: bool) -> Result<Vec<String>> {
        let _ = active;
        unsupported(if active {
            "virConnectListInterfaces"
        } else {
            "virConnectListDefinedInterfaces"
        })
    }

    /// The host interface called `name`.
    fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        let _ = name;
        unsupported("virInterfaceLookupByName")
    }

    /// The host interface with MAC address `mac`.
    fn interface_lookup_by_mac(&self, mac: &str) -> Result<InterfaceRef> {
        let _ = mac;
        unsupported("virInterfaceLookupByMACString")
    }

    /// The host interface's XML.
    fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        let _ = (iface, flags);
        unsupported("virInterfaceGetXMLDesc")
    }

    /// Whether the host interface is up.
    fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        let _ = iface;
        unsupported("virInterfaceIsActive")
    }

    /// All host interfaces matching the `VIR_CONNECT_LIST_INTERFACES_*` filter.
    fn list_all_interfaces(&self, flags: u32) -> Result<Vec<InterfaceRef>> {
        let _ = flags;
        unsupported("virConnectListAllInterfaces")
    }

    /// Defines (or redefines) a host interface.
    fn interface_define_xml(&self, xml: &str, flags: u32) -> Result<InterfaceRef> {
        let _ = (xml, flags);
        unsupported("virInterfaceDefineXML")
    }

    /// Removes a host interface's definition.
    fn interface_undefine(&self, iface: &InterfaceRef) -> Result<()> {
        let _ = iface;
        unsupported("virInterfaceUndefine")
    }

    /// Brings a host interface up.
    fn interface_create(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        let _ = (iface, flags);
        unsupported("virInterfaceCreate")
    }

    /// Takes a host interface down.
    fn interface_destroy(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        let _ = (iface, flags);
        unsupported("virInterfaceDestroy")
    }

    /// Starts a transaction over the host's interface configuration.
    fn interface_change_begin(&self, flags: u32) -> Result<()> {
        let _ = flags;
        unsupported("virInterfaceChangeBegin")
    }

    /// Keeps the changes made since the transaction began.
    fn interface_change_commit(&self, flags: u32) -> Result<()> {
        let _ = flags;
        unsupported("virInterfaceChangeCommit")
    }

    /// Returns the interfaces to where the transaction began.
    fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        let _ = flags;
        unsupported("virInterfaceChangeRollback")
    }

    /// Names of the active (or defined) pools.
    fn list_storage_pools(&self, active: bool) -> Result<Vec<String>> {
        let _ = active;
        unsupported(if active {
            "virConnectListStoragePools"
        } else {
            "virConnectListDefinedStoragePools"
        })
    }

    /// All pools matching the `VIR_CONNECT_LIST_STORAGE_POOLS_*` filter.
    fn list_all_storage_pools(&self, flags: u32) -> Result<Vec<PoolRef>> {
        let _ = flags;
        unsupported("virConnectListAllStoragePools")
    }

    /// The pool called `name`.
    fn pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        let _ = name;
        unsupported("virStoragePoolLookupByName")
    }

    /// The pool with `uuid`.
    fn pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        let _ = uuid;
        unsupported("virStoragePoolLookupByUUID")
    }

    /// The pool holding a volume.
    fn pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        let _ = vol;
        unsupported("virStoragePoolLookupByVolume")
    }

    /// Defines a persistent pool.
    fn pool_define_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        let _ = (xml, flags);
        unsupported("virStoragePoolDefineXML")
    }

    /// Creates and starts a transient pool.
    fn pool_create_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        let _ = (xml, flags);
        unsupported("virStoragePoolCreateXML")
    }

    /// Starts a defined pool.
    fn pool_create(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        let _ = (pool, flags);
        unsupported("virStoragePoolCreate")
    }

    /// Stops a pool.
    fn pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        let _ = pool;
        unsupported("virStoragePoolDestroy")
    }

    /// Removes a pool's persistent configuration.
    fn pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        let _ = pool;
        unsupported("virStoragePoolUndefine")
    }

    /// Builds the pool's underlying storage.
    fn pool_build(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        let _ = (pool, flags);
        unsupported("virStoragePoolBuild")
    }

    /// Deletes the pool's underlying storage.
    fn pool_delete(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        let _ = (pool, flags);
        unsupported("virStoragePoolDelete")
    }

    /// Rescans the pool's volumes.
    fn pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        let _ = (pool, flags);
        unsupported("virStoragePoolRefresh")
    }

    /// The pool's state and sizes.
    fn pool_get_info(&self, pool: &PoolRef) -> Result<PoolInfo> {
        let _ = pool;
        unsupported("virStoragePoolGetInfo")
    }

    /// The pool's XML.
    fn pool_get_xml_desc(&self, pool: &PoolRef, flags: u32) -> Result<String> {
        let _ = (pool, flags);
        unsupported("virStoragePoolGetXMLDesc")
    }

    /// Whether the pool starts with the host.
    fn pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        let _ = pool;
        unsupported("virStoragePoolGetAutostart")
    }

    /// Sets whether the pool starts with the host.
    fn pool_set_autostart(&self, pool: &PoolRef, on: bool) -> Result<()> {
        let _ = (pool, on);
        unsupported("virStoragePoolSetAutostart")
    }

    /// Whether the pool is active.
    fn pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        let _ = pool;
        unsupported("virStoragePoolIsActive")
    }

    /// Whether the pool has a persistent configuration.
    fn pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        let _ = pool;
        unsupported("virStoragePoolIsPersistent")
    }

    /// Names of the pool's volumes.
    fn pool_list_volumes(&self, pool: &PoolRef) -> Result<Vec<String>> {
        let _ = pool;
        unsupported("virStoragePoolListVolumes")
    }

    /// The pool's volumes.
    fn pool_list_all_volumes(&self, pool: &PoolRef, flags: u32) -> Result<Vec<VolRef>> {
        let _ = (pool, flags);
        unsupported("virStoragePoolListAllVolumes")
    }

    /// The volume `name` of a pool.
    fn vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        let _ = (pool, name);
        unsupported("virStorageVolLookupByName")
    }

    /// The volume with `key`.
    fn vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        let _ = key;
        unsupported("virStorageVolLookupByKey")
    }

    /// The volume at `path`.
    fn vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        let _ = path;
        unsupported("virStorageVolLookupByPath")
    }

    /// Creates a volume in a pool.
    fn vol_create_xml(&self, pool: &PoolRef, xml: &str, flags: u32) -> Result<VolRef> {
        let _ = (pool, xml, flags);
        unsupported("virStorageVolCreateXML")
    }

    /// Creates a volume in a pool as a copy of `from`.
    fn vol_create_xml_from(&self, pool: &PoolRef, xml: &str, from: &VolRef, flags: u32) -> Result<VolRef> {
        let _ = (pool, xml, from, flags);
        unsupported("virStorageVolCreateXMLFrom")
    }

    /// Deletes a volume.
    fn vol_delete(&self, vol: &VolRef, flags: u32) -> Result<()> {
        let _ = (vol, flags);
        unsupported("virStorageVolDelete")
    }

    /// Overwrites a volume's data.
    fn vol_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        let _ = (vol, flags);
        unsupported("virStorageVolWipe")
    }

    /// A transfer of the volume's bytes from `offset` (`length` 0: to the
    /// end) to the caller.
    fn vol_download(&self, vol: &VolRef, offset: u64, length: u64, flags: u32) -> Result<Payload> {
        let _ = (vol, offset, length, flags);
        unsupported("virStorageVolDownload")
    }

    /// A transfer of the caller's bytes into the volume at `offset`.
    fn vol_upload(&self, vol: &VolRef, offset: u64, length: u64, flags: u32) -> Result<Payload> {
        let _ = (vol, offset, length, flags);
        unsupported("virStorageVolUpload")
    }

    /// The volume's type and sizes.
    fn vol_get_info(&self, vol: &VolRef) -> Result<VolInfo> {
        let _ = vol;
        unsupported("virStorageVolGetInfo")
    }

    /// The volume's XML.
    fn vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        let _ = (vol, flags);
        unsupported("virStorageVolGetXMLDesc")
    }

    /// The volume's path.
    fn vol_get_path(&self, vol: &VolRef) -> Result<String> {
        let _ = vol;
        unsupported("virStorageVolGetPath")
    }
}
