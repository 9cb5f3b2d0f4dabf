//! Domain XML → XenD s-expression against libvirt's own converter suite
//! (xml2sexprtest): each listed `xml2sexpr-<in>.xml` in
//! ../shared/conformance/xml2sexpr is parsed as an inactive definition and
//! formatted as a `(vm ...)` document, which must give `xml2sexpr-<out>.sexpr`
//! byte for byte (after the harness's backslash-newline unwrapping).

#[path = "support/conformance.rs"]
mod conformance;

use virt::abi::{VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_INTERNAL_ERROR, VIR_FROM_SEXPR};
use virt::domain::{self, DomainDef, ParseOptions, Profile};
use virt::native::xen::{sexpr, sxpr};

fn parse(xml: &str) -> DomainDef {
    domain::parse(
        xml,
        &ParseOptions {
            profile: &Profile::XEN_SXPR,
            inactive: true,
        },
    )
    .unwrap_or_else(|e| panic!("the XML parses: {}", e.message))
}

/// Converts the (input, output) cases; returns (converted, skipped for
/// lack of files, failures).
fn run(cases: &[(&str, &str)]) -> (usize, Vec<String>, Vec<String>) {
    let (mut ok, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for (input, output) in cases {
        let (xml_file, sexpr_file) = (
            format!("xml2sexpr-{input}.xml"),
            format!("xml2sexpr-{output}.sexpr"),
        );
        if !conformance::exists("xml2sexpr", &xml_file) || !conformance::exists("xml2sexpr", &sexpr_file) {
            skipped.push(input.to_string());
            continue;
        }
        let xml = std::fs::read_to_string(conformance::folder("xml2sexpr").join(&xml_file)).unwrap();
        let want = conformance::expected("xml2sexpr", &sexpr_file);
        match sxpr::format(&parse(&xml)) {
            Ok(mut got) => {
                // The harness compares with a final newline either way.
                if !got.ends_with('\n') {
                    got.push('\n');
                }
                if got == want {
                    ok += 1;
                } else {
                    failures.push(format!("{input}: {}", conformance::first_difference(&want, &got)));
                }
            }
            Err(e) => failures.push(format!("{input}: error {}", e.message)),
        }
    }
    (ok, skipped, failures)
}

#[test]
fn libvirt_suite_byte_identical() {
    let (ok, skipped, failures) = run(conformance::XML2SEXPR_CASES);
    println!(
        "xml2sexpr: {ok}/{} cases byte-identical ({} listed without files: {})",
        ok + failures.len(),
        skipped.len(),
        skipped.join(", ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ok >= 38, "only {ok} cases ran");
}

#[test]
fn unlisted_files() {
    let cases: Vec<(&str, &str)> = conformance::XML2SEXPR_EXTRA.iter().map(|c| (*c, *c)).collect();
    let (ok, _, failures) = run(&cases);
    println!(
        "xml2sexpr (unlisted files): {ok}/{} byte-identical",
        ok + failures.len()
    );
    for f in &failures {
        println!("  {f}");
    }
}

#[test]
fn output_reads_back_as_an_s_expression() {
    for (input, _) in conformance::XML2SEXPR_CASES {
        let path = conformance::folder("xml2sexpr").join(format!("xml2sexpr-{input}.xml"));
        let Ok(xml) = std::fs::read_to_string(path) else {
            continue;
        };
        let out = sxpr::format(&parse(&xml)).unwrap();
        let tree = sexpr::read(&out).unwrap();
        assert_eq!(tree.key(), Some("vm"), "{input}");
        assert!(tree.node("vm/name").is_some(), "{input}");
    }
}

#[test]
fn quotes_and_backslashes_are_escaped() {
    let xml = "<domain type='xen'><name>it's a \\ test</name>\
<uuid>596a5d21-71f4-8fb2-e068-e2386a5c413e</uuid><memory>430080</memory>\
<os><type>linux</type><kernel>/k</kernel><cmdline>say 'hi'</cmdline></os></domain>";
    let out = sxpr::format(&parse(xml)).unwrap();
    assert!(out.starts_with(r"(vm (name 'it\'s a \\ test')"), "{out}");
    assert!(out.contains(r"(args 'say \'hi\'')"), "{out}");
    let tree = sexpr::read(&out).unwrap();
    assert_eq!(tree.node("vm/name"), Some("it's a \\ test"));
    assert_eq!(tree.node("vm/image/linux/args"), Some("say 'hi'"));
}

const FV: &str = "<domain type='xen'><name>fv</name>\
<uuid>596a5d21-71f4-8fb2-e068-e2386a5c413e</uuid><memory>430080</memory>\
<os><type>hvm</type>LOADER</os>CLOCK<devices>DEVICES</devices></domain>";

fn fv(loader: &str, clock: &str, devices: &str) -> DomainDef {
    parse(
        &FV.replace("LOADER", loader)
            .replace("CLOCK", clock)
            .replace("DEVICES", devices),
    )
}

const LOADER: &str = "<loader>/usr/lib/xen/boot/hvmloader</loader>";

#[test]
fn what_xend_cannot_express_is_refused() {
    let cases = [
        (fv("", "", ""), VIR_ERR_INTERNAL_ERROR, "no HVM domain loader"),
        (
            fv(LOADER, "<clock offset='utc' adjustment='reset'/>", ""),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported clock adjustment='reset'",
        ),
        (
            fv(LOADER, "<clock offset='timezone' timezone='Europe/Paris'/>", ""),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported clock offset='timezone'",
        ),
        (
            fv(
                LOADER,
                "",
                "<interface type='user'><mac address='00:16:3e:00:00:01'/></interface>",
            ),
            VIR_ERR_INTERNAL_ERROR,
            "unsupported network type user",
        ),
        (
            fv(
                LOADER,
                "",
                "<interface type='ethernet'><mac address='00:16:3e:00:00:01'/>\
<ip address='192.0.2.1'/><ip address='192.0.2.2'/></interface>",
            ),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "multiple IP addresses",
        ),
        (
            fv(
                LOADER,
                "",
                "<hostdev mode='subsystem' type='pci' managed='yes'><source>\
<address domain='0' bus='1' slot='2' function='3'/></source></hostdev>",
            ),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "managed PCI devices not supported with XenD",
        ),
        (
            fv(
                LOADER,
                "",
                "<disk type='file'><source file='/x'/><target dev='hda'/><transient/></disk>",
            ),
            VIR_ERR_CONFIG_UNSUPPORTED,
            "transient disks not supported yet",
        ),
        (
            fv(LOADER, "", "<graphics type='spice'/>"),
            VIR_ERR_INTERNAL_ERROR,
            "unexpected graphics type spice",
        ),
    ];
    for (def, code, what) in cases {
        let e = sxpr::format(&def).unwrap_err();
        assert_eq!((e.domain, e.code), (VIR_FROM_SEXPR, code), "{}", e.message);
        assert!(e.message.contains(what), "{}", e.message);
    }
}

#[test]
fn round_trip_through_the_s_expression() {
    // A (vm ...) document read back as a (domain ...) one keeps what both
    // describe.
    let xml = std::fs::read_to_string(conformance::folder("xml2sexpr").join("xml2sexpr-fv-serial-tcp.xml"))
        .unwrap();
    let def = parse(&xml);
    let out = sxpr::format(&def).unwrap();
    let as_domain = out.replacen("(vm ", "(domain ", 1);
    let back = sxpr::parse(&as_domain).unwrap();
    assert_eq!(back.name, def.name);
    assert_eq!(back.uuid, def.uuid);
    assert_eq!(back.memory, def.memory);
    assert_eq!(back.devices.disks.len(), def.devices.disks.len());
    let (a, b) = (&back.devices.serials[0].source, &def.devices.serials[0].source);
    assert_eq!(
        (&a.kind, &a.host, &a.service, &a.mode),
        (&b.kind, &b.host, &b.service, &b.mode)
    );
}
