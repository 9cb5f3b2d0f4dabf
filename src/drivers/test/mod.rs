//! The `test:///` driver: an in-memory hypervisor.  `test:///default` is
//! libvirt's built-in configuration, shared by every such connection in the
//! process; `test:///PATH.xml` loads a node file into a private state.

mod addresses;
mod builtin;
mod checkpoints;
mod domains;
mod interfaces;
mod moments;
mod networks;
mod node;
mod screenshot;
mod snapshots;
mod storage;

use std::sync::{Arc, Weak};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::abi::*;
use crate::auth::Auth;
use crate::domain::Uuid;
use crate::domain_events::{DomainEventState, Subscription};
use crate::driver::{
    CheckpointRef, DomainInfo, DomainRef, Driver, GuestInterface, InterfaceRef, MetadataEdit, NetworkRef,
    NodeInfo, PoolInfo, PoolRef, SnapshotRef, VcpuInfo, VolInfo, VolRef,
};
use crate::error::{Error, Result};
use crate::interface::InterfaceDef;
use crate::network::NetworkDef;
use crate::storage::{volume_formats, PoolDef, VolumeDef};
use crate::stream::Payload;
use crate::typed_params::{self, ParamType, TypedParam, TypedValue};

pub use domains::{DomainObj, Domains};
pub use node::{Node, User};

/// Everything one test hypervisor holds.
pub struct TestState {
    node: Node,
    domains: Domains,
    networks: networks::Networks,
    interfaces: interfaces::Interfaces,
    pools: storage::Pools,
    events: Arc<DomainEventState>,
}

impl TestState {
    /// libvirt's built-in configuration: its host and the running domain
    /// "test".  Parsed once; every fresh default state starts from a copy.
    fn builtin() -> Result<TestState> {
        static DOMAIN_TEST: Lazy<Result<DomainObj>> =
            Lazy::new(|| Ok(DomainObj::new(domains::parse_def(builtin::DOMAIN_TEST)?, true)));
        let mut domains = Domains::new(1);
        domains.add_loaded(DOMAIN_TEST.clone()?, VIR_DOMAIN_RUNNING);
        let mut networks = networks::Networks::default();
        networks.add_loaded(NetworkDef::parse(builtin::NETWORK_DEFAULT)?);
        let mut interfaces = interfaces::Interfaces::default();
        interfaces.add_loaded(InterfaceDef::parse(builtin::INTERFACE_ETH1)?);
        let mut pools = storage::Pools::default();
        pools.add_loaded(PoolDef::parse(builtin::POOL_DEFAULT)?, Vec::new())?;
        Ok(TestState {
            node: Node::builtin(),
            domains,
            networks,
            interfaces,
            pools,
            events: DomainEventState::new(),
        })
    }

    /// A node file's host and domains.
    fn from_node(mut node: Node) -> Result<TestState> {
        let mut domains = Domains::new(1);
        for (obj, state) in std::mem::take(&mut node.domains) {
            domains.add_loaded(obj, state);
        }
        let mut networks = networks::Networks::default();
        for def in std::mem::take(&mut node.networks) {
            networks.add_loaded(def);
        }
        let mut interfaces = interfaces::Interfaces::default();
        for def in std::mem::take(&mut node.interfaces) {
            interfaces.add_loaded(def);
        }
        let mut pools = storage::Pools::default();
        for (def, vols) in std::mem::take(&mut node.pools) {
            pools.add_loaded(def, vols)?;
        }
        Ok(TestState {
            node,
            domains,
            networks,
            interfaces,
            pools,
            events: DomainEventState::new(),
        })
    }
}

/// The state `test:///default` connections share while any is open.
static DEFAULT: Mutex<Weak<Mutex<TestState>>> = Mutex::new(Weak::new());

/// One open test connection.
pub struct TestDriver {
    state: Arc<Mutex<TestState>>,
}

impl TestDriver {
    /// Opens `test://` + `path` (the URI's path) with libvirt's checks.
    pub fn open(path: Option<&str>, auth: &Auth, flags: u32) -> Result<TestDriver> {
        let unknown = flags & !VIR_CONNECT_RO;
        if unknown != 0 {
            return Err(Error::bad_flags(VIR_FROM_TEST, "testConnectOpen", unknown));
        }
        let state = match path {
            None | Some("") | Some("/") => {
                return Err(Error::invalid_arg(
                    VIR_FROM_TEST,
                    "testOpen: supply a path or use test:///default",
                ))
            }
            Some("/default") => {
                let mut shared = DEFAULT.lock();
                match shared.upgrade() {
                    Some(state) => state,
                    None => {
                        let state = Arc::new(Mutex::new(TestState::builtin()?));
                        *shared = Arc::downgrade(&state);
                        state
                    }
                }
            }
            Some(file) => Arc::new(Mutex::new(TestState::from_node(Node::load(file)?)?)),
        };
        let users = state.lock().node.users.clone();
        authenticate(&users, auth)?;
        Ok(TestDriver { state })
    }
}

/// The test driver's function behind the public call `api` (named in its
/// flag errors): "vir" becomes "test".
fn driver_func(api: &str) -> String {
    format!("test{}", api.strip_prefix("vir").unwrap_or(api))
}

/// The flags `virStoragePoolCreate(XML)` accepts: the `WITH_BUILD` family.
const POOL_BUILD_FLAGS: u32 = VIR_STORAGE_POOL_CREATE_WITH_BUILD
    | VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE
    | VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE;

/// Refuses flags outside `allowed`, naming the test driver's function
/// behind the public call `api`.
fn check(flags: u32, allowed: u32, api: &str) -> Result<()> {
    let unknown = flags & !allowed;
    if unknown != 0 {
        return Err(Error::bad_flags(VIR_FROM_TEST, &driver_func(api), unknown));
    }
    Ok(())
}

/// The snapshot and checkpoint calls that take no flags.
fn no_flags(flags: u32, func: &str) -> Result<()> {
    domains::check_flags(flags, 0, func)
}

/// Logs in as one of the node file's users, as libvirt's test driver does:
/// a password is asked unless the named user exists without one.
fn authenticate(users: &[User], auth: &Auth) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let name = auth.username("test", "localhost", None)?;
    let user = users.iter().find(|u| u.name == name);
    if let Some(User { password: None, .. }) = user {
        return Ok(());
    }
    let given = auth.password("test", &name, "localhost")?;
    match user {
        Some(User {
            password: Some(expected),
            ..
        }) if *expected == given => Ok(()),
        _ => Err(Error::with(
            VIR_FROM_TEST,
            VIR_ERR_AUTH_FAILED,
            "authentication failed, see test XML for the correct username/password",
        )),
    }
}

impl Driver for TestDriver {
    fn kind(&self) -> &'static str {
        "TEST"
    }

    fn version(&self) -> Result<u64> {
        Ok(2)
    }

    fn hostname(&self) -> Result<String> {
        crate::host::hostname()
    }

    fn capabilities(&self) -> Result<String> {
        Ok(self.state.lock().node.capabilities().to_xml())
    }

    fn max_vcpus(&self, _kind: Option<&str>) -> Result<i32> {
        Ok(domains::MAX_VCPUS as i32)
    }

    fn node_info(&self) -> Result<NodeInfo> {
        Ok(self.state.lock().node.info.clone())
    }

    fn node_get_free_memory(&self) -> Result<u64> {
        // libvirt's test host has half of each NUMA cell free (and a node
        // file's host no cells); the figure is in KiB, as libvirt's is.
        Ok(self.state.lock().node.cells.iter().map(|c| c.memory / 2).sum())
    }

    fn node_get_cells_free_memory(&self, start: usize, max: usize) -> Result<Vec<u64>> {
        // libvirt's test driver reports each cell's whole memory here.
        let st = self.state.lock();
        let cells = &st.node.cells;
        if start >= cells.len() {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_INVALID_ARG,
                "Range exceeds available cells",
            ));
        }
        Ok(cells[start..].iter().take(max).map(|c| c.memory).collect())
    }

    fn is_alive(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_secure(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_encrypted(&self) -> Result<bool> {
        Ok(false)
    }

    fn close(&self, owner: usize) {
        let events = self.state.lock().events.clone();
        events.remove_owner(owner);
    }

    fn node_get_cpu_map(&self, flags: u32) -> Result<(i32, Vec<bool>)> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_TEST, "testNodeGetCPUMap", flags));
        }
        // libvirt's test driver reports the same 8 CPUs, 0, 2 and 4 online,
        // whatever the node.
        Ok((8, (0..8).map(|c| c % 2 == 0 && c <= 4).collect()))
    }

    fn domain_get_vcpus(&self, dom: &DomainRef) -> Result<Vec<VcpuInfo>> {
        let st = self.state.lock();
        let info = &st.node.info;
        let host_cpus = (info.nodes * info.sockets * info.cores * info.threads) as usize;
        st.domains.vcpus(dom, host_cpus)
    }

    fn num_of_domains(&self) -> Result<i32> {
        Ok(self
            .state
            .lock()
            .domains
            .all()
            .iter()
            .filter(|d| d.active())
            .count() as i32)
    }

    fn list_domains(&self) -> Result<Vec<i32>> {
        Ok(self
            .state
            .lock()
            .domains
            .all()
            .iter()
            .filter(|d| d.active())
            .map(|d| d.id)
            .collect())
    }

    fn num_of_defined_domains(&self) -> Result<i32> {
        Ok(self
            .state
            .lock()
            .domains
            .all()
            .iter()
            .filter(|d| !d.active())
            .count() as i32)
    }

    fn list_defined_domains(&self) -> Result<Vec<String>> {
        Ok(self
            .state
            .lock()
            .domains
            .all()
            .iter()
            .filter(|d| !d.active())
            .map(|d| d.def.name.clone())
            .collect())
    }

    fn list_all_domains(&self, flags: u32) -> Result<Vec<DomainRef>> {
        self.state.lock().domains.list_all(flags)
    }

    fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        self.state.lock().domains.by_id(id)
    }

    fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        self.state.lock().domains.by_name(name)
    }

    fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.state.lock().domains.by_uuid(uuid)
    }

    fn domain_create_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        let st = &mut *self.state.lock();
        st.domains.create_xml(xml, flags, &st.events)
    }

    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        let st = &mut *self.state.lock();
        st.domains.define(xml, flags, &st.events)
    }

    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.undefine(dom, flags, &st.events)
    }

    fn domain_create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        let st = &mut *self.state.lock();
        st.domains.create(dom, flags, &st.events)
    }

    fn domain_destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.destroy(dom, flags, &st.events)
    }

    fn domain_shutdown(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        let st = &mut *self.state.lock();
        st.domains.shutdown(dom, flags, &st.events)
    }

    fn domain_reboot(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        let st = &mut *self.state.lock();
        st.domains.reboot(dom, flags, &st.events)
    }

    fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.state.lock().domains.reset(dom, flags)
    }

    fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.suspend(dom, &st.events)
    }

    fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.resume(dom, &st.events)
    }

    fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        self.state.lock().domains.info(dom)
    }

    fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        self.state.lock().domains.state(dom, flags)
    }

    fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        // libvirt's test driver names every guest OS "linux".
        self.state.lock().domains.get(dom).map(|_| "linux".to_string())
    }

    fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        Ok(self.state.lock().domains.get(dom)?.def.memory.total)
    }

    fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.state
            .lock()
            .domains
            .get_vcpus(dom, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM)
    }

    fn domain_get_xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.state.lock().domains.xml_desc(dom, flags)
    }

    fn domain_get_hostname(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_TEST, "testDomainGetHostname", flags));
        }
        let st = self.state.lock();
        let obj = st.domains.get(dom)?;
        if !obj.active() {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_INVALID,
                "domain is not running",
            ));
        }
        // libvirt's test driver makes the guest's host name from its name.
        Ok(format!("{}host", obj.def.name))
    }

    fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.state.lock().domains.get(dom)?.active())
    }

    fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.state.lock().domains.get(dom)?.persistent)
    }

    fn domain_is_updated(&self, _dom: &DomainRef) -> Result<bool> {
        // libvirt's test driver answers 0 without looking the domain up.
        Ok(false)
    }

    fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.state.lock().domains.get(dom)?.autostart)
    }

    fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        self.state.lock().domains.set_autostart(dom, autostart)
    }

    fn domain_set_memory_flags(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        self.state.lock().domains.set_memory(dom, kib, flags)
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
            "testConnectGetAllDomainStats",
            VIR_FROM_TEST,
        )
    }

    fn domain_screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Payload)> {
        let _ = screen;
        domains::check_flags(flags, 0, "testDomainScreenshot")?;
        self.state.lock().domains.get(dom)?;
        Ok((screenshot::MIME.to_string(), screenshot::png().into()))
    }

    fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: u32,
        flags: u32,
    ) -> Result<Vec<GuestInterface>> {
        let st = self.state.lock();
        addresses::interface_addresses(st.domains.get(dom)?, &st.networks, source, flags)
    }

    fn domain_get_memory_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        self.state.lock().domains.memory_parameters(dom, flags)
    }

    fn domain_set_memory_parameters(&self, dom: &DomainRef, params: &[TypedParam], flags: u32) -> Result<()> {
        self.state
            .lock()
            .domains
            .set_memory_parameters(dom, params, flags)
    }

    fn domain_set_vcpus_flags(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        self.state.lock().domains.set_vcpus(dom, n, flags)
    }

    fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.state.lock().domains.get_vcpus(dom, flags)
    }

    fn domain_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.managed_save(dom, flags, &st.events)
    }

    fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        self.state.lock().domains.has_managed_save(dom, flags)
    }

    fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.state.lock().domains.managed_save_remove(dom, flags)
    }

    fn domain_save(&self, dom: &DomainRef, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.save(dom, path, xml, flags, &st.events)
    }

    fn domain_restore(&self, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.restore(path, xml, flags, &st.events)
    }

    fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        self.state
            .lock()
            .domains
            .get(dom)
            .map(|_| ("fair".to_string(), 1))
    }

    fn domain_get_scheduler_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        // libvirt's test driver refuses VIR_TYPED_PARAM_STRING_OKAY, which the
        // public API adds for drivers that handle string parameters.
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_TEST,
                "testDomainGetSchedulerParametersFlags",
                flags,
            ));
        }
        self.state.lock().domains.get(dom)?;
        // The test driver's "fair" scheduler always reports weight 50.
        Ok(vec![TypedParam::new(
            VIR_DOMAIN_SCHEDULER_WEIGHT,
            TypedValue::UInt(50),
        )?])
    }

    fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_TEST,
                "testDomainSetSchedulerParametersFlags",
                flags,
            ));
        }
        typed_params::validate(params, &[(VIR_DOMAIN_SCHEDULER_WEIGHT, ParamType::UInt)])?;
        self.state.lock().domains.get(dom).map(|_| ())
    }

    fn snapshot_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<(SnapshotRef, bool)> {
        let st = &mut *self.state.lock();
        let (name, halted) = st.domains.snapshot_create(dom, xml, flags, &st.events)?;
        let snap = SnapshotRef {
            domain: dom.clone(),
            name,
        };
        Ok((snap, halted))
    }

    fn snapshot_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        let func = driver_func(api);
        snapshots::list(self.state.lock().domains.snapshots(dom)?, parent, flags, &func)
    }

    fn snapshot_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<SnapshotRef> {
        no_flags(flags, "testDomainSnapshotLookupByName")?;
        self.state.lock().domains.snapshot_lookup(dom, name)?;
        Ok(SnapshotRef {
            domain: dom.clone(),
            name: name.to_string(),
        })
    }

    fn snapshot_get_xml_desc(&self, snap: &SnapshotRef, flags: u32) -> Result<String> {
        self.state
            .lock()
            .domains
            .snapshot_xml(&snap.domain, &snap.name, flags)
    }

    fn snapshot_has_current(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        no_flags(flags, "testDomainHasCurrentSnapshot")?;
        Ok(self.state.lock().domains.snapshot_current(dom)?.is_some())
    }

    fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        no_flags(flags, "testDomainSnapshotCurrent")?;
        let name = self.state.lock().domains.snapshot_current(dom)?.ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
                "the domain does not have a current snapshot",
            )
        })?;
        Ok(SnapshotRef {
            domain: dom.clone(),
            name,
        })
    }

    fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        no_flags(flags, "testDomainSnapshotGetParent")?;
        let name = self
            .state
            .lock()
            .domains
            .snapshot_parent(&snap.domain, &snap.name)?;
        Ok(SnapshotRef {
            domain: snap.domain.clone(),
            name,
        })
    }

    fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        no_flags(flags, "testDomainSnapshotIsCurrent")?;
        let st = self.state.lock();
        st.domains.snapshot_lookup(&snap.domain, &snap.name)?;
        Ok(st.domains.snapshot_current(&snap.domain)?.as_deref() == Some(snap.name.as_str()))
    }

    fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        no_flags(flags, "testDomainSnapshotHasMetadata")?;
        self.state
            .lock()
            .domains
            .snapshot_lookup(&snap.domain, &snap.name)?;
        Ok(true)
    }

    fn snapshot_revert(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let st = &mut *self.state.lock();
        st.domains
            .snapshot_revert(&snap.domain, &snap.name, flags, &st.events)
    }

    fn snapshot_delete(&self, snap: &SnapshotRef, flags: u32) -> Result<()> {
        self.state
            .lock()
            .domains
            .snapshot_delete(&snap.domain, &snap.name, flags)
    }

    fn domain_set_metadata(&self, dom: &DomainRef, edit: &MetadataEdit, flags: u32) -> Result<()> {
        let st = &mut *self.state.lock();
        st.domains.set_metadata(dom, edit, flags, &st.events)
    }

    fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: i32,
        uri: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        self.state.lock().domains.get_metadata(dom, kind, uri, flags)
    }

    fn domain_set_memory_stats_period(&self, dom: &DomainRef, period: i32, flags: u32) -> Result<()> {
        self.state
            .lock()
            .domains
            .set_memory_stats_period(dom, period, flags)
    }

    fn domain_save_image_get_xml_desc(&self, path: &str, flags: u32) -> Result<String> {
        domains::save_image_xml(path, flags)
    }

    fn domain_save_image_define_xml(&self, path: &str, xml: &str, flags: u32) -> Result<()> {
        domains::save_image_define(path, xml, flags)
    }

    fn checkpoint_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<CheckpointRef> {
        let name = self.state.lock().domains.checkpoint_create(dom, xml, flags)?;
        Ok(CheckpointRef {
            domain: dom.clone(),
            name,
        })
    }

    fn checkpoint_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        let func = driver_func(api);
        self.state
            .lock()
            .domains
            .checkpoint_list(dom, parent, flags, &func)
    }

    fn checkpoint_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<CheckpointRef> {
        no_flags(flags, "testDomainCheckpointLookupByName")?;
        self.state.lock().domains.checkpoints(dom)?.get(name)?;
        Ok(CheckpointRef {
            domain: dom.clone(),
            name: name.to_string(),
        })
    }

    fn checkpoint_get_xml_desc(&self, cp: &CheckpointRef, flags: u32) -> Result<String> {
        self.state
            .lock()
            .domains
            .checkpoint_xml(&cp.domain, &cp.name, flags)
    }

    fn checkpoint_get_parent(&self, cp: &CheckpointRef, flags: u32) -> Result<CheckpointRef> {
        no_flags(flags, "testDomainCheckpointGetParent")?;
        let name = self
            .state
            .lock()
            .domains
            .checkpoint_parent(&cp.domain, &cp.name)?;
        Ok(CheckpointRef {
            domain: cp.domain.clone(),
            name,
        })
    }

    fn checkpoint_delete(&self, cp: &CheckpointRef, flags: u32) -> Result<()> {
        self.state
            .lock()
            .domains
            .checkpoint_delete(&cp.domain, &cp.name, flags)
    }

    fn domain_event_register(&self, sub: Subscription) -> Result<i32> {
        let events = self.state.lock().events.clone();
        events.register(sub)
    }

    fn domain_event_deregister(&self, owner: usize, id: i32) -> Result<()> {
        let events = self.state.lock().events.clone();
        events.deregister(owner, id)
    }

    fn domain_event_deregister_legacy(&self, owner: usize, key: usize) -> Result<i32> {
        let events = self.state.lock().events.clone();
        events.deregister_legacy(owner, key)?;
        Ok(events.legacy_count(owner) as i32)
    }

    fn list_networks(&self, active: bool) -> Result<Vec<String>> {
        Ok(self.state.lock().networks.names(active))
    }

    fn list_all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        check(flags, 0x3f, "virConnectListAllNetworks")?;
        Ok(self.state.lock().networks.list_all(flags))
    }

    fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        self.state.lock().networks.lookup_name(name)
    }

    fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.state.lock().networks.lookup_uuid(uuid)
    }

    fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check(flags, VIR_NETWORK_DEFINE_VALIDATE, "virNetworkDefineXMLFlags")?;
        let def = NetworkDef::parse(xml)?;
        self.state.lock().networks.define(def)
    }

    fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check(flags, VIR_NETWORK_CREATE_VALIDATE, "virNetworkCreateXMLFlags")?;
        let def = NetworkDef::parse(xml)?;
        self.state.lock().networks.create_xml(def)
    }

    fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        self.state.lock().networks.undefine(&net.name)
    }

    fn network_create(&self, net: &NetworkRef, flags: u32) -> Result<()> {
        check(flags, 0, "virNetworkCreateWithFlags")?;
        self.state.lock().networks.start(&net.name)
    }

    fn network_destroy(&self, net: &NetworkRef) -> Result<()> {
        self.state.lock().networks.destroy(&net.name)
    }

    fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        check(flags, 0, "virNetworkGetXMLDesc")?;
        Ok(self.state.lock().networks.get(&net.name)?.def.to_xml())
    }

    fn network_get_bridge_name(&self, net: &NetworkRef) -> Result<String> {
        self.state.lock().networks.bridge_name(&net.name)
    }

    fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.state.lock().networks.get(&net.name)?.autostart)
    }

    fn network_set_autostart(&self, net: &NetworkRef, on: bool) -> Result<()> {
        self.state.lock().networks.set_autostart(&net.name, on)
    }

    fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.state.lock().networks.get_by_uuid(&net.uuid)?.active)
    }

    fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.state.lock().networks.get_by_uuid(&net.uuid)?.persistent)
    }

    fn list_interfaces(&self, active: bool) -> Result<Vec<String>> {
        Ok(self.state.lock().interfaces.names(active))
    }

    fn list_all_interfaces(&self, flags: u32) -> Result<Vec<InterfaceRef>> {
        check(
            flags,
            VIR_CONNECT_LIST_INTERFACES_ACTIVE | VIR_CONNECT_LIST_INTERFACES_INACTIVE,
            "virConnectListAllInterfaces",
        )?;
        Ok(self.state.lock().interfaces.list_all(flags))
    }

    fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        self.state.lock().interfaces.lookup_name(name)
    }

    fn interface_lookup_by_mac(&self, mac: &str) -> Result<InterfaceRef> {
        self.state.lock().interfaces.lookup_mac(mac)
    }

    fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        // libvirt's test driver refuses VIR_INTERFACE_XML_INACTIVE too.
        check(flags, 0, "virInterfaceGetXMLDesc")?;
        self.state.lock().interfaces.xml(&iface.name)
    }

    fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        self.state.lock().interfaces.is_active(&iface.name)
    }

    fn interface_define_xml(&self, xml: &str, flags: u32) -> Result<InterfaceRef> {
        // VALIDATE is accepted; there is no schema to check against, as with networks.
        check(flags, VIR_INTERFACE_DEFINE_VALIDATE, "virInterfaceDefineXML")?;
        let def = InterfaceDef::parse(xml)?;
        Ok(self.state.lock().interfaces.define(def))
    }

    fn interface_undefine(&self, iface: &InterfaceRef) -> Result<()> {
        self.state.lock().interfaces.undefine(&iface.name)
    }

    fn interface_create(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        check(flags, 0, "virInterfaceCreate")?;
        self.state.lock().interfaces.set_active(&iface.name, true)
    }

    fn interface_destroy(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        check(flags, 0, "virInterfaceDestroy")?;
        self.state.lock().interfaces.set_active(&iface.name, false)
    }

    fn interface_change_begin(&self, flags: u32) -> Result<()> {
        check(flags, 0, "virInterfaceChangeBegin")?;
        self.state.lock().interfaces.begin()
    }

    fn interface_change_commit(&self, flags: u32) -> Result<()> {
        check(flags, 0, "virInterfaceChangeCommit")?;
        self.state.lock().interfaces.commit()
    }

    fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        check(flags, 0, "virInterfaceChangeRollback")?;
        self.state.lock().interfaces.rollback()
    }

    fn list_storage_pools(&self, active: bool) -> Result<Vec<String>> {
        Ok(self.state.lock().pools.names(active))
    }

    fn list_all_storage_pools(&self, flags: u32) -> Result<Vec<PoolRef>> {
        check(flags, 0xfffff, "virConnectListAllStoragePools")?;
        Ok(self.state.lock().pools.list_all(flags))
    }

    fn pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        self.state.lock().pools.lookup_name(name)
    }

    fn pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.state.lock().pools.lookup_uuid(uuid)
    }

    fn pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        self.state.lock().pools.lookup_name(&vol.pool)
    }

    fn pool_define_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        check(flags, VIR_STORAGE_POOL_DEFINE_VALIDATE, "virStoragePoolDefineXML")?;
        let def = PoolDef::parse(xml)?;
        self.state.lock().pools.define(def)
    }

    fn pool_create_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        check(flags, POOL_BUILD_FLAGS, "virStoragePoolCreateXML")?;
        let def = PoolDef::parse(xml)?;
        self.state.lock().pools.create_xml(def)
    }

    fn pool_create(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check(flags, POOL_BUILD_FLAGS, "virStoragePoolCreate")?;
        self.state.lock().pools.start(&pool.name)
    }

    fn pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        self.state.lock().pools.destroy(&pool.name)
    }

    fn pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        self.state.lock().pools.undefine(&pool.name)
    }

    fn pool_build(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check(flags, 0xf, "virStoragePoolBuild")?;
        self.state.lock().pools.build_or_delete(&pool.name)
    }

    fn pool_delete(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check(flags, 0, "virStoragePoolDelete")?;
        self.state.lock().pools.build_or_delete(&pool.name)
    }

    fn pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check(flags, 0, "virStoragePoolRefresh")?;
        self.state.lock().pools.refresh(&pool.name)
    }

    fn pool_get_info(&self, pool: &PoolRef) -> Result<PoolInfo> {
        self.state.lock().pools.info(&pool.name)
    }

    fn pool_get_xml_desc(&self, pool: &PoolRef, flags: u32) -> Result<String> {
        check(flags, 0, "virStoragePoolGetXMLDesc")?;
        Ok(self.state.lock().pools.get(&pool.name)?.def.to_xml())
    }

    fn pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.state.lock().pools.get(&pool.name)?.autostart)
    }

    fn pool_set_autostart(&self, pool: &PoolRef, on: bool) -> Result<()> {
        self.state.lock().pools.set_autostart(&pool.name, on)
    }

    fn pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.state.lock().pools.get_by_uuid(&pool.uuid)?.active)
    }

    fn pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.state.lock().pools.get_by_uuid(&pool.uuid)?.persistent)
    }

    fn pool_list_volumes(&self, pool: &PoolRef) -> Result<Vec<String>> {
        let vols = self.state.lock().pools.volumes(&pool.name, false)?;
        Ok(vols.into_iter().map(|v| v.name).collect())
    }

    fn pool_list_all_volumes(&self, pool: &PoolRef, flags: u32) -> Result<Vec<VolRef>> {
        check(flags, 0, "virStoragePoolListAllVolumes")?;
        self.state.lock().pools.volumes(&pool.name, true)
    }

    fn vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        self.state.lock().pools.lookup_vol(&pool.name, name)
    }

    fn vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        self.state.lock().pools.find_vol(true, key)
    }

    fn vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        self.state.lock().pools.find_vol(false, path)
    }

    fn vol_create_xml(&self, pool: &PoolRef, xml: &str, flags: u32) -> Result<VolRef> {
        check(flags, 0, "virStorageVolCreateXML")?;
        let mut st = self.state.lock();
        let formats = volume_formats(&st.pools.get(&pool.name)?.def.pool_type);
        let def = VolumeDef::parse(xml, formats)?;
        st.pools.create_vol(&pool.name, def)
    }

    fn vol_create_xml_from(&self, pool: &PoolRef, xml: &str, from: &VolRef, flags: u32) -> Result<VolRef> {
        check(flags, 0, "virStorageVolCreateXMLFrom")?;
        let mut st = self.state.lock();
        let formats = volume_formats(&st.pools.get(&pool.name)?.def.pool_type);
        st.pools.volume(&from.pool, &from.name)?;
        let def = VolumeDef::parse(xml, formats)?;
        st.pools.create_vol(&pool.name, def)
    }

    fn vol_delete(&self, vol: &VolRef, flags: u32) -> Result<()> {
        check(flags, 0, "virStorageVolDelete")?;
        self.state.lock().pools.delete_vol(&vol.pool, &vol.name)
    }

    fn vol_get_info(&self, vol: &VolRef) -> Result<VolInfo> {
        self.state.lock().pools.vol_info(&vol.pool, &vol.name)
    }

    fn vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        check(flags, 0, "virStorageVolGetXMLDesc")?;
        let st = self.state.lock();
        let (_, v) = st.pools.volume(&vol.pool, &vol.name)?;
        Ok(v.to_xml())
    }

    fn vol_get_path(&self, vol: &VolRef) -> Result<String> {
        let st = self.state.lock();
        let (_, v) = st.pools.volume(&vol.pool, &vol.name)?;
        Ok(v.target_path.clone().unwrap_or_default())
    }
}
