//! The Hyper-V driver through libvirt's C API: tests/c/hyperv.c, built
//! against our headers and run on our libvirt.so.0 (checked in
//! /proc/self/maps) against the WS-Management test server.

#[path = "support/cprog.rs"]
mod cprog;
mod hyperv;

use cprog::Program;
use hyperv::server::{Opts, Server};

#[test]
fn c_program_runs_the_hyperv_driver() {
    let Some(program) = Program::build("hyperv") else {
        return;
    };
    let server = Server::start(Opts::default());
    let password = server.state.lock().unwrap().opts.password.clone();
    let stdout = program.run(&[&server.uri(""), &password], &[]);
    let field = |key: &str| cprog::field(&stdout, key);
    assert_eq!(field("type"), "Hyper-V");
    assert_eq!(field("version"), "1000014393");
    assert_eq!(field("hostname"), "hyperv-test");
    assert_eq!(field("node"), "Intel Xeon CPU E5-2670 0 33554432 16 2600");
    assert_eq!(field("domains"), "3");
    assert!(stdout.contains("dom web01 1 2097152 2"), "{stdout}");
    assert!(stdout.contains("dom db & <backup> 5 4194304 4"), "{stdout}");
    assert_eq!(field("suspend"), "0");
    assert_eq!(field("state"), "3 0");
    assert_eq!(field("resume"), "0");
    assert_eq!(field("sendkey"), "0");
    // VIR_ERR_OPERATION_INVALID (55) in VIR_FROM_HYPERV (43).
    assert_eq!(field("suspend-again"), "-1");
    assert_eq!(
        field("resume-running"),
        "55 43 Requested operation is not valid: Domain is not paused"
    );
    // VIR_ERR_NO_DOMAIN (42).
    assert_eq!(
        field("lookup"),
        "42 43 Domain not found: No domain with name nope"
    );
    // VIR_ERR_AUTH_FAILED (45); VIR_ERR_INVALID_ARG (8) without a callback.
    assert!(field("badpass").starts_with("45 43 "), "{stdout}");
    assert_eq!(
        field("noauth"),
        "8 43 invalid argument: Missing or invalid auth pointer"
    );
    assert_eq!(server.state.lock().unwrap().keys.len(), 6);
}
