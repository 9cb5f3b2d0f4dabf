//! The domain model never panics, whatever the input, and its output is a
//! fixed point: formatting what it parsed from its own output gives the same
//! text, except where libvirt's output changes (or is refused) the same way
//! when read back, which the oracle confirms.  Inputs: every case file, plus mutations of each
//! (truncations, numbers replaced by huge or negative ones, attributes
//! emptied, elements duplicated).

use std::path::{Path, PathBuf};

use virt::domain::{self, FormatOptions, ParseOptions, Profile};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutations(doc: &str, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = doc.chars().collect();
    for _ in 0..6 {
        let cut = rng.below(chars.len() + 1);
        out.push(chars[..cut].iter().collect());
    }
    for replacement in [
        "99999999999999999999999",
        "-1",
        "0",
        "",
        " ",
        "18446744073709551615",
        "4294967296",
    ] {
        let mut s = String::new();
        let mut in_number = false;
        let mut replaced = false;
        for c in doc.chars() {
            if c.is_ascii_digit() {
                if !in_number && !replaced && rng.below(4) == 0 {
                    s.push_str(replacement);
                    replaced = true;
                    in_number = true;
                    continue;
                }
                if in_number && replaced && s.ends_with(replacement) {
                    continue;
                }
            } else {
                in_number = false;
            }
            s.push(c);
        }
        out.push(s);
    }
    out.push(doc.replace("='", "='x").replace("yes", "maybe"));
    out.push(doc.replace("</os>", "</os><os><type>hvm</type></os>"));
    out.push(doc.replace("<vcpu", "<vcpu current='3'"));
    out.push(doc.replace("unit='", "unit='E"));
    out
}

/// Output holding carriage returns or tabs is not checked: libvirt writes
/// them unescaped and a parser turns them into newlines (and, in
/// attributes, spaces).
fn checkable(out: &str) -> bool {
    !out.contains('\r') && !out.contains('\t')
}

/// A document whose output changes (or is refused) when read back:
/// acceptable only where libvirt's own output fares the same.
struct Unstable {
    what: String,
    once: String,
    /// Our output after reading `once` back, or our error message.
    again: Result<String, String>,
}

/// Parses `doc` and formats it with each flag set; returns what is not a
/// fixed point (with default formatting).
fn check(doc: &str, profile: &Profile, what: &str) -> Option<Unstable> {
    let opts = ParseOptions {
        profile,
        inactive: true,
    };
    let def = domain::parse(doc, &opts).ok()?;
    let mut unstable = false;
    for f in [
        FormatOptions::default(),
        FormatOptions {
            secure: true,
            migratable: true,
            ..Default::default()
        },
        FormatOptions {
            id: Some(3),
            update_cpu: true,
            ..Default::default()
        },
    ] {
        let once = domain::format(&def, &f);
        unstable |= match domain::parse(&once, &opts) {
            Ok(d) => checkable(&once) && domain::format(&d, &f) != once,
            Err(_) => true,
        };
    }
    if !unstable {
        return None;
    }
    let once = domain::format(&def, &FormatOptions::default());
    let again = domain::parse(&once, &opts)
        .map(|d| domain::format(&d, &FormatOptions::default()))
        .map_err(|e| e.message);
    Some(Unstable {
        what: what.to_string(),
        once,
        again,
    })
}

/// Fails unless libvirt turns each unstable output into what ours gives.
fn libvirt_agrees(unstable: &[Unstable]) {
    if unstable.is_empty() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("domain_robustness_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<PathBuf> = unstable
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let p = dir.join(format!("{i}.xml"));
            std::fs::write(&p, &u.once).unwrap();
            p
        })
        .collect();
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain_xml/oracle.py");
    let output = std::process::Command::new("/usr/bin/python3")
        .arg(oracle)
        .arg("--without-default-domain")
        .args(&paths)
        .output()
        .expect("python3-libvirt (make check installs it)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for (u, p) in unstable.iter().zip(&paths) {
        let result = &results[p.to_string_lossy().as_ref()];
        let libvirt = match result["error"][2].as_str() {
            Some(message) => Err(message.to_string()),
            None => Ok(result["default"].as_str().unwrap_or_default().to_string()),
        };
        assert_eq!(
            libvirt, u.again,
            "{}: output is not a fixed point, and libvirt reads it differently:\n{}",
            u.what, u.once
        );
    }
}

#[test]
fn never_panics_and_output_is_stable() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&base.join("tests/domain_xml/cases"), &mut paths);
    paths.sort();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut checked = 0;
    let mut unstable = Vec::new();
    for p in &paths {
        let Ok(doc) = std::fs::read_to_string(p) else {
            continue;
        };
        let name = p.display().to_string();
        unstable.extend(check(&doc, &Profile::TEST, &name));
        for (i, m) in mutations(&doc, &mut rng).iter().enumerate() {
            let what = format!("{name} mutation {i}");
            match std::panic::catch_unwind(|| check(m, &Profile::TEST, &what)) {
                Ok(u) => unstable.extend(u),
                Err(e) => std::panic::resume_unwind(e),
            }
            checked += 1;
        }
    }
    eprintln!(
        "robustness: {} outputs change when read back; libvirt's must too",
        unstable.len()
    );
    libvirt_agrees(&unstable);
    eprintln!("robustness: {} documents and {checked} mutations", paths.len());
}

#[test]
fn generated_identifiers_are_fresh() {
    let opts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    let doc =
        "<domain type='test'><name>g</name><genid/><memory>1</memory><os><type>hvm</type></os></domain>";
    let a = domain::parse(doc, &opts).unwrap();
    let b = domain::parse(doc, &opts).unwrap();
    assert_ne!(a.uuid, b.uuid);
    assert!(a.genid.is_some() && a.genid != b.genid);
    let empty = domain::parse(&doc.replace("<genid/>", "<uuid></uuid>"), &opts).unwrap();
    assert_ne!(empty.uuid, a.uuid);
    let out = domain::format(&a, &FormatOptions::default());
    assert!(out.contains(&format!("<uuid>{}</uuid>", a.uuid)));
    assert!(out.contains(&format!("<genid>{}</genid>", a.genid.unwrap())));
}

#[test]
fn running_domains_keep_live_labels_and_id() {
    let doc = "<domain type='test' id='7'><name>l</name><uuid>c0de000c-0000-4000-8000-000000000001</uuid>\
               <memory>1</memory><os><type>hvm</type></os>\
               <seclabel type='dynamic' model='selinux' relabel='yes'><label>l1</label>\
               <imagelabel>i1</imagelabel><baselabel>b1</baselabel></seclabel></domain>";
    let live = domain::parse(
        doc,
        &ParseOptions {
            profile: &Profile::TEST,
            inactive: false,
        },
    )
    .unwrap();
    let out = domain::format(
        &live,
        &FormatOptions {
            id: Some(7),
            ..Default::default()
        },
    );
    assert!(out.starts_with("<domain type='test' id='7'>\n"), "{out}");
    assert!(out
        .contains("    <label>l1</label>\n    <imagelabel>i1</imagelabel>\n    <baselabel>b1</baselabel>\n"));
    let inactive = domain::format(
        &live,
        &FormatOptions {
            id: Some(7),
            inactive: true,
            ..Default::default()
        },
    );
    assert!(inactive.starts_with("<domain type='test'>\n"));
}

#[test]
fn numa_distance_errors() {
    // libvirt's own messages for these are unreliable (sometimes cut short),
    // so the differential harness cannot hold them; code and domain can.
    let opts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    for sibling in [
        "<sibling id='1' value='5'/>",
        "<sibling id='0' value='20'/>",
        "<sibling id='2' value='20'/>",
    ] {
        let doc = format!(
            "<domain type='test'><name>n</name><memory>1024</memory><vcpu>2</vcpu><os><type>hvm</type></os>\
             <cpu><numa><cell id='0' cpus='0' memory='512'><distances>{sibling}</distances></cell>\
             <cell id='1' cpus='1' memory='512'/></numa></cpu></domain>"
        );
        let e = domain::parse(&doc, &opts).unwrap_err();
        assert_eq!((e.code, e.domain), (27, 20), "{}", e.message);
    }
}

/// Documents repeating one element a hundred thousand times parse in
/// roughly linear time (no quadratic duplicate checks).
#[test]
fn many_repeated_elements_stay_cheap() {
    let n = 100_000;
    let opts = ParseOptions {
        profile: &Profile::TEST,
        inactive: true,
    };
    let rep = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    let bodies = [
        format!(
            "<cpu><model>m</model>{}</cpu>",
            rep(&|i| format!("<feature name='f{i}'/>"))
        ),
        format!(
            "<blkiotune>{}</blkiotune>",
            rep(&|i| format!("<device><path>/d{i}</path><weight>1</weight></device>"))
        ),
        format!(
            "<iothreadids>{}</iothreadids>",
            rep(&|i| format!("<iothread id='{}'/>", i + 1))
        ),
        format!(
            "<iothreads>{n}</iothreads><cputune>{}</cputune>",
            rep(&|i| format!("<iothreadpin iothread='{}' cpuset='1'/>", n - i))
        ),
        rep(&|i| format!("<seclabel type='none' model='m{i}'/>")),
        format!(
            "<metadata>{}</metadata>",
            rep(&|i| format!("<a:x xmlns:a='urn:{i}'/>"))
        ),
        format!(
            "<vcpu>{n}</vcpu><cpu><numa>{}</numa></cpu>",
            rep(&|i| format!("<cell id='{i}' cpus='{i}' memory='1'/>"))
        ),
        format!("<clock>{}</clock>", rep(&|_| "<timer name='rtc'/>".to_string())),
        format!(
            "<vcpu>{n}</vcpu><cputune>{}</cputune>",
            rep(&|i| format!("<vcpupin vcpu='{i}' cpuset='1'/>"))
        ),
    ];
    for body in &bodies {
        let doc = format!(
            "<domain type='test'><name>many</name><uuid>c0de0010-0000-4000-8000-000000000001</uuid>\
             <memory>1048576</memory><os><type>hvm</type></os>{body}</domain>"
        );
        let start = std::time::Instant::now();
        let parsed = domain::parse(&doc, &opts);
        if let Ok(def) = &parsed {
            let _ = domain::format(def, &FormatOptions::default());
        }
        let took = start.elapsed();
        assert!(
            took < std::time::Duration::from_secs(20),
            "{:?} for {}...: {:?}",
            took,
            &body[..60],
            parsed.err().map(|e| e.message)
        );
    }
}
