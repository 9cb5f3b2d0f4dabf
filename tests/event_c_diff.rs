//! Differential test: tests/c/event.c compiled against Debian's libvirt 9.0
//! and against our headers and library must print the same thing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/c/event.c");

fn cc(out: &Path, extra: &[&str]) {
    let status = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-pthread", "-o"])
        .arg(out)
        .args(extra)
        .arg(SOURCE)
        .arg("-lvirt")
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {SOURCE} with {extra:?}");
}

/// Builds the cdylib (`cargo test` builds only the rlib for integration
/// tests) and returns the directory holding it.
fn our_library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<this test> -> target/<profile>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--lib", "--manifest-path", manifest]);
    if dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    assert!(build.status().expect("cargo runs").success(), "cargo build --lib");
    assert!(dir.join("libvirt.so").exists(), "cdylib in {}", dir.display());
    dir
}

fn text(out: &Output) -> (String, String) {
    assert!(out.status.success(), "{:?}", out);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn event_c_program_prints_the_same_on_libvirt_and_on_ours() {
    if !Path::new("/usr/include/libvirt/libvirt-event.h").exists()
        || Command::new("cc").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs cc and Debian's libvirt-dev (the oracle)");
        return;
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("event_c_diff");
    let ours_dir = tmp.join("lib");
    std::fs::create_dir_all(&ours_dir).unwrap();
    let libdir = our_library_dir();
    let link = ours_dir.join("libvirt.so.0");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(libdir.join("libvirt.so"), &link).unwrap();

    let oracle_bin = tmp.join("event-oracle");
    let ours_bin = tmp.join("event-ours");
    cc(&oracle_bin, &[]);
    let include = concat!("-I", env!("CARGO_MANIFEST_DIR"), "/include");
    let libpath = format!("-L{}", libdir.display());
    cc(&ours_bin, &[include, &libpath]);

    // Both run at once: the program spends most of its time waiting on timers.
    let oracle = Command::new(&oracle_bin)
        .env_remove("LD_LIBRARY_PATH")
        .spawn_output();
    let ours = Command::new(&ours_bin)
        .env("LD_LIBRARY_PATH", &ours_dir)
        .spawn_output();
    let (oracle_out, oracle_err) = text(&oracle.join().unwrap());
    let (ours_out, ours_err) = text(&ours.join().unwrap());

    assert!(
        oracle_err.contains("library: /usr/lib"),
        "oracle used {oracle_err}"
    );
    let ours_lib = format!("library: {}", libdir.join("libvirt.so").display());
    assert!(ours_err.contains(&ours_lib), "ours used {ours_err}");
    assert!(oracle_out.lines().filter(|l| l.starts_with("== ")).count() >= 20);
    if oracle_out != ours_out {
        std::fs::write(tmp.join("oracle.txt"), &oracle_out).unwrap();
        std::fs::write(tmp.join("ours.txt"), &ours_out).unwrap();
        panic!(
            "outputs differ: diff {}/oracle.txt {}/ours.txt",
            tmp.display(),
            tmp.display()
        );
    }
}

trait SpawnOutput {
    fn spawn_output(self) -> std::thread::JoinHandle<Output>;
}

impl SpawnOutput for &mut Command {
    fn spawn_output(self) -> std::thread::JoinHandle<Output> {
        let child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("program starts");
        std::thread::spawn(move || child.wait_with_output().expect("program finishes"))
    }
}
