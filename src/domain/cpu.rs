//! `<cpu>`: the guest CPU model, topology, features and NUMA cells.

use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

fn cpu_xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_CPU, VIR_ERR_XML_ERROR, detail)
}

fn cpu_unsupported(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_CPU, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// `<topology>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// `sockets`.
    pub sockets: u32,
    /// `dies` (1 when absent).
    pub dies: u32,
    /// `cores`.
    pub cores: u32,
    /// `threads`.
    pub threads: u32,
}

/// `<feature policy name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuFeature {
    /// `policy` (force, require, optional, disable, forbid).
    pub policy: String,
    /// `name`.
    pub name: String,
}

/// One `<numa><cell>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumaCell {
    /// `cpus`.
    pub cpus: Option<Bitmap>,
    /// `memory` in KiB.
    pub memory: u64,
    /// `memAccess` (shared/private).
    pub mem_access: Option<String>,
    /// `discard` yes/no.
    pub discard: Option<bool>,
    /// Distances to every cell by index (0 = unset).
    pub distances: Vec<u32>,
}

/// `<cpu>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cpu {
    /// `mode` (custom, host-model, host-passthrough, maximum).
    pub mode: String,
    /// `match` (minimum, exact, strict), for custom CPUs with a model.
    pub match_: Option<String>,
    /// `check` (none, partial, full).
    pub check: Option<String>,
    /// `migratable` on/off.
    pub migratable: Option<bool>,
    /// `<model>`.
    pub model: Option<String>,
    /// `<model fallback>`.
    pub fallback: String,
    /// `<model vendor_id>`.
    pub vendor_id: Option<String>,
    /// `<vendor>`.
    pub vendor: Option<String>,
    /// `<topology>`.
    pub topology: Option<Topology>,
    /// `<maxphysaddr mode bits>`.
    pub maxphysaddr: Option<(String, Option<u32>)>,
    /// `<cache level mode>`.
    pub cache: Option<(Option<i32>, String)>,
    /// `<feature>`s in document order.
    pub features: Vec<CpuFeature>,
    /// `<numa>` cells by id.
    pub numa: Vec<NumaCell>,
    /// Whether `<numa>` was given (formatted even without cells).
    pub has_numa: bool,
}

const MODES: &[&str] = &["custom", "host-model", "host-passthrough", "maximum"];

/// Reads `<cpu>` (the first one; libvirt ignores the rest).
pub fn parse(el: &Element) -> Result<Cpu> {
    let mode = match el.attr("mode") {
        None => "custom",
        Some(m) => MODES
            .iter()
            .copied()
            .find(|x| *x == m)
            .ok_or_else(|| cpu_unsupported(format!("Invalid mode attribute '{m}'")))?,
    };
    let mut cpu = Cpu {
        mode: mode.to_string(),
        fallback: "allow".into(),
        ..Default::default()
    };
    let model_el = el.child("model");
    cpu.model = model_el.map(Element::text).filter(|m| !m.is_empty());
    if mode == "custom" {
        let m = prop_enum_str(el, "match", &["minimum", "exact", "strict"], false)?;
        if cpu.model.is_some() {
            cpu.match_ = Some(m.unwrap_or("exact").to_string());
        }
    }
    cpu.check = prop_enum_str(el, "check", &["none", "partial", "full"], false)?.map(str::to_string);
    cpu.migratable = prop_on_off(el, "migratable", false)?;
    if cpu.migratable.is_some() && mode != "host-passthrough" && mode != "maximum" {
        return Err(cpu_unsupported(
            "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode",
        ));
    }
    if let Some(m) = model_el {
        if mode != "host-passthrough" && mode != "maximum" {
            if let Some(f) = m.attr("fallback") {
                cpu.fallback = match f {
                    "allow" | "forbid" => f.to_string(),
                    _ => return Err(cpu_unsupported("Invalid fallback attribute")),
                };
            }
            if let Some(v) = m.attr("vendor_id") {
                if v.len() != 12 {
                    return Err(cpu_xml_error("vendor_id must be exactly 12 characters long"));
                }
                cpu.vendor_id = Some(v.to_string());
            }
        }
    }
    cpu.vendor = child_text_nonempty(el, "vendor");
    if cpu.vendor.is_some() && cpu.model.is_none() {
        return Err(cpu_xml_error("CPU vendor specified without CPU model"));
    }
    if let Some(t) = el.child("topology") {
        let sockets = prop_u32(t, "sockets", true, true)?.unwrap_or(1);
        let dies = prop_u32(t, "dies", false, true)?.unwrap_or(1);
        let cores = prop_u32(t, "cores", true, true)?.unwrap_or(1);
        let threads = prop_u32(t, "threads", true, true)?.unwrap_or(1);
        cpu.topology = Some(Topology {
            sockets,
            dies,
            cores,
            threads,
        });
    }
    if let Some(m) = el.child("maxphysaddr") {
        let mode = prop_enum_str(m, "mode", &["emulate", "passthrough"], true)?.unwrap_or_default();
        let bits = prop_u32(m, "bits", false, false)?;
        cpu.maxphysaddr = Some((mode.to_string(), bits));
    }
    if let Some(c) = el.child("cache") {
        let level = prop_i32(c, "level", false)?;
        let mode =
            prop_enum_str(c, "mode", &["emulate", "passthrough", "disable"], true)?.unwrap_or_default();
        cpu.cache = Some((level, mode.to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    for f in el.children_named("feature") {
        let name = f
            .attr("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| cpu_xml_error("Invalid CPU feature name"))?;
        let policy = match f.attr("policy") {
            None => "require",
            Some(p @ ("force" | "require" | "optional" | "disable" | "forbid")) => p,
            Some(_) => return Err(cpu_unsupported("Invalid CPU feature policy")),
        };
        if !seen.insert(name.to_string()) {
            return Err(cpu_xml_error(format!(
                "CPU feature '{name}' specified more than once"
            )));
        }
        cpu.features.push(CpuFeature {
            policy: policy.to_string(),
            name: name.to_string(),
        });
    }
    if !cpu.features.is_empty() && cpu.model.is_none() && mode == "custom" {
        return Err(cpu_xml_error(
            "Non-empty feature list specified without CPU model",
        ));
    }
    if let Some(n) = el.child("numa") {
        cpu.has_numa = true;
        cpu.numa = parse_numa(n)?;
    }
    Ok(cpu)
}

fn parse_numa(el: &Element) -> Result<Vec<NumaCell>> {
    let nodes: Vec<&Element> = el.children_named("cell").collect();
    let n = nodes.len();
    if n == 0 {
        return Err(xml_error("NUMA topology defined without NUMA cells"));
    }
    let mut cells: Vec<Option<NumaCell>> = vec![None; n];
    let mut distances: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        let id = prop_u32(node, "id", false, false)?
            .map(|v| v as usize)
            .unwrap_or(i);
        if id >= n {
            return Err(xml_error(
                "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not starting from 0 are not allowed",
            ));
        }
        if cells[id].is_some() {
            return Err(xml_error(format!("Duplicate NUMA cell info for cell id '{id}'")));
        }
        let cpus = match node.attr("cpus") {
            Some(c) => Some(Bitmap::parse(c)?),
            None => None,
        };
        let memory = match node.attr("memory") {
            Some(m) => parse_memory_value(m, node.attr("unit"), "./@memory")?.unwrap_or(0),
            None => return Err(prop_error("missing element or attribute './@memory'")),
        };
        let mem_access = prop_enum_str(node, "memAccess", &["shared", "private"], false)?.map(str::to_string);
        let discard = prop_yes_no(node, "discard", false)?;
        if let Some(d) = node.child("distances") {
            for s in d.children_named("sibling") {
                let sib = prop_u32(s, "id", true, false)?.unwrap_or(0) as usize;
                if sib >= n {
                    return Err(xml_error(format!(
                        "'sibling_id {sib}' does not refer to a valid cell within NUMA 'cell id {id}'"
                    )));
                }
                let value = prop_u32(s, "value", true, false)?.unwrap_or(0);
                let bad = || {
                    xml_error(format!(
                        "'value {value}' is invalid for 'sibling id {sib}' under NUMA 'cell id {id}'"
                    ))
                };
                if !(10..=255).contains(&value) || (sib == id && value != 10) || (sib != id && value == 10) {
                    return Err(bad());
                }
                for c in [id, sib] {
                    if distances[c].is_empty() {
                        distances[c] = vec![0; n];
                        distances[c][c] = 10;
                    }
                }
                distances[id][sib] = value;
                if distances[sib][id] == 0 {
                    distances[sib][id] = value;
                }
            }
        }
        cells[id] = Some(NumaCell {
            cpus,
            memory,
            mem_access,
            discard,
            distances: Vec::new(),
        });
    }
    let cells: Vec<NumaCell> = cells
        .into_iter()
        .zip(distances)
        .map(|(c, d)| {
            let mut c = c.unwrap_or_default();
            c.distances = d;
            c
        })
        .collect();
    // One pass over a union of the sets; the pair is looked up only on error.
    let mut union = Bitmap::default();
    for (i, cell) in cells.iter().enumerate() {
        let Some(a) = &cell.cpus else {
            continue;
        };
        if a.intersects(&union) {
            let j = (0..i)
                .find(|j| cells[*j].cpus.as_ref().is_some_and(|b| a.intersects(b)))
                .unwrap_or(0);
            return Err(unsupported(format!(
                "NUMA cells {i} and {j} have overlapping vCPU ids"
            )));
        }
        union.union_with(a);
    }
    Ok(cells)
}

/// Checks of the NUMA cells against the vCPU count.
pub fn validate_numa(cpu: Option<&Cpu>, max_vcpus: u32) -> Result<()> {
    let cells: &[NumaCell] = cpu.map(|c| c.numa.as_slice()).unwrap_or(&[]);
    let count: usize = cells
        .iter()
        .map(|c| c.cpus.as_ref().map_or(0, Bitmap::count))
        .sum();
    if count > max_vcpus as usize {
        return Err(internal("Number of CPUs in <numa> exceeds the <vcpu> count"));
    }
    let max_id = cells
        .iter()
        .filter_map(|c| c.cpus.as_ref().and_then(Bitmap::last))
        .max()
        .unwrap_or(0);
    if max_id >= max_vcpus as usize {
        return Err(internal("CPU IDs in <numa> exceed the <vcpu> count"));
    }
    Ok(())
}

/// Writes `<cpu>` (omitted when it would be empty).
pub fn format(cpu: &Cpu, w: &mut Writer, update_cpu: bool) {
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if cpu.mode != "custom" || cpu.model.is_some() {
        attrs.push(("mode", &cpu.mode));
    }
    if let Some(m) = &cpu.match_ {
        if cpu.model.is_some() && (cpu.mode == "custom" || update_cpu) {
            attrs.push(("match", m));
        }
    }
    if let Some(c) = &cpu.check {
        attrs.push(("check", c));
    }
    if let Some(m) = cpu.migratable {
        if cpu.mode == "host-passthrough" || cpu.mode == "maximum" {
            attrs.push(("migratable", if m { "on" } else { "off" }));
        }
    }
    let format_model = cpu.mode == "custom" || cpu.mode == "host-model";
    let format_fallback = cpu.mode == "host-model" || (cpu.mode == "custom" && cpu.model.is_some());
    let show_model = cpu.model.is_some() && (format_model || format_fallback);
    let has_body = show_model
        || (format_model && cpu.vendor.is_some())
        || cpu.topology.is_some()
        || cpu.maxphysaddr.is_some()
        || cpu.cache.is_some()
        || !cpu.features.is_empty()
        || cpu.has_numa;
    if attrs.is_empty() && !has_body {
        return;
    }
    if !has_body {
        w.empty("cpu", &attrs);
        return;
    }
    w.open("cpu", &attrs);
    let body = w;
    if show_model {
        let mut ma = Vec::new();
        if format_fallback {
            ma.push(("fallback", cpu.fallback.as_str()));
        }
        if let Some(v) = &cpu.vendor_id {
            ma.push(("vendor_id", v.as_str()));
        }
        match &cpu.model {
            Some(m) => body.text("model", &ma, m),
            None => body.empty("model", &ma),
        }
    }
    if format_model {
        if let Some(v) = &cpu.vendor {
            body.text("vendor", &[], v);
        }
    }
    if let Some(t) = &cpu.topology {
        let (s, d, c, th) = (
            t.sockets.to_string(),
            t.dies.to_string(),
            t.cores.to_string(),
            t.threads.to_string(),
        );
        body.empty(
            "topology",
            &[("sockets", &s), ("dies", &d), ("cores", &c), ("threads", &th)],
        );
    }
    if let Some((level, mode)) = &cpu.cache {
        let l = level.map(|l| l.to_string());
        let mut a = Vec::new();
        if let Some(l) = &l {
            a.push(("level", l.as_str()));
        }
        a.push(("mode", mode.as_str()));
        body.empty("cache", &a);
    }
    if let Some((mode, bits)) = &cpu.maxphysaddr {
        let b = bits.map(|b| b.to_string());
        let mut a = vec![("mode", mode.as_str())];
        if let Some(b) = &b {
            a.push(("bits", b.as_str()));
        }
        body.empty("maxphysaddr", &a);
    }
    for f in &cpu.features {
        body.empty("feature", &[("policy", &f.policy), ("name", &f.name)]);
    }
    if cpu.has_numa {
        body.open("numa", &[]);
        for (i, c) in cpu.numa.iter().enumerate() {
            let id = i.to_string();
            let cpus = c.cpus.as_ref().map(Bitmap::to_string);
            let mem = c.memory.to_string();
            let mut a = vec![("id", id.as_str())];
            if let Some(cp) = &cpus {
                a.push(("cpus", cp));
            }
            a.push(("memory", &mem));
            a.push(("unit", "KiB"));
            if let Some(m) = &c.mem_access {
                a.push(("memAccess", m));
            }
            if let Some(d) = c.discard {
                a.push(("discard", if d { "yes" } else { "no" }));
            }
            if c.distances.is_empty() {
                body.empty("cell", &a);
            } else {
                body.open("cell", &a);
                body.open("distances", &[]);
                for (j, v) in c.distances.iter().enumerate() {
                    if *v != 0 {
                        let (js, vs) = (j.to_string(), v.to_string());
                        body.empty("sibling", &[("id", &js), ("value", &vs)]);
                    }
                }
                body.close("distances");
                body.close("cell");
            }
        }
        body.close("numa");
    }
    body.close("cpu");
}
