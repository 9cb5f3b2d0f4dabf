//! From a URI to a connected byte stream: which transport, which socket or
//! host and port, and the name the daemon is asked to open.

use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;

use super::client::Channel;
use super::{command, tls};
use crate::abi::*;
use crate::error::{Error, Result};
use crate::uri::Uri;

/// The transports libvirt's remote driver knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A local unix socket.
    Unix,
    /// Plain TCP.
    Tcp,
    /// TCP with TLS.
    Tls,
    /// The `ssh` binary.
    Ssh,
    /// libssh (mapped to the `ssh` binary).
    Libssh,
    /// libssh2 (mapped to the `ssh` binary).
    Libssh2,
    /// An external command's stdin/stdout.
    Ext,
}

impl Transport {
    /// The name in URIs and libvirt's messages.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Ssh => "ssh",
            Transport::Libssh => "libssh",
            Transport::Libssh2 => "libssh2",
            Transport::Ext => "ext",
        }
    }

    /// The ssh family, which all run the remote proxy command.
    fn is_ssh(self) -> bool {
        matches!(self, Transport::Ssh | Transport::Libssh | Transport::Libssh2)
    }

    /// Whether libvirt marks the transport secure (virConnectIsSecure).
    pub fn secure(self) -> bool {
        !matches!(self, Transport::Tcp | Transport::Ext)
    }
}

/// Which daemon a unix socket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Auto,
    Direct,
    Legacy,
}

/// The query parameters the remote driver consumes and hides from the daemon.
const OWN_PARAMS: &[&str] = &[
    "name",
    "command",
    "socket",
    "auth",
    "sshauth",
    "netcat",
    "keyfile",
    "pkipath",
    "known_hosts",
    "known_hosts_verify",
    "tls_priority",
    "mode",
    "proxy",
    "no_sanity",
    "no_verify",
    "no_tty",
    "authfile",
];

/// The parameters libvirt reads as integers (on/off switches).
const NUMERIC_PARAMS: &[&str] = &["no_sanity", "no_verify", "no_tty"];

/// Everything needed to connect and open.
#[derive(Debug, Clone)]
pub struct Target {
    /// How to reach the daemon.
    pub transport: Transport,
    /// What connect_open is given (None: let the daemon probe).
    pub name: Option<String>,
    /// The unix socket (unix transport, and the far end for ssh).
    pub socket: Option<String>,
    /// Host for network transports.
    pub host: String,
    /// Port given in the URI (0: the transport's default).
    pub port: u32,
    /// User for ssh.
    pub user: Option<String>,
    /// Opened read-only (the ssh helper and socket say so too).
    read_only: bool,
    /// A per-user daemon (libvirt's USER flag).
    session: bool,
    /// Our own parameters, names lower-cased.
    params: Vec<(String, String)>,
}

fn invalid(detail: impl AsRef<str>) -> Error {
    Error::invalid_arg(VIR_FROM_REMOTE, detail)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Target {
    /// Reads `uri` (None: the daemon's default) as the remote driver does.
    pub fn from_uri(uri: Option<&Uri>, flags: u32) -> Result<Target> {
        let Some(uri) = uri else {
            return Ok(Target {
                transport: Transport::Unix,
                name: None,
                socket: Some(unix_socket_path(
                    None,
                    Mode::Legacy,
                    flags & VIR_CONNECT_RO != 0,
                    !is_root(),
                )),
                host: String::new(),
                port: 0,
                user: None,
                read_only: flags & VIR_CONNECT_RO != 0,
                session: !is_root(),
                params: Vec::new(),
            });
        };
        let scheme = uri.scheme.clone().unwrap_or_default();
        let (driver, transport) = match scheme.split_once('+') {
            Some((d, t)) => (d.to_string(), Some(t.to_ascii_lowercase())),
            None => (scheme.clone(), None),
        };
        let host = uri.server.clone().unwrap_or_default();
        let transport = match transport.as_deref() {
            None if host.is_empty() => Transport::Unix,
            None => Transport::Tls,
            Some("tls") => Transport::Tls,
            Some("unix") => Transport::Unix,
            Some("ssh") => Transport::Ssh,
            Some("libssh2") => Transport::Libssh2,
            Some("libssh") => Transport::Libssh,
            Some("ext") => Transport::Ext,
            Some("tcp") => Transport::Tcp,
            Some(_) => {
                return Err(invalid(
                    "remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)",
                ))
            }
        };
        if transport == Transport::Unix && !host.is_empty() {
            return Err(invalid(format!(
                "using unix socket and remote server '{host}' is not supported."
            )));
        }
        let mut params = Vec::new();
        let mut rest = Vec::new();
        for (n, v) in &uri.params {
            let lower = n.to_ascii_lowercase();
            if OWN_PARAMS.contains(&lower.as_str()) {
                params.push((lower, v.clone()));
            } else {
                rest.push((n.clone(), v.clone()));
            }
        }
        let mut target = Target {
            transport,
            name: None,
            socket: None,
            host,
            port: uri.port,
            user: uri.user.clone(),
            read_only: flags & VIR_CONNECT_RO != 0,
            session: false,
            params,
        };
        target.name = Some(match target.param("name") {
            Some(n) => n.to_string(),
            None if driver == "remote" => String::new(),
            None => {
                let mut forwarded = Uri {
                    scheme: Some(driver.clone()),
                    path: uri.path.clone(),
                    fragment: uri.fragment.clone(),
                    params: rest,
                    ..Uri::default()
                };
                forwarded.sync_query();
                forwarded.format()
            }
        });
        let mode = match target.param("mode") {
            None | Some("auto") => Mode::Auto,
            Some("direct") => Mode::Direct,
            Some("legacy") => Mode::Legacy,
            Some(m) => return Err(invalid(format!("Unknown remote mode '{m}'"))),
        };
        for n in NUMERIC_PARAMS {
            if target.param(n).is_some_and(|v| v.trim().parse::<i32>().is_err()) {
                return Err(invalid(format!("Failed to parse value of URI component {n}")));
            }
        }
        if target.transport == Transport::Ext && target.param("command").is_none() {
            return Err(invalid("remote_open: for 'ext' transport, command is required"));
        }
        let user = !is_root() && (uri.path.as_deref() == Some("/session") || scheme.starts_with("test+"));
        target.session = user;
        if mode == Mode::Direct && target.transport.is_ssh() {
            return Err(Error::with(
                VIR_FROM_REMOTE,
                VIR_ERR_OPERATION_UNSUPPORTED,
                format!(
                    "Cannot use direct socket mode for {} transport",
                    target.transport.name()
                ),
            ));
        }
        target.proxy()?;
        let daemon = (driver != "remote").then_some(driver.as_str());
        target.socket = Some(match target.param("socket") {
            Some(s) => s.to_string(),
            None => {
                let mode = match (mode, target.transport) {
                    (Mode::Auto, Transport::Unix) => {
                        let direct =
                            unix_socket_path(daemon, Mode::Direct, flags & VIR_CONNECT_RO != 0, user);
                        if daemon.is_some() && std::path::Path::new(&direct).exists() {
                            Mode::Direct
                        } else {
                            Mode::Legacy
                        }
                    }
                    (Mode::Auto, _) => Mode::Legacy,
                    (m, _) => m,
                };
                unix_socket_path(daemon, mode, flags & VIR_CONNECT_RO != 0, user)
            }
        });
        Ok(target)
    }

    /// One of our own parameters (last one wins, as libvirt keeps the last).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A numeric on/off parameter: set when present and not 0 (from_uri
    /// has checked it is a number).
    fn flag(&self, name: &str) -> bool {
        self.param(name)
            .and_then(|v| v.trim().parse::<i32>().ok())
            .is_some_and(|v| v != 0)
    }

    /// Connects the transport.
    pub fn connect(&self) -> Result<Channel> {
        match self.transport {
            Transport::Unix => {
                let path = self.socket.as_deref().unwrap_or_default();
                let s = UnixStream::connect(path).map_err(|e| {
                    Error::io(VIR_FROM_RPC, &e, format!("Failed to connect socket to '{path}'"))
                })?;
                unix_channel(s)
            }
            Transport::Tcp => tcp_connect(&self.host, if self.port == 0 { 16509 } else { self.port }),
            Transport::Tls => {
                let files = tls::PkiFiles::locate(
                    self.param("pkipath"),
                    is_root(),
                    std::env::var("HOME").ok().as_deref(),
                );
                let opts = tls::TlsOptions {
                    files,
                    no_verify: self.flag("no_verify"),
                    no_sanity: self.flag("no_sanity"),
                };
                // The files are read before connecting, as libvirt does, so a
                // missing CA is reported even when no daemon listens.
                let config = tls::config(&opts)?;
                let port = if self.port == 0 { 16514 } else { self.port };
                let sock = tcp_socket(&self.host, port)?;
                tls::connect(sock, &self.host, config)
            }
            Transport::Ssh | Transport::Libssh | Transport::Libssh2 => self.ssh(),
            Transport::Ext => {
                let cmd = self.param("command").unwrap_or_default();
                command::spawn(command::command(cmd, &[]))
            }
        }
    }

    /// How the far end reaches the daemon: `proxy=`, else netcat when a
    /// socket or netcat is named, the helper alone for a per-user daemon,
    /// and otherwise the helper when the host has it.
    fn proxy(&self) -> Result<Proxy> {
        let proxy = match self.param("proxy") {
            Some("netcat") => Proxy::Netcat,
            Some("native") => Proxy::Native,
            Some("auto") => Proxy::Auto,
            None if self.param("socket").is_some() => Proxy::Netcat,
            None if self.session => Proxy::Native,
            None => Proxy::Auto,
            // libvirt's spelling.
            Some(p) => return Err(invalid(format!("Unnkown proxy type '{p}'"))),
        };
        Ok(match proxy {
            Proxy::Auto if self.param("netcat").is_some() => Proxy::Netcat,
            p => p,
        })
    }

    /// The arguments libvirt gives `ssh` (REMOTE_FACTS §7), the program
    /// excluded.
    pub fn ssh_args(&self) -> Result<Vec<String>> {
        let mut args = Vec::new();
        if self.port != 0 {
            args.extend(["-p".to_string(), self.port.to_string()]);
        }
        if let Some(u) = &self.user {
            args.extend(["-l".to_string(), u.clone()]);
        }
        if let Some(k) = self.param("keyfile") {
            args.extend(["-i".to_string(), k.to_string()]);
        }
        args.extend(["-T", "-e", "none"].map(String::from));
        if self.transport == Transport::Ssh {
            if self.flag("no_tty") {
                args.extend(["-o", "BatchMode=yes"].map(String::from));
            }
            if self.flag("no_verify") {
                args.extend(["-o", "StrictHostKeyChecking=no"].map(String::from));
            }
        } else {
            args.extend(self.libssh_options()?);
        }
        let host = if self.host.is_empty() {
            "localhost"
        } else {
            &self.host
        };
        args.extend(["--".to_string(), host.to_string()]);
        // The netcat path and the URI pass through two shells (the remote
        // login shell, then `sh -c`), so they are escaped twice; the socket
        // path goes in as it is, as libvirt does.
        let nc = shell_escape(&shell_escape(self.param("netcat").unwrap_or("nc")));
        let socket = self.socket.as_deref().unwrap_or_default();
        let netcat = format!(
            "if '{nc}' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'{nc}' $ARG -U {socket}"
        );
        let uri = shell_escape(&shell_escape(self.name.as_deref().unwrap_or_default()));
        let ro = if self.read_only { " -r " } else { " " };
        let helper = format!("virt-ssh-helper{ro}'{uri}'");
        let remote = match self.proxy()? {
            Proxy::Netcat => netcat,
            Proxy::Native => helper,
            Proxy::Auto => format!(
                "which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     {helper}; else    {netcat}; fi"
            ),
        };
        args.push(format!("sh -c '{remote}'"));
        Ok(args)
    }

    /// The libssh and libssh2 transports run in libvirt's process; here they
    /// run the `ssh` binary with options that mean what their parameters
    /// mean: never prompting, `known_hosts=` (default: libvirt's per-user
    /// config directory) checked as `known_hosts_verify=` says (normal:
    /// only known hosts; auto: add new ones; ignore, or no_verify=1: no
    /// check), and `sshauth=` choosing the methods (agent and privkey are
    /// both public-key authentication; without agent the agent is not used).
    fn libssh_options(&self) -> Result<Vec<String>> {
        let rpc_invalid = |detail: String| Error::invalid_arg(VIR_FROM_RPC, detail);
        let mut opts = vec!["BatchMode=yes".to_string()];
        let verify = match self.param("known_hosts_verify") {
            _ if self.flag("no_verify") => "ignore",
            None => "normal",
            Some(v @ ("normal" | "auto" | "ignore")) => v,
            Some(v) => {
                return Err(rpc_invalid(format!(
                    "Invalid host key verification method: '{v}'"
                )))
            }
        };
        let known = match self.param("known_hosts") {
            Some(k) => k.to_string(),
            None => {
                let config = std::env::var("XDG_CONFIG_HOME")
                    .unwrap_or_else(|_| format!("{}/.config", std::env::var("HOME").unwrap_or_default()));
                format!("{config}/libvirt/known_hosts")
            }
        };
        match verify {
            "normal" => opts.extend([
                "StrictHostKeyChecking=yes".to_string(),
                format!("UserKnownHostsFile={known}"),
            ]),
            "auto" => opts.extend([
                "StrictHostKeyChecking=accept-new".to_string(),
                format!("UserKnownHostsFile={known}"),
            ]),
            _ => opts.extend(["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"].map(String::from)),
        }
        if let Some(list) = self.param("sshauth") {
            let mut methods: Vec<&str> = Vec::new();
            let mut agent = false;
            for m in list.split(',') {
                let ssh = match m {
                    "agent" => {
                        agent = true;
                        "publickey"
                    }
                    "privkey" => "publickey",
                    "password" => "password",
                    "keyboard-interactive" => "keyboard-interactive",
                    _ => return Err(rpc_invalid(format!("Invalid authentication method: '{m}'"))),
                };
                if !methods.contains(&ssh) {
                    methods.push(ssh);
                }
            }
            opts.push(format!("PreferredAuthentications={}", methods.join(",")));
            if !agent {
                opts.push("IdentityAgent=none".to_string());
            }
        }
        Ok(opts.into_iter().flat_map(|o| ["-o".to_string(), o]).collect())
    }

    /// Runs `ssh` (or `command=`) with libvirt's command line.
    fn ssh(&self) -> Result<Channel> {
        let mut c = command::command(self.param("command").unwrap_or("ssh"), command::SSH_ENV);
        c.args(self.ssh_args()?);
        command::spawn(c)
    }
}

/// What runs on the far end of an ssh connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proxy {
    /// virt-ssh-helper if the host has it, else netcat.
    Auto,
    /// `nc -U socket`.
    Netcat,
    /// virt-ssh-helper.
    Native,
}

/// A word for a POSIX shell: as it is when nothing in it is special to the
/// shell, else single-quoted (libvirt's rule, so command lines match).
fn shell_escape(s: &str) -> String {
    const SPECIAL: &[char] = &[
        '|', '&', ';', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', ' ', '\t', '\n', '*', '?', '#', '~',
        '=', '%',
    ];
    if s.is_empty() {
        "''".to_string()
    } else if !s.contains(SPECIAL) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The daemon socket for `driver` in `mode` (REMOTE_FACTS §6).
fn unix_socket_path(driver: Option<&str>, mode: Mode, read_only: bool, user: bool) -> String {
    let prefix = match (mode, driver) {
        (Mode::Direct, Some(d)) => format!("virt{d}d"),
        _ => "libvirt".to_string(),
    };
    if user {
        let dir = std::env::var("XDG_RUNTIME_DIR")
            .unwrap_or_else(|_| format!("{}/.cache", std::env::var("HOME").unwrap_or_default()));
        format!("{dir}/libvirt/{prefix}-sock")
    } else if read_only {
        format!("/var/run/libvirt/{prefix}-sock-ro")
    } else {
        format!("/var/run/libvirt/{prefix}-sock")
    }
}

fn unix_channel(s: UnixStream) -> Result<Channel> {
    let r = s
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    let w = s
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    Ok(Channel {
        reader: Box::new(r),
        writer: Box::new(w),
        shutdown: Box::new(move || {
            let _ = s.shutdown(Shutdown::Both);
        }),
    })
}

fn tcp_connect(host: &str, port: u32) -> Result<Channel> {
    let s = tcp_socket(host, port)?;
    let r = s
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    let w = s
        .try_clone()
        .map_err(|e| Error::io(VIR_FROM_RPC, &e, "Cannot duplicate socket"))?;
    Ok(Channel {
        reader: Box::new(r),
        writer: Box::new(w),
        shutdown: Box::new(move || {
            let _ = s.shutdown(Shutdown::Both);
        }),
    })
}

/// A TCP connection to the first of `host`'s addresses that answers.
fn tcp_socket(host: &str, port: u32) -> Result<TcpStream> {
    let fail = |errno: i32| {
        Error::system(
            VIR_FROM_RPC,
            errno,
            format!("unable to connect to server at '{host}:{port}'"),
        )
    };
    let addrs = (host, port as u16).to_socket_addrs().map_err(|_| {
        Error::with(
            VIR_FROM_RPC,
            VIR_ERR_SYSTEM_ERROR,
            format!("Unable to resolve address '{host}' service '{port}'"),
        )
    })?;
    let mut last = libc::ECONNREFUSED;
    for a in addrs {
        match TcpStream::connect(a) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e.raw_os_error().unwrap_or(libc::ECONNREFUSED),
        }
    }
    Err(fail(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_escape_quotes_only_when_the_shell_would_care() {
        assert_eq!(shell_escape("qemu:///system"), "qemu:///system");
        assert_eq!(shell_escape(""), "''");
        assert_eq!(shell_escape("/my nc"), "'/my nc'");
        assert_eq!(shell_escape("it's"), "'it'\\''s'");
        // Twice, as the netcat path and URI are: the empty name libvirt sends
        // for remote:// URIs.
        assert_eq!(shell_escape(&shell_escape("")), "''\\'''\\'''");
    }

    #[test]
    fn ssh_args_follow_libvirt_for_a_netcat_socket() {
        let uri =
            Uri::parse("qemu+ssh://fred@somehost:9000/system?socket=/tmp/socket&netcat=netcat&no_tty=1")
                .unwrap();
        let t = Target::from_uri(Some(&uri), 0).unwrap();
        let args = t.ssh_args().unwrap();
        assert_eq!(
            args,
            [
                "-p", "9000", "-l", "fred", "-T", "-e", "none", "-o", "BatchMode=yes", "--", "somehost",
                "sh -c 'if 'netcat' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'netcat' $ARG -U /tmp/socket'"
            ]
        );
    }
}
