//! The XenD test server (`xend_server.py`) started for one test, and a raw
//! HTTP client of it that does not share code with the driver.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

/// The environment variables the driver reads are process-wide: tests that
/// set them take this lock.
pub static ENV: Mutex<()> = Mutex::new(());

/// Takes the environment lock (surviving a test that panicked holding it).
pub fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}

/// A conformance s-expression file (XenD's own domain documents).
pub fn sexpr_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/sexpr2xml")
        .join(format!("sexpr2xml-{name}.sexpr"))
}

/// One running test server in its own directory.
pub struct Server {
    child: Child,
    /// The server's directory (socket, config dir).
    pub dir: PathBuf,
    /// The unix socket.
    pub socket: PathBuf,
    /// The TCP port, when started with `--tcp`.
    pub port: Option<u16>,
}

/// One domain as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomState {
    /// domid, -1 when halted.
    pub domid: i32,
    /// running, paused or shutoff.
    pub state: String,
    /// MiB.
    pub memory: u64,
    /// MiB.
    pub maxmem: u64,
    /// Maximum vCPUs.
    pub vcpus: u32,
    /// Online vCPUs.
    pub online: u32,
    /// XenD manages it (defined with op=new).
    pub managed: bool,
    /// on_xend_start start.
    pub autostart: bool,
}

impl Server {
    /// Starts the server with `args` (e.g. `--domain FILE`, `--config-format 2`).
    pub fn start(tag: &str, args: &[&str]) -> Server {
        let dir = std::env::temp_dir().join(format!("xend-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc-xen")).unwrap();
        let socket = dir.join("xend-socket");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xend/xend_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg("--socket")
            .arg(&socket)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the XenD test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "the XenD test server did not start");
        let port = line.trim().strip_prefix("ready ").map(|p| p.parse().unwrap());
        Server {
            child,
            dir,
            socket,
            port,
        }
    }

    /// The xm config directory the driver is pointed at.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("etc-xen")
    }

    /// Points the driver at this server (hold [`env_lock`]).
    pub fn point_env(&self) {
        std::env::set_var("LIBVIRT_XEND_SOCKET", &self.socket);
        std::env::set_var("LIBVIRT_XEN_CONFIG_DIR", self.config_dir());
        std::env::remove_var("LIBVIRT_XEND_HTTP");
    }

    /// One raw request: (status, body).
    pub fn raw(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }

    /// The domain s-expression the server reports for `name`.
    pub fn domain_sexpr(&self, name: &str) -> String {
        let (status, body) = self.raw("GET", &format!("/xend/domain/{name}?detail=1"), "");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Every domain as the server sees it.
    pub fn state(&self) -> BTreeMap<String, DomState> {
        let (_, body) = self.raw("GET", "/xend-test/state", "");
        body.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (
                    f[0].to_string(),
                    DomState {
                        domid: f[1].parse().unwrap(),
                        state: f[2].to_string(),
                        memory: f[3].parse().unwrap(),
                        maxmem: f[4].parse().unwrap(),
                        vcpus: f[5].parse().unwrap(),
                        online: f[6].parse().unwrap(),
                        managed: f[7] == "1",
                        autostart: f[8] == "1",
                    },
                )
            })
            .collect()
    }

    /// Spoils the next `count` replies (`truncate`, `garbage`, `err200`, `close`).
    pub fn fault(&self, mode: &str, count: u32) {
        let (status, _) = self.raw("POST", "/xend-test/fault", &format!("mode={mode}&count={count}"));
        assert_eq!(status, 200);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
