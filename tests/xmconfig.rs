//! libvirt's xmconfig suite (tests/xmconfigtest.c, libvirt 9.0.0) against
//! `native::xen::xm`: every case of ../shared/conformance/xmconfig in the
//! directions the suite runs it, byte for byte; plus broken input.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/xenconf.rs"]
mod xenconf;

use virt::abi::*;
use virt::native::xen::xm;

const XM: xenconf::Converter = xenconf::Converter {
    suite: "xmconfig",
    parse: xm::parse,
    format: xm::format,
};

#[test]
fn xmconfig_cases_are_byte_identical() {
    let (report, failures) = xenconf::run(
        &XM,
        conformance::XMCONFIG_ROUND_TRIP,
        conformance::XMCONFIG_CFG_TO_XML,
        &[],
    );
    eprintln!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}

/// The smallest paravirtual config (name and uuid).
const PV: &str = "name = \"t\"\nuuid = \"c7a5fdb0-cdaf-9455-926a-d65c16db1809\"\n";
/// An HVM config (the loader is the required `kernel`).
const HVM: &str = "name = \"t\"\nuuid = \"c7a5fdb0-cdaf-9455-926a-d65c16db1809\"\nbuilder = \"hvm\"\nkernel = \"/usr/lib/xen/boot/hvmloader\"\n";

fn err(cfg: &str) -> (i32, i32, String) {
    let e = xenconf::cfg_error(&XM, cfg);
    (e.domain, e.code, e.message)
}

#[test]
fn syntax_errors_name_the_line() {
    let cases = [
        (
            format!("{PV}disk = [ \"phy:/dev/sda,xvda,w\"\n"),
            4,
            "list is not closed with ]",
        ),
        (
            format!("{PV}bootloader = \"/usr/bin/pygrub\n"),
            3,
            "unterminated string",
        ),
        (format!("{PV}vcpus = \n"), 3, "expecting a value"),
        (format!("{PV}vcpus 2\n"), 3, "expecting an assignment"),
        (
            format!("{PV}disk = [ \"a\" \"b\" ]\n"),
            3,
            "expecting a separator in list",
        ),
        (format!("{PV}memory = 1.5\n"), 3, "expecting a separator"),
    ];
    for (cfg, line, what) in cases {
        assert_eq!(
            err(&cfg),
            (
                VIR_FROM_CONF,
                VIR_ERR_CONF_SYNTAX,
                format!("configuration file syntax error: memory conf:{line}: {what}")
            ),
            "{cfg}"
        );
    }
}

#[test]
fn wrong_value_types() {
    let internal = |domain, msg: &str| (domain, VIR_ERR_INTERNAL_ERROR, format!("internal error: {msg}"));
    let cases = [
        (
            "memory = \"abc\"",
            internal(VIR_FROM_XEN, "config value memory was malformed"),
        ),
        (
            "memory = -5",
            internal(VIR_FROM_XEN, "config value memory was malformed"),
        ),
        (
            "maxmem = [ 1 ]",
            internal(VIR_FROM_XEN, "config value maxmem was malformed"),
        ),
        (
            "vcpus = \"two\"",
            internal(VIR_FROM_XEN, "config value vcpus was malformed"),
        ),
        (
            "localtime = [ ]",
            internal(VIR_FROM_XEN, "config value localtime was malformed"),
        ),
        (
            "bootloader = 1",
            internal(
                VIR_FROM_CONF,
                "memory conf: expected a string for 'bootloader' parameter",
            ),
        ),
        (
            "on_crash = \"explode\"",
            internal(VIR_FROM_XEN, "unexpected value explode for on_crash"),
        ),
        (
            "vif = [ \"mac=00:16:3e:zz:00:01\" ]",
            internal(VIR_FROM_XEN, "malformed mac address '00:16:3e:zz:00:01'"),
        ),
        (
            "vif = [ \"bridge\" ]",
            internal(VIR_FROM_XEN, "malformed vif entry 'bridge'"),
        ),
        (
            "vif = [ \"mac=00:16:3e:00:00:01,,bridge=br0\" ]",
            internal(
                VIR_FROM_XEN,
                "malformed vif entry 'mac=00:16:3e:00:00:01,,bridge=br0'",
            ),
        ),
        (
            "vif = [ \"rate=fast\" ]",
            internal(VIR_FROM_XEN, "Invalid rate 'fast' specified"),
        ),
        (
            "pci = [ \"zz:00.0\" ]",
            internal(VIR_FROM_XEN, "Malformed PCI address zz:00.0"),
        ),
        (
            "pci = [ \"01:02.3,permissive\" ]",
            internal(VIR_FROM_XEN, "Malformed PCI options permissive"),
        ),
        (
            "vfb = [ \"type=vnc,vncdisplay=x\" ]",
            internal(VIR_FROM_XEN, "invalid vncdisplay value 'x'"),
        ),
    ];
    for (setting, want) in cases {
        assert_eq!(err(&format!("{PV}{setting}\n")), want, "{setting}");
    }
    assert_eq!(
        err(&format!("{PV}type = \"foo\"\n")),
        (
            VIR_FROM_XEN,
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: type foo is not supported".to_string()
        )
    );
    assert_eq!(
        err(&format!("{PV}disk = [ 5 ]\n")),
        (
            VIR_FROM_CONF,
            VIR_ERR_CONF_SYNTAX,
            "configuration file syntax error: memory conf: expected a string list for 'disk' parameter"
                .to_string()
        )
    );
    let e = xenconf::cfg_error(&XM, "name = \"t\"\nuuid = \"not-a-uuid\"\n");
    assert_eq!((e.domain, e.code), (VIR_FROM_XEN, VIR_ERR_CONF_SYNTAX));
    assert_eq!(
        e.message,
        "configuration file syntax error: not-a-uuid not parseable"
    );
}

#[test]
fn hvm_specific_errors() {
    assert_eq!(
        err("name = \"t\"\nbuilder = \"hvm\"\n"),
        (
            VIR_FROM_XEN,
            VIR_ERR_INTERNAL_ERROR,
            "internal error: config value kernel was missing".to_string()
        )
    );
    assert_eq!(
        err(&format!("{HVM}serial = [ \"pty\", \"pty\" ]\n")),
        (
            VIR_FROM_XEN,
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: Multiple serial devices are not supported by xen-xm".to_string()
        )
    );
    assert_eq!(
        err(&format!("{HVM}serial = \"bogus:x\"\n")).2,
        "internal error: unknown chr device type 'bogus'"
    );
    assert_eq!(
        err(&format!("{HVM}parallel = \"tcp:nocolon\"\n")).2,
        "internal error: malformed char device string"
    );
}

#[test]
fn missing_name_and_truncated_files() {
    assert_eq!(
        err("uuid = \"c7a5fdb0-cdaf-9455-926a-d65c16db1809\"\n"),
        (
            VIR_FROM_XEN,
            VIR_ERR_INTERNAL_ERROR,
            "internal error: config value name was missing".to_string()
        )
    );
    assert_eq!(err("").2, "internal error: config value name was missing");
    assert_eq!(
        err("name = \"t\"\nvif = [ \"mac=00:16:3e:00:00:01\",").2,
        "configuration file syntax error: memory conf:2: expecting a value"
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let plain = xenconf::cfg_xml(&XM, PV);
    let noisy = xenconf::cfg_xml(
        &XM,
        &format!("{PV}# a comment\nsomething_new = \"x\"\nanother = [ 1, \"two\" ]\nnumber = 7\n"),
    );
    assert_eq!(plain, noisy);
}

#[test]
fn disk_entries_libvirt_cannot_read_are_skipped() {
    // xm drops disk entries without a target or mode, and tap disks of an
    // unknown image type, as libvirt does.
    let plain = xenconf::cfg_xml(&XM, PV);
    for disk in [
        "phy:/dev/sda",
        "phy:/dev/sda,xvda",
        "tap:bogus:/x.img,xvda,w",
        "tap:/x.img,xvda,w",
    ] {
        let xml = xenconf::cfg_xml(&XM, &format!("{PV}disk = [ \"{disk}\" ]\n"));
        assert_eq!(xml, plain, "{disk}");
    }
    let xml = xenconf::cfg_xml(
        &XM,
        &format!("{PV}disk = [ \"file:/x.img,ioemu:xvdb:cdrom,r\" ]\n"),
    );
    assert!(xml.contains("<disk type='file' device='cdrom'>"), "{xml}");
    assert!(xml.contains("<target dev='xvdb' bus='xen'/>"), "{xml}");
}

#[test]
fn definitions_xm_cannot_express() {
    let head = "<domain type='xen'><name>t</name><memory>65536</memory>";
    let hvm = "<os><type>hvm</type><loader>/usr/lib/xen/boot/hvmloader</loader></os>";
    let e = xenconf::xml_error(
        &XM,
        &format!("{head}{hvm}<devices><serial type='pty'/><serial type='pty'/></devices></domain>"),
    );
    assert_eq!(
        (e.domain, e.code, e.message.as_str()),
        (
            VIR_FROM_XEN,
            VIR_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: Multiple serial devices are not supported by xen-xm"
        )
    );
    let e = xenconf::xml_error(
        &XM,
        &format!(
            "{head}<os><type>linux</type></os><clock offset='utc'><timer name='hpet'/></clock></domain>"
        ),
    );
    assert_eq!(
        e.message,
        "unsupported configuration: unsupported timer type (name) 'hpet'"
    );
    let e = xenconf::xml_error(
        &XM,
        &format!("{head}<os><type>linux</type></os><devices><interface type='user'/></devices></domain>"),
    );
    assert_eq!(
        e.message,
        "unsupported configuration: Unsupported net type 'user'"
    );
    let e = xenconf::xml_error(
        &XM,
        &format!("{head}{hvm}<clock offset='utc' adjustment='reset'/></domain>"),
    );
    assert_eq!(
        e.message,
        "unsupported configuration: unsupported clock adjustment='reset'"
    );
    let e = xenconf::xml_error(
        &XM,
        &format!(
            "{head}<os><type>linux</type></os><clock offset='timezone' timezone='Europe/Paris'/></domain>"
        ),
    );
    assert_eq!(
        e.message,
        "unsupported configuration: unsupported clock offset='timezone'"
    );
}

#[test]
fn damaged_inputs_never_panic() {
    assert!(xenconf::damaged_inputs_never_panic(&XM) > 1000);
}

/// Every case file in the folder is run, except the ones libvirt's suite
/// leaves unreferenced (test-paravirt-net-modelstr.cfg, the
/// test-fullvirt-usbtablet-no-bus.xml input and the s-expression era
/// sexpr2xml-pv-bootloader pair, which carry no `test-` case of their own).
#[test]
fn every_case_file_is_run() {
    let mut listed: Vec<String> = conformance::XMCONFIG_ROUND_TRIP
        .iter()
        .chain(conformance::XMCONFIG_CFG_TO_XML)
        .map(|s| s.to_string())
        .collect();
    listed.push("paravirt-net-modelstr".into());
    listed.sort();
    assert_eq!(conformance::names("xmconfig", "test-", ".cfg"), listed);
}
