//! The xmconfig and xlconfig harness: both directions of a case, compared
//! byte for byte with libvirt's files.
#![allow(dead_code)]

use virt::domain::{self, DomainDef, FormatOptions, ParseOptions, Profile};
use virt::error::Result;

use super::conformance;

/// A format's converters.
pub struct Converter {
    /// The suite folder.
    pub suite: &'static str,
    /// cfg -> definition.
    pub parse: fn(&str) -> Result<DomainDef>,
    /// definition -> cfg.
    pub format: fn(&DomainDef) -> Result<String>,
}

/// Reads an expected XML file as the harness does (variables replaced).
pub fn load_xml(suite: &str, name: &str) -> String {
    conformance::expected(suite, &format!("test-{name}.xml")).replace(
        conformance::LIBXL_FIRMWARE_DIR_TOKEN,
        virt::native::xen::common::FIRMWARE_DIR,
    )
}

/// XML -> cfg ('ParseXML' upstream): Ok(()) or the first difference.
pub fn xml_to_cfg(c: &Converter, name: &str) -> std::result::Result<(), String> {
    let xml = load_xml(c.suite, name);
    let want = conformance::expected(c.suite, &format!("test-{name}.cfg"));
    let def = domain::parse(
        &xml,
        &ParseOptions {
            profile: &Profile::XEN,
            inactive: true,
        },
    )
    .map_err(|e| format!("{name}: XML parse failed: {}", e.message))?;
    let mut got = (c.format)(&def).map_err(|e| format!("{name}: format failed: {}", e.message))?;
    if !got.ends_with('\n') {
        got.push('\n');
    }
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{name} (xml -> cfg): {}",
            conformance::first_difference(&want, &got)
        ))
    }
}

/// cfg -> XML ('FormatXML' upstream): Ok(()) or the first difference.
pub fn cfg_to_xml(c: &Converter, name: &str) -> std::result::Result<(), String> {
    let cfg = conformance::expected(c.suite, &format!("test-{name}.cfg"));
    let want = load_xml(c.suite, name);
    let def = (c.parse)(&cfg).map_err(|e| format!("{name}: cfg parse failed: {}", e.message))?;
    let mut got = domain::format(
        &def,
        &FormatOptions {
            secure: true,
            inactive: true,
            ..Default::default()
        },
    );
    if !got.ends_with('\n') {
        got.push('\n');
    }
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{name} (cfg -> xml): {}",
            conformance::first_difference(&want, &got)
        ))
    }
}

/// Runs lists of cases; returns the report line and the failures.
pub fn run(
    c: &Converter,
    round_trip: &[&str],
    cfg_only: &[&str],
    xml_only: &[&str],
) -> (String, Vec<String>) {
    let mut failures = Vec::new();
    let mut count = |names: &[&str], f: &dyn Fn(&str) -> std::result::Result<(), String>| {
        let mut ok = 0;
        for n in names {
            match f(n) {
                Ok(()) => ok += 1,
                Err(e) => failures.push(e),
            }
        }
        ok
    };
    let rt = count(round_trip, &|n| xml_to_cfg(c, n).and_then(|_| cfg_to_xml(c, n)));
    let cx = count(cfg_only, &|n| cfg_to_xml(c, n));
    let xc = count(xml_only, &|n| xml_to_cfg(c, n));
    let mut report = format!(
        "{}: {rt}/{} round-trip, {cx}/{} cfg->xml",
        c.suite,
        round_trip.len(),
        cfg_only.len()
    );
    if !xml_only.is_empty() {
        report.push_str(&format!(", {xc}/{} xml->cfg", xml_only.len()));
    }
    (report, failures)
}
