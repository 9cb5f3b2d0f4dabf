//! Round trip through the domain model of libvirt's own formatter output:
//! every expected `.xml` of libvirt's converter test suites (in
//! ../shared/conformance) was written by libvirt's domain formatter, so
//! parsing it and formatting it again (with SECURE, as those suites do) must
//! give the same text.  `<devices>` is cut out of both sides: the devices
//! model is tested on its own.

use std::path::Path;

use virt::domain::{self, FormatOptions, ParseOptions, Profile};

fn without_devices(doc: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in doc.lines() {
        if line == "  <devices>" || line == "  <devices/>" {
            inside = line == "  <devices>";
            continue;
        }
        if inside {
            if line == "  </devices>" {
                inside = false;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The running domain's id, which the model does not keep.
fn domain_id(doc: &str) -> Option<i32> {
    let start = doc.find("<domain ")?;
    let tag = &doc[start..start + doc[start..].find('>')?];
    let at = tag.find(" id='")? + 5;
    tag[at..].split('\'').next()?.parse().ok()
}

/// Files in those folders that libvirt's suites only read (XML -> native
/// format) or never use: hand-written, not formatter output.  The oracle
/// test below covers them.  esx-in-the-wild-8 is converter output that
/// libvirt's own parser refuses (two disks with target sda), as ours does.
const INPUT_ONLY: &[&str] = &[
    "test-fullvirt-usbtablet-no-bus.xml",
    "test-fullvirt-vnuma-autocomplete.xml",
    "test-fullvirt-vnuma-nodistances.xml",
    "test-fullvirt-vnuma-partialdist.xml",
    "esx-in-the-wild-8.xml",
];

/// (passed, failures) for one folder.
fn run(folder: &str, profile: &Profile) -> (usize, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance")
        .join(folder);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect(),
        Err(_) => return (0, vec![format!("{} missing", dir.display())]),
    };
    files.sort();
    let mut passed = 0;
    let mut failures = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if INPUT_ONLY.contains(&name.as_str()) {
            continue;
        }
        // An s-expression era file kept among the xm ones.
        let profile = if name.starts_with("sexpr2xml-") {
            &Profile::XEN_SXPR
        } else {
            profile
        };
        let opts = ParseOptions {
            profile,
            inactive: true,
        };
        match domain::parse(&text, &opts) {
            Err(e) => failures.push(format!("{folder}/{name}: parse error: {}", e.message)),
            Ok(def) => {
                let out = domain::format(
                    &def,
                    &FormatOptions {
                        id: domain_id(&text),
                        secure: true,
                        ..Default::default()
                    },
                );
                let (want, mut got) = (without_devices(&text), without_devices(&out));
                // libvirt's XML parser gives hvm guests without boot devices
                // `<boot dev='hd'/>` (its test driver does so for every domain
                // type); the converters build definitions without one, so
                // their output never went through that default.
                if !want.contains("<boot dev=") {
                    got = got.replace("    <boot dev='hd'/>\n", "");
                }
                if want == got {
                    passed += 1;
                } else {
                    let diff: Vec<String> = want
                        .lines()
                        .zip(got.lines())
                        .filter(|(a, b)| a != b)
                        .take(3)
                        .map(|(a, b)| format!("    - {a}\n    + {b}"))
                        .collect();
                    let diff = if diff.is_empty() {
                        format!("    ({} lines vs {})", want.lines().count(), got.lines().count())
                    } else {
                        diff.join("\n")
                    };
                    failures.push(format!("{folder}/{name}:\n{diff}"));
                }
            }
        }
    }
    (passed, failures)
}

#[test]
fn conformance_outputs_round_trip_outside_devices() {
    let mut report = Vec::new();
    let mut all_failures = Vec::new();
    for (folder, profile) in [
        ("vmx2xml", &Profile::VMWARE),
        ("xmconfig", &Profile::XEN),
        ("xlconfig", &Profile::XEN),
        ("sexpr2xml", &Profile::XEN_SXPR),
    ] {
        let (passed, failures) = run(folder, profile);
        report.push(format!("{folder}: {passed}/{}", passed + failures.len()));
        all_failures.extend(failures);
    }
    eprintln!("round trip outside <devices>: {}", report.join(", "));
    assert!(
        all_failures.is_empty(),
        "{}\n{}",
        report.join(", "),
        all_failures.join("\n")
    );
}

/// The same files as inputs: defined on libvirt's test driver through
/// tests/domain_xml/oracle.py and compared with ours (test-driver defaults),
/// outside `<devices>`.  Covers the suites' input-only XML files too.
#[test]
fn conformance_inputs_match_libvirt_outside_devices() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for folder in [
        "vmx2xml",
        "xmconfig",
        "xlconfig",
        "sexpr2xml",
        "xml2vmx",
        "xml2sexpr",
    ] {
        if let Ok(rd) = std::fs::read_dir(base.join("../shared/conformance").join(folder)) {
            paths.extend(
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "xml")),
            );
        }
    }
    paths.sort();
    let output = std::process::Command::new("/usr/bin/python3")
        .arg(base.join("tests/domain_xml/oracle.py"))
        .arg("--without-default-domain")
        .args(&paths)
        .output()
        .expect("python3-libvirt");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let oracle: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut failures = Vec::new();
    let mut device_errors = 0;
    for path in &paths {
        let key = path.to_string_lossy();
        let want = &oracle[key.as_ref()];
        let text = std::fs::read_to_string(path).unwrap();
        let ours = domain::parse(
            &text,
            &ParseOptions {
                profile: &Profile::TEST,
                inactive: true,
            },
        );
        match (want.get("error"), ours) {
            (Some(err), Err(e)) => {
                if err[0].as_i64() != Some(e.code as i64) || err[2].as_str() != Some(&e.message) {
                    failures.push(format!("{key}: libvirt {err}, ours {}", e.message));
                }
            }
            (Some(err), Ok(_)) => {
                // Device checks belong to the devices model.
                device_errors += 1;
                eprintln!("{key}: libvirt rejects it ({err}); not a core error");
            }
            (None, Err(e)) => failures.push(format!("{key}: ours fails: {}", e.message)),
            (None, Ok(def)) => {
                let got = domain::format(
                    &def,
                    &FormatOptions {
                        secure: true,
                        ..Default::default()
                    },
                );
                let want = want["secure"].as_str().unwrap_or_default();
                if without_devices(want) != without_devices(&got) {
                    let diff: Vec<String> = without_devices(want)
                        .lines()
                        .zip(without_devices(&got).lines())
                        .filter(|(a, b)| a != b)
                        .take(3)
                        .map(|(a, b)| format!("    - {a}\n    + {b}"))
                        .collect();
                    failures.push(format!("{key}:\n{}", diff.join("\n")));
                }
            }
        }
    }
    eprintln!(
        "conformance inputs: {} files, {} differ outside <devices>, {} refused by libvirt for device reasons",
        paths.len(),
        failures.len(),
        device_errors
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
