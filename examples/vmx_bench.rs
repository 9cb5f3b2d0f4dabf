//! `make bench`: VMX ↔ domain XML conversions per second over libvirt's
//! converter corpus (../shared/conformance), through the functions
//! `virt-native` runs. Prints "label nanoseconds-per-conversion" lines.
//!
//! usage: vmx_bench CONFORMANCE_DIR

use std::path::Path;
use std::time::Instant;

use virt::native::{self, Format, OfflineOptions};

/// Rounds over the corpus; the best round counts.
const ROUNDS: usize = 5;

fn files(dir: &Path, suffix: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_prefix(prefix)?.strip_suffix(suffix)?.to_string();
            Some((stem, std::fs::read(e.path()).ok()?))
        })
        .collect();
    out.sort();
    out
}

/// Best nanoseconds per successful conversion over ROUNDS rounds.
fn best(inputs: &[(String, Vec<u8>)], convert: impl Fn(&str, &[u8]) -> bool) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut ok = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        ok = inputs.iter().filter(|(name, text)| convert(name, text)).count();
        let per = start.elapsed().as_nanos() as f64 / ok.max(1) as f64;
        best = best.min(per);
    }
    (best, ok)
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: vmx_bench CONFORMANCE_DIR");
    let dir = Path::new(&dir);
    let vmx = files(&dir.join("vmx2xml"), ".vmx", "");
    let (ns, ok) = best(&vmx, |name, text| {
        let opts = OfflineOptions {
            datacenter_path: (name == "datacenterpath").then(|| "folder1/folder2/datacenter1".into()),
            ..Default::default()
        };
        native::xml_from_native_offline(Format::VmwareVmx, text, &opts).is_ok()
    });
    println!("VMX -> XML, {ok} vmx2xml files {ns:.0}");
    let xml = files(&dir.join("xml2vmx"), ".xml", "xml2vmx-");
    let (ns, ok) = best(&xml, |_, text| {
        let text = String::from_utf8_lossy(text);
        native::xml_to_native_offline(Format::VmwareVmx, &text, &OfflineOptions::default()).is_ok()
    });
    println!("XML -> VMX, {ok} xml2vmx files {ns:.0}");
}
