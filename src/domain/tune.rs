//! Resource tuning: `<blkiotune>`, `<memtune>`, `<memoryBacking>`,
//! `<cputune>`, `<numatune>`, `<iothreads>` and `<resource>`.

use std::collections::BTreeMap;

use super::util::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// The "no limit" value of memory tunables, in KiB.
pub const MEMORY_UNLIMITED: u64 = (1 << 53) - 1;

/// One `<blkiotune><device>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlkioDevice {
    /// `<path>`.
    pub path: String,
    /// `<weight>`.
    pub weight: u32,
    /// `<read_iops_sec>`.
    pub read_iops: u32,
    /// `<write_iops_sec>`.
    pub write_iops: u32,
    /// `<read_bytes_sec>`.
    pub read_bytes: u64,
    /// `<write_bytes_sec>`.
    pub write_bytes: u64,
}

/// `<blkiotune>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blkiotune {
    /// `<weight>` (0: unset).
    pub weight: u32,
    /// Per-device settings.
    pub devices: Vec<BlkioDevice>,
}

/// `<memtune>`, in KiB; [`MEMORY_UNLIMITED`] for unset limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Memtune {
    /// `<hard_limit>`.
    pub hard_limit: u64,
    /// `<soft_limit>`.
    pub soft_limit: u64,
    /// `<min_guarantee>` (0: unset).
    pub min_guarantee: u64,
    /// `<swap_hard_limit>`.
    pub swap_hard_limit: u64,
}

impl Default for Memtune {
    fn default() -> Self {
        Memtune {
            hard_limit: MEMORY_UNLIMITED,
            soft_limit: MEMORY_UNLIMITED,
            min_guarantee: 0,
            swap_hard_limit: MEMORY_UNLIMITED,
        }
    }
}

/// `<memoryBacking><hugepages><page>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HugePage {
    /// `size` in KiB (0 for a bare `<hugepages/>`).
    pub size: u64,
    /// `nodeset`.
    pub nodeset: Option<Bitmap>,
}

/// `<memoryBacking>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryBacking {
    /// `<hugepages>` pages (one with size 0 for `<hugepages/>`).
    pub hugepages: Vec<HugePage>,
    /// `<nosharepages/>`.
    pub nosharepages: bool,
    /// `<locked/>`.
    pub locked: bool,
    /// `<source type>`.
    pub source: Option<String>,
    /// `<access mode>`.
    pub access: Option<String>,
    /// `<allocation mode>`.
    pub allocation: Option<String>,
    /// `<allocation threads>`.
    pub threads: Option<u32>,
    /// `<discard/>`.
    pub discard: bool,
}

impl MemoryBacking {
    fn is_empty(&self) -> bool {
        *self == MemoryBacking::default()
    }
}

/// A scheduler setting (`vcpusched`, `iothreadsched`, `emulatorsched`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sched {
    /// `scheduler` (other, batch, idle, fifo, rr).
    pub scheduler: String,
    /// `priority` (fifo and rr).
    pub priority: Option<i32>,
}

/// `<cputune>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cputune {
    /// `<shares>` when given.
    pub shares: Option<u64>,
    /// `<period>` (0: unset).
    pub period: u64,
    /// `<quota>` (0: unset).
    pub quota: i64,
    /// `<global_period>`.
    pub global_period: u64,
    /// `<global_quota>`.
    pub global_quota: i64,
    /// `<emulator_period>`.
    pub emulator_period: u64,
    /// `<emulator_quota>`.
    pub emulator_quota: i64,
    /// `<iothread_period>`.
    pub iothread_period: u64,
    /// `<iothread_quota>`.
    pub iothread_quota: i64,
    /// `<vcpupin>` by vCPU id.
    pub vcpupin: BTreeMap<u32, Bitmap>,
    /// `<emulatorpin>`.
    pub emulatorpin: Option<Bitmap>,
    /// `<iothreadpin>` by iothread id (in iothread order).
    pub iothreadpin: Vec<(u32, Bitmap)>,
    /// `<emulatorsched>`.
    pub emulatorsched: Option<Sched>,
    /// `<vcpusched>` per vCPU id.
    pub vcpusched: BTreeMap<u32, Sched>,
    /// `<iothreadsched>` per iothread id.
    pub iothreadsched: BTreeMap<u32, Sched>,
}

/// `<numatune>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numatune {
    /// `<memory>` given (mode, placement, nodeset).
    pub memory: Option<(String, String, Option<Bitmap>)>,
    /// `<memnode cellid mode nodeset>`.
    pub memnodes: BTreeMap<u32, (String, Bitmap)>,
}

impl Numatune {
    /// Whether memory placement is automatic.
    pub fn placement_auto(&self) -> bool {
        self.memory.as_ref().is_some_and(|m| m.1 == "auto")
    }
}

/// One `<iothreadids><iothread>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IothreadId {
    /// `id`.
    pub id: u32,
    /// Filled in by libvirt rather than given.
    pub autofill: bool,
    /// `thread_pool_min`.
    pub pool_min: Option<i32>,
    /// `thread_pool_max`.
    pub pool_max: Option<i32>,
}

/// `<resource>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resource {
    /// `<partition>`.
    pub partition: Option<String>,
    /// `<fibrechannel appid>`.
    pub appid: Option<String>,
}

fn parse_ull_wrapping(s: &str) -> Option<u64> {
    match parse_ll(s) {
        Some(v) => Some(v as u64),
        None => parse_ullp(s),
    }
}

/// Reads `<blkiotune>`.
pub fn parse_blkiotune(el: &Element) -> Result<Blkiotune> {
    let mut b = Blkiotune {
        weight: el.child("weight").and_then(|w| parse_ui(&w.text())).unwrap_or(0),
        devices: Vec::new(),
    };
    let mut paths = std::collections::HashSet::new();
    for d in el.children_named("device") {
        let mut dev = BlkioDevice::default();
        let mut path = None;
        for c in d.elements() {
            let t = c.text();
            match c.name.as_str() {
                "path" => path = Some(t),
                "weight" => {
                    dev.weight =
                        parse_ui(&t).ok_or_else(|| unsupported(format!("could not parse weight {t}")))?
                }
                "read_bytes_sec" => {
                    dev.read_bytes = parse_ull_wrapping(&t)
                        .ok_or_else(|| unsupported(format!("could not parse read bytes sec {t}")))?
                }
                "write_bytes_sec" => {
                    dev.write_bytes = parse_ull_wrapping(&t)
                        .ok_or_else(|| unsupported(format!("could not parse write bytes sec {t}")))?
                }
                "read_iops_sec" => {
                    dev.read_iops = parse_ui(&t)
                        .ok_or_else(|| unsupported(format!("could not parse read iops sec {t}")))?
                }
                "write_iops_sec" => {
                    dev.write_iops = parse_ui(&t)
                        .ok_or_else(|| unsupported(format!("could not parse write iops sec {t}")))?
                }
                _ => {}
            }
        }
        dev.path = path.ok_or_else(|| unsupported("missing per-device path"))?;
        if !paths.insert(dev.path.clone()) {
            return Err(unsupported(format!("duplicate blkio device path '{}'", dev.path)));
        }
        b.devices.push(dev);
    }
    Ok(b)
}

/// Writes `<blkiotune>` when anything is set.
pub fn format_blkiotune(b: &Blkiotune, w: &mut Writer) {
    let devs: Vec<&BlkioDevice> = b
        .devices
        .iter()
        .filter(|d| {
            d.weight != 0 || d.read_iops != 0 || d.write_iops != 0 || d.read_bytes != 0 || d.write_bytes != 0
        })
        .collect();
    if b.weight == 0 && devs.is_empty() {
        return;
    }
    w.open("blkiotune", &[]);
    if b.weight != 0 {
        w.text("weight", &[], &b.weight.to_string());
    }
    for d in devs {
        w.open("device", &[]);
        w.text("path", &[], &d.path);
        for (n, v) in [
            ("weight", d.weight as u64),
            ("read_iops_sec", d.read_iops as u64),
            ("write_iops_sec", d.write_iops as u64),
            ("read_bytes_sec", d.read_bytes),
            ("write_bytes_sec", d.write_bytes),
        ] {
            if v != 0 {
                w.text(n, &[], &v.to_string());
            }
        }
        w.close("device");
    }
    w.close("blkiotune");
}

fn memory_limit(el: &Element, name: &str) -> Result<u64> {
    let Some(c) = el.child(name) else {
        return Ok(MEMORY_UNLIMITED);
    };
    let text = c.text();
    if text.is_empty() {
        return Ok(MEMORY_UNLIMITED);
    }
    let xpath = format!("./memtune/{name}[1]");
    let v = parse_ullp(&text).ok_or_else(|| {
        prop_error(format!(
            "Invalid value '{text}' for element or attribute '{xpath}'"
        ))
    })?;
    let bytes = scale_integer(v, c.attr("unit"), 1024, MEMORY_UNLIMITED << 10)?;
    Ok(bytes.div_ceil(1024).min(MEMORY_UNLIMITED))
}

/// Reads `<memtune>`.
pub fn parse_memtune(el: &Element) -> Result<Memtune> {
    let hard_limit = memory_limit(el, "hard_limit")?;
    let soft_limit = memory_limit(el, "soft_limit")?;
    let min_guarantee = match el.child("min_guarantee") {
        Some(m) => parse_memory_text(m, "./memtune/min_guarantee[1]")?.unwrap_or(0),
        None => 0,
    };
    let swap_hard_limit = memory_limit(el, "swap_hard_limit")?;
    Ok(Memtune {
        hard_limit,
        soft_limit,
        min_guarantee,
        swap_hard_limit,
    })
}

/// Writes `<memtune>` when anything is set.
pub fn format_memtune(m: &Memtune, w: &mut Writer) {
    let items: Vec<(&str, u64)> = [
        ("hard_limit", m.hard_limit, m.hard_limit < MEMORY_UNLIMITED),
        ("soft_limit", m.soft_limit, m.soft_limit < MEMORY_UNLIMITED),
        ("min_guarantee", m.min_guarantee, m.min_guarantee != 0),
        (
            "swap_hard_limit",
            m.swap_hard_limit,
            m.swap_hard_limit < MEMORY_UNLIMITED,
        ),
    ]
    .into_iter()
    .filter(|(_, _, set)| *set)
    .map(|(n, v, _)| (n, v))
    .collect();
    if items.is_empty() {
        return;
    }
    w.open("memtune", &[]);
    for (n, v) in items {
        w.text(n, &[("unit", "KiB")], &v.to_string());
    }
    w.close("memtune");
}

/// Reads `<memoryBacking>`.
pub fn parse_memory_backing(el: &Element) -> Result<MemoryBacking> {
    let mut m = MemoryBacking::default();
    if let Some(h) = el.child("hugepages") {
        let pages: Vec<&Element> = h.children_named("page").collect();
        if pages.is_empty() {
            m.hugepages.push(HugePage::default());
        }
        let mut union = Bitmap::default();
        let mut masters = 0;
        for p in pages {
            let size = match p.attr("size") {
                Some(s) => parse_memory_value(s, p.attr("unit"), "./@size")?,
                None => None,
            }
            .ok_or_else(|| prop_error("missing element or attribute './@size'"))?;
            let nodeset = match p.attr("nodeset") {
                Some(n) => Some(Bitmap::parse(n)?),
                None => None,
            };
            if size == 0 {
                return Err(detail_error("hugepage size can't be zero"));
            }
            // Checked against a union of the earlier nodesets (and a count
            // of pages without one); the clashing page is looked up only on
            // error, so many pages stay cheap.
            let clash = match &nodeset {
                Some(ns) if ns.intersects(&union) => m
                    .hugepages
                    .iter()
                    .find(|p| p.nodeset.as_ref().is_some_and(|b| ns.intersects(b)))
                    .map(|p| (true, p.size)),
                None if masters > 0 => m
                    .hugepages
                    .iter()
                    .find(|p| p.nodeset.is_none())
                    .map(|p| (false, p.size)),
                _ => None,
            };
            match clash {
                Some((true, prev)) => {
                    return Err(detail_error(format!(
                        "nodeset attribute of hugepages of sizes {size} and {prev} intersect"
                    )))
                }
                Some((false, prev)) => {
                    return Err(detail_error(format!(
                        "two master hugepages detected: {size} and {prev}"
                    )))
                }
                None => {}
            }
            match &nodeset {
                Some(ns) => union.union_with(ns),
                None => masters += 1,
            }
            m.hugepages.push(HugePage { size, nodeset });
        }
    }
    m.nosharepages = el.child("nosharepages").is_some();
    m.locked = el.child("locked").is_some();
    if let Some(s) = el.child("source") {
        let t = s.attr("type").unwrap_or("");
        if !matches!(t, "anonymous" | "file" | "memfd") {
            return Err(unsupported(format!("unknown memoryBacking/source/type '{t}'")));
        }
        m.source = Some(t.to_string());
    }
    if let Some(a) = el.child("access") {
        let t = a.attr("mode").unwrap_or("");
        if !matches!(t, "shared" | "private") {
            return Err(unsupported(format!("unknown memoryBacking/access/mode '{t}'")));
        }
        m.access = Some(t.to_string());
    }
    if let Some(a) = el.child("allocation") {
        if let Some(t) = a.attr("mode") {
            if !matches!(t, "immediate" | "ondemand") {
                return Err(unsupported(format!(
                    "unknown memoryBacking/allocation/mode '{t}'"
                )));
            }
            m.allocation = Some(t.to_string());
        }
        m.threads = prop_u32(a, "threads", false, false)?;
    }
    m.discard = el.child("discard").is_some();
    Ok(m)
}

/// Writes `<memoryBacking>` when anything is set.
pub fn format_memory_backing(m: &MemoryBacking, w: &mut Writer) {
    if m.is_empty() {
        return;
    }
    w.open("memoryBacking", &[]);
    if !m.hugepages.is_empty() {
        let real: Vec<&HugePage> = m.hugepages.iter().filter(|p| p.size != 0).collect();
        if real.is_empty() {
            w.empty("hugepages", &[]);
        } else {
            w.open("hugepages", &[]);
            for p in real {
                let size = p.size.to_string();
                let ns = p.nodeset.as_ref().map(Bitmap::to_string);
                let mut a = vec![("size", size.as_str()), ("unit", "KiB")];
                if let Some(n) = &ns {
                    a.push(("nodeset", n));
                }
                w.empty("page", &a);
            }
            w.close("hugepages");
        }
    }
    if m.nosharepages {
        w.empty("nosharepages", &[]);
    }
    if m.locked {
        w.empty("locked", &[]);
    }
    if let Some(s) = &m.source {
        w.empty("source", &[("type", s)]);
    }
    if let Some(a) = &m.access {
        w.empty("access", &[("mode", a)]);
    }
    let threads = m.threads.map(|t| t.to_string());
    if m.allocation.is_some() || threads.is_some() {
        let mut a = Vec::new();
        if let Some(md) = &m.allocation {
            a.push(("mode", md.as_str()));
        }
        if let Some(t) = &threads {
            a.push(("threads", t.as_str()));
        }
        w.empty("allocation", &a);
    }
    if m.discard {
        w.empty("discard", &[]);
    }
    w.close("memoryBacking");
}

/// Checks of `<memoryBacking>` against the NUMA cells.
pub fn validate_memory_backing(m: &MemoryBacking, numa_cells: usize) -> Result<()> {
    let cells = numa_cells.max(1);
    for p in &m.hugepages {
        if let Some(n) = &p.nodeset {
            if let Some(bad) = n.iter().find(|i| *i >= cells) {
                return Err(detail_error(format!("hugepages: node {bad} not found")));
            }
        }
    }
    Ok(())
}

const SCHEDULERS: &[&str] = &["other", "batch", "idle", "fifo", "rr"];

fn parse_sched(el: &Element) -> Result<Sched> {
    let scheduler = prop_enum_str(el, "scheduler", SCHEDULERS, true)?.unwrap_or_default();
    let priority = if scheduler == "fifo" || scheduler == "rr" {
        Some(prop_i32(el, "priority", true)?.unwrap_or(0))
    } else {
        None
    };
    Ok(Sched {
        scheduler: scheduler.to_string(),
        priority,
    })
}

fn cputune_number<T>(
    el: &Element,
    name: &str,
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    match el.child(name).map(Element::text).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse(&t)
            .map(Some)
            .ok_or_else(|| xml_error(format!("can't parse cputune {what} value"))),
    }
}

/// Reads `<cputune>` (pins are checked against `max_vcpus` and `iothreads`).
pub fn parse_cputune(el: &Element, max_vcpus: u32, iothreads: &[IothreadId]) -> Result<Cputune> {
    let mut c = Cputune {
        shares: cputune_number(el, "shares", "shares", parse_ullp)?,
        period: cputune_number(el, "period", "period", parse_ullp)?.unwrap_or(0),
        quota: cputune_number(el, "quota", "quota", parse_ll)?.unwrap_or(0),
        global_period: cputune_number(el, "global_period", "global period", parse_ullp)?.unwrap_or(0),
        global_quota: cputune_number(el, "global_quota", "global quota", parse_ll)?.unwrap_or(0),
        emulator_period: cputune_number(el, "emulator_period", "emulator period", parse_ullp)?.unwrap_or(0),
        emulator_quota: cputune_number(el, "emulator_quota", "emulator quota", parse_ll)?.unwrap_or(0),
        iothread_period: cputune_number(el, "iothread_period", "iothread period", parse_ullp)?.unwrap_or(0),
        iothread_quota: cputune_number(el, "iothread_quota", "iothread quota", parse_ll)?.unwrap_or(0),
        ..Default::default()
    };
    let cpuset = |node: &Element, what: &str| -> Result<Bitmap> {
        let s = node
            .attr("cpuset")
            .ok_or_else(|| internal(format!("missing cpuset for {what}")))?;
        let b = Bitmap::parse(s)?;
        if b.is_empty() {
            return Err(unsupported(format!("Invalid value of 'cpuset': {s}")));
        }
        Ok(b)
    };
    for p in el.children_named("vcpupin") {
        let id = prop_u32(p, "vcpu", true, false)?.unwrap_or(0);
        if id >= max_vcpus {
            continue;
        }
        if p.attr("cpuset").is_none() {
            return Err(internal("missing cpuset for vcpupin"));
        }
        if c.vcpupin.contains_key(&id) {
            return Err(internal(format!("duplicate vcpupin for vcpu '{id}'")));
        }
        let set = cpuset(p, "vcpupin")?;
        c.vcpupin.insert(id, set);
    }
    let pins: Vec<&Element> = el.children_named("emulatorpin").collect();
    if pins.len() > 1 {
        return Err(xml_error("only one emulatorpin is supported"));
    }
    if let Some(p) = pins.first() {
        c.emulatorpin = Some(cpuset(p, "emulatorpin")?);
    }
    let known: std::collections::HashSet<u32> = iothreads.iter().map(|t| t.id).collect();
    let mut pinned = std::collections::HashSet::new();
    for p in el.children_named("iothreadpin") {
        let id = prop_u32(p, "iothread", true, true)?.unwrap_or(0);
        if !known.contains(&id) {
            return Err(unsupported(format!("Cannot find 'iothread' : {id}")));
        }
        let set = cpuset(p, "iothreadpin")?;
        if !pinned.insert(id) {
            return Err(internal(format!(
                "duplicate iothreadpin for same iothread '{id}'"
            )));
        }
        c.iothreadpin.push((id, set));
    }
    let order: std::collections::HashMap<u32, usize> =
        iothreads.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    c.iothreadpin
        .sort_by_key(|(id, _)| order.get(id).copied().unwrap_or(usize::MAX));
    for s in el.children_named("vcpusched") {
        let ids = s
            .attr("vcpus")
            .ok_or_else(|| xml_error("Missing attribute 'vcpus' in element 'vcpusched'"))?;
        let set = Bitmap::parse(ids)?;
        let sched = parse_sched(s)?;
        for id in set.iter() {
            let id = id as u32;
            if id >= max_vcpus {
                return Err(unsupported(format!(
                    "vCPU '{id}' is not present in domain definition"
                )));
            }
            if c.vcpusched.contains_key(&id) {
                return Err(detail_error("'vcpusched' attributes 'vcpus' must not overlap"));
            }
            c.vcpusched.insert(id, sched.clone());
        }
    }
    for s in el.children_named("iothreadsched") {
        let ids = s
            .attr("iothreads")
            .ok_or_else(|| xml_error("Missing attribute 'iothreads' in element 'iothreadsched'"))?;
        let set = Bitmap::parse(ids)?;
        let sched = parse_sched(s)?;
        for id in set.iter() {
            let id = id as u32;
            if !known.contains(&id) {
                return Err(unsupported(format!("Cannot find 'iothread' : {id}")));
            }
            if c.iothreadsched.contains_key(&id) {
                return Err(detail_error(
                    "'iothreadsched' attributes 'iothreads' must not overlap",
                ));
            }
            c.iothreadsched.insert(id, sched.clone());
        }
    }
    if let Some(s) = el.child("emulatorsched") {
        c.emulatorsched = Some(parse_sched(s)?);
    }
    Ok(c)
}

/// libvirt's range checks of the cputune values.
pub fn validate_cputune(c: &Cputune) -> Result<()> {
    let range = |name: &str, v: u64, min: u64, max: u64| -> Result<()> {
        if v > 0 && (v < min || v > max) {
            return Err(unsupported(format!(
                "Value of cputune '{name}' must be in range [{min}, {max}]"
            )));
        }
        Ok(())
    };
    let qrange = |name: &str, v: i64| -> Result<()> {
        if v > 0 && !(1000..=17592186044415).contains(&v) {
            return Err(unsupported(format!(
                "Value of cputune '{name}' must be in range [1000, 17592186044415]"
            )));
        }
        Ok(())
    };
    range("shares", c.shares.unwrap_or(0), 2, 262144)?;
    range("period", c.period, 1000, 1000000)?;
    qrange("quota", c.quota)?;
    range("global_period", c.global_period, 1000, 1000000)?;
    qrange("global_quota", c.global_quota)?;
    range("emulator_period", c.emulator_period, 1000, 1000000)?;
    qrange("emulator_quota", c.emulator_quota)?;
    range("iothread_period", c.iothread_period, 1000, 1000000)?;
    qrange("iothread_quota", c.iothread_quota)?;
    Ok(())
}

fn sched_attrs<'a>(s: &'a Sched, prio: &'a Option<String>, out: &mut Vec<(&'a str, &'a str)>) {
    out.push(("scheduler", &s.scheduler));
    if let Some(p) = prio {
        out.push(("priority", p));
    }
}

/// Writes `<cputune>` when anything is set.
pub fn format_cputune(c: &Cputune, w: &mut Writer) {
    let mut lines: Vec<(&str, String)> = Vec::new();
    if let Some(s) = c.shares {
        lines.push(("shares", s.to_string()));
    }
    for (n, v) in [("period", c.period as i128), ("quota", c.quota as i128)]
        .into_iter()
        .chain([
            ("global_period", c.global_period as i128),
            ("global_quota", c.global_quota as i128),
            ("emulator_period", c.emulator_period as i128),
            ("emulator_quota", c.emulator_quota as i128),
            ("iothread_period", c.iothread_period as i128),
            ("iothread_quota", c.iothread_quota as i128),
        ])
    {
        if v != 0 {
            lines.push((n, v.to_string()));
        }
    }
    let empty = lines.is_empty()
        && c.vcpupin.is_empty()
        && c.emulatorpin.is_none()
        && c.iothreadpin.is_empty()
        && c.emulatorsched.is_none()
        && c.vcpusched.is_empty()
        && c.iothreadsched.is_empty();
    if empty {
        return;
    }
    w.open("cputune", &[]);
    for (n, v) in lines {
        w.text(n, &[], &v);
    }
    for (id, set) in &c.vcpupin {
        w.empty(
            "vcpupin",
            &[("vcpu", &id.to_string()), ("cpuset", &set.to_string())],
        );
    }
    if let Some(e) = &c.emulatorpin {
        w.empty("emulatorpin", &[("cpuset", &e.to_string())]);
    }
    for (id, set) in &c.iothreadpin {
        w.empty(
            "iothreadpin",
            &[("iothread", &id.to_string()), ("cpuset", &set.to_string())],
        );
    }
    if let Some(s) = &c.emulatorsched {
        let prio = s.priority.map(|p| p.to_string());
        let mut a = Vec::new();
        sched_attrs(s, &prio, &mut a);
        w.empty("emulatorsched", &a);
    }
    for (id, s) in &c.vcpusched {
        let ids = id.to_string();
        let prio = s.priority.map(|p| p.to_string());
        let mut a = vec![("vcpus", ids.as_str())];
        sched_attrs(s, &prio, &mut a);
        w.empty("vcpusched", &a);
    }
    for (id, s) in &c.iothreadsched {
        let ids = id.to_string();
        let prio = s.priority.map(|p| p.to_string());
        let mut a = vec![("iothreads", ids.as_str())];
        sched_attrs(s, &prio, &mut a);
        w.empty("iothreadsched", &a);
    }
    w.close("cputune");
}

/// Reads `<numatune>`; `placement_static` tells whether `<vcpu>` asked for
/// static placement.
pub fn parse_numatune(root: &Element, placement_static: bool, numa_cells: usize) -> Result<Option<Numatune>> {
    let nodes: Vec<&Element> = root.children_named("numatune").collect();
    if nodes.len() > 1 {
        return Err(xml_error("only one numatune is supported"));
    }
    let Some(el) = nodes.first() else {
        return Ok((!placement_static).then(|| Numatune {
            memory: Some(("strict".into(), "auto".into(), None)),
            ..Default::default()
        }));
    };
    let mut nt = Numatune::default();
    let mem = el.child("memory");
    let mut mode: Option<&str> = None;
    let mut placement: Option<&str> = if !placement_static && mem.is_none() {
        Some("auto")
    } else {
        None
    };
    let mut nodeset = None;
    if let Some(m) = mem {
        if let Some(md) = m.attr("mode") {
            if !matches!(md, "strict" | "preferred" | "interleave" | "restrictive") {
                return Err(unsupported(format!("Unsupported NUMA memory tuning mode '{md}'")));
            }
            mode = Some(md);
        }
        if let Some(p) = m.attr("placement") {
            if !matches!(p, "static" | "auto") {
                return Err(unsupported(format!(
                    "Unsupported NUMA memory placement mode '{p}'"
                )));
            }
            placement = Some(p);
        }
        if let Some(n) = m.attr("nodeset") {
            let b = Bitmap::parse(n)?;
            if b.is_empty() {
                return Err(unsupported(format!("Invalid value of 'nodeset': {n}")));
            }
            nodeset = Some(b);
        }
    }
    if mode.is_some() || placement.is_some() || nodeset.is_some() {
        let mode = mode.unwrap_or("strict");
        let mut placement = match (placement, &nodeset) {
            (None, Some(_)) => "static",
            (None, None) => {
                if placement_static {
                    "static"
                } else {
                    "auto"
                }
            }
            (Some(p), _) => p,
        };
        if placement == "default" {
            placement = "static";
        }
        if placement == "static" && nodeset.is_none() {
            return Err(unsupported(
                "nodeset for NUMA memory tuning must be set if 'placement' is 'static'",
            ));
        }
        if placement == "auto" {
            nodeset = None;
        }
        nt.memory = Some((mode.to_string(), placement.to_string(), nodeset));
    }
    let memnodes: Vec<&Element> = el.children_named("memnode").collect();
    if !memnodes.is_empty() && numa_cells == 0 {
        return Err(xml_error(
            "Element 'memnode' is invalid without any guest NUMA cells",
        ));
    }
    for m in memnodes {
        let cellid = m
            .attr("cellid")
            .ok_or_else(|| xml_error("Missing required cellid attribute in memnode element"))?;
        let cellid =
            parse_uip(cellid).ok_or_else(|| xml_error("Invalid cellid attribute in memnode element"))?;
        if cellid as usize >= numa_cells {
            return Err(xml_error(
                "Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell",
            ));
        }
        if nt.memnodes.contains_key(&cellid) {
            return Err(xml_error(format!(
                "Multiple memnode elements with cellid {cellid}"
            )));
        }
        let mode = match m.attr("mode") {
            None => "strict",
            Some(md @ ("strict" | "preferred" | "interleave" | "restrictive")) => md,
            Some(md) => {
                return Err(xml_error(format!(
                    "Invalid mode attribute in memnode element: {md}"
                )))
            }
        };
        let ns = m
            .attr("nodeset")
            .ok_or_else(|| xml_error("Missing required nodeset attribute in memnode element"))?;
        let b = Bitmap::parse(ns)?;
        if b.is_empty() {
            return Err(unsupported(format!("Invalid value of 'nodeset': {ns}")));
        }
        nt.memnodes.insert(cellid, (mode.to_string(), b));
    }
    if !nt.memnodes.is_empty() && nt.placement_auto() {
        return Err(unsupported(
            "Per-node binding is not compatible with automatic NUMA placement.",
        ));
    }
    if nt.memory.is_none() && nt.memnodes.is_empty() {
        return Ok(None);
    }
    Ok(Some(nt))
}

/// Writes `<numatune>`.
pub fn format_numatune(nt: &Numatune, w: &mut Writer) {
    w.open("numatune", &[]);
    if let Some((mode, placement, nodeset)) = &nt.memory {
        let ns = nodeset.as_ref().map(Bitmap::to_string);
        let mut a = vec![("mode", mode.as_str())];
        match &ns {
            Some(n) if placement == "static" => a.push(("nodeset", n)),
            _ => a.push(("placement", placement)),
        }
        w.empty("memory", &a);
    }
    for (id, (mode, set)) in &nt.memnodes {
        w.empty(
            "memnode",
            &[
                ("cellid", &id.to_string()),
                ("mode", mode),
                ("nodeset", &set.to_string()),
            ],
        );
    }
    w.close("numatune");
}

/// Reads `<iothreads>` and `<iothreadids>`.
pub fn parse_iothreads(root: &Element) -> Result<Vec<IothreadId>> {
    let count = match root
        .child("iothreads")
        .map(Element::text)
        .filter(|t| !t.is_empty())
    {
        Some(t) => parse_uip(&t).ok_or_else(|| xml_error(format!("invalid iothreads count '{t}'")))?,
        None => 0,
    };
    let mut ids: Vec<IothreadId> = Vec::new();
    if let Some(list) = root.child("iothreadids") {
        let mut seen = std::collections::HashSet::new();
        for t in list.children_named("iothread") {
            let id = prop_u32(t, "id", true, true)?.unwrap_or(0);
            if !seen.insert(id) {
                return Err(xml_error(format!("duplicate iothread id '{id}' found")));
            }
            let pool_min = prop_i32_nonneg(t, "thread_pool_min")?;
            let pool_max = prop_i32_nonneg(t, "thread_pool_max")?;
            ids.push(IothreadId {
                id,
                autofill: false,
                pool_min,
                pool_max,
            });
        }
    }
    // libvirt falls over far below u32::MAX (it allocates every entry);
    // refuse instead of allocating billions.
    if count > 1 << 20 {
        return Err(internal("failed to populate iothreadids"));
    }
    let used: std::collections::HashSet<u32> = ids.iter().map(|t| t.id).collect();
    let mut next = 1u32;
    while (ids.len() as u64) < count as u64 {
        while used.contains(&next) {
            next += 1;
        }
        ids.push(IothreadId {
            id: next,
            autofill: true,
            ..Default::default()
        });
        next += 1;
    }
    Ok(ids)
}

/// Writes `<iothreads>` and `<iothreadids>`.
pub fn format_iothreads(ids: &[IothreadId], w: &mut Writer) {
    if ids.is_empty() {
        return;
    }
    w.text("iothreads", &[], &ids.len().to_string());
    if ids
        .iter()
        .all(|t| t.autofill && t.pool_min.is_none() && t.pool_max.is_none())
    {
        return;
    }
    w.open("iothreadids", &[]);
    for t in ids {
        let id = t.id.to_string();
        let (mn, mx) = (
            t.pool_min.map(|v| v.to_string()),
            t.pool_max.map(|v| v.to_string()),
        );
        let mut a = vec![("id", id.as_str())];
        if let Some(v) = &mn {
            a.push(("thread_pool_min", v));
        }
        if let Some(v) = &mx {
            a.push(("thread_pool_max", v));
        }
        w.empty("iothread", &a);
    }
    w.close("iothreadids");
}

/// Reads `<resource>`.
pub fn parse_resource(el: &Element) -> Result<Resource> {
    let r = Resource {
        partition: child_text_nonempty(el, "partition"),
        appid: el
            .child("fibrechannel")
            .and_then(|f| f.attr("appid"))
            .map(str::to_string),
    };
    if r.partition.is_none() && r.appid.is_none() {
        // libvirt fails here without saying why.
        return Err(Error::unknown_cause());
    }
    Ok(r)
}

/// Writes `<resource>`.
pub fn format_resource(r: &Resource, w: &mut Writer) {
    w.open("resource", &[]);
    if let Some(p) = &r.partition {
        w.text("partition", &[], p);
    }
    if let Some(a) = &r.appid {
        w.empty("fibrechannel", &[("appid", a)]);
    }
    w.close("resource");
}
