//! C test programs (tests/c/NAME.c) built against our headers and run on
//! the library cargo built beside the test, as a C user would.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A C program linked against our libvirt.so.0, in a directory of its own
/// that holds the library (removed when dropped).
pub struct Program {
    /// The directory: the library, its link and the executable.
    pub dir: PathBuf,
    exe: PathBuf,
}

impl Program {
    /// Builds tests/c/`name`.c; `None` (the test skips) without a C compiler.
    pub fn build(name: &str) -> Option<Program> {
        if Command::new("cc").arg("--version").output().is_err() {
            eprintln!("skipped: no C compiler");
            return None;
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let test_exe = std::env::current_exe().unwrap();
        let built = test_exe.parent().unwrap().join("libvirt.so");
        assert!(built.exists(), "{} was not built", built.display());
        let dir = std::env::temp_dir().join(format!("{name}-c-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&built, dir.join("libvirt.so.0")).unwrap();
        let _ = std::os::unix::fs::symlink("libvirt.so.0", dir.join("libvirt.so"));
        let exe = dir.join(name);
        let cc = Command::new("cc")
            .args(["-std=gnu99", "-Wall", "-Werror", "-o"])
            .arg(&exe)
            .arg(format!("{root}/tests/c/{name}.c"))
            .arg(format!("-I{root}/include"))
            .arg(format!("-L{}", dir.display()))
            .arg("-lvirt")
            .output()
            .unwrap();
        assert!(cc.status.success(), "{}", String::from_utf8_lossy(&cc.stderr));
        Some(Program { dir, exe })
    }

    /// Runs the program with `args` and `env` on our library (checked in
    /// /proc/self/maps by the program); its standard output, after
    /// asserting it succeeded.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out: Output = Command::new(&self.exe)
            .args(args)
            .envs(env.iter().copied())
            .env("LD_LIBRARY_PATH", &self.dir)
            .env("EXPECT_LIBVIRT_DIR", &self.dir)
            .env("LIBVIRT_DEFAULT_URI", "")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The value of the first `key value` line of `stdout`.
pub fn field(stdout: &str, key: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} ")))
        .unwrap_or_else(|| panic!("no '{key}' in:\n{stdout}"))
        .to_string()
}
