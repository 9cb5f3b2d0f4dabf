//! Differential test of the snapshot XML model: the documents under
//! tests/domain_xml/snapshots/ are turned into snapshots of one domain on
//! libvirt 9.0's test driver (tests/domain_xml/snapshot_oracle.py) and read
//! and written by ours; the documents (or errors) must be identical.  The
//! test driver's own fill-ins (state, memory mode, parent, the captured
//! domain) are applied here the way that driver applies them.

use std::path::{Path, PathBuf};
use std::process::Command;

use virt::domain::snapshot::{self, SnapshotFormatOptions, SnapshotParseOptions};
use virt::domain::{self, ParseOptions, Profile};

fn creation_time(doc: &str) -> i64 {
    doc.split("<creationTime>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn snapshot_xml_matches_libvirt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain_xml/snapshots");
    let domain_path = dir.join("domain.xml");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p != &domain_path && p.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    let output = Command::new("/usr/bin/python3")
        .arg(dir.join("../snapshot_oracle.py"))
        .arg(&domain_path)
        .args(&paths)
        .output()
        .expect("python3-libvirt");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let oracle: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let popts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    let owner = domain::parse(&std::fs::read_to_string(&domain_path).unwrap(), &popts).unwrap();
    let mut current: Option<String> = None;
    let mut failures = Vec::new();
    for path in &paths {
        let key = path.to_string_lossy();
        let want = &oracle[key.as_ref()];
        let redefine = key.contains("redefine");
        let xml = std::fs::read_to_string(path).unwrap();
        let now = want["default"].as_str().map(creation_time).unwrap_or(0);
        let ours = snapshot::parse_snapshot(
            &xml,
            &SnapshotParseOptions {
                domain: popts.clone(),
                redefine,
                disks: true,
                internal: false,
                now,
            },
        )
        .and_then(|mut def| {
            if redefine {
                if def.domain.is_none() {
                    return Err(virt::error::Error::internal(35, "missing domain in snapshot"));
                }
            } else {
                // What the test driver fills in for a new snapshot of a
                // defined (shut off) domain.
                def.domain = Some(owner.clone());
                snapshot::align_disks(&mut def, &[], "internal", true)?;
                def.state = Some("shutoff".into());
                def.memory = Some("no".into());
                def.parent = current.clone();
            }
            Ok(def)
        });
        match (want.get("error"), ours) {
            (Some(err), Err(e)) => {
                let same_code =
                    err[0].as_i64() == Some(e.code as i64) && err[1].as_i64() == Some(e.domain as i64);
                // libxml2's wording for malformed documents is not ours.
                if !same_code || (e.code != 35 && err[2].as_str() != Some(&e.message)) {
                    failures.push(format!(
                        "{key}: libvirt {err}, ours {} {} {:?}",
                        e.code, e.domain, e.message
                    ));
                }
            }
            (Some(err), Ok(_)) => {
                failures.push(format!("{key}: libvirt rejects it ({err}), ours accepts it"))
            }
            (None, Err(e)) => failures.push(format!("{key}: libvirt accepts it, ours fails: {}", e.message)),
            (None, Ok(def)) => {
                if !redefine {
                    current = Some(def.name.clone());
                }
                for (flag, secure) in [("default", false), ("secure", true)] {
                    let got = snapshot::format_snapshot(
                        &def,
                        &SnapshotFormatOptions {
                            secure,
                            internal: false,
                        },
                    );
                    if want[flag].as_str() != Some(got.as_str()) {
                        failures.push(format!(
                            "{key} [{flag}]:\n--- libvirt\n{}\n--- ours\n{got}",
                            want[flag].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("snapshots: {} documents identical to libvirt", paths.len());
}

#[test]
fn snapshots_round_trip_through_redefinition() {
    let popts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    let doc = "<domainsnapshot><name>n</name><description>d</description><state>running</state>\
               <parent><name>p</name></parent><creationTime>77</creationTime>\
               <memory snapshot='external' file='/var/m'/>\
               <disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/>\
               <source file='/x.qcow2'/></disk><disk name='vdb' snapshot='no'/></disks>\
               <domain type='test'><name>x</name><uuid>c0de000b-0000-4000-8000-000000000002</uuid>\
               <memory>1024</memory><os><type>hvm</type></os></domain><active>1</active></domainsnapshot>";
    let opts = SnapshotParseOptions {
        domain: popts,
        redefine: true,
        disks: true,
        internal: true,
        now: 0,
    };
    let def = snapshot::parse_snapshot(doc, &opts).unwrap();
    assert_eq!(def.active, Some(true));
    let fopts = SnapshotFormatOptions {
        secure: true,
        internal: true,
    };
    let out = snapshot::format_snapshot(&def, &fopts);
    assert!(
        out.contains("  <domain type='test'>\n    <name>x</name>\n"),
        "{out}"
    );
    assert!(
        out.contains("<disk name='vda' snapshot='external' type='file'>"),
        "{out}"
    );
    assert!(
        out.ends_with("  <active>1</active>\n</domainsnapshot>\n"),
        "{out}"
    );
    let again = snapshot::parse_snapshot(&out, &opts).unwrap();
    assert_eq!(snapshot::format_snapshot(&again, &fopts), out);
}
