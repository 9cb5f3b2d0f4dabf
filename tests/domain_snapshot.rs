//! Differential test of snapshots: the documents under
//! tests/domain_xml/snapshots/ are turned into snapshots on libvirt 9.0's
//! test driver (tests/domain_xml/snapshot_oracle.py) and read, completed
//! and written by ours; the documents (or errors) must be identical.
//!
//! A document's leading comment says which domain (domain-NAME.xml), in
//! which state, and with which creation flags; the domains keep their
//! snapshots from one document to the next, in file name order.  Ours
//! completes new snapshots with `complete_new` and checks redefinitions
//! with `check_parent` and `check_redefine`, as the test driver does; what
//! is left to the driver (its flag and transient checks, the name's
//! uniqueness, the current snapshot, HALT stopping the domain) is done here
//! the same way, and the domain's state afterwards compared too.  '@IMG@'
//! in the documents is a scratch directory of images (regular files, a
//! link, a directory), for the names libvirt gives external images.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use virt::abi::*;
use virt::domain::snapshot::{self, SnapshotDef, SnapshotFormatOptions, SnapshotParseOptions};
use virt::domain::{self, DomainDef, ParseOptions, Profile};
use virt::error::Error;

fn creation_time(doc: &str) -> i64 {
    doc.split("<creationTime>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The leading comment's `key=value` words.
fn settings(doc: &str) -> HashMap<String, String> {
    let Some(body) = doc
        .trim_start()
        .strip_prefix("<!--")
        .and_then(|s| s.split("-->").next())
    else {
        return HashMap::new();
    };
    body.split_whitespace()
        .map(|w| {
            let (k, v) = w.split_once('=').unwrap_or((w, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn create_flag(name: &str) -> u32 {
    match name {
        "REDEFINE" => VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
        "CURRENT" => VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
        "NO_METADATA" => VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA,
        "HALT" => VIR_DOMAIN_SNAPSHOT_CREATE_HALT,
        "DISK_ONLY" => VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
        "REUSE_EXT" => VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT,
        "QUIESCE" => VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE,
        "ATOMIC" => VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC,
        "LIVE" => VIR_DOMAIN_SNAPSHOT_CREATE_LIVE,
        "VALIDATE" => VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE,
        _ => panic!("unknown flag {name}"),
    }
}

/// Where two documents part, with a few lines of each from there.
fn first_difference(theirs: &str, ours: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (theirs.lines().collect(), ours.lines().collect());
    let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let from = at.saturating_sub(2);
    format!(
        "--- libvirt (line {})\n{}\n--- ours\n{}",
        at + 1,
        a[from..a.len().min(at + 4)].join("\n"),
        b[from..b.len().min(at + 4)].join("\n")
    )
}

/// The flags libvirt's test driver takes.
const ALLOWED: u32 = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
    | VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT
    | VIR_DOMAIN_SNAPSHOT_CREATE_HALT
    | VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE
    | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
    | VIR_DOMAIN_SNAPSHOT_CREATE_LIVE
    | VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE;

/// One domain of the test driver, as the driver keeps it.
struct Owner {
    def: DomainDef,
    transient: bool,
    state: i32,
    snapshots: Vec<SnapshotDef>,
    current: Option<String>,
}

/// The scratch images the documents' '@IMG@' stands for.
struct Images(PathBuf);

impl Images {
    fn new() -> Images {
        let dir = std::env::temp_dir().join(format!("virt-rs-snapshot-images-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("dir.img")).unwrap();
        for f in [
            "a.qcow2", "b.raw", "c.img", "d.img", "e.img", "a.raw", "noext", ".hidden",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        std::os::unix::fs::symlink("a.qcow2", dir.join("link.img")).unwrap();
        Images(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the test driver does with `xml` for `owner` under `flags`.
fn create(owner: &mut Owner, xml: &str, flags: u32, popts: &ParseOptions, now: i64) -> virt::Result<String> {
    if flags & !ALLOWED != 0 {
        return Err(Error::bad_flags(
            VIR_FROM_TEST,
            "testDomainSnapshotCreateXML",
            flags & !ALLOWED,
        ));
    }
    if owner.transient && flags & VIR_DOMAIN_SNAPSHOT_CREATE_HALT != 0 {
        return Err(Error::with(
            VIR_FROM_TEST,
            VIR_ERR_OPERATION_INVALID,
            "cannot halt after transient domain snapshot",
        ));
    }
    if flags & VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE != 0 {
        snapshot::validate_schema(xml)?;
    }
    let redefine = flags & VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE != 0;
    let mut def = snapshot::parse_snapshot(
        xml,
        &SnapshotParseOptions {
            domain: popts.clone(),
            redefine,
            disks: true,
            internal: false,
            now,
        },
    )?;
    let name = def.name.clone();
    if redefine {
        let snaps = &owner.snapshots;
        virt::domain::moment::check_parent(&name, def.parent.as_deref(), |n| {
            snaps.iter().find(|s| s.name == n).map(|s| s.parent.clone())
        })?;
        let existing = owner.snapshots.iter().position(|s| s.name == name);
        snapshot::check_redefine(&mut def, &owner.def, existing.map(|i| &owner.snapshots[i]))?;
        match existing {
            Some(i) => owner.snapshots[i] = def,
            None => owner.snapshots.push(def),
        }
        if flags & VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT != 0 {
            owner.current = Some(name.clone());
        }
    } else {
        snapshot::complete_new(&mut def, &owner.def, owner.state, owner.current.clone())?;
        if owner.snapshots.iter().any(|s| s.name == name) {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_FAILED,
                format!("domain moment {name} already exists"),
            ));
        }
        owner.snapshots.push(def);
        owner.current = Some(name.clone());
        if flags & VIR_DOMAIN_SNAPSHOT_CREATE_HALT != 0 && owner.state != VIR_DOMAIN_SHUTOFF {
            owner.state = VIR_DOMAIN_SHUTOFF;
        }
    }
    Ok(name)
}

#[test]
fn snapshot_xml_matches_libvirt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain_xml/snapshots");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "xml")
                && !p.file_name().unwrap().to_string_lossy().starts_with("domain")
        })
        .collect();
    paths.sort();
    let images = Images::new();
    let output = Command::new("/usr/bin/python3")
        .arg(dir.join("../snapshot_oracle.py"))
        .args(["--images", images.path()])
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
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .replace("@IMG@", images.path())
    };
    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut failures = Vec::new();
    for path in &paths {
        let key = path.to_string_lossy();
        let want = &oracle[key.as_ref()];
        let xml = read(path);
        let conf = settings(&xml);
        let dom_name = conf.get("domain").cloned().unwrap_or_default();
        let owner = owners.entry(dom_name.clone()).or_insert_with(|| {
            let file = match dom_name.as_str() {
                "" => "domain.xml".to_string(),
                n => format!("domain-{n}.xml"),
            };
            let transient = dom_name.contains("transient");
            Owner {
                def: domain::parse(&read(&dir.join(file)), &popts).unwrap(),
                transient,
                state: if transient {
                    VIR_DOMAIN_RUNNING
                } else {
                    VIR_DOMAIN_SHUTOFF
                },
                snapshots: Vec::new(),
                current: None,
            }
        });
        owner.state = match conf.get("state").map(String::as_str) {
            Some("running") => VIR_DOMAIN_RUNNING,
            Some("paused") => VIR_DOMAIN_PAUSED,
            _ => VIR_DOMAIN_SHUTOFF,
        };
        let mut flags = conf
            .get("flags")
            .map(|f| {
                f.split(',')
                    .filter(|n| !n.is_empty())
                    .map(create_flag)
                    .fold(0, |a, b| a | b)
            })
            .unwrap_or(0);
        if path.file_name().unwrap().to_string_lossy().contains("redefine") {
            flags |= VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
        }
        let now = want["default"].as_str().map(creation_time).unwrap_or(0);
        match (want.get("error"), create(owner, &xml, flags, &popts, now)) {
            (Some(err), Err(e)) => {
                let same_code =
                    err[0].as_i64() == Some(e.code as i64) && err[1].as_i64() == Some(e.domain as i64);
                // libxml2's wording for malformed documents is not ours.
                if !same_code || (e.code != VIR_ERR_XML_DETAIL && err[2].as_str() != Some(&e.message)) {
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
            (None, Ok(name)) => {
                let def = owner.snapshots.iter().find(|s| s.name == name).unwrap();
                for (flag, secure) in [("default", false), ("secure", true)] {
                    let got = snapshot::format_snapshot(
                        def,
                        &SnapshotFormatOptions {
                            secure,
                            internal: false,
                        },
                    );
                    let theirs = want[flag].as_str().unwrap_or_default();
                    if theirs != got {
                        failures.push(format!("{key} [{flag}]:\n{}", first_difference(theirs, &got)));
                    }
                }
            }
        }
        if want["state"].as_i64() != Some(owner.state as i64) {
            failures.push(format!(
                "{key}: domain state afterwards: libvirt {}, ours {}",
                want["state"], owner.state
            ));
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

#[test]
fn external_names_follow_libvirt() {
    for (path, want) in [
        ("/i/a.qcow2", "/i/a.s"),
        ("/i/a.b.c", "/i/a.b.s"),
        ("/i/x.d/plain", "/i/x.d/plain.s"),
        ("/i/.hidden", "/i/.s"),
        ("/i/trail.", "/i/trail.s"),
        ("rel.img", "rel.s"),
        ("noext", "noext.s"),
    ] {
        assert_eq!(snapshot::external_name(path, "s"), want, "{path}");
    }
}
