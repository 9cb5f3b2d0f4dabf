//! `<disk>`: sources of every type (with network hosts, authentication,
//! encryption and backing chains), driver tuning, target, I/O limits.

use super::address::*;
use super::util::*;
use crate::abi::*;
use crate::domain::FormatOptions;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

const DISK_TYPES: &[&str] = &[
    "none",
    "file",
    "block",
    "dir",
    "network",
    "volume",
    "nvme",
    "vhostuser",
];
const DISK_DEVICES: &[&str] = &["disk", "cdrom", "floppy", "lun"];
/// The disk buses libvirt knows, `none` first.
pub const DISK_BUSES: &[&str] = &[
    "none", "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd",
];
const PROTOCOLS: &[&str] = &[
    "none", "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https", "ftp", "ftps", "tftp", "ssh",
    "vxhs", "nfs",
];
/// Storage formats (`<driver type=...>`, `<format type=...>`).
pub const FORMATS: &[&str] = &[
    "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow",
    "qcow2", "qed", "vmdk",
];

const DRIVER_ATTRS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("type", Kind::Str),
    (
        "cache",
        Kind::Enum(&[
            "default",
            "none",
            "writethrough",
            "writeback",
            "directsync",
            "unsafe",
        ]),
    ),
    (
        "error_policy",
        Kind::Enum(&["default", "stop", "report", "ignore", "enospace"]),
    ),
    (
        "rerror_policy",
        Kind::Enum(&["default", "stop", "report", "ignore", "enospace"]),
    ),
    ("io", Kind::EnumNz(&["default", "native", "threads", "io_uring"])),
    ("ioeventfd", Kind::OnOff),
    ("event_idx", Kind::OnOff),
    ("copy_on_read", Kind::OnOff),
    ("discard", Kind::EnumNz(&["default", "unmap", "ignore"])),
    ("iothread", Kind::UintNz(10)),
    ("detect_zeroes", Kind::EnumNz(&["default", "off", "on", "unmap"])),
    ("queues", Kind::Uint(10)),
    ("queue_size", Kind::Uint(10)),
];

const IOTUNE_FIELDS: &[&str] = &[
    "total_bytes_sec",
    "read_bytes_sec",
    "write_bytes_sec",
    "total_iops_sec",
    "read_iops_sec",
    "write_iops_sec",
    "total_bytes_sec_max",
    "read_bytes_sec_max",
    "write_bytes_sec_max",
    "total_iops_sec_max",
    "read_iops_sec_max",
    "write_iops_sec_max",
    "size_iops_sec",
];
const IOTUNE_LENGTHS: &[&str] = &[
    "total_bytes_sec_max_length",
    "read_bytes_sec_max_length",
    "write_bytes_sec_max_length",
    "total_iops_sec_max_length",
    "read_iops_sec_max_length",
    "write_iops_sec_max_length",
];

/// A network storage host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskHost {
    /// `name`.
    pub name: Option<String>,
    /// `port` (0 = protocol default unknown).
    pub port: u32,
    /// `transport` (`tcp` is the default and not written).
    pub transport: Option<String>,
    /// `socket` for the unix transport.
    pub socket: Option<String>,
}

/// `<secret>` reference inside `<auth>` or `<encryption>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretRef {
    /// `type`.
    pub kind: Option<String>,
    /// `uuid`.
    pub uuid: Option<String>,
    /// `usage`.
    pub usage: Option<String>,
}

/// `<auth username=...>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Auth {
    /// `username`.
    pub username: String,
    /// The secret.
    pub secret: SecretRef,
}

/// `<encryption format=...>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encryption {
    /// `format`.
    pub format: Option<String>,
    /// `engine`.
    pub engine: Option<String>,
    /// `<secret>`s.
    pub secrets: Vec<SecretRef>,
    /// `<cipher>` attributes.
    pub cipher: Option<Attrs>,
    /// `<ivgen>` attributes.
    pub ivgen: Option<Attrs>,
}

/// `<seclabel>` of a disk source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceSeclabel {
    /// `model`.
    pub model: Option<String>,
    /// `relabel`.
    pub relabel: Option<bool>,
    /// `<label>`.
    pub label: Option<String>,
}

/// Where a disk's (or backing image's) data lives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskSource {
    /// `type` of the disk: `file`, `block`, `dir`, `network`, `volume`, `nvme`, `vhostuser`.
    pub kind: String,
    /// The path for file/block/dir, the socket path for vhost-user.
    pub path: Option<String>,
    /// Network protocol.
    pub protocol: Option<String>,
    /// Network image name.
    pub name: Option<String>,
    /// `tls` yes/no.
    pub tls: Option<bool>,
    /// `tlsHostname`.
    pub tls_hostname: Option<String>,
    /// `query` (http/https).
    pub query: Option<String>,
    /// Network hosts.
    pub hosts: Vec<DiskHost>,
    /// `<snapshot name=...>` (rbd).
    pub snapshot: Option<String>,
    /// `<config file=...>` (rbd).
    pub config: Option<String>,
    /// `<initiator><iqn name=...>` (iscsi).
    pub initiator: Option<String>,
    /// `<ssl verify=...>`.
    pub ssl_verify: Option<bool>,
    /// `<cookies>`: (name, value), written only with secure output.
    pub cookies: Vec<(String, String)>,
    /// `<readahead size=...>`.
    pub readahead: Option<u64>,
    /// `<timeout seconds=...>`.
    pub timeout: Option<u64>,
    /// `<reconnect>` attributes.
    pub reconnect: Option<Attrs>,
    /// Storage pool for volume disks.
    pub pool: Option<String>,
    /// Volume name for volume disks.
    pub volume: Option<String>,
    /// `mode` of volume disks.
    pub mode: Option<String>,
    /// `startupPolicy`.
    pub startup_policy: Option<String>,
    /// NVMe `managed`.
    pub managed: Option<bool>,
    /// NVMe `namespace`.
    pub namespace: Option<u64>,
    /// NVMe controller address.
    pub nvme_addr: Option<PciAddress>,
    /// `<slices><slice type='storage' offset size>`.
    pub slice: Option<(u64, u64)>,
    /// `<seclabel>`s.
    pub seclabels: Vec<SourceSeclabel>,
    /// `<reservations>`.
    pub reservations: Option<Reservations>,
    /// `<auth>` when written inside `<source>`.
    pub auth: Option<Auth>,
    /// `<encryption>` when written inside `<source>`.
    pub encryption: Option<Encryption>,
}

/// Persistent reservations (`<reservations managed=...>`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reservations {
    /// `managed`.
    pub managed: bool,
    /// The unmanaged helper's `<source>`: type, path, mode.
    pub source: Option<(String, String, String)>,
}

/// One link of a backing chain; `None` store = the explicit chain end `<backingStore/>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackingStore {
    /// The image, or None for the terminator.
    pub store: Option<Box<BackingImage>>,
}

/// A backing image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackingImage {
    /// `<format type=...>`.
    pub format: Option<String>,
    /// `<source>`.
    pub source: DiskSource,
    /// Its own backing store.
    pub backing: Option<BackingStore>,
}

/// A `<disk>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Disk {
    /// `device`: disk, cdrom, floppy, lun.
    pub device: String,
    /// `model`.
    pub model: Option<String>,
    /// `rawio`.
    pub rawio: Option<bool>,
    /// `sgio`.
    pub sgio: Option<String>,
    /// `snapshot`.
    pub snapshot: Option<String>,
    /// `<driver>` attributes, in libvirt's order.
    pub driver: Attrs,
    /// `<driver><metadata_cache><max_size>` in bytes.
    pub metadata_cache_max: Option<u64>,
    /// The source (its `kind` is the disk's `type`).
    pub source: DiskSource,
    /// Whether a `<source>` element was given at all.
    pub has_source: bool,
    /// `<backingStore>`.
    pub backing: Option<BackingStore>,
    /// `<backenddomain name=...>`.
    pub backend_domain: Option<String>,
    /// `<geometry>` attributes.
    pub geometry: Attrs,
    /// `<blockio>` attributes.
    pub blockio: Attrs,
    /// `<target dev=...>`.
    pub target: String,
    /// `<target bus=...>` (filled in from the name when absent).
    pub bus: Option<String>,
    /// `<target tray=...>`.
    pub tray: Option<String>,
    /// `<target removable=...>`.
    pub removable: Option<bool>,
    /// `<target rotation_rate=...>`.
    pub rotation_rate: Option<u32>,
    /// `<iotune>` values in libvirt's order.
    pub iotune: Vec<(String, String)>,
    /// `<readonly/>`.
    pub readonly: bool,
    /// `<shareable/>`.
    pub shareable: bool,
    /// `<transient/>`.
    pub transient: bool,
    /// `<transient shareBacking=...>`.
    pub transient_share_backing: Option<bool>,
    /// `<serial>`.
    pub serial: Option<String>,
    /// `<wwn>`.
    pub wwn: Option<String>,
    /// `<vendor>`.
    pub vendor: Option<String>,
    /// `<product>`.
    pub product: Option<String>,
    /// `<auth>` written outside `<source>` (the older placement).
    pub auth: Option<Auth>,
    /// `<encryption>` written outside `<source>` (the older placement).
    pub encryption: Option<Encryption>,
    /// Address, boot order, alias.
    pub info: DeviceInfo,
}

impl Disk {
    /// The disk's `type`.
    pub fn kind(&self) -> &str {
        &self.source.kind
    }

    /// The local path of file, block and dir disks.
    pub fn path(&self) -> Option<&str> {
        self.source.path.as_deref()
    }

    /// What libvirt calls the disk's source in messages: its path, or the
    /// network image name.
    pub fn source_name(&self) -> Option<String> {
        match self.source.kind.as_str() {
            "network" => {
                let name = self.source.name.as_deref()?;
                // rbd and gluster names are "pool/image"; the image is the path.
                match self.source.protocol.as_deref() {
                    Some("rbd") | Some("gluster") => name.split_once('/').map(|(_, i)| i.to_string()),
                    _ => Some(name.to_string()),
                }
            }
            "volume" => Some(format!(
                "pool = '{}', volume = '{}'",
                self.source.pool.as_deref().unwrap_or(""),
                self.source.volume.as_deref().unwrap_or("")
            )),
            "file" | "block" | "dir" => self.source.path.clone(),
            _ => None,
        }
        .filter(|n| !n.is_empty())
    }
}

/// libvirt's index of a disk name: the letters after a known prefix read
/// as a bijective base-26 number (`a` = 0, `aa` = 26), optional trailing
/// partition digits; None for anything else.
pub fn disk_name_index(name: &str) -> Option<u32> {
    let rest = ["fd", "hd", "vd", "sd", "xvd", "ubd"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    let letters: String = rest.chars().take_while(|c| c.is_ascii_lowercase()).collect();
    let digits = &rest[letters.len()..];
    if letters.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut idx: u64 = 0;
    for (i, c) in letters.bytes().enumerate() {
        idx = (idx + u64::from(i > 0)) * 26 + u64::from(c - b'a');
        if idx > i32::MAX as u64 {
            return None;
        }
    }
    Some(idx as u32)
}

fn parse_secret(el: &Element) -> Result<SecretRef> {
    let s = SecretRef {
        kind: attr(el, "type"),
        uuid: attr(el, "uuid"),
        usage: attr(el, "usage"),
    };
    if s.uuid.is_some() && s.usage.is_some() {
        return Err(xml_err(VIR_FROM_NONE, "either secret uuid or usage expected"));
    }
    if s.uuid.is_none() && s.usage.is_none() {
        return Err(xml_err(VIR_FROM_NONE, "missing secret uuid or usage attribute"));
    }
    if let Some(u) = &s.uuid {
        if crate::domain::Uuid::parse(u).is_none() {
            return Err(xml_err(VIR_FROM_NONE, format!("invalid secret uuid '{u}'")));
        }
    }
    Ok(s)
}

fn secret_out(s: &SecretRef) -> Out<'_> {
    let mut o = Out::new("secret");
    o.o("type", s.kind.as_ref());
    o.o(
        "uuid",
        s.uuid.as_ref().map(|u| {
            crate::domain::Uuid::parse(u)
                .map(|x| x.to_string())
                .unwrap_or_default()
        }),
    );
    o.o("usage", s.usage.as_ref());
    o
}

/// Reads an `<auth>` (disks and iSCSI host devices).
pub fn parse_auth(el: &Element, check_type: bool) -> Result<Auth> {
    let username = xattr(el, "username")
        .ok_or_else(|| xml_err(VIR_FROM_STORAGE, "missing username for auth"))?
        .to_string();
    let secret = match el.child("secret") {
        Some(s) => {
            let t = s.attr("type");
            if check_type
                && !t.is_some_and(|t| ["none", "volume", "ceph", "iscsi", "tls", "vtpm"].contains(&t))
            {
                return Err(unsupported(format!(
                    "unknown secret type '{}'",
                    t.unwrap_or("<null>")
                )));
            }
            parse_secret(s)?
        }
        None => {
            return Err(Error::with(
                VIR_FROM_STORAGE,
                VIR_ERR_XML_ERROR,
                "Missing <secret> element in auth",
            ))
        }
    };
    Ok(Auth { username, secret })
}

/// Writes an `<auth>`.
pub fn auth_out(a: &Auth) -> Out<'_> {
    let mut o = Out::new("auth");
    o.a("username", &a.username);
    o.push(secret_out(&a.secret));
    o
}

fn parse_encryption(el: &Element) -> Result<Encryption> {
    let format = match xattr(el, "format") {
        None => return Err(xml_err(VIR_FROM_STORAGE, "unknown volume encryption format")),
        Some(f) => match f {
            "default" | "qcow" | "luks" | "luks2" | "luks-any" => f.to_string(),
            _ => {
                return Err(Error::with(
                    VIR_FROM_STORAGE,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("unknown volume encryption format type {f}"),
                ))
            }
        },
    };
    let mut e = Encryption {
        format: Some(format),
        engine: attr(el, "engine"),
        ..Default::default()
    };
    for s in el.children_named("secret") {
        match xattr(s, "type") {
            Some("passphrase") => {}
            Some(t) => {
                return Err(Error::with(
                    VIR_FROM_STORAGE,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("unknown volume encryption secret type {t}"),
                ))
            }
            None => return Err(xml_err(VIR_FROM_STORAGE, "unknown volume encryption secret type")),
        }
        e.secrets.push(parse_secret(s)?);
    }
    if let Some(c) = el.child("cipher") {
        e.cipher = Some(Attrs::read(
            c,
            &[
                ("name", Kind::Str),
                ("size", Kind::Uint(10)),
                ("mode", Kind::Str),
                ("hash", Kind::Str),
            ],
        )?);
    }
    if el.child("ivgen").is_some() && el.child("cipher").is_none() {
        return Err(xml_err(
            VIR_FROM_STORAGE,
            "ivgen element found, but cipher is missing",
        ));
    }
    if let Some(c) = el.child("ivgen") {
        e.ivgen = Some(Attrs::read(c, &[("name", Kind::Str), ("hash", Kind::Str)])?);
    }
    Ok(e)
}

fn encryption_out(e: &Encryption) -> Out<'_> {
    let mut o = Out::new("encryption");
    o.keep_open();
    o.o("format", e.format.as_ref()).o("engine", e.engine.as_ref());
    for s in &e.secrets {
        o.push(secret_out(s));
    }
    if let Some(c) = &e.cipher {
        let mut x = Out::new("cipher");
        c.write_to(&mut x);
        o.push(x);
    }
    if let Some(c) = &e.ivgen {
        let mut x = Out::new("ivgen");
        c.write_to(&mut x);
        o.push(x);
    }
    o
}

fn default_port(protocol: &str) -> u32 {
    match protocol {
        "nbd" => 10809,
        "sheepdog" => 7000,
        "gluster" => 24007,
        "iscsi" => 3260,
        "http" => 80,
        "https" => 443,
        "ftp" => 21,
        "ftps" => 990,
        "tftp" => 69,
        "ssh" => 22,
        "vxhs" => 9999,
        _ => 0,
    }
}

fn parse_host(el: &Element, protocol: &str) -> Result<DiskHost> {
    let transport = match el.attr("transport") {
        None => None,
        Some(t) if ["tcp", "unix", "rdma"].contains(&t) => Some(t.to_string()),
        Some(t) => return Err(unsupported(format!("unknown protocol transport type '{t}'"))),
    };
    let mut h = DiskHost {
        name: None,
        port: 0,
        transport,
        socket: None,
    };
    if h.transport.as_deref() == Some("unix") {
        h.socket = attr(el, "socket");
        if h.socket.is_none() {
            return Err(dom_xml_err("missing socket for unix transport"));
        }
    } else {
        if el.attr("socket").is_some() {
            return Err(dom_xml_err(format!(
                "transport '{}' does not support socket attribute",
                h.transport.as_deref().unwrap_or("tcp")
            )));
        }
        h.name = attr(el, "name");
        if h.name.is_none() {
            return Err(dom_xml_err("missing name for host"));
        }
        if let Some(p) = el.attr("port") {
            h.port = to_uint(p, 10).ok_or_else(|| {
                Error::with(
                    VIR_FROM_NONE,
                    VIR_ERR_INVALID_ARG,
                    format!("failed to parse port number '{p}'"),
                )
            })?;
        }
    }
    if h.port == 0 && h.transport.as_deref().is_none_or(|t| t == "tcp") {
        h.port = default_port(protocol);
    }
    Ok(h)
}

/// Reads a `<source>` of a disk or backing image of type `kind`.
pub(crate) fn parse_source(el: Option<&Element>, kind: &str, opts_inactive: bool) -> Result<DiskSource> {
    let _ = opts_inactive;
    let mut s = DiskSource {
        kind: kind.to_string(),
        ..Default::default()
    };
    let Some(el) = el else {
        return Ok(s);
    };
    match kind {
        "file" => s.path = attr_nonempty(el, "file"),
        "block" => s.path = attr_nonempty(el, "dev"),
        "dir" => s.path = attr_nonempty(el, "dir"),
        "volume" => {
            s.pool = attr(el, "pool");
            s.volume = attr(el, "volume");
            s.mode = match el.attr("mode") {
                None => None,
                Some(m) if m == "host" || m == "direct" => Some(m.to_string()),
                Some(m) => {
                    return Err(unsupported(format!(
                        "unknown source mode '{m}' for volume type disk"
                    )))
                }
            };
            if s.pool.is_none() || s.volume.is_none() {
                return Err(dom_xml_err(
                    "'pool' and 'volume' must be specified together for 'pool' type source",
                ));
            }
        }
        "network" => {
            let protocol = prop_enum_req(el, "protocol", PROTOCOLS)?;
            s.tls = prop_yesno(el, "tls")?;
            s.tls_hostname = attr(el, "tlsHostname");
            // An empty name passes the presence check but is not kept.
            let raw_name = el.attr("name");
            s.name = attr_nonempty(el, "name");
            if raw_name.is_none() && protocol != "nbd" {
                return Err(dom_xml_err("missing name for disk source"));
            }
            if protocol == "iscsi" {
                if let Some(n) = &s.name {
                    // libvirt appends the default LUN when the name has none.
                    if !n.contains('/') {
                        s.name = Some(format!("{n}/0"));
                    }
                }
            }
            if protocol == "rbd" || protocol == "gluster" {
                if let Some(n) = raw_name {
                    if !n.contains('/') {
                        return Err(dom_xml_err(format!(
                            "can't split path '{n}' into pool name and image name"
                        )));
                    }
                }
            }
            if matches!(protocol.as_str(), "http" | "https") {
                s.query = attr(el, "query");
            }
            for h in el.children_named("host") {
                s.hosts.push(parse_host(h, &protocol)?);
            }
            if protocol == "rbd" {
                s.snapshot = el.child("snapshot").and_then(|x| attr_nonempty(x, "name"));
                s.config = el.child("config").and_then(|x| attr_nonempty(x, "file"));
            }
            if protocol == "iscsi" {
                s.initiator = el
                    .child("initiator")
                    .and_then(|i| i.child("iqn"))
                    .and_then(|q| attr_nonempty(q, "name"));
            }
            if matches!(protocol.as_str(), "https" | "ftps") {
                if let Some(x) = el.child("ssl") {
                    s.ssl_verify = prop_yesno(x, "verify")?;
                }
            }
            if matches!(protocol.as_str(), "http" | "https") {
                if let Some(c) = el.child("cookies") {
                    for k in c.children_named("cookie") {
                        let name = xattr(k, "name")
                            .ok_or_else(|| dom_xml_err("missing cookie name"))?
                            .to_string();
                        if s.cookies.iter().any(|(n, _)| *n == name) {
                            return Err(xml_err(VIR_FROM_STORAGE, format!("duplicate cookie '{name}'")));
                        }
                        s.cookies.push((name, k.text()));
                    }
                }
            }
            if matches!(protocol.as_str(), "http" | "https" | "ftp" | "ftps") {
                let bad = || dom_xml_err("invalid readahead size or timeout");
                if let Some(v) = el.child("readahead").and_then(|x| xattr(x, "size")) {
                    s.readahead = Some(to_ull(v, 10).ok_or_else(bad)?).filter(|n| *n > 0);
                }
                if let Some(v) = el.child("timeout").and_then(|x| xattr(x, "seconds")) {
                    s.timeout = Some(to_ull(v, 10).ok_or_else(bad)?).filter(|n| *n > 0);
                }
            }
            if protocol == "nbd" {
                if let Some(r) = el.child("reconnect") {
                    s.reconnect = Some(Attrs::read(r, &[("delay", Kind::Uint(10))])?);
                }
            }
            s.protocol = Some(protocol);
        }
        "nvme" => {
            if el.attr("type") != Some("pci") {
                return Err(match el.attr("type") {
                    None => dom_xml_err("missing 'type' attribute to disk source"),
                    Some(t) => dom_xml_err(format!("unsupported source type '{t}'")),
                });
            }
            s.managed = prop_yesno(el, "managed")?;
            let ns = el
                .attr("namespace")
                .ok_or_else(|| dom_xml_err("missing 'namespace' attribute to disk source"))?;
            s.namespace = Some(
                to_ull_wrapping(ns, 10).ok_or_else(|| dom_xml_err(format!("malformed namespace '{ns}'")))?,
            );
            if s.namespace == Some(0) {
                return Err(unsupported("NVMe namespace can't be zero"));
            }
            if el.child("address").is_none() {
                return Err(dom_xml_err("NVMe disk source is missing address"));
            }
            if let Some(a) = el.child("address") {
                let mut a2 = a.clone();
                a2.attrs.retain(|(k, _)| k != "type");
                a2.attrs.insert(0, ("type".into(), "pci".into()));
                if let Address::Pci(p) = parse_address(&a2)? {
                    s.nvme_addr = Some(p);
                }
            }
        }
        "vhostuser" => {
            match el.attr("type") {
                Some("unix") => {}
                _ => return Err(dom_xml_err("invalid 'type' attribute for vhostuser disk source")),
            }
            s.path = attr(el, "path");
            if s.path.is_none() {
                return Err(dom_xml_err("missing 'path' attribute for vhostuser disk source"));
            }
            if let Some(r) = el.child("reconnect") {
                s.reconnect = Some(read_reconnect(r)?);
            }
        }
        _ => {}
    }
    if matches!(kind, "file" | "block" | "dir" | "volume") {
        s.startup_policy = prop_enum(
            el,
            "startupPolicy",
            &["default", "mandatory", "requisite", "optional"],
            true,
        )?;
    }
    // Only the 'storage' slice exists; others are ignored.
    if let Some(sl) = el.child("slices").and_then(|x| {
        x.children_named("slice")
            .find(|s| s.attr("type") == Some("storage"))
    }) {
        let num = |name: &str| -> Result<u64> {
            let v =
                xattr(sl, name).ok_or_else(|| dom_xml_err("missing offset or size attribute of slice"))?;
            to_ull(v, 10)
                .ok_or_else(|| dom_xml_err(format!("malformed value '{v}' of '{name}' attribute of slice")))
        };
        let offset = num("offset")?;
        let size = num("size")?;
        s.slice = Some((offset, size));
    }
    for sl in el.children_named("seclabel") {
        let model = sl.attr("model");
        if s.seclabels.iter().any(|o| o.model.as_deref() == model) {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_XML_DETAIL,
                format!("seclabel for model {} is already provided", model.unwrap_or("")),
            ));
        }
        s.seclabels.push(SourceSeclabel {
            model: attr(sl, "model"),
            relabel: prop_yesno(sl, "relabel")?,
            label: sl.child_text("label"),
        });
    }
    if let Some(r) = el.child("reservations") {
        let managed = prop_yesno(r, "managed")?
            .ok_or_else(|| dom_xml_err("missing managed attribute for <reservations/>"))?;
        let mut src = None;
        if !managed && r.child("source").is_none() {
            return Err(xml_err(
                VIR_FROM_STORAGE,
                "missing connection type for <reservations/>",
            ));
        }
        {
            if let Some(x) = r.child("source") {
                let perr = |m: String| xml_err(VIR_FROM_STORAGE, m);
                let t = match xattr(x, "type") {
                    None => return Err(perr("missing connection type for <reservations/>".into())),
                    Some("unix") => "unix",
                    Some(t) => {
                        return Err(perr(format!(
                            "unsupported connection type for <reservations/>: {t}"
                        )))
                    }
                };
                let p = xattr(x, "path").ok_or_else(|| perr("missing path for <reservations/>".into()))?;
                let m = match xattr(x, "mode") {
                    None => return Err(perr("missing connection mode for <reservations/>".into())),
                    Some("client") => "client",
                    Some(m) => {
                        return Err(perr(format!(
                            "unsupported connection mode for <reservations/>: {m}"
                        )))
                    }
                };
                src = Some((t.to_string(), p.to_string(), m.to_string()));
            }
        }
        s.reservations = Some(Reservations { managed, source: src });
    }
    if let Some(a) = el.child("auth") {
        s.auth = Some(parse_auth(a, true)?);
    }
    if let Some(e) = el.child("encryption") {
        s.encryption = Some(parse_encryption(e)?);
    }
    Ok(s)
}

/// A `<source>` element as libvirt writes it (bare when it says nothing).
pub(crate) fn source_out<'a>(s: &'a DiskSource, opts: &FormatOptions) -> Out<'a> {
    let secure = opts.secure;
    let mut o = Out::new("source");
    match s.kind.as_str() {
        "file" => {
            o.o("file", s.path.as_ref());
        }
        "block" => {
            o.o("dev", s.path.as_ref());
        }
        "dir" => {
            o.o("dir", s.path.as_ref());
        }
        "volume" => {
            o.o("pool", s.pool.as_ref())
                .o("volume", s.volume.as_ref())
                .o("mode", s.mode.as_ref());
        }
        "network" => {
            o.o("protocol", s.protocol.as_ref())
                .o("name", s.name.as_ref())
                .o("tls", s.tls.map(yesno))
                .o("tlsHostname", s.tls_hostname.as_ref())
                .o("query", s.query.as_ref());
            for h in &s.hosts {
                let mut x = Out::new("host");
                x.o("name", h.name.as_ref());
                if h.port != 0 {
                    x.a("port", h.port);
                }
                x.o("transport", h.transport.as_ref().filter(|t| *t != "tcp"));
                x.o("socket", h.socket.as_ref());
                o.push(x);
            }
            if let Some(n) = &s.snapshot {
                let mut x = Out::new("snapshot");
                x.a("name", n);
                o.push(x);
            }
            if let Some(n) = &s.config {
                let mut x = Out::new("config");
                x.a("file", n);
                o.push(x);
            }
            if let Some(v) = s.ssl_verify {
                let mut x = Out::new("ssl");
                x.a("verify", yesno(v));
                o.push(x);
            }
            if secure && !s.cookies.is_empty() {
                let mut c = Out::new("cookies");
                for (k, v) in &s.cookies {
                    let mut x = Out::text("cookie", v.clone());
                    x.a("name", k);
                    c.push(x);
                }
                o.push(c);
            }
            if let Some(v) = s.readahead {
                let mut x = Out::new("readahead");
                x.a("size", v);
                o.push(x);
            }
            if let Some(v) = s.timeout {
                let mut x = Out::new("timeout");
                x.a("seconds", v);
                o.push(x);
            }
            if let Some(q) = &s.initiator {
                let mut i = Out::new("initiator");
                let mut x = Out::new("iqn");
                x.a("name", q);
                i.push(x);
                o.push(i);
            }
        }
        "nvme" => {
            o.a("type", "pci")
                .o("managed", s.managed.map(yesno))
                .o("namespace", s.namespace);
            if let Some(p) = &s.nvme_addr {
                let mut a = Out::new("address");
                a.a("domain", format!("0x{:04x}", p.domain))
                    .a("bus", format!("0x{:02x}", p.bus))
                    .a("slot", format!("0x{:02x}", p.slot))
                    .a("function", format!("0x{:x}", p.function));
                o.push(a);
            }
        }
        "vhostuser" => {
            o.a("type", "unix").o("path", s.path.as_ref());
        }
        _ => {}
    }
    if let Some(r) = &s.reconnect {
        let mut x = Out::new("reconnect");
        r.write_to(&mut x);
        o.push(x);
    }
    o.o("startupPolicy", s.startup_policy.as_ref());
    if let Some((off, size)) = s.slice {
        let mut sl = Out::new("slices");
        let mut x = Out::new("slice");
        x.a("type", "storage").a("offset", off).a("size", size);
        sl.push(x);
        o.push(sl);
    }
    // A relabelled label without a label text says nothing.
    for sl in s
        .seclabels
        .iter()
        .filter(|l| !(l.relabel == Some(true) && l.label.is_none()))
    {
        let mut x = Out::new("seclabel");
        x.o("model", sl.model.as_ref())
            .o("relabel", sl.relabel.map(yesno));
        x.t("label", sl.label.as_ref());
        o.push(x);
    }
    if let Some(a) = &s.auth {
        o.push(auth_out(a));
    }
    if let Some(e) = &s.encryption {
        o.push(encryption_out(e));
    }
    if let Some(r) = &s.reservations {
        let mut x = Out::new("reservations");
        x.a("managed", yesno(r.managed));
        // The helper socket of managed reservations is libvirt's own
        // choice, left out of migratable output.
        if let Some((t, p, m)) = r.source.as_ref().filter(|_| !(r.managed && opts.migratable)) {
            let mut y = Out::new("source");
            y.a("type", t).a("path", p).a("mode", m);
            x.push(y);
        }
        o.push(x);
    }
    o
}

fn parse_backing(el: &Element, inactive: bool, depth: usize) -> Result<BackingStore> {
    if depth > 200 {
        return Err(dom_xml_err("backing chain too deep"));
    }
    let Some(kind) = el.attr("type") else {
        return Ok(BackingStore { store: None });
    };
    if !DISK_TYPES[1..].contains(&kind) {
        return Err(dom_xml_err(format!("unknown storage source type '{kind}'")));
    }
    let format = match el.child("format").and_then(|f| xattr(f, "type")) {
        Some("aio") => Some("raw".to_string()),
        Some(f) if FORMATS[1..].contains(&f) => Some(f.to_string()),
        Some(f) => return Err(dom_xml_err(format!("unknown storage source format '{f}'"))),
        None => return Err(dom_xml_err("missing disk backing store format")),
    };
    let src = el
        .child("source")
        .ok_or_else(|| dom_xml_err("missing disk backing store source"))?;
    let source = parse_source(Some(src), kind, inactive)?;
    let backing = match el.child("backingStore") {
        Some(b) => Some(parse_backing(b, inactive, depth + 1)?),
        None => None,
    };
    Ok(BackingStore {
        store: Some(Box::new(BackingImage {
            format,
            source,
            backing,
        })),
    })
}

fn backing_out<'a>(b: &'a BackingStore, opts: &FormatOptions) -> Out<'a> {
    let mut o = Out::new("backingStore");
    if let Some(img) = &b.store {
        o.a("type", &img.source.kind);
        if let Some(f) = &img.format {
            let mut x = Out::new("format");
            x.a("type", f);
            o.push(x);
        }
        let src = source_out(&img.source, opts);
        if !src.is_bare() {
            o.push(src);
        }
        if let Some(next) = &img.backing {
            o.push(backing_out(next, opts));
        }
    }
    o
}

fn storage_format(f: &str) -> Result<String> {
    if f == "aio" {
        // Xen's old "aio" driver type means raw images.
        return Ok("raw".into());
    }
    match FORMATS.iter().position(|x| *x == f) {
        Some(_) => Ok(f.to_string()),
        None => Err(unsupported(format!("unknown driver format value '{f}'"))),
    }
}

fn parse_iotune(el: &Element) -> Result<Vec<(String, String)>> {
    let mut vals: Vec<(String, u64)> = Vec::new();
    for name in IOTUNE_FIELDS.iter().chain(IOTUNE_LENGTHS.iter()) {
        if let Some(c) = el.child(name) {
            let t = c.text();
            let v = to_ull(&t, 10)
                .ok_or_else(|| dom_xml_err(format!("disk iotune field '{name}' must be an integer")))?;
            vals.push((name.to_string(), v));
        }
    }
    let get = |k: &str| vals.iter().find(|(n, _)| n == k).map(|(_, v)| *v).unwrap_or(0);
    let pairs = [
        (
            "total_bytes_sec",
            "read_bytes_sec",
            "write_bytes_sec",
            "bytes_sec",
        ),
        ("total_iops_sec", "read_iops_sec", "write_iops_sec", "iops_sec"),
        (
            "total_bytes_sec_max",
            "read_bytes_sec_max",
            "write_bytes_sec_max",
            "bytes_sec_max",
        ),
        (
            "total_iops_sec_max",
            "read_iops_sec_max",
            "write_iops_sec_max",
            "iops_sec_max",
        ),
    ];
    for (t, r, w, what) in pairs {
        if get(t) != 0 && (get(r) != 0 || get(w) != 0) {
            return Err(dom_xml_err(format!(
                "total and read/write {what} cannot be set at the same time"
            )));
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for name in IOTUNE_FIELDS {
        let v = get(name);
        if v != 0 {
            out.push((name.to_string(), v.to_string()));
        }
    }
    if let Some(g) = el.child_text("group_name") {
        out.push(("group_name".into(), g));
    }
    for name in IOTUNE_LENGTHS {
        let v = get(name);
        if v != 0 {
            out.push((name.to_string(), v.to_string()));
        }
    }
    Ok(out)
}

fn valid_wwn(w: &str) -> bool {
    let h = w.strip_prefix("0x").unwrap_or(w);
    h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads a `<disk>`.
pub fn parse(el: &Element, inactive: bool) -> Result<Disk> {
    let kind = prop_enum(el, "type", DISK_TYPES, true)?.unwrap_or_else(|| "file".into());
    let device = prop_enum(el, "device", DISK_DEVICES, false)?.unwrap_or_else(|| "disk".into());
    let mut d = Disk {
        device,
        model: prop_enum(
            el,
            "model",
            &[
                "default",
                "virtio",
                "virtio-transitional",
                "virtio-non-transitional",
            ],
            true,
        )?,
        rawio: prop_yesno(el, "rawio")?,
        sgio: prop_enum(el, "sgio", &["default", "filtered", "unfiltered"], true)?,
        snapshot: prop_enum(
            el,
            "snapshot",
            &["default", "no", "internal", "external", "manual"],
            true,
        )?,
        ..Default::default()
    };
    let src_el = el.child("source");
    d.has_source = src_el.is_some();
    // Without any <source>, libvirt treats an empty drive as a file disk.
    let kind = if d.has_source { kind } else { "file".to_string() };
    d.source = parse_source(src_el, &kind, inactive)?;
    if let Some(drv) = el.child("driver") {
        d.driver = Attrs::read(drv, DRIVER_ATTRS)?;
        if let Some(t) = d.driver.get("type").map(str::to_string) {
            d.driver.set("type", storage_format(&t)?);
        }
        if let Some(ms) = drv
            .child("metadata_cache")
            .and_then(|m| m.child("max_size").filter(|e| !e.text().trim().is_empty()))
        {
            d.metadata_cache_max = Some(crate::domain::devices::scaled_bytes(ms)?);
        }
    }
    if let Some(b) = el.child("backingStore") {
        d.backing = Some(parse_backing(b, inactive, 0)?);
    }
    d.backend_domain = el.child("backenddomain").and_then(|b| attr_nonempty(b, "name"));
    if let Some(g) = el.child("geometry") {
        d.geometry = Attrs::read(
            g,
            &[
                ("cyls", Kind::Uint(10)),
                ("heads", Kind::Uint(10)),
                ("secs", Kind::Uint(10)),
                ("trans", Kind::EnumNz(&["default", "none", "auto", "lba"])),
            ],
        )?;
    }
    if let Some(b) = el.child("blockio") {
        d.blockio = Attrs::read(
            b,
            &[
                ("logical_block_size", Kind::Uint(10)),
                ("physical_block_size", Kind::Uint(10)),
            ],
        )?;
    }
    let target = el.child("target");
    if let Some(t) = target {
        let dev = t.attr("dev").unwrap_or_default();
        // Old Xen configurations name emulated disks "ioemu:hda"; libvirt
        // keeps only the name.
        d.target = dev.strip_prefix("ioemu:").unwrap_or(dev).to_string();
        d.bus = prop_enum(t, "bus", DISK_BUSES, true)?;
        d.tray = prop_enum(t, "tray", &["closed", "open"], false)?;
        d.removable = prop_onoff(t, "removable")?;
        d.rotation_rate = prop_uint(t, "rotation_rate", 10)?;
    }
    if let Some(io) = el.child("iotune") {
        d.iotune = parse_iotune(io)?;
    }
    // A CD-ROM is read-only whatever the document says.
    d.readonly = el.child("readonly").is_some() || d.device == "cdrom";
    d.shareable = el.child("shareable").is_some();
    if let Some(t) = el.child("transient") {
        d.transient = true;
        d.transient_share_backing = prop_yesno(t, "shareBacking")?;
    }
    d.serial = el.child_text("serial");
    d.wwn = el.child_text("wwn");
    if let Some(w) = &d.wwn {
        if !valid_wwn(w) {
            return Err(Error::internal(VIR_FROM_NONE, format!("Malformed wwn: {w}")));
        }
    }
    d.vendor = el.child_text("vendor");
    d.product = el.child_text("product");
    if let Some(a) = el.child("auth") {
        if d.source.auth.is_some() {
            return Err(unsupported("an <auth> definition already found for disk source"));
        }
        d.auth = Some(parse_auth(a, true)?);
    }
    if let Some(e) = el.child("encryption") {
        if d.source.encryption.is_some() {
            return Err(unsupported(
                "an <encryption> definition already found for disk source",
            ));
        }
        d.encryption = Some(parse_encryption(e)?);
    }
    d.info = parse_info(el, INFO_BOOT)?;
    if d.target.is_empty() && target.is_none_or(|t| t.attr("dev").is_none()) {
        return Err(Error::new(
            VIR_FROM_DOMAIN,
            VIR_ERR_NO_TARGET,
            d.source_name().as_deref(),
        ));
    }
    if kind == "vhostuser" && d.snapshot.is_none() {
        d.snapshot = Some("no".into());
    }
    Ok(d)
}

/// Fills the bus from the target name and assigns a drive address, as
/// libvirt's post-parse step does (`wide_scsi`: the driver's SCSI buses
/// have 16 units, the controller at unit 7).
pub fn post_parse(d: &mut Disk, wide_scsi: bool) -> Result<()> {
    if d.bus.is_none() {
        if d.device == "floppy" {
            d.bus = Some("fdc".into());
        } else {
            let t = d.target.as_str();
            let bus = if t.starts_with("hd") {
                Some("ide")
            } else if t.starts_with("sd") {
                Some("scsi")
            } else if t.starts_with("vd") {
                Some("virtio")
            } else if t.starts_with("xvd") {
                Some("xen")
            } else if t.starts_with("ubd") {
                Some("uml")
            } else {
                None
            };
            d.bus = bus.map(str::to_string);
        }
    }
    if d.info.address.is_none() {
        let idx = disk_name_index(&d.target).ok_or_else(|| {
            dom_xml_err(format!(
                "Unknown disk name '{}' and no address specified",
                d.target
            ))
        })?;
        let drive = |controller, bus, unit| Address::Drive {
            controller,
            bus,
            target: 0,
            unit,
        };
        d.info.address = match d.bus.as_deref() {
            Some("scsi") if wide_scsi => {
                let unit = idx % 15;
                Some(drive(idx / 15, 0, if unit >= 7 { unit + 1 } else { unit }))
            }
            Some("scsi") => Some(drive(idx / 7, 0, idx % 7)),
            Some("ide") => Some(drive(idx / 4, (idx % 4) / 2, idx % 2)),
            Some("sata") => Some(drive(idx / 6, 0, idx % 6)),
            Some("fdc") => Some(drive(idx / 2, 0, idx % 2)),
            _ => None,
        };
    }
    Ok(())
}

/// Checks libvirt makes on each disk after parsing.
pub fn validate(d: &Disk) -> Result<()> {
    let bus = d.bus.as_deref().unwrap_or("none");
    if d.device == "floppy" {
        if bus != "fdc" {
            return Err(internal(format!("Invalid bus type '{bus}' for floppy disk")));
        }
    } else if bus == "fdc" {
        return Err(internal(format!("Invalid bus type '{bus}' for disk")));
    }
    if disk_name_index(&d.target).is_none() {
        return Err(internal(format!("Invalid harddisk device name: {}", d.target)));
    }
    if d.device == "lun" && !matches!(d.kind(), "block" | "network" | "volume") {
        return Err(unsupported(
            "disk device='lun' is only valid for block type disk source",
        ));
    }
    if d.rawio.is_some() && d.device != "lun" {
        return Err(unsupported("rawio can be used only with device='lun'"));
    }
    if d.sgio.is_some() && d.device != "lun" {
        return Err(unsupported("sgio can be used only with device='lun'"));
    }
    if d.sgio.as_deref() == Some("unfiltered") {
        return Err(unsupported("unfiltered sgio is no longer supported"));
    }
    if d.tray.is_some() && !matches!(d.device.as_str(), "cdrom" | "floppy") {
        return Err(unsupported("tray is only valid for cdrom and floppy"));
    }
    if d.removable.is_some() && d.bus.as_deref() != Some("usb") {
        return Err(dom_xml_err("removable is only valid for usb disks"));
    }
    if d.source.reservations.is_some() && d.device != "lun" {
        return Err(unsupported("<reservations/> allowed only for lun devices"));
    }
    let auth = d.auth.as_ref().or(d.source.auth.as_ref());
    if let Some(a) = auth {
        let want = match d.source.protocol.as_deref() {
            Some("iscsi") => Some("iscsi"),
            Some("rbd") => Some("ceph"),
            _ => None,
        };
        if let (Some(want), Some(t)) = (want, a.secret.kind.as_deref()) {
            if t != want {
                return Err(unsupported(format!("invalid secret type '{t}'")));
            }
        }
    }
    // A disk's encryption comes from its image; only volumes describe ciphers.
    for e in d.encryption.iter().chain(d.source.encryption.iter()) {
        if e.cipher.is_some() {
            return Err(unsupported(
                "supplying <cipher> for domain disk definition is unnecessary",
            ));
        }
        if e.ivgen.is_some() {
            return Err(unsupported(
                "supplying <ivgen> for domain disk definition is unnecessary",
            ));
        }
    }
    // LUNs, removable media and disks with a startup policy may lack a source.
    let needs_source = !matches!(d.device.as_str(), "cdrom" | "floppy" | "lun");
    let has = match d.kind() {
        "file" | "block" | "dir" => d.source.path.is_some(),
        "network" => d.source.protocol.is_some(),
        "volume" => d.source.volume.is_some(),
        _ => d.has_source,
    };
    if needs_source && !has && d.source.startup_policy.is_none() {
        return Err(Error::with(VIR_FROM_DOMAIN, VIR_ERR_NO_SOURCE, d.target.clone()));
    }
    Ok(())
}

/// Writes a `<disk>`.
pub fn format<'a>(d: &'a Disk, opts: &FormatOptions) -> Out<'a> {
    let mut o = Out::new("disk");
    o.a("type", d.kind()).a("device", &d.device);
    o.o("model", d.model.as_ref());
    o.o("rawio", d.rawio.map(yesno));
    o.o("sgio", d.sgio.as_ref());
    if let Some(s) = &d.snapshot {
        if !(s == "no" && d.readonly) {
            o.a("snapshot", s);
        }
    }
    if !d.driver.is_empty() || d.metadata_cache_max.is_some() {
        let mut x = Out::new("driver");
        d.driver.write_to(&mut x);
        if let Some(m) = d.metadata_cache_max {
            let mut mc = Out::new("metadata_cache");
            let mut ms = Out::text("max_size", m.to_string());
            ms.a("unit", "bytes");
            mc.push(ms);
            x.push(mc);
        }
        o.push(x);
    }
    if let Some(a) = &d.auth {
        o.push(auth_out(a));
    }
    let src = source_out(&d.source, opts);
    if d.has_source && (src.has_content() || !src.is_bare()) {
        o.push(src);
    }
    if let Some(b) = &d.backing {
        o.push(backing_out(b, opts));
    }
    if let Some(b) = &d.backend_domain {
        let mut x = Out::new("backenddomain");
        x.a("name", b);
        o.push(x);
    }
    // The geometry only counts when cylinders, heads and sectors are all set.
    let geo = |k| d.geometry.get(k).is_some_and(|v| v != "0");
    if geo("cyls") && geo("heads") && geo("secs") {
        let mut x = Out::new("geometry");
        d.geometry.write_to(&mut x);
        o.push(x);
    }
    if !d.blockio.is_empty() {
        let mut x = Out::new("blockio");
        d.blockio.write_to(&mut x);
        o.push(x);
    }
    let mut t = Out::new("target");
    t.a("dev", &d.target)
        .o("bus", d.bus.as_ref())
        .o("tray", d.tray.as_ref())
        .o("removable", d.removable.map(onoff))
        .o("rotation_rate", d.rotation_rate.filter(|r| *r != 0));
    o.push(t);
    if !d.iotune.is_empty() {
        let mut x = Out::new("iotune");
        for (k, v) in &d.iotune {
            x.push(Out::text(k, v.clone()));
        }
        o.push(x);
    }
    if d.readonly {
        o.push(Out::new("readonly"));
    }
    if d.shareable {
        o.push(Out::new("shareable"));
    }
    if d.transient {
        let mut x = Out::new("transient");
        x.o("shareBacking", d.transient_share_backing.map(yesno));
        o.push(x);
    }
    o.t("serial", d.serial.as_ref())
        .t("wwn", d.wwn.as_ref())
        .t("vendor", d.vendor.as_ref())
        .t("product", d.product.as_ref());
    if let Some(e) = &d.encryption {
        o.push(encryption_out(e));
    }
    format_info(&mut o, &d.info);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_names_index_like_libvirt() {
        assert_eq!(disk_name_index("hda"), Some(0));
        assert_eq!(disk_name_index("sdz"), Some(25));
        assert_eq!(disk_name_index("sdaa"), Some(26));
        assert_eq!(disk_name_index("xvdb3"), Some(1));
        assert_eq!(disk_name_index("hd"), None);
        assert_eq!(disk_name_index("foo"), None);
        assert_eq!(disk_name_index("hda1x"), None);
    }
}
