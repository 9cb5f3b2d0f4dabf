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

/// Every prefix (in steps) of every cfg of the suite, and copies with one
/// byte changed, convert or fail with an error: no panic.  Returns the
/// number of conversions tried.
pub fn damaged_inputs_never_panic(c: &Converter) -> usize {
    let mut runs = 0;
    for name in conformance::names(c.suite, "test-", ".cfg") {
        let cfg = conformance::expected(c.suite, &format!("test-{name}.cfg"));
        let bytes = cfg.as_bytes();
        for cut in (0..=bytes.len()).step_by(5) {
            let text = String::from_utf8_lossy(&bytes[..cut]);
            if let Ok(def) = (c.parse)(&text) {
                let _ = (c.format)(&def);
            }
            runs += 1;
        }
        let replacements = [b'"', b'=', b'\n', b',', b':', b'[', b']', b'9', b'-', b' '];
        for (n, at) in (0..bytes.len()).step_by(11).enumerate() {
            let mut damaged = bytes.to_vec();
            damaged[at] = replacements[n % replacements.len()];
            let text = String::from_utf8_lossy(&damaged);
            if let Ok(def) = (c.parse)(&text) {
                let _ = (c.format)(&def);
            }
            runs += 1;
        }
    }
    runs
}

/// The error of converting `cfg`, which must fail.
pub fn cfg_error(c: &Converter, cfg: &str) -> virt::error::Error {
    match (c.parse)(cfg) {
        Ok(def) => panic!(
            "converted:\n{cfg}\n->\n{}",
            domain::format(&def, &FormatOptions::default())
        ),
        Err(e) => e,
    }
}

/// The error of writing `xml` as a config, which must fail.
pub fn xml_error(c: &Converter, xml: &str) -> virt::error::Error {
    let def = domain::parse(
        xml,
        &ParseOptions {
            profile: &Profile::XEN,
            inactive: true,
        },
    )
    .unwrap_or_else(|e| panic!("test XML does not parse: {}", e.message));
    match (c.format)(&def) {
        Ok(cfg) => panic!("formatted:\n{cfg}"),
        Err(e) => e,
    }
}

/// The XML of a cfg that converts.
pub fn cfg_xml(c: &Converter, cfg: &str) -> String {
    let def = (c.parse)(cfg).unwrap_or_else(|e| panic!("{cfg}: {}", e.message));
    domain::format(
        &def,
        &FormatOptions {
            secure: true,
            inactive: true,
            ..Default::default()
        },
    )
}
