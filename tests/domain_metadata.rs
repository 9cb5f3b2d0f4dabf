//! `virDomainSetMetadata`/`virDomainGetMetadata` on the model, against
//! libvirt's test driver: the same edits applied to the same domain must
//! give the same documents and the same answers.

use std::process::Command;

use virt::domain::{self, metadata, FormatOptions, ParseOptions, Profile};

const DOMAIN: &str = "<domain type='test'><name>meta</name><uuid>c0de000d-0000-4000-8000-000000000001</uuid>\
<memory>1024</memory><os><type>hvm</type></os>\
<metadata><a:x xmlns:a='urn:a'>old<a:y>z</a:y></a:x><b:x xmlns:b='urn:b' b:at='1'/></metadata></domain>";

/// (xml or None to remove, key, uri) edits, then the URIs to read back.
const EDITS: &[(Option<&str>, &str, &str)] = &[
    (Some("<foo bar='1'><baz>t</baz>  <q/></foo>"), "app", "urn:app"),
    (Some("<y:new xmlns:y='urn:y'/>"), "k", "urn:a"),
    (Some("<foo>\n  <baz>t</baz>\n  <q/>\n</foo>"), "app", "urn:app2"),
    (Some("<d xmlns='urn:def'><e/></d>"), "dd", "urn:dd"),
    (None, "", "urn:b"),
    (Some("<a><b></a>"), "k", "urn:z"),
    (Some("text"), "k", "urn:z"),
    (Some("<ok/>"), "k k", "urn:z"),
    (Some("<ok/>"), "1k", "urn:z"),
];
const READS: &[&str] = &[
    "urn:a", "urn:b", "urn:y", "urn:app", "urn:app2", "urn:dd", "urn:none",
];

const SCRIPT: &str = r#"
import json, sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
conn = libvirt.open("test:///default")
spec = json.load(sys.stdin)
d = conn.defineXML(spec["domain"])
E = libvirt.VIR_DOMAIN_METADATA_ELEMENT
out = {"edits": [], "reads": {}}
for xml, key, uri in spec["edits"]:
    try:
        d.setMetadata(E, xml, key if xml is not None else None, uri, 0)
        out["edits"].append(None)
    except libvirt.libvirtError as e:
        out["edits"].append([e.get_error_code(), e.get_error_domain(), e.get_error_message()])
for uri in spec["reads"]:
    try:
        out["reads"][uri] = d.metadata(E, uri, 0)
    except libvirt.libvirtError as e:
        out["reads"][uri] = [e.get_error_code(), e.get_error_domain(), e.get_error_message()]
out["xml"] = d.XMLDesc(0)
d.undefine()
json.dump(out, sys.stdout)
"#;

#[test]
fn metadata_edits_match_libvirt() {
    let spec = serde_json::json!({
        "domain": DOMAIN,
        "edits": EDITS.iter().map(|(x, k, u)| serde_json::json!([x, k, u])).collect::<Vec<_>>(),
        "reads": READS,
    });
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3-libvirt");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.to_string().as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let want: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let mut def = domain::parse(
        DOMAIN,
        &ParseOptions {
            profile: &Profile::TEST,
            inactive: true,
        },
    )
    .unwrap();
    for (i, (xml, key, uri)) in EDITS.iter().enumerate() {
        let got = metadata::set_element(&mut def.metadata, *xml, key, uri);
        match (&want["edits"][i], got) {
            (serde_json::Value::Null, Ok(())) => {}
            (serde_json::Value::Array(e), Err(ours)) => {
                assert_eq!(
                    e[0].as_i64(),
                    Some(ours.code as i64),
                    "edit {i}: {}",
                    ours.message
                );
                assert_eq!(e[1].as_i64(), Some(ours.domain as i64), "edit {i}");
                if ours.code != 35 {
                    assert_eq!(e[2].as_str(), Some(ours.message.as_str()), "edit {i}");
                }
            }
            (w, g) => panic!("edit {i}: libvirt {w}, ours {g:?}"),
        }
    }
    for uri in READS {
        let got = metadata::get_element(def.metadata.as_ref(), uri);
        match (&want["reads"][uri], got) {
            (serde_json::Value::String(s), Ok(g)) => assert_eq!(s, &g, "{uri}"),
            (serde_json::Value::Array(e), Err(ours)) => {
                assert_eq!(e[0].as_i64(), Some(ours.code as i64), "{uri}");
                assert_eq!(e[2].as_str(), Some(ours.message.as_str()), "{uri}");
            }
            (w, g) => panic!("{uri}: libvirt {w}, ours {g:?}"),
        }
    }
    assert_eq!(
        want["xml"].as_str().unwrap(),
        domain::format(&def, &FormatOptions::default())
    );
}
