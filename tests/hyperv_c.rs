//! The Hyper-V driver through libvirt's C API: tests/c/hyperv.c, built
//! against our headers and run on our libvirt.so.0 (checked in
//! /proc/self/maps) against the WS-Management test server.

mod hyperv;

use std::path::PathBuf;
use std::process::Command;

use hyperv::server::{Opts, Server};

/// The library cargo built beside this test, installed as libvirt.so.0
/// with the libvirt.so link a compiler looks for.
fn our_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let built = exe.parent().unwrap().join("libvirt.so");
    assert!(built.exists(), "{} was not built", built.display());
    let dir = std::env::temp_dir().join(format!("hyperv-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&built, dir.join("libvirt.so.0")).unwrap();
    let _ = std::os::unix::fs::symlink("libvirt.so.0", dir.join("libvirt.so"));
    dir
}

#[test]
fn c_program_runs_the_hyperv_driver() {
    if Command::new("cc").arg("--version").output().is_err() {
        eprintln!("skipped: no C compiler");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let lib = our_library();
    let exe = lib.join("hyperv");
    let built = Command::new("cc")
        .args(["-std=gnu99", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(format!("{root}/tests/c/hyperv.c"))
        .arg(format!("-I{root}/include"))
        .arg(format!("-L{}", lib.display()))
        .arg("-lvirt")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let server = Server::start(Opts::default());
    let password = server.state.lock().unwrap().opts.password.clone();
    let out = Command::new(&exe)
        .arg(server.uri(""))
        .arg(&password)
        .env("LD_LIBRARY_PATH", &lib)
        .env("EXPECT_LIBVIRT_DIR", &lib)
        .env("LIBVIRT_DEFAULT_URI", "")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&lib);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |key: &str| -> String {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no '{key}' in:\n{stdout}"))
            .to_string()
    };
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
