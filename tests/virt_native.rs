//! The `virt-native` command: the conformance corpus through the binary gives
//! the bytes libvirt's suites expect, and bad input fails with libvirt's
//! message on stderr and a non-zero exit status.

#[path = "support/conformance.rs"]
mod conformance;

use std::process::{Command, Output};

fn virt_native(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_virt-native"))
        .args(args)
        .output()
        .expect("virt-native runs")
}

#[test]
fn to_vmware_vmx_over_the_xml2vmx_suite() {
    let cases = conformance::xml2vmx_cases();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (case, opts) in &cases {
        let input = conformance::folder("xml2vmx").join(format!("xml2vmx-{case}.xml"));
        let version = opts
            .virtual_hw_version
            .expect("every case names its version")
            .to_string();
        let out = virt_native(&[
            "to",
            "vmware-vmx",
            "--virtual-hw-version",
            &version,
            input.to_str().unwrap(),
        ]);
        let want = conformance::expected("xml2vmx", &format!("xml2vmx-{case}.vmx"));
        let got = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || got != want {
            failures.push(format!(
                "{case}: status {:?}, {} {}",
                out.status.code(),
                conformance::first_difference(&want, &got),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    println!(
        "virt-native to vmware-vmx: {}/{} cases byte-identical",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn from_vmware_vmx_over_the_vmx2xml_suite() {
    let mut failures = Vec::new();
    for case in conformance::VMX2XML_CASES {
        let input = conformance::folder("vmx2xml").join(format!("{case}.vmx"));
        let mut args = vec!["from", "vmware-vmx"];
        let opts = conformance::vmx2xml_options(case);
        if let Some(path) = &opts.datacenter_path {
            args.extend(["--datacenter-path", path]);
        }
        args.push(input.to_str().unwrap());
        let out = virt_native(&args);
        let want = conformance::expected("vmx2xml", &format!("{case}.xml"));
        let got = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || got != want {
            failures.push(format!(
                "{case}: status {:?}, {} {}",
                out.status.code(),
                conformance::first_difference(&want, &got),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    for case in conformance::VMX2XML_FAILING {
        let input = conformance::folder("vmx2xml").join(format!("{case}.vmx"));
        fails_with(
            &["from", "vmware-vmx", input.to_str().unwrap()],
            "Referenced missing file",
        );
    }
    let total = conformance::VMX2XML_CASES.len();
    println!(
        "virt-native from vmware-vmx: {}/{total} cases byte-identical",
        total - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn default_hardware_version_is_4() {
    let input = conformance::folder("xml2vmx").join("xml2vmx-minimal.xml");
    let out = virt_native(&["to", "vmware-vmx", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("virtualHW.version = \"4\"\n"));
}

#[test]
fn standard_input_is_read_with_a_dash() {
    use std::io::Write;
    let xml = std::fs::read(conformance::folder("xml2vmx").join("xml2vmx-minimal.xml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_virt-native"))
        .args(["to", "vmware-vmx", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&xml).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        conformance::expected("xml2vmx", "xml2vmx-minimal.vmx")
    );
}

fn fails_with(args: &[&str], message: &str) {
    let out = virt_native(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(message),
        "{args:?}: stderr {err:?} lacks {message:?}"
    );
}

#[test]
fn bad_input_fails_with_a_message() {
    let dir = std::env::temp_dir().join(format!("virt-native-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_xml = dir.join("bad.xml");
    std::fs::write(&bad_xml, "<domain type='vmware'><name>x</name").unwrap();
    let odd_memory = dir.join("arch.xml");
    std::fs::write(
        &odd_memory,
        "<domain type='vmware'><name>x</name><memory>4096</memory><os><type arch='ppc64'>hvm</type></os></domain>",
    )
    .unwrap();
    fails_with(
        &["from", "bogus-format", "x"],
        "Unsupported config format 'bogus-format'",
    );
    fails_with(
        &["to", "vmware-vmx", "/nonexistent/file.xml"],
        "cannot read '/nonexistent/file.xml'",
    );
    fails_with(
        &["to", "vmware-vmx", bad_xml.to_str().unwrap()],
        "(domain_definition):1: expected '>'",
    );
    fails_with(
        &["to", "vmware-vmx", odd_memory.to_str().unwrap()],
        "'i686' or 'x86_64' but found 'ppc64'",
    );
    fails_with(
        &["to", "vmware-vmx", "--virtual-hw-version", "x", "f"],
        "is not a number",
    );
    fails_with(&["sideways", "vmware-vmx", "f"], "unknown direction");
    fails_with(&["to", "vmware-vmx", "--nope", "f"], "unknown option '--nope'");
    fails_with(&[], "usage:");
    let bad_vmx = dir.join("bad.vmx");
    std::fs::write(&bad_vmx, "config.version = \"8\"\nvirtualHW.version = 4\n").unwrap();
    fails_with(
        &["from", "vmware-vmx", bad_vmx.to_str().unwrap()],
        "memory conf:2:",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs virt-native on `input` given through standard input.
fn virt_native_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_virt-native"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// One conversion through the binary against a suite's expected file; the
/// input is unwrapped as libvirt's harness loads it.
fn xen_case(format: &str, direction: &str, suite: &str, input: &str, output: &str) -> Option<String> {
    let text = conformance::expected(suite, input);
    let out = virt_native_stdin(&[direction, format, "-"], &text);
    let mut want = conformance::expected(suite, output);
    if suite == "xlconfig" || suite == "xmconfig" {
        want = want.replace(conformance::LIBXL_FIRMWARE_DIR_TOKEN, "/usr/lib/xen/boot");
    }
    let got = String::from_utf8_lossy(&out.stdout);
    (!out.status.success() || got != want).then(|| {
        format!(
            "{format} {direction} {input}: {} {}",
            conformance::first_difference(&want, &got),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn xen_formats_over_their_suites() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for (format, suite, both, to_xml, to_cfg) in [
        (
            "xen-xm",
            "xmconfig",
            conformance::XMCONFIG_ROUND_TRIP,
            conformance::XMCONFIG_CFG_TO_XML,
            &[][..],
        ),
        (
            "xen-xl",
            "xlconfig",
            conformance::XLCONFIG_ROUND_TRIP,
            conformance::XLCONFIG_CFG_TO_XML,
            conformance::XLCONFIG_XML_TO_CFG,
        ),
    ] {
        for case in both.iter().chain(to_xml) {
            if !conformance::exists(suite, &format!("test-{case}.cfg")) {
                continue;
            }
            runs += 1;
            failures.extend(xen_case(
                format,
                "from",
                suite,
                &format!("test-{case}.cfg"),
                &format!("test-{case}.xml"),
            ));
        }
        for case in both.iter().chain(to_cfg) {
            if !conformance::exists(suite, &format!("test-{case}.xml")) {
                continue;
            }
            runs += 1;
            failures.extend(xen_case(
                format,
                "to",
                suite,
                &format!("test-{case}.xml"),
                &format!("test-{case}.cfg"),
            ));
        }
    }
    for case in conformance::SEXPR2XML_CASES {
        let (input, output) = (format!("sexpr2xml-{case}.sexpr"), format!("sexpr2xml-{case}.xml"));
        if conformance::exists("sexpr2xml", &input) {
            runs += 1;
            failures.extend(xen_case("xen-sxpr", "from", "sexpr2xml", &input, &output));
        }
    }
    for (from, to) in conformance::XML2SEXPR_CASES {
        let (input, output) = (format!("xml2sexpr-{from}.xml"), format!("xml2sexpr-{to}.sexpr"));
        if conformance::exists("xml2sexpr", &input) {
            runs += 1;
            failures.extend(xen_case("xen-sxpr", "to", "xml2sexpr", &input, &output));
        }
    }
    println!(
        "virt-native xen formats: {}/{runs} conversions byte-identical",
        runs - failures.len()
    );
    assert!(runs >= 150, "only {runs} conversions");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn xen_bad_input_fails_with_the_line() {
    let out = virt_native_stdin(&["from", "xen-xm", "-"], "name = \"x\"\nmemory = [ 1,\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("memory conf:"), "{err}");
    let out = virt_native_stdin(&["from", "xen-sxpr", "-"], "(domain (name x)");
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty());
}
