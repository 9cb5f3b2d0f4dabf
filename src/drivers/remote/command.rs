//! Transports that are a child process (`ssh`, `ext`): the child's stdin
//! and stdout are one end of a socket pair, as libvirt arranges it, so a
//! child that exits without reading what was sent makes the next read fail
//! with ECONNRESET, and what the child wrote to stderr becomes part of the
//! error, as in libvirt's messages.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::client::Channel;
use crate::abi::*;
use crate::error::{Error, Result};

/// What the child wrote to stderr, and whether it has closed it.
#[derive(Default)]
struct Stderr {
    text: Mutex<(Vec<u8>, bool)>,
    done: Condvar,
}

impl Stderr {
    /// The text once the child has closed stderr (it normally does as it
    /// exits); a child that keeps it open gets a bounded wait.
    fn text(&self) -> String {
        let mut g = self.text.lock();
        if !g.1 {
            self.done.wait_for(&mut g, Duration::from_secs(2));
        }
        String::from_utf8_lossy(&g.0).trim_end().to_string()
    }
}

/// What libvirt lets through to any child it runs; LC_ALL is forced to C.
const COMMON_ENV: &[&str] = &[
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
];

/// What the ssh transport lets through as well (agent, Kerberos, askpass,
/// X display, terminal).
pub const SSH_ENV: &[&str] = &[
    "KRB5CCNAME",
    "SSH_AUTH_SOCK",
    "SSH_ASKPASS",
    "DISPLAY",
    "XAUTHORITY",
    "GPG_TTY",
    "TERM",
    "XDG_RUNTIME_DIR",
];

/// A command for `program` with libvirt's environment for children: only
/// the common variables and `extra` are passed on.
pub fn command(program: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.env_clear().env("LC_ALL", "C");
    for name in COMMON_ENV.iter().chain(extra) {
        if let Some(v) = std::env::var_os(name) {
            c.env(name, v);
        }
    }
    c
}

/// Runs `c` with a socket pair for stdin and stdout and stderr collected.
pub fn spawn(mut c: Command) -> Result<Channel> {
    let prog = c.get_program().to_string_lossy().into_owned();
    let (ours, theirs) =
        UnixStream::pair().map_err(|e| Error::io(VIR_FROM_RPC, &e, "Failed to create socket pair"))?;
    let theirs_out = theirs
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    let spawned = c
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs_out)))
        .stderr(Stdio::piped())
        .spawn();
    // The Command keeps its copies of the child's ends until it is dropped;
    // they must go, or the child's exit would not be seen as a hang-up.
    drop(c);
    let mut child = spawned.map_err(|e| {
        // libvirt forks first, so a command that cannot run shows up as
        // the child's complaint followed by the reset connection.
        let errno = e.raw_os_error().unwrap_or(libc::ENOENT);
        Error::system(
            VIR_FROM_RPC,
            libc::ECONNRESET,
            format!(
                "Cannot recv data: libvirt:  error : cannot execute binary {prog}: {}",
                crate::error::strerror(errno)
            ),
        )
    })?;
    let stderr = Arc::new(Stderr::default());
    if let Some(mut pipe) = child.stderr.take() {
        let sink = stderr.clone();
        let started = std::thread::Builder::new()
            .name("virt-rpc-stderr".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => sink.text.lock().0.extend_from_slice(&buf[..n]),
                    }
                }
                sink.text.lock().1 = true;
                sink.done.notify_all();
            });
        if started.is_err() {
            stderr.text.lock().1 = true;
        }
    } else {
        stderr.text.lock().1 = true;
    }
    let reader = ours
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    let writer = ours
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    let child: Arc<Mutex<Child>> = Arc::new(Mutex::new(child));
    Ok(Channel {
        reader: Box::new(ChildReader { sock: reader, stderr }),
        writer: Box::new(NoSigpipe(writer)),
        shutdown: Box::new(move || {
            let _ = ours.shutdown(Shutdown::Both);
            let mut c = child.lock();
            let _ = c.kill();
            let _ = c.wait();
        }),
    })
}

/// Reads from the child; a failure carries libvirt's message with the
/// child's stderr in it.
struct ChildReader {
    sock: UnixStream,
    stderr: Arc<Stderr>,
}

impl Read for ChildReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.sock.read(buf) {
            Ok(0) if !buf.is_empty() => Err(io::Error::other(Error::system(
                VIR_FROM_RPC,
                libc::EIO,
                format!("End of file while reading data: {}", self.stderr.text()),
            ))),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(io::Error::other(Error::system(
                VIR_FROM_RPC,
                e.raw_os_error().unwrap_or(libc::EIO),
                format!("Cannot recv data: {}", self.stderr.text()),
            ))),
        }
    }
}

/// Writes to a socket without raising SIGPIPE when the peer has gone: the
/// library must not kill a C program that has not ignored the signal.
pub struct NoSigpipe<S: AsFd>(pub S);

impl<S: AsFd> Write for NoSigpipe<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: the fd is open for as long as self.0 lives, and buf is a
        // valid slice of buf.len() bytes.
        let n = unsafe {
            libc::send(
                self.0.as_fd().as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
