//! libvirt's xlconfig suite (tests/xlconfigtest.c, libvirt 9.0.0) against
//! `native::xen::xl`: every case of ../shared/conformance/xlconfig in the
//! directions the suite runs it, byte for byte; plus broken input.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/xenconf.rs"]
mod xenconf;

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
