//! The remote driver: libvirt's RPC protocol to a libvirtd over a unix
//! socket, TCP, ssh or an external command.

pub mod auth;
pub mod client;
pub mod command;
pub mod events;
pub mod protocol;
pub mod stream;
pub mod tls;
pub mod transport;

use std::sync::Arc;

use crate::abi::*;
use crate::auth::Auth;
use crate::domain::Uuid;
use crate::domain_events::Subscription;
use crate::driver::*;
use crate::error::{Error, Result};
use crate::stream::Payload;
use crate::typed_params::TypedParam;
use crate::uri::Uri;

use client::Client;
use protocol::{
    proc_::*, Bytes, List, NodeInfoRet, ALL_DOMAIN_STATS_MAX, CHECKPOINT_LIST_MAX, CPUMAPS_MAX, CPUMAP_MAX,
    DOMAIN_LIST_MAX, INTERFACE_MAX, MEMORY_PARAMETERS_MAX, NODE_MAX_CELLS, OBJECT_LIST_MAX,
    SCHEDULER_PARAMETERS_MAX, SEND_KEY_MAX, SNAPSHOT_LIST_MAX, VCPUINFO_MAX,
};
use stream::RemoteStream;
use transport::{Target, Transport};

/// `VIR_DRV_FEATURE_PROGRAM_KEEPALIVE`.
const FEATURE_PROGRAM_KEEPALIVE: i32 = 10;

/// A connection to a daemon.
pub struct RemoteDriver {
    client: Arc<Client>,
    events: events::RemoteEvents,
    /// The daemon's hypervisor type, asked for on first use as libvirt does.
    kind: std::sync::OnceLock<&'static str>,
    transport: Transport,
    uri: Option<String>,
}

/// The remote open flags libvirt sends: bit 0 read-only.
fn open_flags(flags: u32) -> u32 {
    flags & VIR_CONNECT_RO
}

/// `virConnectGetType`'s answer as a static string (the C side keeps it).
fn intern(kind: String) -> &'static str {
    const KNOWN: &[&str] = &[
        "TEST", "QEMU", "LXC", "Xen", "VBOX", "ESX", "BHYVE", "CH", "VZ", "libxl",
    ];
    KNOWN
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or_else(|| Box::leak(kind.into_boxed_str()))
}

impl RemoteDriver {
    /// Connects to the daemon `uri` names (None: the local daemon's default)
    /// and opens it.
    pub fn open(uri: Option<&Uri>, auth: &Auth, flags: u32) -> Result<RemoteDriver> {
        let _ = auth;
        let target = Target::from_uri(uri, flags)?;
        let client = Arc::new(Client::new(target.connect()?)?);
        auth::authenticate(&client, &target)?;
        // libvirt asks before relying on keepalive; an old daemon says no.
        let _: Result<i32> = client.call(CONNECT_SUPPORTS_FEATURE, &(FEATURE_PROGRAM_KEEPALIVE,));
        client.call::<_, ()>(CONNECT_OPEN, &(target.name.clone(), open_flags(flags)))?;
        let uri = match target.name {
            None => Some(client.call::<_, (String,)>(CONNECT_GET_URI, &())?.0),
            Some(_) => None,
        };
        let events = events::RemoteEvents::new();
        client.set_event_sink(events::RemoteEvents::sink(events.state.clone()));
        Ok(RemoteDriver {
            client,
            events,
            kind: std::sync::OnceLock::new(),
            transport: target.transport,
            uri,
        })
    }

    fn call<A: crate::rpc::xdr::Xdr, R: crate::rpc::xdr::Xdr>(&self, p: i32, args: &A) -> Result<R> {
        self.client.call(p, args)
    }

    fn unit<A: crate::rpc::xdr::Xdr>(&self, p: i32, args: &A) -> Result<()> {
        self.client.call(p, args)
    }

    fn one<A: crate::rpc::xdr::Xdr, R: crate::rpc::xdr::Xdr>(&self, p: i32, args: &A) -> Result<R> {
        Ok(self.client.call::<A, (R,)>(p, args)?.0)
    }

    /// Names through the older listing procedures: a count, then a list of
    /// that many.
    fn names(&self, num: i32, list: i32) -> Result<Vec<String>> {
        let n: i32 = self.one(num, &())?;
        Ok(self.one::<_, List<String, OBJECT_LIST_MAX>>(list, &(n,))?.0)
    }

    /// The objects a `connect_list_all_*` procedure returns (results asked
    /// for; its count is the list's length).
    fn list_all<T: crate::rpc::xdr::Xdr, const MAX: usize>(&self, p: i32, flags: u32) -> Result<Vec<T>> {
        let (List(v), _): (List<T, MAX>, u32) = self.call(p, &(1i32, flags))?;
        Ok(v)
    }

    /// Opens a volume download or upload: a stream on the call's serial.
    fn transfer(&self, p: i32, vol: &VolRef, offset: u64, length: u64, flags: u32) -> Result<Payload> {
        let (_, port) = self
            .client
            .call_stream(p, &(vol.clone(), offset, length, flags))?;
        // VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM = ..._UPLOAD_SPARSE_STREAM = 1.
        let sparse = flags & 1 != 0;
        Ok(Payload::Live(Box::new(RemoteStream::new(port, sparse))))
    }
}

impl Drop for RemoteDriver {
    fn drop(&mut self) {
        self.client.shutdown();
    }
}

impl Driver for RemoteDriver {
    fn kind(&self) -> &'static str {
        if let Some(k) = self.kind.get() {
            return k;
        }
        match self.client.call::<_, (String,)>(CONNECT_GET_TYPE, &()) {
            Ok((k,)) => self.kind.get_or_init(|| intern(k)),
            // libvirt then answers with its driver's name.
            Err(_) => "remote",
        }
    }

    fn version(&self) -> Result<u64> {
        self.one(CONNECT_GET_VERSION, &())
    }

    fn probed_uri(&self) -> Option<String> {
        self.uri.clone()
    }

    fn lib_version(&self) -> Result<u64> {
        self.one(CONNECT_GET_LIB_VERSION, &())
    }

    fn hostname(&self) -> Result<String> {
        self.one(CONNECT_GET_HOSTNAME, &())
    }

    fn capabilities(&self) -> Result<String> {
        self.one(CONNECT_GET_CAPABILITIES, &())
    }

    fn max_vcpus(&self, kind: Option<&str>) -> Result<i32> {
        self.one(CONNECT_GET_MAX_VCPUS, &(kind.map(str::to_string),))
    }

    fn node_info(&self) -> Result<NodeInfo> {
        Ok(self.call::<_, NodeInfoRet>(NODE_GET_INFO, &())?.0)
    }

    fn is_alive(&self) -> Result<bool> {
        Ok(self.client.is_alive())
    }

    fn set_keep_alive(&self, interval: i32, count: u32) -> Result<()> {
        self.client.set_keepalive(interval, count)
    }

    fn set_close_callback(&self, cb: Option<CloseFn>) {
        self.client.set_close_sink(cb);
    }

    fn has_close_callbacks(&self) -> bool {
        true
    }

    fn is_secure(&self) -> Result<bool> {
        let server: i32 = self.one(CONNECT_IS_SECURE, &())?;
        Ok(self.transport.secure() && server != 0)
    }

    fn is_encrypted(&self) -> Result<bool> {
        // Only TLS or SASL sessions count, and SASL is not spoken yet.
        let server: i32 = self.one(CONNECT_IS_SECURE, &())?;
        Ok(self.transport == Transport::Tls && server != 0)
    }

    fn close(&self, owner: usize) {
        self.events.state.remove_owner(owner);
        let _: Result<()> = self.unit(CONNECT_CLOSE, &());
        self.client.shutdown();
    }

    fn num_of_domains(&self) -> Result<i32> {
        self.one(CONNECT_NUM_OF_DOMAINS, &())
    }

    fn list_domains(&self) -> Result<Vec<i32>> {
        let n = self.num_of_domains()?;
        Ok(self
            .one::<_, List<i32, DOMAIN_LIST_MAX>>(CONNECT_LIST_DOMAINS, &(n,))?
            .0)
    }

    fn num_of_defined_domains(&self) -> Result<i32> {
        self.one(CONNECT_NUM_OF_DEFINED_DOMAINS, &())
    }

    fn list_defined_domains(&self) -> Result<Vec<String>> {
        let n = self.num_of_defined_domains()?;
        Ok(self
            .one::<_, List<String, DOMAIN_LIST_MAX>>(CONNECT_LIST_DEFINED_DOMAINS, &(n,))?
            .0)
    }

    fn list_all_domains(&self, flags: u32) -> Result<Vec<DomainRef>> {
        self.list_all::<_, DOMAIN_LIST_MAX>(CONNECT_LIST_ALL_DOMAINS, flags)
    }

    fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        self.one(DOMAIN_LOOKUP_BY_ID, &(id,))
    }

    fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        self.one(DOMAIN_LOOKUP_BY_NAME, &(name.to_string(),))
    }

    fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.one(DOMAIN_LOOKUP_BY_UUID, &(*uuid,))
    }

    fn domain_create_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        self.one(DOMAIN_CREATE_XML, &(xml.to_string(), flags))
    }

    fn domain_define_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        if flags == 0 {
            self.one(DOMAIN_DEFINE_XML, &(xml.to_string(),))
        } else {
            self.one(DOMAIN_DEFINE_XML_FLAGS, &(xml.to_string(), flags))
        }
    }

    fn domain_undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags == 0 {
            self.unit(DOMAIN_UNDEFINE, &(dom.clone(),))
        } else {
            self.unit(DOMAIN_UNDEFINE_FLAGS, &(dom.clone(), flags))
        }
    }

    fn domain_create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        if flags == 0 {
            // The plain call returns nothing; libvirt looks the domain up
            // again to learn its new id.
            self.unit(DOMAIN_CREATE, &(dom.clone(),))?;
            self.domain_lookup_by_uuid(&dom.uuid)
        } else {
            self.one(DOMAIN_CREATE_WITH_FLAGS, &(dom.clone(), flags))
        }
    }

    fn domain_destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags == 0 {
            self.unit(DOMAIN_DESTROY, &(dom.clone(),))
        } else {
            self.unit(DOMAIN_DESTROY_FLAGS, &(dom.clone(), flags))
        }
    }

    fn domain_shutdown(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        if flags == 0 {
            self.unit(DOMAIN_SHUTDOWN, &(dom.clone(),))?;
        } else {
            self.unit(DOMAIN_SHUTDOWN_FLAGS, &(dom.clone(), flags))?;
        }
        // The client's handle keeps the id it had.
        Ok(dom.id)
    }

    fn domain_reboot(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.unit(DOMAIN_REBOOT, &(dom.clone(), flags))?;
        Ok(dom.id)
    }

    fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.unit(DOMAIN_RESET, &(dom.clone(), flags))
    }

    fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        self.unit(DOMAIN_SUSPEND, &(dom.clone(),))
    }

    fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        self.unit(DOMAIN_RESUME, &(dom.clone(),))
    }

    fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let (state, max_mem, memory, nr_virt_cpu, cpu_time): (u32, u64, u64, u32, u64) =
            self.call(DOMAIN_GET_INFO, &(dom.clone(),))?;
        Ok(DomainInfo {
            state: state as i32,
            max_mem,
            memory,
            nr_virt_cpu,
            cpu_time,
        })
    }

    fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        self.call(DOMAIN_GET_STATE, &(dom.clone(), flags))
    }

    fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        self.one(DOMAIN_GET_OS_TYPE, &(dom.clone(),))
    }

    fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        self.one(DOMAIN_GET_MAX_MEMORY, &(dom.clone(),))
    }

    fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.one(DOMAIN_GET_MAX_VCPUS, &(dom.clone(),))
    }

    fn domain_get_xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.one(DOMAIN_GET_XML_DESC, &(dom.clone(), flags))
    }

    fn domain_xml_from_native(&self, format: &str, config: &str, flags: u32) -> Result<String> {
        self.one(
            CONNECT_DOMAIN_XML_FROM_NATIVE,
            &(format.to_string(), config.to_string(), flags),
        )
    }

    fn domain_xml_to_native(&self, format: &str, xml: &str, flags: u32) -> Result<String> {
        self.one(
            CONNECT_DOMAIN_XML_TO_NATIVE,
            &(format.to_string(), xml.to_string(), flags),
        )
    }

    fn domain_get_hostname(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        self.one(DOMAIN_GET_HOSTNAME, &(dom.clone(), flags))
    }

    fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_IS_ACTIVE, &(dom.clone(),))? != 0)
    }

    fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_IS_PERSISTENT, &(dom.clone(),))? != 0)
    }

    fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_IS_UPDATED, &(dom.clone(),))? != 0)
    }

    fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_GET_AUTOSTART, &(dom.clone(),))? != 0)
    }

    fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        self.unit(DOMAIN_SET_AUTOSTART, &(dom.clone(), autostart as i32))
    }

    fn domain_set_memory_flags(&self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        self.unit(DOMAIN_SET_MEMORY_FLAGS, &(dom.clone(), kib, flags))
    }

    fn domain_set_vcpus_flags(&self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        self.unit(DOMAIN_SET_VCPUS_FLAGS, &(dom.clone(), n, flags))
    }

    fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        self.one(DOMAIN_GET_VCPUS_FLAGS, &(dom.clone(), flags))
    }

    fn domain_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.unit(DOMAIN_MANAGED_SAVE, &(dom.clone(), flags))
    }

    fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_HAS_MANAGED_SAVE_IMAGE, &(dom.clone(), flags))? != 0)
    }

    fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.unit(DOMAIN_MANAGED_SAVE_REMOVE, &(dom.clone(), flags))
    }

    fn domain_save(&self, dom: &DomainRef, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        self.unit(
            DOMAIN_SAVE_FLAGS,
            &(dom.clone(), path.to_string(), xml.map(str::to_string), flags),
        )
    }

    fn domain_restore(&self, path: &str, xml: Option<&str>, flags: u32) -> Result<()> {
        self.unit(
            DOMAIN_RESTORE_FLAGS,
            &(path.to_string(), xml.map(str::to_string), flags),
        )
    }

    fn domain_save_image_get_xml_desc(&self, path: &str, flags: u32) -> Result<String> {
        self.one(DOMAIN_SAVE_IMAGE_GET_XML_DESC, &(path.to_string(), flags))
    }

    fn domain_save_image_define_xml(&self, path: &str, xml: &str, flags: u32) -> Result<()> {
        self.unit(
            DOMAIN_SAVE_IMAGE_DEFINE_XML,
            &(path.to_string(), xml.to_string(), flags),
        )
    }

    fn node_get_cpu_map(&self, flags: u32) -> Result<(i32, Vec<bool>)> {
        let (Bytes(map), _online, total): (Bytes<CPUMAP_MAX>, u32, i32) =
            self.call(NODE_GET_CPU_MAP, &(1i32, 1i32, flags))?;
        let bits = (0..total.max(0) as usize)
            .map(|i| map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
            .collect();
        Ok((total, bits))
    }

    fn domain_get_vcpus(&self, dom: &DomainRef) -> Result<Vec<VcpuInfo>> {
        // The caller's array sizes are not passed down: ask for as many vCPUs
        // as the domain has and a map byte per 8 host CPUs.
        let n = self.domain_get_info(dom)?.nr_virt_cpu as i32;
        let cpus = self.node_info()?.cpus as usize;
        let maplen = cpus.div_ceil(8).max(1);
        let (List(infos), Bytes(maps)): (List<(u32, i32, u64, i32), VCPUINFO_MAX>, Bytes<CPUMAPS_MAX>) =
            self.call(DOMAIN_GET_VCPUS, &(dom.clone(), n, maplen as i32))?;
        Ok(infos
            .into_iter()
            .enumerate()
            .map(|(i, (number, state, cpu_time, cpu))| VcpuInfo {
                number,
                state,
                cpu_time,
                cpu,
                affinity: (0..cpus)
                    .map(|c| {
                        maps.get(i * maplen + c / 8)
                            .is_some_and(|b| b & (1 << (c % 8)) != 0)
                    })
                    .collect(),
            })
            .collect())
    }

    fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        self.call(DOMAIN_GET_SCHEDULER_TYPE, &(dom.clone(),))
    }

    fn domain_get_scheduler_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        let (_, n) = self.domain_get_scheduler_type(dom)?;
        let List(params) = if flags == 0 {
            self.one::<_, List<TypedParam, SCHEDULER_PARAMETERS_MAX>>(
                DOMAIN_GET_SCHEDULER_PARAMETERS,
                &(dom.clone(), n),
            )?
        } else {
            self.one(DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, &(dom.clone(), n, flags))?
        };
        Ok(params)
    }

    fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let list = List::<TypedParam, SCHEDULER_PARAMETERS_MAX>(params.to_vec());
        if flags == 0 {
            self.unit(DOMAIN_SET_SCHEDULER_PARAMETERS, &(dom.clone(), list))
        } else {
            self.unit(DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, &(dom.clone(), list, flags))
        }
    }

    fn snapshot_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<(SnapshotRef, bool)> {
        // libvirt's client never learns that the domain halted; its handle
        // keeps the old id.
        Ok((
            self.one(DOMAIN_SNAPSHOT_CREATE_XML, &(dom.clone(), xml.to_string(), flags))?,
            false,
        ))
    }

    fn snapshot_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        // One procedure per public call, so the daemon's errors name the
        // function libvirt's would.
        let snap = parent.map(|p| SnapshotRef {
            domain: dom.clone(),
            name: p.to_string(),
        });
        let max = SNAPSHOT_LIST_MAX as i32;
        let names = |refs: Vec<SnapshotRef>| refs.into_iter().map(|s| s.name).collect();
        match (api, snap) {
            ("virDomainSnapshotNum", _) => {
                let n: i32 = self.one(DOMAIN_SNAPSHOT_NUM, &(dom.clone(), flags))?;
                Ok(vec![String::new(); n.max(0) as usize])
            }
            ("virDomainSnapshotNumChildren", Some(s)) => {
                let n: i32 = self.one(DOMAIN_SNAPSHOT_NUM_CHILDREN, &(s, flags))?;
                Ok(vec![String::new(); n.max(0) as usize])
            }
            ("virDomainSnapshotListNames", _) => Ok(self
                .one::<_, List<String, SNAPSHOT_LIST_MAX>>(
                    DOMAIN_SNAPSHOT_LIST_NAMES,
                    &(dom.clone(), max, flags),
                )?
                .0),
            ("virDomainSnapshotListChildrenNames", Some(s)) => Ok(self
                .one::<_, List<String, SNAPSHOT_LIST_MAX>>(
                    DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES,
                    &(s, max, flags),
                )?
                .0),
            (_, None) => {
                let (List(refs), _): (List<SnapshotRef, SNAPSHOT_LIST_MAX>, i32) =
                    self.call(DOMAIN_LIST_ALL_SNAPSHOTS, &(dom.clone(), 1i32, flags))?;
                Ok(names(refs))
            }
            (_, Some(s)) => {
                let (List(refs), _): (List<SnapshotRef, SNAPSHOT_LIST_MAX>, i32) =
                    self.call(DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, &(s, 1i32, flags))?;
                Ok(names(refs))
            }
        }
    }

    fn snapshot_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<SnapshotRef> {
        self.one(
            DOMAIN_SNAPSHOT_LOOKUP_BY_NAME,
            &(dom.clone(), name.to_string(), flags),
        )
    }

    fn snapshot_get_xml_desc(&self, snap: &SnapshotRef, flags: u32) -> Result<String> {
        self.one(DOMAIN_SNAPSHOT_GET_XML_DESC, &(snap.clone(), flags))
    }

    fn snapshot_has_current(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_HAS_CURRENT_SNAPSHOT, &(dom.clone(), flags))? != 0)
    }

    fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        self.one(DOMAIN_SNAPSHOT_CURRENT, &(dom.clone(), flags))
    }

    fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        self.one(DOMAIN_SNAPSHOT_GET_PARENT, &(snap.clone(), flags))
    }

    fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_SNAPSHOT_IS_CURRENT, &(snap.clone(), flags))? != 0)
    }

    fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        Ok(self.one::<_, i32>(DOMAIN_SNAPSHOT_HAS_METADATA, &(snap.clone(), flags))? != 0)
    }

    fn snapshot_revert(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        self.unit(DOMAIN_REVERT_TO_SNAPSHOT, &(snap.clone(), flags))?;
        Ok(false)
    }

    fn snapshot_delete(&self, snap: &SnapshotRef, flags: u32) -> Result<()> {
        self.unit(DOMAIN_SNAPSHOT_DELETE, &(snap.clone(), flags))
    }

    fn domain_set_metadata(&self, dom: &DomainRef, edit: &MetadataEdit, flags: u32) -> Result<()> {
        let owned = |v: Option<&str>| v.map(str::to_string);
        self.unit(
            DOMAIN_SET_METADATA,
            &(
                dom.clone(),
                edit.kind,
                owned(edit.value),
                owned(edit.key),
                owned(edit.uri),
                flags,
            ),
        )
    }

    fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: i32,
        uri: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        self.one(
            DOMAIN_GET_METADATA,
            &(dom.clone(), kind, uri.map(str::to_string), flags),
        )
    }

    fn domain_set_memory_stats_period(&self, dom: &DomainRef, period: i32, flags: u32) -> Result<()> {
        self.unit(DOMAIN_SET_MEMORY_STATS_PERIOD, &(dom.clone(), period, flags))
    }

    fn node_get_free_memory(&self) -> Result<u64> {
        self.one(NODE_GET_FREE_MEMORY, &())
    }

    fn node_get_cells_free_memory(&self, start: usize, max: usize) -> Result<Vec<u64>> {
        if max > NODE_MAX_CELLS {
            return Err(Error::with(
                VIR_FROM_REMOTE,
                VIR_ERR_RPC,
                format!("too many NUMA cells: {max} > {NODE_MAX_CELLS}"),
            ));
        }
        let cells: List<u64, NODE_MAX_CELLS> =
            self.one(NODE_GET_CELLS_FREE_MEMORY, &(start as i32, max as i32))?;
        Ok(cells.0)
    }

    fn domain_attach_device(&self, dom: &DomainRef, xml: &str, flags: Option<u32>) -> Result<()> {
        match flags {
            None => self.unit(DOMAIN_ATTACH_DEVICE, &(dom.clone(), xml.to_string())),
            Some(f) => self.unit(DOMAIN_ATTACH_DEVICE_FLAGS, &(dom.clone(), xml.to_string(), f)),
        }
    }

    fn domain_get_memory_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        // As libvirt's callers do: ask how many, then fetch that many.
        let (List(_), n): (List<TypedParam, MEMORY_PARAMETERS_MAX>, i32) =
            self.call(DOMAIN_GET_MEMORY_PARAMETERS, &(dom.clone(), 0i32, flags))?;
        if n <= 0 {
            return Ok(Vec::new());
        }
        let (List(params), _): (List<TypedParam, MEMORY_PARAMETERS_MAX>, i32) =
            self.call(DOMAIN_GET_MEMORY_PARAMETERS, &(dom.clone(), n, flags))?;
        Ok(params)
    }

    fn domain_set_memory_parameters(&self, dom: &DomainRef, params: &[TypedParam], flags: u32) -> Result<()> {
        let list = List::<TypedParam, MEMORY_PARAMETERS_MAX>(params.to_vec());
        self.unit(DOMAIN_SET_MEMORY_PARAMETERS, &(dom.clone(), list, flags))
    }

    fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: u32,
        flags: u32,
    ) -> Result<Vec<GuestInterface>> {
        type Addr = (i32, String, u32);
        type Iface = (String, Option<String>, List<Addr, INTERFACE_MAX>);
        let List(ifaces): List<Iface, INTERFACE_MAX> =
            self.one(DOMAIN_INTERFACE_ADDRESSES, &(dom.clone(), source, flags))?;
        Ok(ifaces
            .into_iter()
            .map(|(name, hwaddr, List(addrs))| GuestInterface { name, hwaddr, addrs })
            .collect())
    }

    fn get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: u32,
        flags: u32,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        let doms = List::<DomainRef, DOMAIN_LIST_MAX>(doms.map(<[DomainRef]>::to_vec).unwrap_or_default());
        let List(records): List<(DomainRef, List<TypedParam, ALL_DOMAIN_STATS_MAX>), ALL_DOMAIN_STATS_MAX> =
            self.one(CONNECT_GET_ALL_DOMAIN_STATS, &(doms, stats, flags))?;
        Ok(records.into_iter().map(|(d, List(p))| (d, p)).collect())
    }

    fn domain_send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        let keys = List::<u32, SEND_KEY_MAX>(keycodes.to_vec());
        self.unit(DOMAIN_SEND_KEY, &(dom.clone(), codeset, holdtime, keys, flags))
    }

    fn vol_download(&self, vol: &VolRef, offset: u64, length: u64, flags: u32) -> Result<Payload> {
        self.transfer(STORAGE_VOL_DOWNLOAD, vol, offset, length, flags)
    }

    fn vol_upload(&self, vol: &VolRef, offset: u64, length: u64, flags: u32) -> Result<Payload> {
        self.transfer(STORAGE_VOL_UPLOAD, vol, offset, length, flags)
    }

    fn domain_screenshot(&self, dom: &DomainRef, screen: u32, flags: u32) -> Result<(String, Payload)> {
        let (reply, port) = self
            .client
            .call_stream(DOMAIN_SCREENSHOT, &(dom.clone(), screen, flags))?;
        let (mime,): (Option<String>,) = crate::rpc::xdr::from_bytes(&reply)?;
        let image = Payload::Live(Box::new(RemoteStream::new(port, false)));
        Ok((mime.unwrap_or_default(), image))
    }

    fn supports_feature(&self, feature: i32) -> Result<bool> {
        Ok(self.one::<_, i32>(CONNECT_SUPPORTS_FEATURE, &(feature,))? != 0)
    }

    fn checkpoint_create_xml(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<CheckpointRef> {
        self.one(
            DOMAIN_CHECKPOINT_CREATE_XML,
            &(dom.clone(), xml.to_string(), flags),
        )
    }

    fn checkpoint_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        api: &str,
    ) -> Result<Vec<String>> {
        let _ = api;
        let (List(refs), _): (List<CheckpointRef, CHECKPOINT_LIST_MAX>, i32) = match parent {
            None => self.call(DOMAIN_LIST_ALL_CHECKPOINTS, &(dom.clone(), 1i32, flags))?,
            Some(p) => {
                let cp = CheckpointRef {
                    domain: dom.clone(),
                    name: p.to_string(),
                };
                self.call(DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN, &(cp, 1i32, flags))?
            }
        };
        Ok(refs.into_iter().map(|c| c.name).collect())
    }

    fn checkpoint_lookup_by_name(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<CheckpointRef> {
        self.one(
            DOMAIN_CHECKPOINT_LOOKUP_BY_NAME,
            &(dom.clone(), name.to_string(), flags),
        )
    }

    fn checkpoint_get_xml_desc(&self, cp: &CheckpointRef, flags: u32) -> Result<String> {
        self.one(DOMAIN_CHECKPOINT_GET_XML_DESC, &(cp.clone(), flags))
    }

    fn checkpoint_get_parent(&self, cp: &CheckpointRef, flags: u32) -> Result<CheckpointRef> {
        self.one(DOMAIN_CHECKPOINT_GET_PARENT, &(cp.clone(), flags))
    }

    fn checkpoint_delete(&self, cp: &CheckpointRef, flags: u32) -> Result<()> {
        self.unit(DOMAIN_CHECKPOINT_DELETE, &(cp.clone(), flags))
    }

    fn domain_event_register(&self, sub: Subscription) -> Result<i32> {
        self.events.register(&self.client, sub)
    }

    fn domain_event_deregister(&self, owner: usize, id: i32) -> Result<()> {
        self.events.deregister(&self.client, owner, id)
    }

    fn domain_event_deregister_legacy(&self, owner: usize, key: usize) -> Result<i32> {
        self.events.deregister_legacy(&self.client, owner, key)
    }

    fn list_networks(&self, active: bool) -> Result<Vec<String>> {
        let (num, list) = if active {
            (CONNECT_NUM_OF_NETWORKS, CONNECT_LIST_NETWORKS)
        } else {
            (CONNECT_NUM_OF_DEFINED_NETWORKS, CONNECT_LIST_DEFINED_NETWORKS)
        };
        self.names(num, list)
    }

    fn list_all_networks(&self, flags: u32) -> Result<Vec<NetworkRef>> {
        self.list_all::<_, OBJECT_LIST_MAX>(CONNECT_LIST_ALL_NETWORKS, flags)
    }

    fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        self.one(NETWORK_LOOKUP_BY_NAME, &(name.to_string(),))
    }

    fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.one(NETWORK_LOOKUP_BY_UUID, &(*uuid,))
    }

    fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        if flags == 0 {
            self.one(NETWORK_DEFINE_XML, &(xml.to_string(),))
        } else {
            self.one(NETWORK_DEFINE_XML_FLAGS, &(xml.to_string(), flags))
        }
    }

    fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        if flags == 0 {
            self.one(NETWORK_CREATE_XML, &(xml.to_string(),))
        } else {
            self.one(NETWORK_CREATE_XML_FLAGS, &(xml.to_string(), flags))
        }
    }

    fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        self.unit(NETWORK_UNDEFINE, &(net.clone(),))
    }

    fn network_create(&self, net: &NetworkRef, flags: u32) -> Result<()> {
        let _ = flags;
        self.unit(NETWORK_CREATE, &(net.clone(),))
    }

    fn network_destroy(&self, net: &NetworkRef) -> Result<()> {
        self.unit(NETWORK_DESTROY, &(net.clone(),))
    }

    fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        self.one(NETWORK_GET_XML_DESC, &(net.clone(), flags))
    }

    fn network_get_bridge_name(&self, net: &NetworkRef) -> Result<String> {
        self.one(NETWORK_GET_BRIDGE_NAME, &(net.clone(),))
    }

    fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.one::<_, i32>(NETWORK_GET_AUTOSTART, &(net.clone(),))? != 0)
    }

    fn network_set_autostart(&self, net: &NetworkRef, on: bool) -> Result<()> {
        self.unit(NETWORK_SET_AUTOSTART, &(net.clone(), on as i32))
    }

    fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.one::<_, i32>(NETWORK_IS_ACTIVE, &(net.clone(),))? != 0)
    }

    fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        Ok(self.one::<_, i32>(NETWORK_IS_PERSISTENT, &(net.clone(),))? != 0)
    }

    fn list_interfaces(&self, active: bool) -> Result<Vec<String>> {
        let (num, list) = if active {
            (CONNECT_NUM_OF_INTERFACES, CONNECT_LIST_INTERFACES)
        } else {
            (CONNECT_NUM_OF_DEFINED_INTERFACES, CONNECT_LIST_DEFINED_INTERFACES)
        };
        self.names(num, list)
    }

    fn list_all_interfaces(&self, flags: u32) -> Result<Vec<InterfaceRef>> {
        self.list_all::<_, OBJECT_LIST_MAX>(CONNECT_LIST_ALL_INTERFACES, flags)
    }

    fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        self.one(INTERFACE_LOOKUP_BY_NAME, &(name.to_string(),))
    }

    fn interface_lookup_by_mac(&self, mac: &str) -> Result<InterfaceRef> {
        self.one(INTERFACE_LOOKUP_BY_MAC_STRING, &(mac.to_string(),))
    }

    fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        self.one(INTERFACE_GET_XML_DESC, &(iface.clone(), flags))
    }

    fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        Ok(self.one::<_, i32>(INTERFACE_IS_ACTIVE, &(iface.clone(),))? != 0)
    }

    fn interface_define_xml(&self, xml: &str, flags: u32) -> Result<InterfaceRef> {
        self.one(INTERFACE_DEFINE_XML, &(xml.to_string(), flags))
    }

    fn interface_undefine(&self, iface: &InterfaceRef) -> Result<()> {
        self.unit(INTERFACE_UNDEFINE, &(iface.clone(),))
    }

    fn interface_create(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        self.unit(INTERFACE_CREATE, &(iface.clone(), flags))
    }

    fn interface_destroy(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        self.unit(INTERFACE_DESTROY, &(iface.clone(), flags))
    }

    fn interface_change_begin(&self, flags: u32) -> Result<()> {
        self.unit(INTERFACE_CHANGE_BEGIN, &(flags,))
    }

    fn interface_change_commit(&self, flags: u32) -> Result<()> {
        self.unit(INTERFACE_CHANGE_COMMIT, &(flags,))
    }

    fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        self.unit(INTERFACE_CHANGE_ROLLBACK, &(flags,))
    }

    fn list_storage_pools(&self, active: bool) -> Result<Vec<String>> {
        let (num, list) = if active {
            (CONNECT_NUM_OF_STORAGE_POOLS, CONNECT_LIST_STORAGE_POOLS)
        } else {
            (
                CONNECT_NUM_OF_DEFINED_STORAGE_POOLS,
                CONNECT_LIST_DEFINED_STORAGE_POOLS,
            )
        };
        self.names(num, list)
    }

    fn list_all_storage_pools(&self, flags: u32) -> Result<Vec<PoolRef>> {
        self.list_all::<_, OBJECT_LIST_MAX>(CONNECT_LIST_ALL_STORAGE_POOLS, flags)
    }

    fn pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        self.one(STORAGE_POOL_LOOKUP_BY_NAME, &(name.to_string(),))
    }

    fn pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.one(STORAGE_POOL_LOOKUP_BY_UUID, &(*uuid,))
    }

    fn pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        self.one(STORAGE_POOL_LOOKUP_BY_VOLUME, &(vol.clone(),))
    }

    fn pool_define_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        self.one(STORAGE_POOL_DEFINE_XML, &(xml.to_string(), flags))
    }

    fn pool_create_xml(&self, xml: &str, flags: u32) -> Result<PoolRef> {
        self.one(STORAGE_POOL_CREATE_XML, &(xml.to_string(), flags))
    }

    fn pool_create(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_POOL_CREATE, &(pool.clone(), flags))
    }

    fn pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        self.unit(STORAGE_POOL_DESTROY, &(pool.clone(),))
    }

    fn pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        self.unit(STORAGE_POOL_UNDEFINE, &(pool.clone(),))
    }

    fn pool_build(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_POOL_BUILD, &(pool.clone(), flags))
    }

    fn pool_delete(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_POOL_DELETE, &(pool.clone(), flags))
    }

    fn pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_POOL_REFRESH, &(pool.clone(), flags))
    }

    fn pool_get_info(&self, pool: &PoolRef) -> Result<PoolInfo> {
        let (state, capacity, allocation, available): (u32, u64, u64, u64) =
            self.call(STORAGE_POOL_GET_INFO, &(pool.clone(),))?;
        Ok(PoolInfo {
            state: state as i32,
            capacity,
            allocation,
            available,
        })
    }

    fn pool_get_xml_desc(&self, pool: &PoolRef, flags: u32) -> Result<String> {
        self.one(STORAGE_POOL_GET_XML_DESC, &(pool.clone(), flags))
    }

    fn pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.one::<_, i32>(STORAGE_POOL_GET_AUTOSTART, &(pool.clone(),))? != 0)
    }

    fn pool_set_autostart(&self, pool: &PoolRef, on: bool) -> Result<()> {
        self.unit(STORAGE_POOL_SET_AUTOSTART, &(pool.clone(), on as i32))
    }

    fn pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.one::<_, i32>(STORAGE_POOL_IS_ACTIVE, &(pool.clone(),))? != 0)
    }

    fn pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        Ok(self.one::<_, i32>(STORAGE_POOL_IS_PERSISTENT, &(pool.clone(),))? != 0)
    }

    fn pool_list_volumes(&self, pool: &PoolRef) -> Result<Vec<String>> {
        let n: i32 = self.one(STORAGE_POOL_NUM_OF_VOLUMES, &(pool.clone(),))?;
        Ok(self
            .one::<_, List<String, OBJECT_LIST_MAX>>(STORAGE_POOL_LIST_VOLUMES, &(pool.clone(), n))?
            .0)
    }

    fn pool_list_all_volumes(&self, pool: &PoolRef, flags: u32) -> Result<Vec<VolRef>> {
        let (List(v), _): (List<VolRef, OBJECT_LIST_MAX>, u32) =
            self.call(STORAGE_POOL_LIST_ALL_VOLUMES, &(pool.clone(), 1i32, flags))?;
        Ok(v)
    }

    fn vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        self.one(STORAGE_VOL_LOOKUP_BY_NAME, &(pool.clone(), name.to_string()))
    }

    fn vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        self.one(STORAGE_VOL_LOOKUP_BY_KEY, &(key.to_string(),))
    }

    fn vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        self.one(STORAGE_VOL_LOOKUP_BY_PATH, &(path.to_string(),))
    }

    fn vol_create_xml(&self, pool: &PoolRef, xml: &str, flags: u32) -> Result<VolRef> {
        self.one(STORAGE_VOL_CREATE_XML, &(pool.clone(), xml.to_string(), flags))
    }

    fn vol_create_xml_from(&self, pool: &PoolRef, xml: &str, from: &VolRef, flags: u32) -> Result<VolRef> {
        self.one(
            STORAGE_VOL_CREATE_XML_FROM,
            &(pool.clone(), xml.to_string(), from.clone(), flags),
        )
    }

    fn vol_delete(&self, vol: &VolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_VOL_DELETE, &(vol.clone(), flags))
    }

    fn vol_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        self.unit(STORAGE_VOL_WIPE, &(vol.clone(), flags))
    }

    fn vol_get_info(&self, vol: &VolRef) -> Result<VolInfo> {
        let (vol_type, capacity, allocation): (i32, u64, u64) =
            self.call(STORAGE_VOL_GET_INFO, &(vol.clone(),))?;
        Ok(VolInfo {
            vol_type,
            capacity,
            allocation,
        })
    }

    fn vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        self.one(STORAGE_VOL_GET_XML_DESC, &(vol.clone(), flags))
    }

    fn vol_get_path(&self, vol: &VolRef) -> Result<String> {
        self.one(STORAGE_VOL_GET_PATH, &(vol.clone(),))
    }
}
