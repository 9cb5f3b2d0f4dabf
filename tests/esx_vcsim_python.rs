//! Debian's unmodified python3-libvirt driving the ESX driver through our
//! libvirt.so.0 against vcsim (libvirt 9.0's own ESX driver cannot log into
//! the simulator, so this is checked against the simulator, not libvirt).

mod esx;

use std::collections::HashSet;
use std::process::Command;

use esx::oracle::Oracle;
use esx::sim::{Sim, SimOpts};

const SCRIPT: &str = r#"
import sys, libvirt
uri = sys.argv[1]
def cb(creds, data):
    for c in creds:
        c[4] = "root" if c[0] == libvirt.VIR_CRED_AUTHNAME else "pw"
    return 0
conn = libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], cb, None], 0)
print("loaded", sum(1 for l in open("/proc/self/maps") if sys.argv[3] in l) > 0)
print("type", conn.getType())
print("version", conn.getVersion())
for d in conn.listAllDomains():
    print("dom", d.name(), d.UUIDString(), d.info()[0], d.info()[1])
d = conn.lookupByName(sys.argv[2])
if d.isActive():
    d.destroy()
print("after-destroy", d.state()[0])
d.create()
print("after-create", d.state()[0])
d.suspend()
print("after-suspend", d.state()[0])
d.resume()
try:
    d.shutdown()
except libvirt.libvirtError as e:
    print("shutdown", e.get_error_code(), e.get_error_domain())
print("sched", d.schedulerType()[0], sorted(d.schedulerParameters().items()))
d.snapshotCreateXML("<domainsnapshot><name>py</name></domainsnapshot>")
print("snapshots", d.snapshotListNames(), d.snapshotCurrent().getName())
try:
    libvirt.open(uri)
except libvirt.libvirtError as e:
    print("noauth", e.get_error_code(), e.get_error_domain())
conn.close()
"#;

/// Runs `script` (called `name`) with Debian's python3-libvirt on the
/// library cargo built beside this test, installed as libvirt.so.0 in a
/// folder of the script's own; `args` follow the script, then that folder.
/// Its standard output, or `None` when python3-libvirt is not installed.
fn run_python(name: &str, script: &str, args: &[&str]) -> Option<String> {
    let has_binding = Command::new("/usr/bin/python3")
        .args(["-c", "import libvirt"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_binding {
        eprintln!("skipped: /usr/bin/python3 cannot import libvirt (python3-libvirt is not installed)");
        return None;
    }
    let exe = std::env::current_exe().unwrap();
    let built = exe.parent().unwrap().join("libvirt.so");
    assert!(built.exists(), "{} was not built", built.display());
    let dir = std::env::temp_dir().join(format!("esx-python-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&built, dir.join("libvirt.so.0")).unwrap();
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, script).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(&path)
        .args(args)
        .arg(&dir)
        .env("LD_LIBRARY_PATH", &dir)
        .env("LIBVIRT_DEFAULT_URI", "")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

#[test]
fn python_binding_runs_the_esx_driver() {
    let sim = Sim::start(SimOpts {
        esx: true,
        ..Default::default()
    });
    let o = Oracle::new(sim.port, false, "root", "pw");
    let vms = o.vms(&[]);
    let name = vms[0]["name"].clone();
    let Some(stdout) = run_python("esx", SCRIPT, &[&sim.uri("esx", "", "?no_verify=1"), &name]) else {
        return;
    };
    let lines: Vec<&str> = stdout.lines().collect();
    let field = |key: &str| -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no '{key}' in:\n{stdout}"))
            .to_string()
    };
    assert_eq!(field("loaded"), "True");
    assert_eq!(field("type"), "ESX");
    let listed: HashSet<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("dom "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    let expected: HashSet<String> = vms.iter().map(|v| v["name"].clone()).collect();
    assert_eq!(listed, expected);
    // virDomainState numbers: shut off 5, running 1, paused 3.
    assert_eq!(field("after-destroy"), "5");
    assert_eq!(field("after-create"), "1");
    assert_eq!(field("after-suspend"), "3");
    // VIR_ERR_OPERATION_INVALID in VIR_FROM_ESX: no VMware Tools in the guest.
    assert_eq!(field("shutdown"), "55 28");
    let alloc = o.vm(
        &name,
        &[
            "config.cpuAllocation.limit",
            "config.cpuAllocation.reservation",
            "config.cpuAllocation.shares.level",
            "config.cpuAllocation.shares.shares",
        ],
    );
    let shares = match alloc["config.cpuAllocation.shares.level"].as_str() {
        "low" => "-1".to_string(),
        "normal" => "-2".to_string(),
        "high" => "-3".to_string(),
        _ => alloc["config.cpuAllocation.shares.shares"].clone(),
    };
    assert_eq!(
        field("sched"),
        format!(
            "allocation [('limit', {}), ('reservation', {}), ('shares', {shares})]",
            alloc["config.cpuAllocation.limit"], alloc["config.cpuAllocation.reservation"]
        )
    );
    assert_eq!(field("snapshots"), "['py'] py");
    // VIR_ERR_INVALID_ARG in VIR_FROM_ESX: virConnectOpen has no callback.
    assert_eq!(field("noauth"), "8 28");
    assert_eq!(
        o.vm(&name, &[])["runtime.powerState"],
        "poweredOn",
        "the domain runs again"
    );
}

const MIGRATE: &str = r#"
import sys, libvirt
src_uri, dst_uri = sys.argv[1], sys.argv[2]
def cb(creds, data):
    for c in creds:
        c[4] = "administrator" if c[0] == libvirt.VIR_CRED_AUTHNAME else "pw"
    return 0
auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], cb, None]
src = libvirt.openAuth(src_uri, auth, 0)
dst = libvirt.openAuth(dst_uri, auth, 0)
print("loaded", sum(1 for l in open("/proc/self/maps") if sys.argv[3] in l) > 0)
d = src.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)[0]
moved = d.migrate(dst, libvirt.VIR_MIGRATE_LIVE, None, None, 0)
print("moved", moved.name(), moved.UUIDString() == d.UUIDString(), moved.state()[0])
print("on-dst", d.name() in [x.name() for x in dst.listAllDomains()])
print("on-src", d.name() in [x.name() for x in src.listAllDomains()])
ro = libvirt.openAuth(src_uri, auth, libvirt.VIR_CONNECT_RO)
for args in [(ro, 0, None, None, 0), (src, 0, "other", None, 0), (src, libvirt.VIR_MIGRATE_TUNNELLED, None, None, 0)]:
    try:
        moved.migrate(*args)
    except libvirt.libvirtError as e:
        print("refused", e.get_error_code(), e.get_error_domain(), e.get_error_message())
"#;

#[test]
fn python_binding_migrates_through_the_vcenter() {
    let sim = Sim::start(SimOpts::default());
    let o = Oracle::new(sim.port, false, "u", "p");
    let clustered = o.cluster_hosts();
    let (src, dst) = (
        sim.uri("vpx", &clustered[0].1, "?no_verify=1"),
        sim.uri("vpx", &clustered[1].1, "?no_verify=1"),
    );
    let Some(stdout) = run_python("migrate", MIGRATE, &[&src, &dst]) else {
        return;
    };
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "loaded True");
    let moved = lines[1].strip_prefix("moved ").expect("a moved line");
    let name = moved.split(' ').next().unwrap();
    // Still the same VM, running, now on the second host.
    assert_eq!(moved, format!("{name} True 1"));
    assert_eq!(o.vm(name, &[])["runtime.host"], clustered[1].0);
    assert_eq!(&lines[2..4], ["on-dst True", "on-src False"]);
    // VIR_ERR_OPERATION_DENIED and VIR_ERR_INVALID_ARG / VIR_ERR_OPERATION_INVALID, as libvirt words them.
    assert_eq!(
        &lines[4..],
        [
            "refused 29 20 operation forbidden: read only access prevents virDomainMigrate",
            "refused 8 28 invalid argument: Renaming domains on migration not supported",
            "refused 55 20 Requested operation is not valid: cannot perform tunnelled migration without using peer2peer flag",
        ]
    );
}
