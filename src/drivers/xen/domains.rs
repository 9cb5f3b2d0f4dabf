//! Domains as XenD reports them (`(domain (domid 3) (name x) ...)`), and the
//! calls that list, look up, describe and change them.

use super::http::form_encode;
use super::{config_dir, XenDriver};
use crate::abi::*;
use crate::domain::listing::{Facts, Filter};
use crate::domain::{self, DomainDef, FormatOptions, ParseOptions, Uuid};
use crate::driver::{DomainInfo, DomainRef};
use crate::error::{Error, Result};
use crate::native::xen::sexpr::Sexpr;
use crate::native::xen::{sxpr, xm};
use crate::native::Format;

/// Where a domain's definition lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// XenD knows the domain (running, paused, or managed and halted).
    Xend,
    /// An xm config file only (XenD before 3.0.4).
    ConfigFile(Box<DomainDef>),
}

/// One domain with what `virDomainGetInfo` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct XenDom {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: Uuid,
    /// The running domain's id.
    pub id: Option<i32>,
    /// `virDomainState`.
    pub state: i32,
    /// Current memory in KiB.
    pub memory: u64,
    /// Maximum memory in KiB.
    pub max_mem: u64,
    /// Online vCPUs.
    pub vcpus: u32,
    /// Maximum vCPUs.
    pub max_vcpus: u32,
    /// CPU time in nanoseconds.
    pub cpu_time: u64,
    /// `(on_xend_start start)`.
    pub autostart: bool,
    /// Where it is defined.
    pub source: Source,
}

impl XenDom {
    /// The handle identity.
    pub fn domain_ref(&self) -> DomainRef {
        DomainRef {
            name: self.name.clone(),
            uuid: self.uuid,
            id: self.id.unwrap_or(-1),
        }
    }

    fn active(&self) -> bool {
        self.id.is_some()
    }
}

fn invalid(name: &str, key: &str, value: &str) -> Error {
    Error::internal(
        VIR_FROM_XEND,
        format!("xend reports an invalid '{key}' value '{value}' for domain '{name}'"),
    )
}

/// XenD's state flags (`r` running, `b` blocked, `p` paused, `s` shut down,
/// `c` crashed, `d` dying; `-` for each flag not set).
pub fn state_of(flags: &str) -> i32 {
    let has = |c| flags.contains(c);
    if has('c') {
        VIR_DOMAIN_CRASHED
    } else if has('s') || has('d') {
        VIR_DOMAIN_SHUTDOWN
    } else if has('p') {
        VIR_DOMAIN_PAUSED
    } else if has('r') {
        VIR_DOMAIN_RUNNING
    } else if has('b') {
        VIR_DOMAIN_BLOCKED
    } else {
        VIR_DOMAIN_NOSTATE
    }
}

/// Reads one `(domain ...)` expression.
pub fn from_sexpr(d: &Sexpr) -> Result<XenDom> {
    if d.key() != Some("domain") {
        let shown: String = d.to_string().chars().take(40).collect();
        return Err(Error::internal(
            VIR_FROM_XEND,
            format!("xend reported '{shown}' where a (domain ...) expression belongs"),
        ));
    }
    let name = d
        .node("domain/name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::internal(VIR_FROM_XEND, "xend reported a domain without a name"))?
        .to_string();
    let uuid_text = d.node("domain/uuid").unwrap_or_default();
    let uuid = Uuid::parse(uuid_text).ok_or_else(|| invalid(&name, "uuid", uuid_text))?;
    let id = match d.node_i64("domain/domid")? {
        Some(i) if i >= 0 => Some(i32::try_from(i).map_err(|_| invalid(&name, "domid", &i.to_string()))?),
        _ => None,
    };
    let state = match id {
        None => VIR_DOMAIN_SHUTOFF,
        Some(_) => state_of(d.node("domain/state").unwrap_or_default()),
    };
    let memory = d.node_u64("domain/memory")?.unwrap_or(0);
    let max_mem = d.node_u64("domain/maxmem")?.unwrap_or(memory).max(memory);
    let max_vcpus = d.node_u64("domain/vcpus")?.unwrap_or(1);
    let vcpus = d.node_u64("domain/online_vcpus")?.unwrap_or(max_vcpus);
    let cpu_time = match d.node("domain/cpu_time") {
        None => 0,
        Some(t) => {
            let secs: f64 = t.parse().map_err(|_| invalid(&name, "cpu_time", t))?;
            if !(0.0..1e12).contains(&secs) {
                return Err(invalid(&name, "cpu_time", t));
            }
            (secs * 1e9) as u64
        }
    };
    let cap = |v: u64, key: &str| u32::try_from(v).map_err(|_| invalid(&name, key, &v.to_string()));
    Ok(XenDom {
        uuid,
        id,
        state,
        memory: memory.saturating_mul(1024),
        max_mem: max_mem.saturating_mul(1024),
        vcpus: cap(vcpus, "online_vcpus")?,
        max_vcpus: cap(max_vcpus, "vcpus")?,
        cpu_time,
        autostart: d.node("domain/on_xend_start") == Some("start"),
        source: Source::Xend,
        name,
    })
}

/// A domain that only has a config file.
fn from_config(def: DomainDef) -> XenDom {
    XenDom {
        name: def.name.clone(),
        uuid: def.uuid,
        id: None,
        state: VIR_DOMAIN_SHUTOFF,
        memory: def.memory.current,
        max_mem: def.memory.total,
        vcpus: def.current_vcpus(),
        max_vcpus: def.vcpu.max,
        cpu_time: 0,
        autostart: false,
        source: Source::ConfigFile(Box::new(def)),
    }
}

/// `/xend/domain/NAME`.
fn domain_path(name: &str) -> String {
    format!("/xend/domain/{}", form_encode(name))
}

/// libvirt's "Domain not found" for a handle.
pub fn no_domain(dom: &DomainRef) -> Error {
    Error::with(
        VIR_FROM_XEN,
        VIR_ERR_NO_DOMAIN,
        format!("no domain with matching name '{}'", dom.name),
    )
}

fn not_running(dom: &XenDom) -> Error {
    Error::with(
        VIR_FROM_XEN,
        VIR_ERR_OPERATION_INVALID,
        format!("domain '{}' is not running", dom.name),
    )
}

/// KiB rounded up to the MiB XenD counts in.
fn mib(kib: u64) -> u64 {
    kib.div_ceil(1024)
}

impl XenDriver {
    /// The running and paused domains (`GET /xend/domain?detail=1`).
    pub(super) fn active_domains(&self) -> Result<Vec<XenDom>> {
        let Some((list, _)) = self.xend.get_sexpr("/xend/domain?detail=1")? else {
            return Err(Error::internal(
                VIR_FROM_XEND,
                "xend has no /xend/domain resource",
            ));
        };
        // One domain alone may come back unwrapped.
        if list.key() == Some("domain") {
            return Ok(vec![from_sexpr(&list)?]);
        }
        let items = list
            .as_list()
            .ok_or_else(|| Error::internal(VIR_FROM_XEND, "xend's domain list is an atom, not a list"))?;
        let doms = items.iter().map(from_sexpr).collect::<Result<Vec<_>>>()?;
        Ok(doms.into_iter().filter(XenDom::active).collect())
    }

    /// The names of the inactive domains XenD manages (`?state=halted`).
    fn halted_names(&self) -> Result<Vec<String>> {
        let Some((list, _)) = self.xend.get_sexpr("/xend/domain?state=halted")? else {
            return Ok(Vec::new());
        };
        match &list {
            Sexpr::Atom(a) => Ok(vec![a.clone()]),
            Sexpr::List(items) => items
                .iter()
                .map(|i| {
                    i.as_atom().map(str::to_string).ok_or_else(|| {
                        Error::internal(
                            VIR_FROM_XEND,
                            "xend's list of halted domains holds a list, not a name",
                        )
                    })
                })
                .collect(),
        }
    }

    /// The inactive domains: XenD's halted ones, or the config files not running.
    pub(super) fn inactive_domains(&self) -> Result<Vec<XenDom>> {
        if self.managed() {
            let mut out = Vec::new();
            for name in self.halted_names()? {
                if let Some(d) = self.xend_domain(&name)? {
                    if !d.active() {
                        out.push(d);
                    }
                }
            }
            return Ok(out);
        }
        let active = self.active_domains()?;
        Ok(config_dir::scan(&self.config_dir)
            .into_iter()
            .filter(|(_, def)| !active.iter().any(|a| a.name == def.name || a.uuid == def.uuid))
            .map(|(_, def)| from_config(def))
            .collect())
    }

    /// Every domain, active ones first.
    pub(super) fn all_domains(&self) -> Result<Vec<XenDom>> {
        let mut all = self.active_domains()?;
        all.extend(self.inactive_domains()?);
        Ok(all)
    }

    /// `GET /xend/domain/NAME?detail=1`, with its text.
    fn xend_domain_text(&self, name: &str) -> Result<Option<(XenDom, Sexpr)>> {
        match self.xend.get_sexpr(&format!("{}?detail=1", domain_path(name)))? {
            None => Ok(None),
            Some((tree, _)) => Ok(Some((from_sexpr(&tree)?, tree))),
        }
    }

    fn xend_domain(&self, name: &str) -> Result<Option<XenDom>> {
        Ok(self.xend_domain_text(name)?.map(|(d, _)| d))
    }

    /// The domain called `name`, from XenD or else its config file.
    pub(super) fn by_name(&self, name: &str) -> Result<Option<XenDom>> {
        if let Some(d) = self.xend_domain(name)? {
            return Ok(Some(d));
        }
        if self.managed() {
            return Ok(None);
        }
        Ok(config_dir::find(&self.config_dir, name).map(|(_, def)| from_config(def)))
    }

    /// The domain of a handle (found by name, checked by UUID).
    pub(super) fn dom(&self, r: &DomainRef) -> Result<XenDom> {
        match self.by_name(&r.name)? {
            Some(d) if d.uuid == r.uuid => Ok(d),
            _ => Err(no_domain(r)),
        }
    }

    pub(super) fn lookup_id(&self, id: i32) -> Result<DomainRef> {
        self.active_domains()?
            .into_iter()
            .find(|d| d.id == Some(id))
            .map(|d| d.domain_ref())
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_XEN,
                    VIR_ERR_NO_DOMAIN,
                    format!("no domain with matching id {id}"),
                )
            })
    }

    pub(super) fn lookup_name(&self, name: &str) -> Result<DomainRef> {
        self.by_name(name)?.map(|d| d.domain_ref()).ok_or_else(|| {
            Error::with(
                VIR_FROM_XEN,
                VIR_ERR_NO_DOMAIN,
                format!("no domain with matching name '{name}'"),
            )
        })
    }

    pub(super) fn lookup_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.all_domains()?
            .into_iter()
            .find(|d| d.uuid == *uuid)
            .map(|d| d.domain_ref())
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_XEN,
                    VIR_ERR_NO_DOMAIN,
                    format!("no domain with matching uuid '{uuid}'"),
                )
            })
    }

    pub(super) fn info(&self, r: &DomainRef) -> Result<DomainInfo> {
        let d = self.dom(r)?;
        Ok(DomainInfo {
            state: d.state,
            max_mem: d.max_mem,
            memory: d.memory,
            nr_virt_cpu: d.vcpus,
            cpu_time: d.cpu_time,
        })
    }

    /// The definition of a domain and its id, through the sxpr converter.
    pub(super) fn definition(&self, r: &DomainRef) -> Result<(DomainDef, Option<i32>)> {
        if let Some((d, tree)) = self.xend_domain_text(&r.name)? {
            if d.uuid != r.uuid {
                return Err(no_domain(r));
            }
            let parsed = sxpr::parse_with(&tree.to_string(), &sxpr::Context::default())?;
            return Ok((parsed.def, d.id));
        }
        match self.by_name(&r.name)? {
            Some(XenDom {
                source: Source::ConfigFile(def),
                uuid,
                ..
            }) if uuid == r.uuid => Ok((*def, None)),
            _ => Err(no_domain(r)),
        }
    }

    pub(super) fn xml_desc(&self, r: &DomainRef, flags: u32) -> Result<String> {
        let known = VIR_DOMAIN_XML_SECURE
            | VIR_DOMAIN_XML_INACTIVE
            | VIR_DOMAIN_XML_UPDATE_CPU
            | VIR_DOMAIN_XML_MIGRATABLE;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainGetXMLDesc",
                flags,
            ));
        }
        let (def, id) = self.definition(r)?;
        let inactive = flags & VIR_DOMAIN_XML_INACTIVE != 0;
        Ok(domain::format(
            &def,
            &FormatOptions {
                id: id.filter(|_| !inactive),
                secure: flags & VIR_DOMAIN_XML_SECURE != 0,
                inactive,
                ..Default::default()
            },
        ))
    }

    /// `POST /xend/domain/NAME` with `op` and its arguments.
    fn op(&self, d: &XenDom, op: &str, args: &[(&str, &str)]) -> Result<()> {
        let mut params = vec![("op", op)];
        params.extend_from_slice(args);
        self.xend.post(&domain_path(&d.name), &params).map(|_| ())
    }

    fn running(&self, r: &DomainRef) -> Result<XenDom> {
        let d = self.dom(r)?;
        if !d.active() {
            return Err(not_running(&d));
        }
        Ok(d)
    }

    pub(super) fn suspend(&self, r: &DomainRef) -> Result<()> {
        let d = self.running(r)?;
        self.op(&d, "pause", &[])
    }

    pub(super) fn resume(&self, r: &DomainRef) -> Result<()> {
        let d = self.running(r)?;
        self.op(&d, "unpause", &[])
    }

    pub(super) fn destroy(&self, r: &DomainRef, flags: u32) -> Result<()> {
        if flags & !VIR_DOMAIN_DESTROY_GRACEFUL != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainDestroyFlags",
                flags,
            ));
        }
        let d = self.running(r)?;
        self.op(&d, "destroy", &[])
    }

    /// Shutdown or reboot (`op=shutdown&reason=poweroff|reboot`); the id afterwards.
    pub(super) fn shutdown(&self, r: &DomainRef, flags: u32, reason: &str, func: &str) -> Result<i32> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_XEN, func, flags));
        }
        let d = self.running(r)?;
        self.op(&d, "shutdown", &[("reason", reason)])?;
        Ok(self.by_name(&d.name)?.and_then(|d| d.id).unwrap_or(-1))
    }

    pub(super) fn reset(&self, r: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_XEN, "xenUnifiedDomainReset", flags));
        }
        let d = self.running(r)?;
        self.op(&d, "reset", &[])
    }

    /// virDomainCreate: `op=start` for XenD's managed domains, `op=create`
    /// with the config file's definition for older XenDs.
    pub(super) fn create(&self, r: &DomainRef, flags: u32) -> Result<DomainRef> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainCreateWithFlags",
                flags,
            ));
        }
        let d = self.dom(r)?;
        if d.active() {
            return Err(Error::with(
                VIR_FROM_XEN,
                VIR_ERR_OPERATION_INVALID,
                format!("domain '{}' is already running", d.name),
            ));
        }
        match &d.source {
            Source::Xend => self.op(&d, "start", &[])?,
            Source::ConfigFile(def) => {
                let config = sxpr::format(def)?;
                self.xend
                    .post("/xend/domain/", &[("op", "create"), ("config", &config)])?;
            }
        }
        self.started(&d.name)
    }

    fn started(&self, name: &str) -> Result<DomainRef> {
        match self.by_name(name)? {
            Some(d) => Ok(d.domain_ref()),
            None => Err(Error::internal(
                VIR_FROM_XEND,
                format!("xend accepted domain '{name}' but does not report it"),
            )),
        }
    }

    /// A definition from XML, parsed as the target format's converter expects.
    fn parse_def(xml: &str, format: Format) -> Result<DomainDef> {
        let def = domain::parse(
            xml,
            &ParseOptions {
                profile: format.profile(),
                inactive: true,
            },
        )?;
        if def.virt_type != "xen" {
            return Err(Error::with(
                VIR_FROM_XEN,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("unsupported domain type '{}', expected 'xen'", def.virt_type),
            ));
        }
        Ok(def)
    }

    /// virDomainCreateXML: `op=create` with the s-expression.
    pub(super) fn create_xml(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_XEN, "xenUnifiedDomainCreateXML", flags));
        }
        let def = Self::parse_def(xml, Format::XenSxpr)?;
        let config = sxpr::format(&def)?;
        self.xend
            .post("/xend/domain/", &[("op", "create"), ("config", &config)])?;
        self.started(&def.name)
    }

    /// virDomainDefineXML: `op=new` for XenDs that manage inactive domains,
    /// else an xm config file.
    pub(super) fn define(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        if flags & !VIR_DOMAIN_DEFINE_VALIDATE != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainDefineXMLFlags",
                flags,
            ));
        }
        if self.managed() {
            let def = Self::parse_def(xml, Format::XenSxpr)?;
            let config = sxpr::format(&def)?;
            self.xend
                .post("/xend/domain/", &[("op", "new"), ("config", &config)])?;
            return self.started(&def.name);
        }
        let def = Self::parse_def(xml, Format::XenXm)?;
        // Converting first means a definition xm cannot hold changes nothing.
        xm::format(&def)?;
        if let Some(active) = self.xend_domain(&def.name)? {
            if active.uuid != def.uuid {
                return Err(Error::with(
                    VIR_FROM_XEN,
                    VIR_ERR_OPERATION_FAILED,
                    format!(
                        "domain '{}' is already running with uuid {}",
                        def.name, active.uuid
                    ),
                ));
            }
        }
        config_dir::write(&self.config_dir, &def)?;
        self.started(&def.name)
    }

    /// virDomainUndefine: `op=delete`, or the config file removed.
    pub(super) fn undefine(&self, r: &DomainRef, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            | VIR_DOMAIN_UNDEFINE_NVRAM
            | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
            | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainUndefineFlags",
                flags,
            ));
        }
        let d = self.dom(r)?;
        if self.managed() {
            return self.op(&d, "delete", &[]);
        }
        config_dir::remove(&self.config_dir, &d.name)
    }

    pub(super) fn persistent(&self, r: &DomainRef) -> Result<bool> {
        let d = self.dom(r)?;
        if self.managed() {
            return Ok(true);
        }
        Ok(
            matches!(d.source, Source::ConfigFile(_))
                || config_dir::find(&self.config_dir, &d.name).is_some(),
        )
    }

    /// Current memory (`op=mem_target_set`) or, with `VIR_DOMAIN_MEM_MAXIMUM`,
    /// the maximum (`op=maxmem_set`), in XenD's MiB.
    pub(super) fn set_memory(&self, r: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_MEM_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainSetMemoryFlags",
                flags,
            ));
        }
        let d = self.dom(r)?;
        if !matches!(d.source, Source::Xend) {
            return Err(not_running(&d));
        }
        let mb = mib(kib).to_string();
        if flags & VIR_DOMAIN_MEM_MAXIMUM != 0 {
            self.op(&d, "maxmem_set", &[("memory", &mb)])
        } else {
            if kib > d.max_mem {
                return Err(Error::invalid_arg(
                    VIR_FROM_XEN,
                    format!("cannot set memory higher than max memory ({} KiB)", d.max_mem),
                ));
            }
            self.op(&d, "mem_target_set", &[("target", &mb)])
        }
    }

    /// `op=set_vcpus`.
    pub(super) fn set_vcpus(&self, r: &DomainRef, n: u32, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainSetVcpusFlags",
                flags,
            ));
        }
        if flags & VIR_DOMAIN_VCPU_MAXIMUM != 0 {
            return Err(Error::with(
                VIR_FROM_XEN,
                VIR_ERR_OPERATION_INVALID,
                "XenD cannot change a domain's maximum vCPUs",
            ));
        }
        if n == 0 {
            return Err(Error::invalid_arg(
                VIR_FROM_XEN,
                "a domain needs at least one vCPU",
            ));
        }
        let d = self.dom(r)?;
        if !matches!(d.source, Source::Xend) {
            return Err(not_running(&d));
        }
        if n > d.max_vcpus {
            return Err(Error::invalid_arg(
                VIR_FROM_XEN,
                format!(
                    "requested vcpus {n} is greater than max allowable vcpus {}",
                    d.max_vcpus
                ),
            ));
        }
        self.op(&d, "set_vcpus", &[("vcpus", &n.to_string())])
    }

    pub(super) fn get_vcpus(&self, r: &DomainRef, flags: u32) -> Result<i32> {
        let known = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_XEN,
                "xenUnifiedDomainGetVcpusFlags",
                flags,
            ));
        }
        let d = self.dom(r)?;
        Ok(if flags & VIR_DOMAIN_VCPU_MAXIMUM != 0 {
            d.max_vcpus
        } else {
            d.vcpus
        } as i32)
    }

    /// Autostart is XenD's `on_xend_start`, set by redefining the domain
    /// with the changed s-expression (`op=new`).
    pub(super) fn set_autostart(&self, r: &DomainRef, on: bool) -> Result<()> {
        if !self.managed() {
            return Err(Error::with(
                VIR_FROM_XEN,
                VIR_ERR_OPERATION_INVALID,
                "autostart needs a XenD that manages domains (Xen 3.0.4 or newer)",
            ));
        }
        let Some((d, tree)) = self.xend_domain_text(&r.name)? else {
            return Err(no_domain(r));
        };
        if d.uuid != r.uuid {
            return Err(no_domain(r));
        }
        let value = if on { "start" } else { "ignore" };
        let Sexpr::List(mut items) = tree else {
            return Err(Error::internal(
                VIR_FROM_XEND,
                "xend's domain description is not a list",
            ));
        };
        items.retain(|i| i.key() != Some("on_xend_start"));
        items.push(Sexpr::pair("on_xend_start", value));
        let config = Sexpr::List(items).to_string();
        self.xend
            .post("/xend/domain/", &[("op", "new"), ("config", &config)])?;
        Ok(())
    }

    /// virConnectListAllDomains.
    pub(super) fn list_all(&self, flags: u32) -> Result<Vec<DomainRef>> {
        let filter = Filter(flags);
        let mut out = Vec::new();
        for d in self.all_domains()? {
            let persistent =
                self.managed() || !d.active() || config_dir::find(&self.config_dir, &d.name).is_some();
            // A blocked Xen guest is running (waiting for an event), not "other".
            let state = if d.state == VIR_DOMAIN_BLOCKED {
                VIR_DOMAIN_RUNNING
            } else {
                d.state
            };
            let facts = Facts {
                active: d.active(),
                persistent,
                state,
                autostart: d.autostart,
                ..Facts::default()
            };
            if filter.matches(&facts) {
                out.push(d.domain_ref());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::xen::sexpr;

    #[test]
    fn domains_read_from_sexprs() {
        let d = sexpr::read(
            "(domain (domid 3) (uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0) (name fv0) \
             (memory 256) (maxmem 512) (vcpus 2) (online_vcpus 1) (state --p---) (cpu_time 1.5))",
        )
        .unwrap();
        let d = from_sexpr(&d).unwrap();
        assert_eq!(
            (d.id, d.state, d.memory, d.max_mem),
            (Some(3), VIR_DOMAIN_PAUSED, 262144, 524288)
        );
        assert_eq!((d.vcpus, d.max_vcpus, d.cpu_time), (1, 2, 1_500_000_000));
        for bad in [
            "(domain (name x) (uuid nope))",
            "(domain (uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0))",
            "(domain (name x) (uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0) (memory lots))",
            "(domain (name x) (uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0) (cpu_time -1))",
            "(vm (name x))",
        ] {
            assert!(from_sexpr(&sexpr::read(bad).unwrap()).is_err(), "{bad}");
        }
        assert_eq!(state_of("r-----"), VIR_DOMAIN_RUNNING);
        assert_eq!(state_of("-b----"), VIR_DOMAIN_BLOCKED);
        assert_eq!(state_of("---s--"), VIR_DOMAIN_SHUTDOWN);
    }
}
