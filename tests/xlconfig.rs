//! libvirt's xlconfig suite (tests/xlconfigtest.c, libvirt 9.0.0) against
//! `native::xen::xl`: every case of ../shared/conformance/xlconfig in the
//! directions the suite runs it, byte for byte; plus broken input.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/xenconf.rs"]
mod xenconf;

use virt::abi::*;
use virt::native::xen::xl;

const XL: xenconf::Converter = xenconf::Converter {
    suite: "xlconfig",
    parse: xl::parse,
    format: xl::format,
};

#[test]
fn xlconfig_cases_are_byte_identical() {
    let (report, failures) = xenconf::run(
        &XL,
        conformance::XLCONFIG_ROUND_TRIP,
        conformance::XLCONFIG_CFG_TO_XML,
        conformance::XLCONFIG_XML_TO_CFG,
    );
    eprintln!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}

/// The vNUMA cases run XML -> cfg only upstream (their XML is hand
/// written); reading their cfg must give a definition that writes the same
/// cfg again.
#[test]
fn vnuma_configs_read_back() {
    for name in conformance::XLCONFIG_XML_TO_CFG {
        let cfg = conformance::expected("xlconfig", &format!("test-{name}.cfg"));
        let def = xl::parse(&cfg).unwrap_or_else(|e| panic!("{name}: {}", e.message));
        let again = xl::format(&def).unwrap();
        assert_eq!(
            again,
            cfg,
            "{name}: {}",
            conformance::first_difference(&cfg, &again)
        );
    }
}

const PV: &str = "name = \"t\"\nuuid = \"c7a5fdb0-cdaf-9455-926a-d65c16db1809\"\n";
const HVM: &str = "name = \"t\"\nuuid = \"c7a5fdb0-cdaf-9455-926a-d65c16db1809\"\nbuilder = \"hvm\"\n";

fn err(cfg: &str) -> (i32, i32, String) {
    let e = xenconf::cfg_error(&XL, cfg);
    (e.domain, e.code, e.message)
}

#[test]
fn disk_specifications() {
    let syntax = |spec: &str, why: &str| {
        (
            VIR_FROM_XENXL,
            VIR_ERR_CONF_SYNTAX,
            format!("configuration file syntax error: disk spec '{spec}' is invalid: {why}"),
        )
    };
    let cases = [
        ("nonsense", syntax("nonsense", "no vdev specified")),
        (
            "/x.img,bogus,xvda",
            syntax("/x.img,bogus,xvda", "unknown format 'bogus'"),
        ),
        (
            "/x.img,raw,xvda,maybe",
            syntax("/x.img,raw,xvda,maybe", "invalid access mode 'maybe'"),
        ),
        (
            "/x.img,raw,xvda,rw,extra",
            syntax("/x.img,raw,xvda,rw,extra", "unexpected parameter 'extra'"),
        ),
        (
            "vdev=xvda,vdev=xvdb",
            syntax("vdev=xvda,vdev=xvdb", "vdev specified twice"),
        ),
        (
            "vdev=xvda,devtype=tape",
            syntax("vdev=xvda,devtype=tape", "unknown devtype 'tape'"),
        ),
        (
            "vdev=xvda,backendtype=standalone,target=/x",
            (
                VIR_FROM_XENXL,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "unsupported configuration: disk backend not supported: standalone".to_string(),
            ),
        ),
    ];
    for (spec, want) in cases {
        assert_eq!(err(&format!("{PV}disk = [ \"{spec}\" ]\n")), want, "{spec}");
    }
    // `target=` takes the rest of the specification, commas included; the
    // old `hdc:cdrom` form and bare flags are understood.
    let xml = xenconf::cfg_xml(&XL, &format!("{HVM}disk = [ \"vdev=hda, access=ro, target=/a,b.img\", \"/c.iso,,hdc:cdrom,r\", \",,hdd,ro,cdrom\" ]\n"));
    assert!(xml.contains("<source file='/a,b.img'/>"), "{xml}");
    assert!(
        xml.contains("<target dev='hda' bus='ide'/>\n      <readonly/>"),
        "{xml}"
    );
    assert!(
        xml.contains("<source file='/c.iso'/>\n      <target dev='hdc' bus='ide'/>"),
        "{xml}"
    );
    assert!(xml.contains("<target dev='hdd' bus='ide'/>"), "{xml}");
    // Entries that are not strings are skipped, as libvirt does.
    assert_eq!(
        xenconf::cfg_xml(&XL, &format!("{PV}disk = [ 5 ]\n")),
        xenconf::cfg_xml(&XL, PV)
    );
}

#[test]
fn wrong_values() {
    let cases = [
        (
            format!("{PV}memory = \"abc\""),
            (VIR_FROM_XEN, VIR_ERR_INTERNAL_ERROR, "internal error: config value memory was malformed"),
        ),
        (
            format!("{HVM}usbdevice = [ \"mouse\", 1 ]"),
            (VIR_FROM_XENXL, VIR_ERR_INTERNAL_ERROR, "internal error: config value usbdevice was malformed"),
        ),
        (
            format!("{HVM}spice = 1"),
            (VIR_FROM_XEN, VIR_ERR_INTERNAL_ERROR, "internal error: config value spicepasswd was missing"),
        ),
        (
            format!("{PV}cpuid = \"0x1:ecx=x\""),
            (
                VIR_FROM_XENXL,
                VIR_ERR_CONF_SYNTAX,
                "configuration file syntax error: cpuid starting with 0x1:ecx=x is not supported, only libxl format is",
            ),
        ),
        (
            format!("{PV}cpuid = \"host,sse3\""),
            (
                VIR_FROM_XENXL,
                VIR_ERR_CONF_SYNTAX,
                "configuration file syntax error: Invalid libxl cpuid key=value element: sse3",
            ),
        ),
        (
            format!("{PV}cpuid = \"host,sse3=7\""),
            (
                VIR_FROM_XENXL,
                VIR_ERR_CONF_SYNTAX,
                "configuration file syntax error: Invalid libxl cpuid value: sse3=7",
            ),
        ),
        (
            format!("{PV}channel = [ \"connection=carrier-pigeon,name=x\" ]"),
            (
                VIR_FROM_XENXL,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "unsupported configuration: unsupported channel connection in 'connection=carrier-pigeon,name=x'",
            ),
        ),
        (
            format!("{PV}passthrough = \"sometimes\""),
            (VIR_FROM_XEN, VIR_ERR_CONF_SYNTAX, "configuration file syntax error: Invalid passthrough mode sometimes"),
        ),
    ];
    for (cfg, (domain, code, msg)) in cases {
        assert_eq!(err(&format!("{cfg}\n")), (domain, code, msg.to_string()), "{cfg}");
    }
    // A libxl cpuid string becomes host-passthrough features under
    // libvirt's names.
    let xml = xenconf::cfg_xml(&XL, &format!("{PV}cpuid = \"host,sse3=0,htt=1,aes=x\"\n"));
    assert!(xml.contains("<cpu mode='host-passthrough'"), "{xml}");
    assert!(xml.contains("<feature policy='disable' name='pni'/>"), "{xml}");
    assert!(xml.contains("<feature policy='force' name='ht'/>"), "{xml}");
    assert!(xml.contains("<feature policy='optional' name='aes'/>"), "{xml}");
}

#[test]
fn vnuma_errors() {
    let head = format!("{HVM}vcpus = 2\n");
    let cases = [
        ("[ [ \"pnode=0\", \"size=512\" ] ]", "syntax error: Incomplete vnuma configuration for vnode 0"),
        ("[ [ \"pnode=0\", \"size=512\", \"vcpus=0\", \"color=red\" ] ]", "syntax error: Invalid vnuma configuration for vnode 0"),
        ("[ [ \"pnode=3\", \"size=512\", \"vcpus=0\" ] ]", "unsupported configuration: vnuma vnode 0 contains invalid pnode value '3'"),
        ("[ [ \"nonsense\" ] ]", "internal error: vnuma vnode invalid format 'nonsense'"),
        (
            "[ [ \"pnode=0\", \"size=512\", \"vcpus=0-1\", \"vdistances=10,20\" ] ]",
            "unsupported configuration: vnuma pnode 0 configured 'vdistances=10,20' (count 2) doesn't fit the number of specified vnodes 1",
        ),
        (
            "[ [ \"pnode=0\", \"size=512\", \"vcpus=0-3\" ] ]",
            "unsupported configuration: vnuma configuration contains 4 vcpus, which is greater than 2 maxvcpus",
        ),
    ];
    for (vnuma, msg) in cases {
        let (domain, _, got) = err(&format!("{head}vnuma = {vnuma}\n"));
        assert_eq!(domain, VIR_FROM_XENXL, "{vnuma}");
        assert!(got.ends_with(msg), "{vnuma}: {got}");
    }
}

#[test]
fn definitions_xl_cannot_express() {
    let head = "<domain type='xen'><name>t</name><memory>65536</memory><os><type>linux</type></os>";
    let e = xenconf::xml_error(
        &XL,
        &format!("{head}<devices><disk type='file'><source file='/x'/><target dev='xvda'/><transient/></disk></devices></domain>"),
    );
    assert_eq!(
        (e.domain, e.code, e.message.as_str()),
        (
            VIR_FROM_XENXL,
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: transient disks not supported yet"
        )
    );
    let e = xenconf::xml_error(
        &XL,
        &format!("{head}<devices><disk type='network'><source protocol='nbd' name='x'><host name='h'/></source><target dev='xvda'/></disk></devices></domain>"),
    );
    assert_eq!(e.code, VIR_ERR_CONFIG_UNSUPPORTED, "{}", e.message);
}

#[test]
fn truncated_and_unknown() {
    assert_eq!(
        err("name = \"t\"\ndisk = [ \"format=raw,vdev=xvda,target=/x\"").2,
        "configuration file syntax error: memory conf:2: list is not closed with ]"
    );
    assert_eq!(
        err("name = \"t\"\nvnuma = [ [ \"pnode=0\" ], [").2,
        "configuration file syntax error: memory conf:2: list is not closed with ]"
    );
    let plain = xenconf::cfg_xml(&XL, PV);
    let noisy = xenconf::cfg_xml(&XL, &format!("{PV}vif_extra = 1\nsomething = [ [ \"x\" ] ]\n"));
    assert_eq!(plain, noisy);
}

#[test]
fn damaged_inputs_never_panic() {
    assert!(xenconf::damaged_inputs_never_panic(&XL) > 1000);
}

/// Every case file in the folder is run in some direction.
#[test]
fn every_case_file_is_run() {
    let mut listed: Vec<String> = conformance::XLCONFIG_ROUND_TRIP
        .iter()
        .chain(conformance::XLCONFIG_CFG_TO_XML)
        .chain(conformance::XLCONFIG_XML_TO_CFG)
        .map(|s| s.to_string())
        .collect();
    listed.sort();
    assert_eq!(conformance::names("xlconfig", "test-", ".cfg"), listed);
}
