//! What the converter tests share about libvirt's suites in
//! ../shared/conformance: where they are, which cases they hold and the
//! options libvirt's harness runs each case with.

use std::path::{Path, PathBuf};

use virt::native::OfflineOptions;

/// A suite's folder.
pub fn folder(suite: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance")
        .join(suite)
}

/// The names in `suite` of files `PREFIX<name>SUFFIX`, sorted.
pub fn names(suite: &str, prefix: &str, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder(suite))
        .unwrap_or_else(|e| panic!("../shared/conformance/{suite} is not readable: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| Some(n.strip_prefix(prefix)?.strip_suffix(suffix)?.to_string()))
        .collect();
    names.sort();
    names
}

/// A file of a suite, with libvirt's harness conventions: backslash-newline
/// pairs removed and a newline added when the file lacks a final one.
pub fn expected(suite: &str, file: &str) -> String {
    let text =
        std::fs::read_to_string(folder(suite).join(file)).unwrap_or_else(|e| panic!("{suite}/{file}: {e}"));
    let mut text = text.replace("\\\n", "");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// xml2vmx cases (input and output share the name) with the options libvirt's
/// harness converts them with.
pub fn xml2vmx_cases() -> Vec<(String, OfflineOptions)> {
    names("xml2vmx", "xml2vmx-", ".vmx")
        .into_iter()
        .map(|case| {
            let version = match case.as_str() {
                "serial-network-server" | "serial-network-client" => 7,
                "ws-in-the-wild-1" | "ws-in-the-wild-2" => 8,
                "fusion-in-the-wild-1" => 9,
                "esx-in-the-wild-9" => 10,
                _ => 4,
            };
            let opts = OfflineOptions {
                virtual_hw_version: Some(version),
                datacenter_path: None,
            };
            (case, opts)
        })
        .collect()
}

/// The first line where two texts differ, for failure messages.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            return format!("line {}: expected {:?}, got {:?}", i + 1, a, b);
        }
    }
    "trailing newline differs".to_string()
}
