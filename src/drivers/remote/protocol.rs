//! The REMOTE program's procedure numbers and the wire forms of the handles
//! and typed parameters (remote_protocol.x, REMOTE_FACTS.md §3–4).

use crate::driver::{DomainRef, InterfaceRef, NetworkRef, SnapshotRef, VolRef};
use crate::error::Result;
use crate::rpc::xdr::{decode_error, Decoder, Encoder, Xdr};
use crate::typed_params::{TypedParam, TypedValue};

/// Procedure numbers of the REMOTE program.
#[allow(missing_docs)]
pub mod proc_ {
    pub const CONNECT_OPEN: i32 = 1;
    pub const CONNECT_CLOSE: i32 = 2;
    pub const CONNECT_GET_TYPE: i32 = 3;
    pub const CONNECT_GET_VERSION: i32 = 4;
    pub const CONNECT_GET_MAX_VCPUS: i32 = 5;
    pub const NODE_GET_INFO: i32 = 6;
    pub const CONNECT_GET_CAPABILITIES: i32 = 7;
    pub const DOMAIN_CREATE: i32 = 9;
    pub const DOMAIN_CREATE_XML: i32 = 10;
    pub const DOMAIN_DEFINE_XML: i32 = 11;
    pub const DOMAIN_DESTROY: i32 = 12;
    pub const DOMAIN_GET_XML_DESC: i32 = 14;
    pub const DOMAIN_GET_AUTOSTART: i32 = 15;
    pub const DOMAIN_GET_INFO: i32 = 16;
    pub const DOMAIN_GET_MAX_MEMORY: i32 = 17;
    pub const DOMAIN_GET_MAX_VCPUS: i32 = 18;
    pub const DOMAIN_GET_OS_TYPE: i32 = 19;
    pub const DOMAIN_GET_VCPUS: i32 = 20;
    pub const CONNECT_LIST_DEFINED_DOMAINS: i32 = 21;
    pub const DOMAIN_LOOKUP_BY_ID: i32 = 22;
    pub const DOMAIN_LOOKUP_BY_NAME: i32 = 23;
    pub const DOMAIN_LOOKUP_BY_UUID: i32 = 24;
    pub const CONNECT_NUM_OF_DEFINED_DOMAINS: i32 = 25;
    pub const DOMAIN_REBOOT: i32 = 27;
    pub const DOMAIN_RESUME: i32 = 28;
    pub const DOMAIN_SET_AUTOSTART: i32 = 29;
    pub const DOMAIN_SET_MAX_MEMORY: i32 = 30;
    pub const DOMAIN_SET_MEMORY: i32 = 31;
    pub const DOMAIN_SET_VCPUS: i32 = 32;
    pub const DOMAIN_SHUTDOWN: i32 = 33;
    pub const DOMAIN_SUSPEND: i32 = 34;
    pub const DOMAIN_UNDEFINE: i32 = 35;
    pub const CONNECT_LIST_DOMAINS: i32 = 37;
    pub const CONNECT_NUM_OF_DOMAINS: i32 = 51;
    pub const DOMAIN_RESTORE: i32 = 54;
    pub const DOMAIN_SAVE: i32 = 55;
    pub const DOMAIN_GET_SCHEDULER_TYPE: i32 = 56;
    pub const DOMAIN_GET_SCHEDULER_PARAMETERS: i32 = 57;
    pub const DOMAIN_SET_SCHEDULER_PARAMETERS: i32 = 58;
    pub const CONNECT_GET_HOSTNAME: i32 = 59;
    pub const CONNECT_SUPPORTS_FEATURE: i32 = 60;
    pub const AUTH_LIST: i32 = 66;
    pub const AUTH_SASL_INIT: i32 = 67;
    pub const AUTH_SASL_START: i32 = 68;
    pub const AUTH_SASL_STEP: i32 = 69;
    pub const AUTH_POLKIT: i32 = 70;
    pub const CONNECT_LIST_DEFINED_NETWORKS: i32 = 36;
    pub const CONNECT_LIST_NETWORKS: i32 = 38;
    pub const NETWORK_CREATE: i32 = 39;
    pub const NETWORK_CREATE_XML: i32 = 40;
    pub const NETWORK_DEFINE_XML: i32 = 41;
    pub const NETWORK_DESTROY: i32 = 42;
    pub const NETWORK_GET_XML_DESC: i32 = 43;
    pub const NETWORK_GET_AUTOSTART: i32 = 44;
    pub const NETWORK_GET_BRIDGE_NAME: i32 = 45;
    pub const NETWORK_LOOKUP_BY_NAME: i32 = 46;
    pub const NETWORK_LOOKUP_BY_UUID: i32 = 47;
    pub const NETWORK_SET_AUTOSTART: i32 = 48;
    pub const NETWORK_UNDEFINE: i32 = 49;
    pub const CONNECT_NUM_OF_DEFINED_NETWORKS: i32 = 50;
    pub const CONNECT_NUM_OF_NETWORKS: i32 = 52;
    pub const CONNECT_NUM_OF_STORAGE_POOLS: i32 = 71;
    pub const CONNECT_LIST_STORAGE_POOLS: i32 = 72;
    pub const CONNECT_NUM_OF_DEFINED_STORAGE_POOLS: i32 = 73;
    pub const CONNECT_LIST_DEFINED_STORAGE_POOLS: i32 = 74;
    pub const STORAGE_POOL_CREATE_XML: i32 = 76;
    pub const STORAGE_POOL_DEFINE_XML: i32 = 77;
    pub const STORAGE_POOL_CREATE: i32 = 78;
    pub const STORAGE_POOL_BUILD: i32 = 79;
    pub const STORAGE_POOL_DESTROY: i32 = 80;
    pub const STORAGE_POOL_DELETE: i32 = 81;
    pub const STORAGE_POOL_UNDEFINE: i32 = 82;
    pub const STORAGE_POOL_REFRESH: i32 = 83;
    pub const STORAGE_POOL_LOOKUP_BY_NAME: i32 = 84;
    pub const STORAGE_POOL_LOOKUP_BY_UUID: i32 = 85;
    pub const STORAGE_POOL_LOOKUP_BY_VOLUME: i32 = 86;
    pub const STORAGE_POOL_GET_INFO: i32 = 87;
    pub const STORAGE_POOL_GET_XML_DESC: i32 = 88;
    pub const STORAGE_POOL_GET_AUTOSTART: i32 = 89;
    pub const STORAGE_POOL_SET_AUTOSTART: i32 = 90;
    pub const STORAGE_POOL_NUM_OF_VOLUMES: i32 = 91;
    pub const STORAGE_POOL_LIST_VOLUMES: i32 = 92;
    pub const STORAGE_VOL_CREATE_XML: i32 = 93;
    pub const STORAGE_VOL_DELETE: i32 = 94;
    pub const STORAGE_VOL_LOOKUP_BY_NAME: i32 = 95;
    pub const STORAGE_VOL_LOOKUP_BY_KEY: i32 = 96;
    pub const STORAGE_VOL_LOOKUP_BY_PATH: i32 = 97;
    pub const STORAGE_VOL_GET_INFO: i32 = 98;
    pub const STORAGE_VOL_GET_XML_DESC: i32 = 99;
    pub const STORAGE_VOL_GET_PATH: i32 = 100;
    pub const CONNECT_GET_URI: i32 = 110;
    pub const STORAGE_VOL_CREATE_XML_FROM: i32 = 125;
    pub const NETWORK_IS_ACTIVE: i32 = 152;
    pub const NETWORK_IS_PERSISTENT: i32 = 153;
    pub const STORAGE_POOL_IS_ACTIVE: i32 = 154;
    pub const STORAGE_POOL_IS_PERSISTENT: i32 = 155;
    pub const STORAGE_VOL_WIPE: i32 = 165;
    pub const CONNECT_LIST_ALL_STORAGE_POOLS: i32 = 281;
    pub const STORAGE_POOL_LIST_ALL_VOLUMES: i32 = 282;
    pub const CONNECT_LIST_ALL_NETWORKS: i32 = 283;
    pub const CONNECT_NUM_OF_INTERFACES: i32 = 126;
    pub const CONNECT_LIST_INTERFACES: i32 = 127;
    pub const INTERFACE_LOOKUP_BY_NAME: i32 = 128;
    pub const INTERFACE_LOOKUP_BY_MAC_STRING: i32 = 129;
    pub const INTERFACE_GET_XML_DESC: i32 = 130;
    pub const INTERFACE_DEFINE_XML: i32 = 131;
    pub const INTERFACE_UNDEFINE: i32 = 132;
    pub const INTERFACE_CREATE: i32 = 133;
    pub const INTERFACE_DESTROY: i32 = 134;
    pub const CONNECT_NUM_OF_DEFINED_INTERFACES: i32 = 137;
    pub const CONNECT_LIST_DEFINED_INTERFACES: i32 = 138;
    pub const INTERFACE_IS_ACTIVE: i32 = 156;
    pub const INTERFACE_CHANGE_BEGIN: i32 = 220;
    pub const INTERFACE_CHANGE_COMMIT: i32 = 221;
    pub const INTERFACE_CHANGE_ROLLBACK: i32 = 222;
    pub const CONNECT_LIST_ALL_INTERFACES: i32 = 284;
    pub const CONNECT_DOMAIN_XML_FROM_NATIVE: i32 = 135;
    pub const CONNECT_DOMAIN_XML_TO_NATIVE: i32 = 136;
    pub const CONNECT_IS_SECURE: i32 = 149;
    pub const DOMAIN_IS_ACTIVE: i32 = 150;
    pub const DOMAIN_IS_PERSISTENT: i32 = 151;
    pub const CONNECT_GET_LIB_VERSION: i32 = 157;
    pub const DOMAIN_MANAGED_SAVE: i32 = 182;
    pub const DOMAIN_HAS_MANAGED_SAVE_IMAGE: i32 = 183;
    pub const DOMAIN_MANAGED_SAVE_REMOVE: i32 = 184;
    pub const DOMAIN_SNAPSHOT_CREATE_XML: i32 = 185;
    pub const DOMAIN_SNAPSHOT_GET_XML_DESC: i32 = 186;
    pub const DOMAIN_SNAPSHOT_NUM: i32 = 187;
    pub const DOMAIN_SNAPSHOT_LIST_NAMES: i32 = 188;
    pub const DOMAIN_SNAPSHOT_LOOKUP_BY_NAME: i32 = 189;
    pub const DOMAIN_HAS_CURRENT_SNAPSHOT: i32 = 190;
    pub const DOMAIN_SNAPSHOT_CURRENT: i32 = 191;
    pub const DOMAIN_REVERT_TO_SNAPSHOT: i32 = 192;
    pub const DOMAIN_SNAPSHOT_DELETE: i32 = 193;
    pub const DOMAIN_CREATE_WITH_FLAGS: i32 = 196;
    pub const DOMAIN_SET_VCPUS_FLAGS: i32 = 199;
    pub const DOMAIN_GET_VCPUS_FLAGS: i32 = 200;
    pub const DOMAIN_IS_UPDATED: i32 = 202;
    pub const DOMAIN_SET_MEMORY_FLAGS: i32 = 204;
    pub const DOMAIN_GET_STATE: i32 = 212;
    pub const DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS: i32 = 223;
    pub const DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS: i32 = 219;
    pub const DOMAIN_UNDEFINE_FLAGS: i32 = 231;
    pub const DOMAIN_SAVE_FLAGS: i32 = 232;
    pub const DOMAIN_RESTORE_FLAGS: i32 = 233;
    pub const DOMAIN_DESTROY_FLAGS: i32 = 234;
    pub const DOMAIN_SAVE_IMAGE_GET_XML_DESC: i32 = 235;
    pub const DOMAIN_SAVE_IMAGE_DEFINE_XML: i32 = 236;
    pub const DOMAIN_SNAPSHOT_GET_PARENT: i32 = 244;
    pub const DOMAIN_RESET: i32 = 245;
    pub const DOMAIN_SNAPSHOT_NUM_CHILDREN: i32 = 246;
    pub const DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES: i32 = 247;
    pub const DOMAIN_SNAPSHOT_IS_CURRENT: i32 = 271;
    pub const DOMAIN_SNAPSHOT_HAS_METADATA: i32 = 272;
    pub const DOMAIN_SHUTDOWN_FLAGS: i32 = 258;
    pub const CONNECT_LIST_ALL_DOMAINS: i32 = 273;
    pub const DOMAIN_LIST_ALL_SNAPSHOTS: i32 = 274;
    pub const DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN: i32 = 275;
    pub const DOMAIN_GET_HOSTNAME: i32 = 277;
    pub const NODE_GET_CPU_MAP: i32 = 293;
    pub const CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: i32 = 316;
    pub const CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: i32 = 317;
    pub const DOMAIN_EVENT_CALLBACK_LIFECYCLE: i32 = 318;
    pub const DOMAIN_EVENT_CALLBACK_REBOOT: i32 = 319;
    pub const DOMAIN_EVENT_CALLBACK_METADATA_CHANGE: i32 = 379;
    pub const DOMAIN_DEFINE_XML_FLAGS: i32 = 350;
    pub const CONNECT_REGISTER_CLOSE_CALLBACK: i32 = 360;
    pub const CONNECT_UNREGISTER_CLOSE_CALLBACK: i32 = 361;
    pub const NODE_GET_CELLS_FREE_MEMORY: i32 = 101;
    pub const NODE_GET_FREE_MEMORY: i32 = 102;
    pub const DOMAIN_ATTACH_DEVICE: i32 = 8;
    pub const DOMAIN_ATTACH_DEVICE_FLAGS: i32 = 160;
    pub const DOMAIN_SET_MEMORY_PARAMETERS: i32 = 197;
    pub const DOMAIN_GET_MEMORY_PARAMETERS: i32 = 198;
    pub const DOMAIN_SEND_KEY: i32 = 226;
    pub const STORAGE_VOL_UPLOAD: i32 = 208;
    pub const STORAGE_VOL_DOWNLOAD: i32 = 209;
    pub const DOMAIN_SCREENSHOT: i32 = 211;
    pub const DOMAIN_SET_METADATA: i32 = 264;
    pub const DOMAIN_GET_METADATA: i32 = 265;
    pub const DOMAIN_SET_MEMORY_STATS_PERIOD: i32 = 308;
    pub const CONNECT_GET_ALL_DOMAIN_STATS: i32 = 344;
    pub const DOMAIN_INTERFACE_ADDRESSES: i32 = 353;
    pub const DOMAIN_CHECKPOINT_CREATE_XML: i32 = 411;
    pub const DOMAIN_CHECKPOINT_GET_XML_DESC: i32 = 412;
    pub const DOMAIN_LIST_ALL_CHECKPOINTS: i32 = 413;
    pub const DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN: i32 = 414;
    pub const DOMAIN_CHECKPOINT_LOOKUP_BY_NAME: i32 = 415;
    pub const DOMAIN_CHECKPOINT_GET_PARENT: i32 = 416;
    pub const DOMAIN_CHECKPOINT_DELETE: i32 = 417;
    pub const NETWORK_DEFINE_XML_FLAGS: i32 = 432;
    pub const NETWORK_CREATE_XML_FLAGS: i32 = 437;
}

/// `REMOTE_DOMAIN_LIST_MAX`.
pub const DOMAIN_LIST_MAX: usize = 16384;
/// REMOTE_NODE_MAX_CELLS: the most NUMA cells one reply carries.
pub const NODE_MAX_CELLS: usize = 1024;
/// `REMOTE_AUTH_TYPE_LIST_MAX`.
pub const AUTH_TYPE_LIST_MAX: usize = 20;
/// REMOTE_AUTH_SASL_DATA_MAX: the most bytes one SASL exchange carries.
pub const AUTH_SASL_DATA_MAX: usize = 65536;
/// `REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX`.
pub const SCHEDULER_PARAMETERS_MAX: usize = 16;
/// `REMOTE_DOMAIN_SNAPSHOT_LIST_MAX`.
pub const SNAPSHOT_LIST_MAX: usize = 16384;

/// `REMOTE_NETWORK_LIST_MAX`, `REMOTE_INTERFACE_LIST_MAX`, `REMOTE_STORAGE_POOL_LIST_MAX`,
/// `REMOTE_STORAGE_VOL_LIST_MAX`.
pub const OBJECT_LIST_MAX: usize = 16384;

/// `REMOTE_DOMAIN_CHECKPOINT_LIST_MAX`.
pub const CHECKPOINT_LIST_MAX: usize = 16384;
/// `REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX`.
pub const MEMORY_PARAMETERS_MAX: usize = 16;
/// `REMOTE_DOMAIN_SEND_KEY_MAX`.
pub const SEND_KEY_MAX: usize = 16;
/// `REMOTE_DOMAIN_INTERFACE_MAX` and `REMOTE_DOMAIN_IP_ADDR_MAX`.
pub const INTERFACE_MAX: usize = 2048;
/// `REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX`.
pub const ALL_DOMAIN_STATS_MAX: usize = 262144;

/// `REMOTE_CPUMAP_MAX`.
pub const CPUMAP_MAX: usize = 2048;
/// `REMOTE_VCPUINFO_MAX`.
pub const VCPUINFO_MAX: usize = 16384;
/// `REMOTE_CPUMAPS_MAX`.
pub const CPUMAPS_MAX: usize = 8_388_608;

/// Raw bytes `opaque x<N>` as a tuple member.
#[derive(Debug, Clone, PartialEq)]
pub struct Bytes<const N: usize>(pub Vec<u8>);

impl<const N: usize> Xdr for Bytes<N> {
    fn encode(&self, e: &mut Encoder) {
        e.opaque(&self.0, N);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(Bytes(d.opaque(N)?.to_vec()))
    }
}

/// `remote_nonnull_domain`.
impl Xdr for DomainRef {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        self.uuid.encode(e);
        e.i32(self.id);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(DomainRef {
            name: String::decode(d)?,
            uuid: Xdr::decode(d)?,
            id: d.i32()?,
        })
    }
}

/// `remote_nonnull_network` / `remote_nonnull_storage_pool`.
impl Xdr for NetworkRef {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        self.uuid.encode(e);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(NetworkRef {
            name: String::decode(d)?,
            uuid: Xdr::decode(d)?,
        })
    }
}

/// `remote_nonnull_interface`: name, MAC address.
impl Xdr for InterfaceRef {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        self.mac.encode(e);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(InterfaceRef {
            name: String::decode(d)?,
            mac: String::decode(d)?,
        })
    }
}

/// `remote_nonnull_storage_vol`: pool, name, key.
impl Xdr for VolRef {
    fn encode(&self, e: &mut Encoder) {
        self.pool.encode(e);
        self.name.encode(e);
        self.key.encode(e);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(VolRef {
            pool: String::decode(d)?,
            name: String::decode(d)?,
            key: String::decode(d)?,
        })
    }
}

/// `remote_nonnull_domain_snapshot`: name, then domain.
impl Xdr for SnapshotRef {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        self.domain.encode(e);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let name = String::decode(d)?;
        Ok(SnapshotRef {
            name,
            domain: DomainRef::decode(d)?,
        })
    }
}

/// `remote_typed_param`: field name, then a union on the value's type.
impl Xdr for TypedParam {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        e.i32(self.param_type().code());
        match &self.value {
            TypedValue::Int(v) => e.i32(*v),
            TypedValue::UInt(v) => e.u32(*v),
            TypedValue::LLong(v) => e.i64(*v),
            TypedValue::ULLong(v) => e.u64(*v),
            TypedValue::Double(v) => e.f64(*v),
            TypedValue::Boolean(v) => e.i32(*v as i32),
            TypedValue::String(v) => v.encode(e),
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let name = String::decode(d)?;
        let value = match d.i32()? {
            1 => TypedValue::Int(d.i32()?),
            2 => TypedValue::UInt(d.u32()?),
            3 => TypedValue::LLong(d.i64()?),
            4 => TypedValue::ULLong(d.u64()?),
            5 => TypedValue::Double(d.f64()?),
            6 => TypedValue::Boolean(d.i32()? != 0),
            7 => TypedValue::String(String::decode(d)?),
            t => return Err(decode_error(&format!("unknown typed parameter type {t}"))),
        };
        Ok(TypedParam { name, value })
    }
}

/// A variable array `T x<N>` as a tuple member.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T, const N: usize>(pub Vec<T>);

impl<T: Xdr, const N: usize> Xdr for List<T, N> {
    fn encode(&self, e: &mut Encoder) {
        e.array(&self.0, N);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(List(d.array(N)?))
    }
}

/// `node_get_info` reply; the model travels as 32 four-byte chars.
#[derive(Debug)]
pub struct NodeInfoRet(pub crate::driver::NodeInfo);

impl Xdr for NodeInfoRet {
    fn encode(&self, e: &mut Encoder) {
        let mut model = [0u8; 32];
        let b = self.0.model.as_bytes();
        let n = b.len().min(31);
        model[..n].copy_from_slice(&b[..n]);
        model.iter().for_each(|c| e.i32(*c as i8 as i32));
        e.u64(self.0.memory);
        for v in [
            self.0.cpus,
            self.0.mhz,
            self.0.nodes,
            self.0.sockets,
            self.0.cores,
            self.0.threads,
        ] {
            e.u32(v);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let chars: Vec<i32> = d.fixed_array(32)?;
        let bytes: Vec<u8> = chars.iter().map(|c| *c as u8).take_while(|c| *c != 0).collect();
        Ok(NodeInfoRet(crate::driver::NodeInfo {
            model: String::from_utf8_lossy(&bytes).into_owned(),
            memory: d.u64()?,
            cpus: d.u32()?,
            mhz: d.u32()?,
            nodes: d.u32()?,
            sockets: d.u32()?,
            cores: d.u32()?,
            threads: d.u32()?,
        }))
    }
}
