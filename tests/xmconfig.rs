//! libvirt's xmconfig suite (tests/xmconfigtest.c, libvirt 9.0.0) against
//! `native::xen::xm`: every case of ../shared/conformance/xmconfig in the
//! directions the suite runs it, byte for byte; plus broken input.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/xenconf.rs"]
mod xenconf;

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
