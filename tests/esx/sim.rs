//! Starting and stopping VMware's vSphere simulator (vcsim) for the ESX
//! driver tests: built from Debian's govmomi sources by the shared build
//! script when missing, run on a free loopback port, killed on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use virt::abi::*;
use virt::auth::{Credential, Prompter};

/// Builds happen once per test process.
static BUILD: Mutex<()> = Mutex::new(());

/// The simulator binary, built on first use.
pub fn binary() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"));
    let bin = target.join("vcsim");
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !bin.exists() {
        let script = manifest.join("../shared/tools/vcsim/build.sh");
        let status = Command::new("sh")
            .arg(&script)
            .arg(&bin)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            status.success(),
            "building vcsim with {} failed",
            script.display()
        );
    }
    bin
}

/// A running simulator.
pub struct Sim {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

/// How to run the simulator.
#[derive(Default, Clone, Copy)]
pub struct SimOpts<'a> {
    /// One ESXi host instead of a vCenter.
    pub esx: bool,
    /// Only this user and password log in.
    pub login: Option<(&'a str, &'a str)>,
    /// VMs per host.
    pub vms: Option<u32>,
    /// Plain HTTP.
    pub http: bool,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().unwrap().port()
}

impl Sim {
    /// Starts a simulator and waits until it serves.
    pub fn start(opts: SimOpts) -> Sim {
        let bin = binary();
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            if opts.esx {
                cmd.arg("-esx");
            }
            if opts.http {
                cmd.arg("-http");
            }
            if let Some((u, p)) = opts.login {
                cmd.args(["-user", u, "-pass", p]);
            }
            if let Some(n) = opts.vms {
                cmd.args(["-vm", &n.to_string()]);
            }
            cmd.args(["-l", &format!("127.0.0.1:{port}")]);
            let mut child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start vcsim");
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(&format!(":{port}/")) => return Sim { child, port },
                _ => {
                    // The port was taken meanwhile, or it failed: try again.
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        panic!("vcsim did not start");
    }

    /// A URI for this simulator.
    pub fn uri(&self, scheme: &str, path: &str, query: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/{path}{query}", self.port)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Answers credential requests with a fixed user and password, and records
/// what was asked.
pub struct Creds {
    pub user: String,
    pub pass: String,
    pub asked: Mutex<Vec<Credential>>,
}

impl Creds {
    pub fn new(user: &str, pass: &str) -> Creds {
        Creds {
            user: user.to_string(),
            pass: pass.to_string(),
            asked: Mutex::new(Vec::new()),
        }
    }
}

impl Prompter for Creds {
    fn credential_types(&self) -> Vec<i32> {
        vec![VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]
    }

    fn ask(&self, creds: &mut [Credential]) -> bool {
        for c in creds.iter_mut() {
            self.asked.lock().unwrap().push(c.clone());
            c.result = Some(if c.kind == VIR_CRED_AUTHNAME {
                self.user.clone()
            } else {
                self.pass.clone()
            });
        }
        true
    }
}
