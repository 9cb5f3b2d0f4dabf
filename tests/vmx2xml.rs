//! libvirt's vmx2xml suite (tests/vmx2xmltest.c, libvirt 9.0.0) against
//! `native::vmx::parse_config`: every case of ../shared/conformance/vmx2xml
//! converted with the suite's conventions (offline datastore paths, no
//! datacenter path except for the `datacenterpath` case), formatted with
//! SECURE and compared byte for byte with libvirt's output.  Plus the
//! converter's handling of broken input: clear libvirt-style errors, never
//! a panic.

#[path = "support/conformance.rs"]
mod conformance;

use conformance::{VMX2XML_CASES, VMX2XML_FAILING};

use virt::abi::*;
use virt::error::Error;
use virt::native::vmx::{offline, parse_config, Context};
use virt::native::{self, Format};

/// Converts as vmx2xmltest does, through the function virt-native runs.
fn convert(name: &str, vmx: &str) -> Result<String, Error> {
    native::xml_from_native_offline(
        Format::VmwareVmx,
        vmx.as_bytes(),
        &conformance::vmx2xml_options(name),
    )
}

/// Converts text with the offline conventions and no datacenter path.
fn parse(vmx: &str) -> Result<String, Error> {
    convert("adhoc", vmx)
}

fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut out = Vec::new();
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            out.push(format!(
                "    line {}:\n    - {}\n    + {}",
                i + 1,
                a.unwrap_or(&"<none>"),
                b.unwrap_or(&"<none>")
            ));
            if out.len() == 4 {
                break;
            }
        }
    }
    if out.is_empty() {
        "    (identical lines; trailing bytes differ)".into()
    } else {
        out.join("\n")
    }
}

#[test]
fn vmx2xml_cases_are_byte_identical() {
    let dir = conformance::folder("vmx2xml");
    assert!(dir.is_dir(), "{} missing", dir.display());

    // The folder holds exactly the suite's inputs (ethernet-vds-no-params
    // is not part of it; see the test below).
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| n.strip_suffix(".vmx").map(str::to_string))
        .filter(|n| n != "ethernet-vds-no-params")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = VMX2XML_CASES
        .iter()
        .chain(VMX2XML_FAILING)
        .map(|s| s.to_string())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed, "vmx2xml folder and case list differ");

    let mut passed = 0;
    let mut failures = Vec::new();
    for name in VMX2XML_CASES {
        let vmx = conformance::expected("vmx2xml", &format!("{name}.vmx"));
        let want = conformance::expected("vmx2xml", &format!("{name}.xml"));
        match convert(name, &vmx) {
            Ok(got) if got == want => passed += 1,
            Ok(got) => failures.push(format!("{name}:\n{}", diff(&want, &got))),
            Err(e) => failures.push(format!("{name}: conversion failed: {}", e.message)),
        }
    }
    for name in VMX2XML_FAILING {
        let vmx = conformance::expected("vmx2xml", &format!("{name}.vmx"));
        match convert(name, &vmx) {
            Err(e) => {
                assert_eq!(e.domain, VIR_FROM_NONE, "{name}: {}", e.message);
                assert!(
                    e.message.contains("Referenced missing file"),
                    "{name}: {}",
                    e.message
                );
                passed += 1;
            }
            Ok(_) => failures.push(format!("{name}: converted, but libvirt fails it")),
        }
    }
    let total = VMX2XML_CASES.len() + VMX2XML_FAILING.len();
    eprintln!("vmx2xml: {passed}/{total} cases byte-identical");
    assert!(
        failures.is_empty(),
        "vmx2xml: {passed}/{total} cases byte-identical\n{}",
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// A distributed switch port without its port, port group and connection:
/// libvirt 9.0 requires all three (newer libvirt ships an
/// ethernet-vds-no-params case for a later relaxation, outside its test
/// list).  The file is used when present; the same input is checked inline.
#[test]
fn ethernet_vds_without_parameters() {
    const VDS_NO_PARAMS: &str = "config.version = \"8\"\n\
        virtualHW.version = \"4\"\n\
        ethernet0.present = \"true\"\n\
        ethernet0.virtualDev = \"e1000e\"\n\
        ethernet0.addressType = \"vpx\"\n\
        ethernet0.generatedAddress = \"00:50:56:87:65:43\"\n\
        ethernet0.dvs.switchId = \"50 34 26 b2 94 e9 3b 16-1d 68 87 bf ff 4a 54 40\"\n\
        displayName = \"test\"\n";
    let mut inputs = vec![("inline".to_string(), VDS_NO_PARAMS.to_string())];
    let file = conformance::folder("vmx2xml").join("ethernet-vds-no-params.vmx");
    if let Ok(text) = std::fs::read_to_string(file) {
        inputs.push(("ethernet-vds-no-params.vmx".into(), text));
    }
    for (what, text) in inputs {
        let e = parse(&text).expect_err(&what);
        assert_eq!(
            (e.domain, e.code, e.message.as_str()),
            (
                VIR_FROM_NONE,
                VIR_ERR_INTERNAL_ERROR,
                "internal error: Missing essential config entry 'ethernet0.dvs.portgroupId'"
            ),
            "{what}"
        );
    }
    // With all parameters it converts (the ethernet-vds case).
    let full = format!(
        "{VDS_NO_PARAMS}ethernet0.dvs.portId = \"5\"\nethernet0.dvs.portgroupId = \"pg\"\nethernet0.dvs.connectionId = \"7\"\n"
    );
    let xml = parse(&full).unwrap();
    assert!(
        xml.contains("<source switchid='503426b2-94e9-3b16-1d68-87bfff4a5440' portid='5' portgroupid='pg' connectionid='7'/>"),
        "{xml}"
    );
}

const HEAD: &str = "config.version = \"8\"\nvirtualHW.version = \"4\"\n";

fn err(vmx: &str) -> Error {
    match parse(vmx) {
        Ok(xml) => panic!("converted:\n{vmx}\n->\n{xml}"),
        Err(e) => e,
    }
}

fn internal(vmx: &str) -> String {
    let e = err(vmx);
    assert_eq!(
        (e.domain, e.code),
        (VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR),
        "{}",
        e.message
    );
    e.message
}

#[test]
fn syntax_errors_name_the_line() {
    let e = err(&format!("{HEAD}displayName = \"a\"\nthis is not a setting\n"));
    assert_eq!((e.domain, e.code), (VIR_FROM_CONF, VIR_ERR_CONF_SYNTAX));
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:4: expecting an assignment"
    );
    // Numbers and lists must be quoted in VMX files.
    let e = err(&format!("{HEAD}memsize = 512\n"));
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:3: numbers not allowed in VMX format"
    );
    let e = err(&format!("{HEAD}x = [ \"a\" ]\n"));
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:3: lists not allowed in VMX format"
    );
}

#[test]
fn truncated_files_are_refused() {
    let e = err("config.version = \"8\"\nvirtualHW.version = \"4");
    assert_eq!((e.domain, e.code), (VIR_FROM_CONF, VIR_ERR_CONF_SYNTAX));
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:2: unterminated string"
    );
    let e = err("config.version = \"8\"\nvirtualHW.version =");
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:2: expecting a value"
    );
    let e = err("config.version = \"8\"\nvirtualHW.vers");
    assert_eq!(
        e.message,
        "configuration file syntax error: memory conf:2: expecting an assignment"
    );
    // Cut before the essential entries.
    assert_eq!(
        internal("config.version = \"8\"\n"),
        "internal error: Missing essential config entry 'virtualHW.version'"
    );
    assert_eq!(
        internal(""),
        "internal error: Missing essential config entry 'config.version'"
    );
}

#[test]
fn essential_entries_and_versions() {
    assert_eq!(
        internal("virtualHW.version = \"4\"\n"),
        "internal error: Missing essential config entry 'config.version'"
    );
    assert_eq!(
        internal("config.version = \"8\"\ndisplayName = \"x\"\n"),
        "internal error: Missing essential config entry 'virtualHW.version'"
    );
    assert_eq!(
        internal("config.version = \"7\"\nvirtualHW.version = \"4\"\n"),
        "internal error: Expecting VMX entry 'config.version' to be 8 but found 7"
    );
    assert_eq!(
        internal("config.version = \"8\"\nvirtualHW.version = \"3\"\n"),
        "internal error: Expecting VMX entry 'virtualHW.version' to be 4 or higher but found 3"
    );
    assert_eq!(
        internal("config.version = \"8\"\nvirtualHW.version = \"four\"\n"),
        "internal error: Config entry 'virtualHW.version' must represent an integer value"
    );
    // Newer hardware versions are fine.
    assert!(parse("config.version = \"8\"\nvirtualHW.version = \"19\"\n").is_ok());
}

#[test]
fn wrong_value_types() {
    let cases = [
        (
            "memsize = \"abc\"",
            "Config entry 'memsize' must represent an integer value",
        ),
        (
            "memsize = \"1023\"",
            "Expecting VMX entry 'memsize' to be an unsigned integer (multiple of 4) but found 1023",
        ),
        (
            "memsize = \"-4\"",
            "Expecting VMX entry 'memsize' to be an unsigned integer (multiple of 4) but found -4",
        ),
        (
            "numvcpus = \"0\"",
            "Expecting VMX entry 'numvcpus' to be an unsigned integer greater than 0 but found 0",
        ),
        (
            "scsi0.present = \"yes\"",
            "Config entry 'scsi0.present' must represent a boolean value (true|false)",
        ),
        (
            "uuid.bios = \"not a uuid\"",
            "Could not parse UUID from string 'not a uuid'",
        ),
        (
            "sched.cpu.shares = \"lots\"",
            "Expecting VMX entry 'sched.cpu.shares' to be an unsigned integer or 'low', 'normal' or 'high' but found 'lots'",
        ),
        (
            "annotation = \"bad |zz escape\"",
            "VMX entry 'annotation' contains invalid escape sequence",
        ),
        (
            "firmware = \"bios\"",
            "VMX entry 'firmware' has unknown value 'bios'",
        ),
        (
            "ethernet0.present = \"true\"\nethernet0.addressType = \"static\"\nethernet0.address = \"00:50:56:zz:22:33\"",
            "Expecting VMX entry 'ethernet0.address' to be MAC address but found '00:50:56:zz:22:33'",
        ),
        (
            "ethernet0.present = \"true\"\nethernet0.virtualDev = \"rtl8139\"",
            "Expecting VMX entry 'ethernet0.virtualDev' to be 'vlance' or 'vmxnet' or 'vmxnet3' or 'e1000' or 'e1000e' but found 'rtl8139'",
        ),
        (
            "ethernet.present = \"true\"",
            "failed to parse the index of the VMX key 'ethernet.present'",
        ),
        (
            "scsi0.present = \"true\"\nscsi0.virtualDev = \"AUTO\"",
            "Expecting VMX entry 'scsi0.virtualDev' to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'pvscsi' but found 'auto'",
        ),
        (
            "ide0:0.present = \"true\"\nide0:0.fileName = \"disk.img\"",
            "Invalid or not yet handled value 'disk.img' for VMX entry 'ide0:0.fileName' for device type 'unknown'",
        ),
        (
            "serial0.present = \"true\"\nserial0.fileType = \"network\"\nserial0.fileName = \"telnet://host\"",
            "VMX entry 'serial0.fileName' doesn't contain a port part",
        ),
        (
            "parallel0.present = \"true\"\nparallel0.fileType = \"file\"",
            "Missing essential config entry 'parallel0.fileName'",
        ),
        (
            "numvcpus = \"2\"\nsched.cpu.affinity = \"0,x\"",
            "Expecting VMX entry 'sched.cpu.affinity' to be a comma separated list of unsigned integers but found '0,x'",
        ),
    ];
    for (entries, message) in cases {
        assert_eq!(
            internal(&format!("{HEAD}{entries}\n")),
            format!("internal error: {message}"),
            "{entries}"
        );
    }
}

#[test]
fn huge_numbers_are_refused_cleanly() {
    let cases = [
        (
            "memsize = \"99999999999999999999999999\"",
            "Config entry 'memsize' must represent an integer value",
        ),
        (
            "memsize = \"9223372036854775804\"",
            "Expecting VMX entry 'memsize' to be at most 9007199254740991 but found 9223372036854775804",
        ),
        (
            "numvcpus = \"4294967296\"",
            "Expecting VMX entry 'numvcpus' to be at most 4294967295 but found 4294967296",
        ),
        (
            "sched.cpu.affinity = \"4096\"",
            "VMX entry 'sched.cpu.affinity' contains a 4096, this value is too large",
        ),
        (
            "ethernet99999999999.present = \"true\"",
            "failed to parse the index of the VMX key 'ethernet99999999999.present'",
        ),
    ];
    for (entries, message) in cases {
        assert_eq!(
            internal(&format!("{HEAD}{entries}\n")),
            format!("internal error: {message}"),
            "{entries}"
        );
    }
    // Large but meaningful values convert (and huge indexes cost nothing).
    let xml = parse(&format!(
        "{HEAD}memsize = \"4194304\"\nsched.mem.max = \"9223372036854775807\"\n\
         sharedFolder.maxNum = \"9223372036854775807\"\nisolation.tools.hgfs.disable = \"false\"\n\
         ethernet2147483647.present = \"true\"\nethernet2147483647.networkName = \"n\"\n"
    ))
    .unwrap();
    assert!(xml.contains("<memory unit='KiB'>4294967296</memory>"), "{xml}");
    assert!(
        xml.contains("<currentMemory unit='KiB'>4294967296</currentMemory>"),
        "{xml}"
    );
    assert!(xml.contains("<source bridge='n'/>"), "{xml}");
}

#[test]
fn unknown_entries_are_ignored() {
    let plain = parse(&format!("{HEAD}displayName = \"t\"\n")).unwrap();
    let noisy = parse(&format!(
        "{HEAD}displayName = \"t\"\nsomething.unknown = \"1\"\nfoo-bar:baz.qux = 'single quoted'\n\
         # a comment\nusb.present = \"TRUE\"\nsound.virtualDev = \"es1371\"\n"
    ))
    .unwrap();
    assert_eq!(plain, noisy);
}

#[test]
fn missing_context_callback_is_an_error() {
    let ctx = Context {
        parse_file_name: None,
        format_file_name: None,
        autodetect_scsi_model: None,
        datacenter_path: None,
    };
    let e = parse_config(&ctx, HEAD).unwrap_err();
    assert_eq!(
        e.message,
        "internal error: virVMXContext has no parseFileName function set"
    );
}

#[test]
fn name_escapes_encoding_and_details() {
    // displayName: %XX then |XX escapes; no name at all leaves <name> out.
    let xml = parse(&format!("{HEAD}displayName = \"a%2Fb|7Cc\"\n")).unwrap();
    assert!(xml.contains("<name>a/b|c</name>"), "{xml}");
    assert_eq!(
        internal(&format!("{HEAD}displayName = \"bad%zz\"\n")),
        "internal error: VMX entry 'name' contains invalid escape sequence"
    );
    let xml = parse(HEAD).unwrap();
    assert!(!xml.contains("<name>"), "{xml}");

    // A declared legacy encoding is converted before reading.
    let mut latin1 = b".encoding = \"ISO-8859-1\"\n".to_vec();
    latin1.extend_from_slice(HEAD.as_bytes());
    latin1.extend_from_slice(b"displayName = \"caf\xe9\"\n");
    let parse_file_name = offline::parse_file_name;
    let ctx = Context {
        parse_file_name: Some(&parse_file_name),
        format_file_name: None,
        autodetect_scsi_model: None,
        datacenter_path: None,
    };
    let def = virt::native::vmx::parse::parse_config_bytes(&ctx, &latin1).unwrap();
    assert_eq!(def.name, "café");
    assert_eq!(
        internal(&format!(".encoding = \"no-such-set\"\n{HEAD}")),
        "internal error: libxml2 doesn't handle no-such-set encoding"
    );

    // VNC without a port: the server picks one.
    let xml = parse(&format!("{HEAD}RemoteDisplay.vnc.enabled = \"true\"\n")).unwrap();
    assert!(
        xml.contains("<graphics type='vnc' port='-1' autoport='yes'>"),
        "{xml}"
    );

    // Shares scale with the vCPU count; affinity becomes a cpuset.
    let xml = parse(&format!(
        "{HEAD}numvcpus = \"4\"\nsched.cpu.shares = \"high\"\nsched.cpu.affinity = \" 1, 3,5 ,7\"\n"
    ))
    .unwrap();
    assert!(
        xml.contains("<vcpu placement='static' cpuset='1,3,5,7'>4</vcpu>"),
        "{xml}"
    );
    assert!(xml.contains("<shares>8000</shares>"), "{xml}");
    assert_eq!(
        internal(&format!("{HEAD}numvcpus = \"4\"\nsched.cpu.affinity = \"1,2\"\n")),
        "internal error: Expecting VMX entry 'sched.cpu.affinity' to contain at least as many values as 'numvcpus' (4) but found only 2 value(s)"
    );
    assert_eq!(
        internal(&format!("{HEAD}numvcpus = \"2\"\ncpuid.coresPerSocket = \"4\"\n")),
        "internal error: VMX entry 'cpuid.coresPerSocket' smaller than 'numvcpus'"
    );

    // Video memory is rounded up to a power of two.
    let xml = parse(&format!("{HEAD}svga.vramSize = \"5000000\"\n")).unwrap();
    assert!(
        xml.contains("<model type='vmvga' vram='8192' primary='yes'/>"),
        "{xml}"
    );
}

#[test]
fn sata_controllers_come_before_floppy_and_ide_ones() {
    let xml = parse(&format!(
        "{HEAD}sata0.present = \"true\"\nsata0:1.present = \"true\"\nsata0:1.fileName = \"a.vmdk\"\n\
         ide0:0.present = \"true\"\nide0:0.fileName = \"b.vmdk\"\n\
         floppy0.present = \"true\"\nfloppy0.fileType = \"device\"\nfloppy0.fileName = \"/dev/fd0\"\n"
    ))
    .unwrap();
    let order: Vec<&str> = xml
        .lines()
        .filter(|l| l.contains("<controller") || l.contains("<target dev="))
        .map(str::trim)
        .collect();
    assert_eq!(
        order,
        [
            "<target dev='sdb' bus='sata'/>",
            "<target dev='hda' bus='ide'/>",
            "<target dev='fda' bus='fdc'/>",
            "<controller type='sata' index='0'/>",
            "<controller type='fdc' index='0'/>",
            "<controller type='ide' index='0'/>",
        ]
    );
}

/// Every prefix of every suite input, and inputs with one byte changed,
/// convert or fail with an error: no panic.
#[test]
fn damaged_inputs_never_panic() {
    let mut runs = 0;
    for name in VMX2XML_CASES.iter().chain(VMX2XML_FAILING) {
        let vmx = conformance::expected("vmx2xml", &format!("{name}.vmx"));
        let bytes = vmx.as_bytes();
        for cut in (0..=bytes.len()).step_by(2) {
            let text = String::from_utf8_lossy(&bytes[..cut]);
            let _ = convert(name, &text);
            runs += 1;
        }
        let replacements = [b'"', b'=', b'\n', b'|', b'%', b'9', b'-'];
        for (n, at) in (0..bytes.len()).step_by(7).enumerate() {
            let mut damaged = bytes.to_vec();
            damaged[at] = replacements[n % replacements.len()];
            let text = String::from_utf8_lossy(&damaged);
            let _ = convert(name, &text);
            runs += 1;
        }
    }
    assert!(runs > 1000);
}
