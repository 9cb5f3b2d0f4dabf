//! Debian's unmodified python3-libvirt driving the Hyper-V driver through
//! our libvirt.so.0 (its C API) against the WS-Management test server.
//! Debian's libvirt is built without the hyperv driver, so the server's
//! state is the reference.

mod hyperv;

use std::path::PathBuf;
use std::process::Command;

use hyperv::server::{Opts, Server};

const SCRIPT: &str = r#"
import os, sys
sys.path.insert(0, os.environ["MAPPED_DIR"])
import libvirt, mapped
mapped.check()
uri = sys.argv[1]
def cb(creds, data):
    for c in creds:
        c[4] = "administrator" if c[0] == libvirt.VIR_CRED_AUTHNAME else sys.argv[2]
    return 0
auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], cb, None]
conn = libvirt.openAuth(uri, auth, 0)
print("loaded", mapped.loaded_from())
print("type", conn.getType())
print("version", conn.getVersion())
print("hostname", conn.getHostname())
print("maxvcpus", conn.getMaxVcpus(None))
print("node", conn.getInfo())
print("free", conn.getFreeMemory())
for d in sorted(conn.listAllDomains(), key=lambda d: d.name()):
    print("dom", repr(d.name()), d.UUIDString(), d.ID(), d.info())
print("ids", sorted(conn.listDomainsID()), "defined", sorted(conn.listDefinedDomains()))
w = conn.lookupByName("web01")
print("sendkey", w.sendKey(libvirt.VIR_KEYCODE_SET_LINUX, 0, [29, 56, 111], 3, 0))
d = conn.lookupByName("db & <backup>")
print("xmlname", "<name>db &amp; &lt;backup&gt;</name>" in d.XMLDesc(0))
d.create()
print("after-create", d.state(), d.isActive())
d.suspend()
print("after-suspend", d.state())
d.resume()
d.managedSave()
print("after-save", d.state(), d.hasManagedSaveImage())
d.managedSaveRemove()
print("after-remove", d.state(), d.hasManagedSaveImage())
d.setMemoryFlags(1536 * 1024, 0)
d.setVcpusFlags(3, 0)
print("info", d.info())
d.setAutostart(1)
print("autostart", d.autostart())
print("sched", d.schedulerType(), sorted(d.schedulerParameters().items()))
x = "<domain type='hyperv'><name>py-vm</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>"
n = conn.defineXML(x)
print("defined", n.name(), n.info()[1], n.isPersistent())
n.undefine()
try:
    conn.lookupByName("py-vm")
except libvirt.libvirtError as e:
    print("gone", e.get_error_code(), e.get_error_domain())
print("networks", conn.listNetworks(), [x.name() for x in conn.listAllNetworks()])
try:
    libvirt.open(uri)
except libvirt.libvirtError as e:
    print("noauth", e.get_error_code(), e.get_error_domain(), e.get_error_message())
try:
    libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], lambda c, d: [x.__setitem__(4, "wrong") for x in c] and 0, None], 0)
except libvirt.libvirtError as e:
    print("badpass", e.get_error_code(), e.get_error_domain())
try:
    libvirt.openAuth("hyperv+ssh://example.com/", auth, 0)
except libvirt.libvirtError as e:
    print("ssh", e.get_error_code(), e.get_error_domain())
conn.close()
"#;

/// The library cargo built beside this test, installed as libvirt.so.0.
fn our_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let built = exe.parent().unwrap().join("libvirt.so");
    assert!(built.exists(), "{} was not built", built.display());
    let dir = std::env::temp_dir().join(format!("hyperv-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&built, dir.join("libvirt.so.0")).unwrap();
    dir
}

#[test]
fn python_binding_runs_the_hyperv_driver() {
    let has_binding = Command::new("/usr/bin/python3")
        .args(["-c", "import libvirt"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_binding {
        eprintln!("skipped: /usr/bin/python3 cannot import libvirt (python3-libvirt is not installed)");
        return;
    }
    let server = Server::start(Opts::default());
    let lib = our_library();
    let script = lib.join("hyperv.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let password = server.state.lock().unwrap().opts.password.clone();
    let mapped = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(server.uri(""))
        .arg(&password)
        .env("LD_LIBRARY_PATH", &lib)
        .env("EXPECT_LIBVIRT_DIR", &lib)
        .env("MAPPED_DIR", mapped)
        .env("LIBVIRT_DEFAULT_URI", "")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&lib);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let field = |key: &str| -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no '{key}' in:\n{stdout}"))
            .to_string()
    };
    assert!(field("loaded").contains("hyperv-python-"), "{stdout}");
    assert_eq!(field("type"), "Hyper-V");
    assert_eq!(field("version"), "1000014393");
    assert_eq!(field("hostname"), "hyperv-test");
    assert_eq!(field("maxvcpus"), "64");
    // Win32_OperatingSystem.FreePhysicalMemory (KiB) in bytes.
    assert_eq!(field("free"), (12582912u64 * 1024).to_string());
    // [model, memory MiB, cpus, mhz, nodes, sockets, cores, threads]
    assert_eq!(
        field("node"),
        "['Intel Xeon CPU E5-2670 0', 32768, 16, 2600, 1, 2, 8, 2]"
    );
    // Every VM the server holds is listed, with its state and sizes.
    let vms: Vec<_> = server
        .instances("Msvm_ComputerSystem")
        .into_iter()
        .filter(|v| v.get("Caption") == Some("Virtual Machine"))
        .collect();
    let listed: Vec<&str> = lines.iter().filter(|l| l.starts_with("dom ")).copied().collect();
    assert_eq!(listed.len(), vms.len(), "{stdout}");
    assert!(stdout.contains("dom 'db & <backup>'"), "{stdout}");
    assert_eq!(field("xmlname"), "True");
    assert_eq!(field("sendkey"), "0");
    assert_eq!(server.state.lock().unwrap().keys.len(), 6);
    // (state, reason): running 1, paused 3, shut off 5.
    assert!(field("after-create").starts_with("[1, 0] 1"), "{stdout}");
    assert_eq!(field("after-suspend"), "[3, 0]");
    assert_eq!(field("after-save"), "[5, 0] 1");
    assert_eq!(field("after-remove"), "[5, 0] 0");
    // [state, maxMem KiB, memory KiB, vcpus, cpuTime]
    assert_eq!(field("info"), "[5, 4194304, 1572864, 3, 0]");
    assert_eq!(field("autostart"), "1");
    assert_eq!(
        field("sched"),
        "('allocation', 3) [('limit', 100000), ('reservation', 0), ('weight', 100)]"
    );
    assert_eq!(field("defined"), "py-vm 262144 1");
    // VIR_ERR_NO_DOMAIN (42) in VIR_FROM_HYPERV (43).
    assert_eq!(field("gone"), "42 43");
    assert_eq!(field("networks"), "['External Switch'] ['External Switch']");
    // VIR_ERR_INVALID_ARG (8): virConnectOpen has no callback.
    assert_eq!(
        field("noauth"),
        "8 43 invalid argument: Missing or invalid auth pointer"
    );
    // VIR_ERR_AUTH_FAILED (45).
    assert_eq!(field("badpass"), "45 43");
    assert_eq!(field("ssh"), "8 43");
    // The server holds what python changed.
    let db = server.vm("db & <backup>").unwrap();
    assert_eq!(db.get("EnabledState"), Some("3"));
    assert!(server.vm("py-vm").is_none());
}
