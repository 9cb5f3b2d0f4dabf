//! The Xen driver through libvirt's C API: tests/c/xen.c, built against our
//! headers and run on our libvirt.so.0 (checked in /proc/self/maps)
//! against the XenD test server, its output checked against what the
//! server holds.

#[path = "support/cprog.rs"]
mod cprog;
mod xend;

use cprog::Program;
use xend::{sexpr_file, Server};

/// A paravirtualised guest with a direct kernel, as the seed describes one.
const GUEST: &str = "<domain type='xen'>
  <name>guest-c</name>
  <os>
    <type>linux</type>
    <kernel>/var/lib/xen/install/vmlinuz</kernel>
    <initrd>/var/lib/xen/install/initrd</initrd>
  </os>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <devices>
    <disk type='file'>
      <source file='/var/lib/xen/images/c.img'/>
      <target dev='xvda'/>
    </disk>
  </devices>
</domain>
";

#[test]
fn c_program_runs_the_xen_driver() {
    let Some(program) = Program::build("xen") else {
        return;
    };
    let (pv, fv) = (sexpr_file("pv"), sexpr_file("fv"));
    let server = Server::start(
        "c",
        &["--domain", pv.to_str().unwrap(), "--domain", fv.to_str().unwrap()],
    );
    let guest = program.dir.join("guest.xml");
    std::fs::write(&guest, GUEST).unwrap();
    let socket = server.socket.to_str().unwrap().to_string();
    let config = server.config_dir().to_str().unwrap().to_string();
    let stdout = program.run(
        &[guest.to_str().unwrap()],
        &[
            ("LIBVIRT_XEND_SOCKET", &socket),
            ("LIBVIRT_XEN_CONFIG_DIR", &config),
        ],
    );
    let field = |key: &str| cprog::field(&stdout, key);
    assert_eq!(field("type"), "Xen");
    assert_eq!(field("domains"), (server.state().len()).to_string());
    // Each domain's id, state, memory and vCPUs as the server holds them.
    // XenD shows a running domain with no work as blocked: VIR_DOMAIN_BLOCKED.
    let running = |st: &str| st == "1" || st == "2";
    for (name, s) in server.state() {
        let found = stdout.lines().any(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let state_ok = match s.state.as_str() {
                "running" => running(f.get(3).copied().unwrap_or("")),
                "paused" => f.get(3) == Some(&"3"),
                _ => f.get(3) == Some(&"5"),
            };
            f.len() == 6
                && f[0] == "dom"
                && f[1] == name
                && f[2] == s.domid.to_string()
                && state_ok
                && f[4] == (s.memory * 1024).to_string()
                && f[5] == s.online.to_string()
        });
        assert!(found, "{name} {s:?} not in:\n{stdout}");
    }
    assert_eq!(
        [field("suspend"), field("paused"), field("resume"),],
        ["0", "3", "0"]
    );
    assert!(running(&field("running")), "{stdout}");
    assert_eq!(field("xml-name"), "1");
    assert_eq!(field("defined"), "guest-c -1");
    assert_eq!(field("create"), "0");
    let started = field("started");
    let (state, memory) = started.split_once(' ').unwrap();
    assert!(running(state) && memory == "131072", "{started}");
    assert_eq!(field("setmem"), "0");
    assert_eq!(field("resized"), "102400");
    assert_eq!([field("destroy"), field("destroyed")], ["0", "5"]);
    assert_eq!(field("undefine"), "0");
    assert!(!server.state().contains_key("guest-c"));
    // VIR_ERR_NO_DOMAIN (42) in VIR_FROM_XEN (1), libvirt's wording.
    for (key, name) in [("gone", "guest-c"), ("lookup-missing", "nope")] {
        assert_eq!(
            field(key),
            format!("42 1 Domain not found: no domain with matching name '{name}'")
        );
    }
    assert_eq!(field("close"), "0");
    assert_eq!(server.state()["pvtest"].state, "running");
}
