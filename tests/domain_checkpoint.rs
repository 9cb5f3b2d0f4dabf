//! Differential test of the checkpoint XML model: the documents under
//! tests/domain_xml/checkpoints/ are turned into checkpoints of one running
//! domain on libvirt 9.0's test driver (tests/domain_xml/checkpoint_oracle.py)
//! and read, aligned and written by ours; the documents (or errors) must be
//! identical.  The test driver's own steps around the model (parent
//! assignment, the checks of a redefinition against the existing
//! checkpoints, duplicate names) are applied here the way that driver
//! applies them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use virt::domain::checkpoint::{self, CheckpointDef, CheckpointFormatOptions, CheckpointParseOptions};
use virt::domain::{self, DomainDef, ParseOptions, Profile};
use virt::error::{Error, Result};

fn creation_time(doc: &str) -> i64 {
    doc.split("<creationTime>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The test driver's checkpoint tree, as far as the documents show it.
#[derive(Default)]
struct Tree {
    parents: HashMap<String, Option<String>>,
    current: Option<String>,
}

impl Tree {
    /// The checks the test driver makes of a redefinition's parent.
    fn check_parent(&self, def: &CheckpointDef) -> Result<()> {
        virt::domain::moment::check_parent(&def.name, def.parent.as_deref(), |n| self.parents.get(n).cloned())
    }

    /// What the test driver does to its checkpoint list once a checkpoint
    /// is accepted: a new one becomes current, a redefined one when there
    /// is no current one or it hangs under it.
    fn add(&mut self, def: &CheckpointDef, redefine: bool) {
        if !redefine || self.current.is_none() || def.parent == self.current {
            self.current = Some(def.name.clone());
        }
        self.parents.insert(def.name.clone(), def.parent.clone());
    }
}

fn create(
    xml: &str,
    redefine: bool,
    now: i64,
    popts: &ParseOptions,
    owner: &DomainDef,
    tree: &Tree,
) -> Result<CheckpointDef> {
    let opts = CheckpointParseOptions {
        domain: popts.clone(),
        redefine,
        now,
    };
    let mut def = checkpoint::parse_checkpoint(xml, &opts)?;
    if redefine {
        tree.check_parent(&def)?;
        checkpoint::check_redefine_domain(&def, owner)?;
        if let Some(d) = def.domain.clone() {
            checkpoint::align_disks(&mut def, &d)?;
        }
    } else {
        checkpoint::align_disks(&mut def, owner)?;
        if tree.parents.contains_key(&def.name) {
            return Err(Error::with(
                20,
                9,
                format!("domain moment {} already exists", def.name),
            ));
        }
        def.parent = tree.current.clone();
        // The running domain's definition, captured.
        def.domain = Some(owner.clone());
    }
    Ok(def)
}

#[test]
fn checkpoint_xml_matches_libvirt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain_xml/checkpoints");
    let domain_path = dir.join("domain.xml");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p != &domain_path && p.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    let output = Command::new("/usr/bin/python3")
        .arg(dir.join("../checkpoint_oracle.py"))
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
    let mut tree = Tree::default();
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for path in &paths {
        let key = path.to_string_lossy();
        let want = &oracle[key.as_ref()];
        let name = path.file_name().unwrap().to_string_lossy();
        let redefine = name.contains("redefine");
        let xml = std::fs::read_to_string(path).unwrap();
        let now = want["default"].as_str().map(creation_time).unwrap_or(0);
        let ours = create(&xml, redefine, now, &popts, &owner, &tree);
        match (want.get("error"), ours) {
            (Some(err), Err(e)) => {
                rejected += 1;
                let same = err[0].as_i64() == Some(e.code as i64)
                    && err[1].as_i64() == Some(e.domain as i64)
                    && err[2].as_str() == Some(e.message.as_str());
                if !same {
                    failures.push(format!(
                        "{name}: libvirt {err}, ours [{}, {}, {:?}]",
                        e.code, e.domain, e.message
                    ));
                }
            }
            (Some(err), Ok(_)) => {
                failures.push(format!("{name}: libvirt rejects it ({err}), ours accepts it"))
            }
            (None, Err(e)) => failures.push(format!(
                "{name}: libvirt accepts it, ours fails: [{}, {}, {:?}]",
                e.code, e.domain, e.message
            )),
            (None, Ok(def)) => {
                accepted += 1;
                tree.add(&def, redefine);
                for (flag, secure, no_domain) in [
                    ("default", false, false),
                    ("secure", true, false),
                    ("no_domain", false, true),
                ] {
                    let got =
                        checkpoint::format_checkpoint(&def, &CheckpointFormatOptions { secure, no_domain });
                    if want[flag].as_str() != Some(got.as_str()) {
                        failures.push(format!(
                            "{name} [{flag}]:\n--- libvirt\n{}\n--- ours\n{got}",
                            want[flag].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "checkpoints: {} documents as libvirt has them ({accepted} accepted, {rejected} rejected)",
        paths.len()
    );
}

#[test]
fn checkpoints_round_trip_through_redefinition() {
    let popts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    let doc = "<domaincheckpoint><name>n</name><description>d &amp; e</description>\
               <parent><name>p</name></parent><creationTime>77</creationTime>\
               <disks><disk name='vda' checkpoint='bitmap' bitmap='b1'/><disk name='vdb' checkpoint='no'/>\
               </disks><domain type='test'><name>x</name><uuid>c0de000c-0000-4000-8000-000000000002</uuid>\
               <memory>1024</memory><os><type>hvm</type></os><devices><graphics type='vnc' port='5900' \
               passwd='pw'/></devices></domain></domaincheckpoint>";
    let opts = CheckpointParseOptions {
        domain: popts,
        redefine: true,
        now: 0,
    };
    let def = checkpoint::parse_checkpoint(doc, &opts).unwrap();
    assert_eq!(def.creation_time, 77);
    assert_eq!(def.parent.as_deref(), Some("p"));
    let fopts = CheckpointFormatOptions {
        secure: true,
        no_domain: false,
    };
    let out = checkpoint::format_checkpoint(&def, &fopts);
    assert!(
        out.contains("  <disks>\n    <disk name='vda' checkpoint='bitmap' bitmap='b1'/>\n"),
        "{out}"
    );
    assert!(
        out.contains("  <domain type='test'>\n    <name>x</name>\n"),
        "{out}"
    );
    assert!(out.contains("passwd='pw'"), "{out}");
    let again = checkpoint::parse_checkpoint(&out, &opts).unwrap();
    assert_eq!(again, def);
    assert_eq!(checkpoint::format_checkpoint(&again, &fopts), out);
    let bare = checkpoint::format_checkpoint(
        &def,
        &CheckpointFormatOptions {
            secure: false,
            no_domain: true,
        },
    );
    assert!(bare.ends_with("  </disks>\n</domaincheckpoint>\n"), "{bare}");
}
