//! What the converter tests share about libvirt's suites in
//! ../shared/conformance: where they are, which cases they hold and the
//! options libvirt's harness runs each case with.
// Each test crate uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use virt::native::OfflineOptions;

/// A suite's folder.
pub fn folder(suite: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance")
        .join(suite)
}

/// The names in `suite` of files `PREFIX<name>SUFFIX`, sorted.
pub fn names(suite: &str, prefix: &str, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder(suite))
        .unwrap_or_else(|e| panic!("../shared/conformance/{suite} is not readable: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| Some(n.strip_prefix(prefix)?.strip_suffix(suffix)?.to_string()))
        .collect();
    names.sort();
    names
}

/// A file of a suite, with libvirt's harness conventions: backslash-newline
/// pairs removed and a newline added when the file lacks a final one.
pub fn expected(suite: &str, file: &str) -> String {
    let text =
        std::fs::read_to_string(folder(suite).join(file)).unwrap_or_else(|e| panic!("{suite}/{file}: {e}"));
    let mut text = text.replace("\\\n", "");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// libvirt 9.0.0's vmx2xml cases, in the suite's order (11.3.0's list
/// without esx-in-the-wild-12..14).
pub const VMX2XML_CASES: &[&str] = &[
    "case-insensitive-1",
    "case-insensitive-2",
    "minimal",
    "minimal-64bit",
    "graphics-vnc",
    "scsi-driver",
    "scsi-writethrough",
    "harddisk-scsi-file",
    "harddisk-ide-file",
    "harddisk-transient",
    "cdrom-scsi-file",
    "cdrom-scsi-empty",
    "cdrom-scsi-device",
    "cdrom-scsi-raw-device",
    "cdrom-scsi-passthru",
    "cdrom-ide-file",
    "cdrom-ide-empty",
    "cdrom-ide-empty-2",
    "cdrom-ide-device",
    "cdrom-ide-raw-device",
    "cdrom-ide-raw-auto-detect",
    "cdrom-ide-file-missing-datastore",
    "cdrom-ide-file-missing-file",
    "floppy-file",
    "floppy-device",
    "sharedfolder",
    "ethernet-e1000",
    "ethernet-vmxnet2",
    "ethernet-custom",
    "ethernet-bridged",
    "ethernet-nat",
    "ethernet-generated",
    "ethernet-static",
    "ethernet-vpx",
    "ethernet-other",
    "ethernet-null",
    "ethernet-vds",
    "serial-file",
    "serial-device",
    "serial-pipe-client-app",
    "serial-pipe-client-vm",
    "serial-pipe-server-app",
    "serial-pipe-server-vm",
    "serial-network-server",
    "parallel-file",
    "parallel-device",
    "esx-in-the-wild-1",
    "esx-in-the-wild-2",
    "esx-in-the-wild-4",
    "esx-in-the-wild-5",
    "esx-in-the-wild-7",
    "esx-in-the-wild-8",
    "esx-in-the-wild-10",
    "gsx-in-the-wild-1",
    "gsx-in-the-wild-3",
    "ws-in-the-wild-1",
    "annotation",
    "smbios",
    "svga",
    "firmware-efi",
    "datacenterpath",
];

/// DO_TEST_FAIL cases: the conversion must fail (a disk image that is not
/// there).
pub const VMX2XML_FAILING: &[&str] = &[
    "harddisk-ide-file-missing-datastore",
    "harddisk-scsi-file-missing-file",
];

/// The options libvirt's vmx2xml harness converts case `name` with.
pub fn vmx2xml_options(name: &str) -> OfflineOptions {
    OfflineOptions {
        virtual_hw_version: None,
        datacenter_path: (name == "datacenterpath").then(|| "folder1/folder2/datacenter1".to_string()),
    }
}

/// xml2vmx cases (input and output share the name) with the options libvirt's
/// harness converts them with.
pub fn xml2vmx_cases() -> Vec<(String, OfflineOptions)> {
    names("xml2vmx", "xml2vmx-", ".vmx")
        .into_iter()
        .map(|case| {
            let version = match case.as_str() {
                "serial-network-server" | "serial-network-client" => 7,
                "ws-in-the-wild-1" | "ws-in-the-wild-2" => 8,
                "fusion-in-the-wild-1" => 9,
                "esx-in-the-wild-9" => 10,
                _ => 4,
            };
            let opts = OfflineOptions {
                virtual_hw_version: Some(version),
                datacenter_path: None,
            };
            (case, opts)
        })
        .collect()
}

/// The first line where two texts differ, for failure messages.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            return format!("line {}: expected {:?}, got {:?}", i + 1, a, b);
        }
    }
    "trailing newline differs".to_string()
}

/// libvirt 9.0.0's xmconfig cases run in both directions (DO_TEST).
pub const XMCONFIG_ROUND_TRIP: &[&str] = &[
    "paravirt-new-pvfb",
    "paravirt-new-pvfb-vncdisplay",
    "paravirt-net-e1000",
    "paravirt-net-fakemodel",
    "paravirt-vcpu",
    "paravirt-maxvcpus",
    "fullvirt-new-cdrom",
    "fullvirt-utc",
    "fullvirt-localtime",
    "fullvirt-usbtablet",
    "fullvirt-usbmouse",
    "fullvirt-serial-file",
    "fullvirt-serial-null",
    "fullvirt-serial-pipe",
    "fullvirt-serial-pty",
    "fullvirt-serial-stdio",
    "fullvirt-serial-tcp",
    "fullvirt-serial-udp",
    "fullvirt-serial-unix",
    "fullvirt-force-hpet",
    "fullvirt-force-nohpet",
    "fullvirt-nohap",
    "fullvirt-parallel-tcp",
    "fullvirt-net-netfront",
    "no-source-cdrom",
    "disk-drv-blktap-raw",
    "disk-drv-blktap2-raw",
];

/// xmconfig cases run only cfg -> XML (DO_TEST_FORMAT).
pub const XMCONFIG_CFG_TO_XML: &[&str] = &["paravirt-root", "paravirt-extra-root", "pci-dev-syntax"];

/// libvirt 9.0.0's xlconfig cases run in both directions (DO_TEST and
/// DO_TEST_REPLACE_VARS), plus vif-rate, whose files are in the folder.
pub const XLCONFIG_ROUND_TRIP: &[&str] = &[
    "fullvirt-ovswitch-tagged",
    "fullvirt-ovswitch-trunked",
    "paravirt-maxvcpus",
    "new-disk",
    "net-fakemodel",
    "spice",
    "fullvirt-nohap",
    "fullvirt-hpet-timer",
    "fullvirt-tsc-timer",
    "fullvirt-multi-timer",
    "fullvirt-nestedhvm",
    "fullvirt-nestedhvm-disabled",
    "fullvirt-acpi-slic",
    "fullvirt-pci",
    "paravirt-cmdline",
    "pvh-type",
    "channel-pty",
    "channel-unix",
    "fullvirt-multiserial",
    "fullvirt-multiusb",
    "fullvirt-direct-kernel-boot",
    "max-gntframes",
    "max-eventchannels",
    "vif-typename",
    "vif-rate",
    "usb",
    "paravirt-e820_host",
    "fullvirt-hypervisor-features",
    "qemu-passthrough",
    "fullvirt-ovmf",
];

/// xlconfig cases run only cfg -> XML (DO_TEST_FORMAT; 11.3.0's
/// fullvirt-direct-kernel-boot-bogus-extra is not in 9.0.0).
pub const XLCONFIG_CFG_TO_XML: &[&str] = &[
    "disk-positional-parms-full",
    "disk-qed",
    "paravirt-cmdline-extra-root",
    "paravirt-cmdline-bogus-extra-root",
    "paravirt-type",
    "fullvirt-type",
    "fullvirt-direct-kernel-boot-extra",
];

/// xlconfig cases run only XML -> cfg (DO_TEST_PARSE).
pub const XLCONFIG_XML_TO_CFG: &[&str] = &[
    "fullvirt-vnuma-autocomplete",
    "fullvirt-vnuma-nodistances",
    "fullvirt-vnuma-partialdist",
];

/// The firmware directory the xlconfig harness substitutes for the
/// `/LIBXL_FIRMWARE_DIR` token of its XML files (our build's
/// `virt::native::xen::common::FIRMWARE_DIR`).
pub const LIBXL_FIRMWARE_DIR_TOKEN: &str = "/LIBXL_FIRMWARE_DIR";
/// libvirt's sexpr2xml cases (sexpr2xmltest.c, last version before its
/// removal in 5.6.0), in the suite's order; input and output share the name.
/// `vif-rate` is listed there but its files are not in the corpus.
pub const SEXPR2XML_CASES: &[&str] = &[
    "pv",
    "fv",
    "pv",
    "fv-v2",
    "pv-vfb-new",
    "pv-vfb-new-vncdisplay",
    "fv-autoport",
    "pv-bootloader",
    "pv-bootloader-cmdline",
    "pv-vcpus",
    "disk-file",
    "disk-block",
    "disk-block-shareable",
    "disk-drv-blktap-raw",
    "disk-drv-blktap2-raw",
    "curmem",
    "net-routed",
    "net-bridged",
    "net-e1000",
    "no-source-cdrom",
    "pv-localtime",
    "fv-utc",
    "fv-localtime",
    "fv-usbmouse",
    "fv-usbtablet",
    "fv-force-hpet",
    "fv-force-nohpet",
    "fv-serial-null",
    "fv-serial-file",
    "fv-serial-dev-2-ports",
    "fv-serial-stdio",
    "fv-serial-pty",
    "fv-serial-pipe",
    "fv-serial-tcp",
    "fv-serial-tcp-telnet",
    "fv-serial-unix",
    "fv-parallel-tcp",
    "fv-sound",
    "fv-net-netfront",
    "fv-empty-kernel",
    "vif-rate",
];

/// Files of the sexpr2xml folder the last suite no longer listed but whose
/// expected XML is still that converter's output (fv-legacy-vfb is not:
/// it predates the suite's last XML format).
pub const SEXPR2XML_EXTRA: &[&str] = &["fv-serial-udp", "pci-devs"];

/// libvirt's xml2sexpr cases (xml2sexprtest.c, with fv-net-many-models as
/// added before its removal), in the suite's order: (input, output).
/// `escape` is listed there but its files are not in the corpus.
pub const XML2SEXPR_CASES: &[(&str, &str)] = &[
    ("pv", "pv"),
    ("fv", "fv"),
    ("pv", "pv"),
    ("fv", "fv-v2"),
    ("pv-vfb-new", "pv-vfb-new"),
    ("pv-bootloader", "pv-bootloader"),
    ("pv-bootloader-cmdline", "pv-bootloader-cmdline"),
    ("pv-vcpus", "pv-vcpus"),
    ("disk-file", "disk-file"),
    ("disk-block", "disk-block"),
    ("disk-block-shareable", "disk-block-shareable"),
    ("disk-drv-blkback", "disk-drv-blkback"),
    ("disk-drv-blktap", "disk-drv-blktap"),
    ("disk-drv-blktap-raw", "disk-drv-blktap-raw"),
    ("disk-drv-blktap2-raw", "disk-drv-blktap2-raw"),
    ("curmem", "curmem"),
    ("net-routed", "net-routed"),
    ("net-bridged", "net-bridged"),
    ("net-e1000", "net-e1000"),
    ("no-source-cdrom", "no-source-cdrom"),
    ("pv-localtime", "pv-localtime"),
    ("fv-utc", "fv-utc"),
    ("fv-localtime", "fv-localtime"),
    ("fv-usbmouse", "fv-usbmouse"),
    ("fv-usbmouse", "fv-usbmouse"),
    ("fv-force-hpet", "fv-force-hpet"),
    ("fv-force-nohpet", "fv-force-nohpet"),
    ("fv-serial-null", "fv-serial-null"),
    ("fv-serial-file", "fv-serial-file"),
    ("fv-serial-dev-2-ports", "fv-serial-dev-2-ports"),
    ("fv-serial-stdio", "fv-serial-stdio"),
    ("fv-serial-pty", "fv-serial-pty"),
    ("fv-serial-pipe", "fv-serial-pipe"),
    ("fv-serial-tcp", "fv-serial-tcp"),
    ("fv-serial-tcp-telnet", "fv-serial-tcp-telnet"),
    ("fv-serial-unix", "fv-serial-unix"),
    ("fv-parallel-tcp", "fv-parallel-tcp"),
    ("fv-sound", "fv-sound"),
    ("fv-net-many-models", "fv-net-many-models"),
    ("fv-net-netfront", "fv-net-netfront"),
    ("escape", "escape"),
];

/// Files of the xml2sexpr folder earlier versions of the suite used (their
/// expected output may predate the last converter; xml2sexpr-fv-usbtablet
/// does, with XenD 3.0.2's `ioemu:` device names).
pub const XML2SEXPR_EXTRA: &[&str] = &[
    "boot-grub",
    "bridge-ipaddr",
    "disk-drv-blktap-qcow",
    "fv-kernel",
    "fv-serial-dev-2nd-port",
    "pci-devs",
];

/// Whether a suite file exists.
pub fn exists(suite: &str, file: &str) -> bool {
    folder(suite).join(file).is_file()
}
