//! A Hyper-V host as WinRM presents it over WS-Management, for the tests:
//! HTTP/1.1 with Basic authentication at `/wsman`, WS-Enumeration
//! (Enumerate with WQL filters, optimized enumeration, Pull with contexts,
//! batches bounded by MaxElements and MaxEnvelopeSize, EndOfSequence,
//! Release), WS-Transfer Get by selectors, custom actions invoking WMI
//! methods, SOAP 1.2 faults with WinRM's subcodes, and the Msvm_* and
//! Win32_* classes with VM state machines and Msvm_ConcreteJob jobs that
//! complete after some polls.  It follows DSP0226/MS-WSMV and Microsoft's
//! class documentation, not the driver: what a real host accepts it accepts.
//!
//! `Mode::V2` is Windows Server 2016 (root/virtualization/v2, paused = 9,
//! saved = 6); `Mode::V1` is 2008 R2 (root/virtualization, paused = 32768,
//! saved = 32769, no v2 namespace).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use virt::net::ntlm;
use virt::xml::dom::{self, child, child_text, children, local, Element};
use virt::xml::escape;

const WMI: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/";
const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS_A: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const NS_W: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
const NS_N: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
const ANON: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
const WQL: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";

/// Which Windows the server plays.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Windows Server 2008 R2.
    V1,
    /// Windows Server 2016.
    V2,
}

/// How the server behaves.
#[derive(Clone)]
pub struct Opts {
    pub mode: Mode,
    pub user: String,
    pub password: String,
    /// VMs besides the three standard ones.
    pub extra_vms: usize,
    /// Polls a job answers "running" before it ends.
    pub job_polls: u32,
    /// Methods whose jobs end in the Exception state.
    pub failing_methods: Vec<String>,
    /// Jobs never end.
    pub hang_jobs: bool,
    /// The connection is dropped instead of answering a Pull.
    pub close_on_pull: bool,
    /// Replies to Enumerate are cut in the middle.
    pub truncate_enumerate: bool,
    /// Replies to Get are not XML at all (a proxy's error page).
    pub garbage_get: bool,
    /// Serve HTTPS (a self-signed certificate) instead of HTTP.
    pub tls: bool,
    /// The schemes WinRM allows ("Basic", "Negotiate"); Windows' default
    /// is Negotiate (and Kerberos) only.
    pub auth: Vec<String>,
    /// WinRM's AllowUnencrypted: plain SOAP over HTTP.
    pub allow_unencrypted: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            mode: Mode::V2,
            user: "administrator".into(),
            password: "Passw0rd!".into(),
            extra_vms: 0,
            job_polls: 2,
            failing_methods: Vec::new(),
            hang_jobs: false,
            close_on_pull: false,
            truncate_enumerate: false,
            tls: false,
            garbage_get: false,
            // The seed's set-up: Basic enabled, unencrypted HTTP allowed.
            auth: vec!["Negotiate".into(), "Basic".into()],
            allow_unencrypted: true,
        }
    }
}

/// A CIM instance: class and properties (arrays repeat, None = nil).
#[derive(Clone, Debug)]
pub struct Inst {
    pub class: String,
    pub props: Vec<(String, Option<String>)>,
}

impl Inst {
    fn new(class: &str, props: &[(&str, &str)]) -> Inst {
        Inst {
            class: class.into(),
            props: props
                .iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
        }
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_deref())
    }
    fn set(&mut self, k: &str, v: Option<&str>) {
        self.props.retain(|(n, _)| n != k);
        self.props.push((k.into(), v.map(str::to_string)));
    }
    fn ns(&self, mode: Mode) -> &'static str {
        if self.class.starts_with("Win32_") {
            "root/cimv2"
        } else if mode == Mode::V1 {
            "root/virtualization"
        } else {
            "root/virtualization/v2"
        }
    }
    /// The instance's endpoint reference (with WinRM's namespace selector).
    fn epr(&self, mode: Mode) -> String {
        let mut sel = String::new();
        for k in keys(&self.class) {
            if let Some(v) = self.get(k) {
                sel.push_str(&format!("<w:Selector Name=\"{k}\">{}</w:Selector>", escape(v)));
            }
        }
        format!(
            "<a:EndpointReference><a:Address>{ANON}</a:Address><a:ReferenceParameters>\
             <w:ResourceURI>{WMI}{}/{}</w:ResourceURI><w:SelectorSet>{sel}\
             <w:Selector Name=\"__cimnamespace\">{}</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference>",
            self.ns(mode),
            self.class,
            self.ns(mode)
        )
    }

    fn xml(&self, mode: Mode) -> String {
        let uri = format!("{WMI}{}/{}", self.ns(mode), self.class);
        let mut s = format!(
            "<p:{c} xmlns:p=\"{uri}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\" xsi:type=\"p:{c}_Type\" xml:lang=\"en-US\">",
            c = self.class
        );
        for (k, v) in &self.props {
            match v {
                Some(v) => s.push_str(&format!("<p:{k}>{}</p:{k}>", escape(v))),
                None => s.push_str(&format!("<p:{k} xsi:nil=\"true\"/>")),
            }
        }
        s.push_str(&format!("</p:{}>", self.class));
        s
    }
}

/// What a job does to the host when it completes.
type Effect = Box<dyn FnOnce(&mut State) + Send>;

struct Job {
    id: String,
    method: String,
    polls_left: u32,
    fail: bool,
    effect: Option<Effect>,
    state: u32,
}

/// The host's data and what happened to it.
pub struct State {
    pub opts: Opts,
    pub insts: Vec<Inst>,
    jobs: Vec<Job>,
    enums: HashMap<String, (Vec<Inst>, Items)>,
    next_pid: u32,
    counter: u64,
    /// Requests that came sealed with NTLM session security.
    pub sealed: u64,
    /// Keyboard calls: (VM GUID, method, key code).
    pub keys: Vec<(String, String, u32)>,
}

/// A running server.
pub struct Server {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
    pub requests: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

fn guid(n: u64) -> String {
    format!(
        "{:08X}-{:04X}-4{:03X}-8{:03X}-{:012X}",
        0x5A5A_0000 + n,
        n & 0xffff,
        n & 0xfff,
        n & 0xfff,
        n
    )
}

impl State {
    fn fresh_id(&mut self) -> String {
        self.counter += 1;
        guid(0x1000_0000 + self.counter)
    }

    fn paused(&self) -> &'static str {
        if self.opts.mode == Mode::V1 {
            "32768"
        } else {
            "9"
        }
    }
    fn saved(&self) -> &'static str {
        if self.opts.mode == Mode::V1 {
            "32769"
        } else {
            "6"
        }
    }

    /// A VM with the devices Hyper-V gives a new one.
    pub fn add_vm(&mut self, name: &str, g: &str, enabled: &str, mem_mib: u32, cpus: u32) {
        let running = enabled == "2" || enabled == self.paused();
        let pid = if running {
            self.next_pid += 4;
            Some(self.next_pid.to_string())
        } else {
            None
        };
        let mut cs = Inst::new(
            "Msvm_ComputerSystem",
            &[
                ("Caption", "Virtual Machine"),
                ("CreationClassName", "Msvm_ComputerSystem"),
                ("Description", "Microsoft Virtual Machine"),
                ("ElementName", name),
                ("EnabledState", enabled),
                ("HealthState", "5"),
                ("Name", g),
            ],
        );
        cs.props.push(("ProcessID".into(), pid));
        self.insts.push(cs);
        let vssd_id = format!("Microsoft:{g}");
        self.insts.push(Inst::new(
            "Msvm_VirtualSystemSettingData",
            &[
                ("AutomaticStartupAction", "2"),
                ("ElementName", name),
                ("InstanceID", &vssd_id),
                ("Notes", ""),
                ("VirtualSystemIdentifier", g),
                ("VirtualSystemType", "Microsoft:Hyper-V:System:Realized"),
            ],
        ));
        let mem = mem_mib.to_string();
        self.insts.push(Inst::new(
            "Msvm_MemorySettingData",
            &[
                (
                    "InstanceID",
                    &format!("Microsoft:{g}\\4764334d-e001-4176-82ee-5594ec9b530e"),
                ),
                ("Limit", &mem),
                ("Reservation", &mem),
                ("ResourceType", "4"),
                ("VirtualQuantity", &mem),
            ],
        ));
        self.insts.push(Inst::new(
            "Msvm_ProcessorSettingData",
            &[
                (
                    "InstanceID",
                    &format!("Microsoft:{g}\\b637f346-6a0e-4dec-af52-bd70cb80a21d\\0"),
                ),
                ("Limit", "100000"),
                ("Reservation", "0"),
                ("ResourceType", "3"),
                ("VirtualQuantity", &cpus.to_string()),
                ("Weight", "100"),
            ],
        ));
        for (i, addr) in ["0", "1"].iter().enumerate() {
            self.insts.push(Inst::new(
                "Msvm_ResourceAllocationSettingData",
                &[
                    ("Address", addr),
                    ("ElementName", "IDE Controller"),
                    (
                        "InstanceID",
                        &format!("Microsoft:{g}\\83f8638b-8dca-4152-9eda-2ca8b33039b4\\{i}"),
                    ),
                    ("ResourceSubType", "Microsoft:Hyper-V:Emulated IDE Controller"),
                    ("ResourceType", "5"),
                ],
            ));
        }
        let serial_class = if self.opts.mode == Mode::V1 {
            "Msvm_ResourceAllocationSettingData"
        } else {
            "Msvm_SerialPortSettingData"
        };
        for n in 1..=2 {
            let mut port = Inst::new(
                serial_class,
                &[
                    ("ElementName", &format!("COM {n}")),
                    (
                        "InstanceID",
                        &format!("Microsoft:{g}\\ce7e6ce9-f0a6-4b21-8d28-2d3a4dd66b0b\\{}", n - 1),
                    ),
                    ("ResourceSubType", "Microsoft:Hyper-V:Serial Port"),
                    ("ResourceType", "17"),
                ],
            );
            port.props.push(("Connection".into(), None));
            self.insts.push(port);
        }
        self.insts.push(Inst::new(
            "Msvm_ResourceAllocationSettingData",
            &[
                ("ElementName", "Video"),
                (
                    "InstanceID",
                    &format!("Microsoft:{g}\\8ee63c9f-7a34-4f19-8e01-4e6a5d3c0a6b\\0"),
                ),
                (
                    "ResourceSubType",
                    "Microsoft:Hyper-V:Synthetic Display Controller",
                ),
                ("ResourceType", "24"),
            ],
        ));
        self.insts.push(Inst::new(
            "Msvm_SyntheticDisplayController",
            &[
                ("CreationClassName", "Msvm_SyntheticDisplayController"),
                ("DeviceID", &format!("Microsoft:{g}\\Video")),
                ("SystemName", g),
            ],
        ));
        self.insts.push(Inst::new(
            "Msvm_Keyboard",
            &[
                ("CreationClassName", "Msvm_Keyboard"),
                ("DeviceID", "Keyboard"),
                ("SystemCreationClassName", "Msvm_ComputerSystem"),
                ("SystemName", g),
            ],
        ));
        self.insts.push(Inst::new(
            "Msvm_ShutdownComponent",
            &[
                ("CreationClassName", "Msvm_ShutdownComponent"),
                (
                    "DeviceID",
                    &format!("Microsoft:{g}\\9F8233AC-BE49-4C79-8EE3-E7E1985B2077"),
                ),
                ("EnabledState", "2"),
                ("SystemCreationClassName", "Msvm_ComputerSystem"),
                ("SystemName", g),
            ],
        ));
    }

    fn new(opts: Opts) -> State {
        let mut st = State {
            opts: opts.clone(),
            insts: Vec::new(),
            jobs: Vec::new(),
            enums: HashMap::new(),
            next_pid: 1000,
            counter: 0,
            sealed: 0,
            keys: Vec::new(),
        };
        let (version, caption) = match opts.mode {
            Mode::V2 => ("10.0.14393", "Microsoft Windows Server 2016 Datacenter"),
            Mode::V1 => ("6.1.7601", "Microsoft Windows Server 2008 R2 Enterprise"),
        };
        st.insts.push(Inst::new(
            "Win32_OperatingSystem",
            &[
                ("Caption", caption),
                ("FreePhysicalMemory", "12582912"),
                ("Version", version),
            ],
        ));
        st.insts.push(Inst::new(
            "Win32_ComputerSystem",
            &[
                ("DNSHostName", "hyperv-test"),
                ("Domain", "WORKGROUP"),
                ("Name", "HYPERV-TEST"),
                ("NumberOfProcessors", "2"),
                ("TotalPhysicalMemory", "34359738368"),
            ],
        ));
        st.insts.push(Inst::new(
            "Win32_ComputerSystemProduct",
            &[("UUID", "4C4C4544-0035-4A10-8048-B2C04F4E3532")],
        ));
        for id in ["CPU0", "CPU1"] {
            st.insts.push(Inst::new(
                "Win32_Processor",
                &[
                    ("DeviceID", id),
                    ("MaxClockSpeed", "2600"),
                    ("Name", "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz"),
                    ("NumberOfCores", "8"),
                    ("NumberOfLogicalProcessors", "16"),
                ],
            ));
        }
        st.insts.push(Inst::new(
            "Msvm_ComputerSystem",
            &[
                ("Caption", "Hosting Computer System"),
                ("CreationClassName", "Msvm_ComputerSystem"),
                ("ElementName", "HYPERV-TEST"),
                ("EnabledState", "2"),
                ("Name", "HYPERV-TEST"),
            ],
        ));
        st.insts.push(Inst::new(
            "Msvm_VirtualSystemManagementService",
            &[
                ("CreationClassName", "Msvm_VirtualSystemManagementService"),
                ("ElementName", "Virtual System Management Service"),
                ("Name", "vmms"),
                ("SystemCreationClassName", "Msvm_ComputerSystem"),
                ("SystemName", "HYPERV-TEST"),
            ],
        ));
        st.insts.push(Inst::new(
            "Msvm_ProcessorSettingData",
            &[
                (
                    "InstanceID",
                    "Microsoft:Definition\\b637f346-6a0e-4dec-af52-bd70cb80a21d\\Maximum",
                ),
                ("VirtualQuantity", "64"),
            ],
        ));
        let switch_class = if opts.mode == Mode::V1 {
            "Msvm_VirtualSwitch"
        } else {
            "Msvm_VirtualEthernetSwitch"
        };
        st.insts.push(Inst::new(
            switch_class,
            &[
                ("CreationClassName", switch_class),
                ("ElementName", "External Switch"),
                ("Name", "7D4A2D4F-6F7A-4B0F-9D35-3C4C7B1D2E11"),
            ],
        ));
        st.add_vm("web01", &guid(1), "2", 2048, 2);
        let com1 = format!("Microsoft:{}\\ce7e6ce9-f0a6-4b21-8d28-2d3a4dd66b0b\\0", guid(1));
        if let Some(port) = st
            .insts
            .iter_mut()
            .find(|i| i.get("InstanceID") == Some(com1.as_str()))
        {
            port.set("Connection", Some("\\\\.\\pipe\\web01-com1"));
        }
        st.add_vm("db & <backup>", &guid(2), "3", 4096, 4);
        let saved = st.saved();
        st.add_vm("saved01", &guid(3), saved, 1024, 1);
        for i in 0..opts.extra_vms {
            let state = if i % 2 == 0 { "2" } else { "3" };
            st.add_vm(
                &format!("vm{i:04}"),
                &guid(100 + i as u64),
                state,
                512 + (i as u32 % 8) * 256,
                1 + i as u32 % 4,
            );
        }
        st
    }

    fn virt_ns(&self) -> &'static str {
        if self.opts.mode == Mode::V1 {
            "root/virtualization"
        } else {
            "root/virtualization/v2"
        }
    }
}

impl Server {
    pub fn start(opts: Opts) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::new(opts)));
        let requests = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, rq, sp) = (state.clone(), requests.clone(), stop.clone());
        let tls = state.lock().unwrap().opts.tls.then(tls_config);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, rq) = (st.clone(), rq.clone());
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    Some(cfg) => {
                        let Ok(session) = rustls::ServerConnection::new(cfg) else {
                            return;
                        };
                        serve(rustls::StreamOwned::new(session, conn), &st, &rq, true)
                    }
                    None => serve(conn, &st, &rq, false),
                });
            }
        });
        Server {
            port,
            state,
            requests,
            stop,
        }
    }

    pub fn uri(&self, query: &str) -> String {
        if self.state.lock().unwrap().opts.tls {
            format!("hyperv://127.0.0.1:{}/?transport=https{query}", self.port)
        } else {
            format!("hyperv://127.0.0.1:{}/?transport=http{query}", self.port)
        }
    }

    pub fn count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The instances of a class, as the host holds them now.
    pub fn instances(&self, class: &str) -> Vec<Inst> {
        self.state
            .lock()
            .unwrap()
            .insts
            .iter()
            .filter(|i| i.class == class)
            .cloned()
            .collect()
    }

    pub fn vm(&self, name: &str) -> Option<Inst> {
        self.instances("Msvm_ComputerSystem")
            .into_iter()
            .find(|i| i.get("ElementName") == Some(name))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A TLS set-up with a fresh self-signed certificate for "localhost" and
/// 127.0.0.1 (made by openssl, as an administrator would).
fn tls_config() -> Arc<rustls::ServerConfig> {
    let dir = std::env::temp_dir().join(format!("hyperv-tls-{}-{}", std::process::id(), fastrand()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert) = (dir.join("key.der"), dir.join("cert.der"));
    let pem = dir.join("key.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-outform",
            "DER",
        ])
        .arg("-keyout")
        .arg(&pem)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
        && std::process::Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"])
            .arg(&pem)
            .arg("-out")
            .arg(&key)
            .status()
            .unwrap()
            .success();
    assert!(ok, "openssl could not make a certificate");
    let cert = rustls::pki_types::CertificateDer::from(std::fs::read(&cert).unwrap());
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(std::fs::read(&key).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key.into())
        .unwrap();
    Arc::new(cfg)
}

fn fastrand() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// A small base64 decoder for the Authorization header.
fn unbase64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// One reply: status, extra headers, body, and whether to seal it.
struct Reply {
    status: u16,
    headers: Vec<String>,
    body: Vec<u8>,
    content_type: &'static str,
}

impl Reply {
    fn new(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            content_type: "application/soap+xml;charset=UTF-8",
        }
    }

    /// 401 offering the schemes the service allows.
    fn unauthorized(schemes: &[String]) -> Reply {
        let mut r = Reply::new(401, Vec::new());
        for scheme in schemes {
            r.headers.push(if scheme == "Basic" {
                "WWW-Authenticate: Basic realm=\"WSMAN\"".to_string()
            } else {
                format!("WWW-Authenticate: {scheme}")
            });
        }
        r
    }
}

/// What one TCP connection remembers of NTLM.
#[derive(Default)]
struct NtlmConn {
    challenge: Option<[u8; 8]>,
    session: Option<ntlm::Session>,
}

fn serve<S: Read + Write>(conn: S, st: &Arc<Mutex<State>>, rq: &AtomicU64, tls: bool) {
    let mut reader = BufReader::new(conn);
    let mut ntlm_conn = NtlmConn::default();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        rq.fetch_add(1, Ordering::SeqCst);
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let reply = if !line.starts_with("POST ") || path != "/wsman" {
            Reply::new(404, Vec::new())
        } else {
            match authorized_reply(st, &headers, &body, &mut ntlm_conn, tls) {
                Some(r) => r,
                // Drop the connection without answering.
                None => return,
            }
        };
        let reason = match reply.status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            _ => "Internal Server Error",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for h in &reply.headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        if !reply.body.is_empty() {
            head.push_str(&format!("Content-Type: {}\r\n", reply.content_type));
        }
        head.push_str("\r\n");
        let out = reader.get_mut();
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(&reply.body))
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Authenticates a request as WinRM does (Basic, or NTLM bound to the
/// connection, sealed bodies over HTTP) and answers it.
fn authorized_reply(
    st: &Arc<Mutex<State>>,
    headers: &HashMap<String, String>,
    body: &[u8],
    conn: &mut NtlmConn,
    tls: bool,
) -> Option<Reply> {
    let (user, password, schemes, allow_unencrypted) = {
        let s = st.lock().unwrap();
        (
            s.opts.user.clone(),
            s.opts.password.clone(),
            s.opts.auth.clone(),
            s.opts.allow_unencrypted,
        )
    };
    let auth = headers.get("authorization").cloned().unwrap_or_default();
    let allowed = |scheme: &str| schemes.iter().any(|s| s == scheme);
    if let Some(b) = auth.strip_prefix("Basic ") {
        let ok = unbase64(b).is_some_and(|c| c == format!("{user}:{password}").as_bytes());
        if !allowed("Basic") || !ok || (!tls && !allow_unencrypted) {
            return Some(Reply::unauthorized(&schemes));
        }
        return handle(st, &String::from_utf8_lossy(body))
            .map(|(status, text)| Reply::new(status, text.into_bytes()));
    }
    if let Some(token) = auth.strip_prefix("Negotiate ") {
        if !allowed("Negotiate") {
            return Some(Reply::unauthorized(&schemes));
        }
        let msg = unbase64(token).unwrap_or_default();
        if let Some(auth_msg) = ntlm::Authenticate::parse(&msg) {
            let session = conn.challenge.take().and_then(|c| auth_msg.verify(&password, &c));
            // Windows compares user names without regard to case.
            let user_ok = auth_msg.user.eq_ignore_ascii_case(&user);
            match session {
                Some(session) if user_ok => conn.session = Some(session),
                _ => return Some(Reply::unauthorized(&schemes)),
            }
            if body.is_empty() {
                return Some(Reply::new(200, Vec::new()));
            }
        } else {
            let mut challenge = [0u8; 8];
            virt::domain::fill_random(&mut challenge);
            conn.challenge = Some(challenge);
            conn.session = None;
            let mut r = Reply::new(401, Vec::new());
            r.headers.push(format!(
                "WWW-Authenticate: Negotiate {}",
                virt::drivers::hyperv::wsman::base64(&ntlm::challenge_message(&challenge, "HYPERV-TEST"))
            ));
            return Some(r);
        }
    }
    let Some(session) = conn.session.as_mut() else {
        return Some(Reply::unauthorized(&schemes));
    };
    let encrypted = headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("multipart/encrypted"));
    if !encrypted {
        if !tls && !allow_unencrypted {
            return Some(Reply::unauthorized(&schemes));
        }
        return handle(st, &String::from_utf8_lossy(body))
            .map(|(status, text)| Reply::new(status, text.into_bytes()));
    }
    let Some(plain) = ntlm::decrypt_body(session, body) else {
        return Some(Reply::new(400, Vec::new()));
    };
    st.lock().unwrap().sealed += 1;
    let (status, text) = handle(st, &String::from_utf8_lossy(&plain))?;
    let sealed = ntlm::encrypt_body(conn.session.as_mut()?, text.as_bytes());
    let mut r = Reply::new(status, sealed);
    r.content_type = ntlm::ENCRYPTED_CONTENT_TYPE;
    Some(r)
}

fn envelope(action: &str, relates: &str, body: &str) -> String {
    format!(
        "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"{NS_SOAP}\" xmlns:a=\"{NS_A}\" xmlns:n=\"{NS_N}\" xmlns:w=\"{NS_W}\" \
         xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header><a:To>{ANON}</a:To>\
         <a:Action>{action}</a:Action><a:MessageID>uuid:0C1B7A6E-0000-0000-0000-000000000000</a:MessageID>\
         <a:RelatesTo>{}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>",
        escape(relates)
    )
}

fn fault(relates: &str, code: &str, subcode: &str, reason: &str, wmi_code: &str) -> (u16, String) {
    let body = format!(
        "<s:Fault><s:Code><s:Value>s:{code}</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>\
         <s:Reason><s:Text xml:lang=\"en-US\">{}</s:Text></s:Reason><s:Detail>\
         <f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" Code=\"{wmi_code}\" Machine=\"hyperv-test\">\
         <f:Message>{}</f:Message></f:WSManFault></s:Detail></s:Fault>",
        escape(reason),
        escape(reason)
    );
    (
        500,
        envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates, &body),
    )
}

fn handle(st: &Arc<Mutex<State>>, text: &str) -> Option<(u16, String)> {
    let Ok(root) = dom::parse(text) else {
        return Some(fault(
            "",
            "Sender",
            "w:SchemaValidationError",
            "The SOAP XML in the message does not match the corresponding XML schema definition.",
            "2150858817",
        ));
    };
    let header = child(&root, "Header").cloned().unwrap_or_default();
    let body = child(&root, "Body").cloned().unwrap_or_default();
    let action = child_text(&header, "Action").unwrap_or_default();
    let msg_id = child_text(&header, "MessageID").unwrap_or_default();
    let resource = child_text(&header, "ResourceURI").unwrap_or_default();
    let max_env: usize = child_text(&header, "MaxEnvelopeSize")
        .and_then(|m| m.parse().ok())
        .unwrap_or(153600);
    let selectors: Vec<(String, String)> = child(&header, "SelectorSet")
        .map(|s| {
            children(s, "Selector")
                .map(|e| {
                    (
                        e.attr("Name").unwrap_or("").to_string(),
                        e.text().trim().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut s = st.lock().unwrap();
    let Some(rest) = resource.strip_prefix(WMI) else {
        return Some(fault(
            &msg_id,
            "Sender",
            "w:InvalidResourceURI",
            "The WS-Management service cannot process the request because the resource URI is not valid.",
            "2150858778",
        ));
    };
    let (ns, class) = rest.rsplit_once('/').unwrap_or((rest, ""));
    let known_ns = ns == "root/cimv2" || ns == s.virt_ns();
    if !known_ns {
        return Some(fault(
            &msg_id,
            "Sender",
            "w:InvalidResourceURI",
            "The WS-Management service cannot process the request because the WMI namespace is not valid.",
            "2150858778",
        ));
    }
    match action.as_str() {
        "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate" => {
            let en = child(&body, "Enumerate").cloned().unwrap_or_default();
            let items = if class == "*" {
                let Some(filter) = child(&en, "Filter") else {
                    return Some(fault(
                        &msg_id,
                        "Sender",
                        "w:CannotProcessFilter",
                        "A filter is required when enumerating with '*'.",
                        "2150858770",
                    ));
                };
                if filter.attr("Dialect") != Some(WQL) {
                    return Some(fault(
                        &msg_id,
                        "Sender",
                        "w:FilterDialectRequestedUnavailable",
                        "The requested filter dialect is not supported.",
                        "2150858771",
                    ));
                }
                match wql(&mut s, ns, &filter.text()) {
                    Ok(v) => v,
                    Err(why) => {
                        return Some(fault(
                            &msg_id,
                            "Sender",
                            "w:CannotProcessFilter",
                            &why,
                            "2150858770",
                        ))
                    }
                }
            } else {
                if !class_exists(&s, ns, class) {
                    return Some(unknown_class(&msg_id));
                }
                s.insts
                    .iter()
                    .filter(|i| i.class == class && i.ns(s.opts.mode) == ns)
                    .cloned()
                    .collect()
            };
            let optimize = child(&en, "OptimizeEnumeration").is_some();
            let kind = match child_text(&en, "EnumerationMode").as_deref() {
                Some("EnumerateEPR") => Items::Epr,
                Some("EnumerateObjectAndEPR") => Items::ObjectAndEpr,
                _ => Items::Object,
            };
            let max: usize = child_text(&en, "MaxElements")
                .and_then(|m| m.parse().ok())
                .unwrap_or(1);
            let ctx = format!("uuid:{}", s.fresh_id());
            let mode = s.opts.mode;
            let (batch, rest) = if optimize {
                take_batch(items, max, max_env, mode, kind)
            } else {
                (String::new(), items)
            };
            let end = rest.is_empty() && optimize;
            let mut resp = String::from("<n:EnumerateResponse>");
            if !end {
                resp.push_str(&format!("<n:EnumerationContext>{ctx}</n:EnumerationContext>"));
                s.enums.insert(ctx, (rest, kind));
            }
            if optimize {
                resp.push_str(&format!("<w:Items>{batch}</w:Items>"));
                if end {
                    resp.push_str("<w:EndOfSequence/>");
                }
            }
            resp.push_str("</n:EnumerateResponse>");
            let mut doc = envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse",
                &msg_id,
                &resp,
            );
            if s.opts.truncate_enumerate {
                doc.truncate(doc.len() / 2);
            }
            Some((200, doc))
        }
        "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull" => {
            if s.opts.close_on_pull {
                return None;
            }
            let pull = child(&body, "Pull").cloned().unwrap_or_default();
            let ctx = child_text(&pull, "EnumerationContext").unwrap_or_default();
            let max: usize = child_text(&pull, "MaxElements")
                .and_then(|m| m.parse().ok())
                .unwrap_or(1);
            let Some((items, kind)) = s.enums.remove(&ctx) else {
                return Some(fault(
                    &msg_id,
                    "Sender",
                    "n:InvalidEnumerationContext",
                    "The supplied enumeration context is invalid.",
                    "2150858766",
                ));
            };
            let mode = s.opts.mode;
            let (batch, rest) = take_batch(items, max, max_env, mode, kind);
            let mut resp = String::from("<n:PullResponse>");
            let end = rest.is_empty();
            if !end {
                resp.push_str(&format!("<n:EnumerationContext>{ctx}</n:EnumerationContext>"));
                s.enums.insert(ctx, (rest, kind));
            }
            resp.push_str(&format!("<n:Items>{batch}</n:Items>"));
            if end {
                resp.push_str("<n:EndOfSequence/>");
            }
            resp.push_str("</n:PullResponse>");
            Some((
                200,
                envelope(
                    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse",
                    &msg_id,
                    &resp,
                ),
            ))
        }
        "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release" => {
            let ctx = child(&body, "Release")
                .and_then(|r| child_text(r, "EnumerationContext"))
                .unwrap_or_default();
            s.enums.remove(&ctx);
            Some((
                200,
                envelope(
                    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse",
                    &msg_id,
                    "",
                ),
            ))
        }
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get" if s.opts.garbage_get => {
            Some((200, "<html><body>Service Unavailable".to_string()))
        }
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get" => {
            if !class_exists(&s, ns, class) {
                return Some(unknown_class(&msg_id));
            }
            if class == "Msvm_ConcreteJob" {
                poll_jobs(&mut s, &selectors);
            }
            match find_one(&s, ns, class, &selectors) {
                Ok(i) => {
                    let x = s.insts[i].xml(s.opts.mode);
                    Some((
                        200,
                        envelope(
                            "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse",
                            &msg_id,
                            &x,
                        ),
                    ))
                }
                Err(f) => Some(fault(&msg_id, "Sender", "w:InvalidSelectors", f, "2150858843")),
            }
        }
        a if a.starts_with(&resource) && a.len() > resource.len() + 1 => {
            let method = &a[resource.len() + 1..];
            if !class_exists(&s, ns, class) {
                return Some(unknown_class(&msg_id));
            }
            let target = match find_one(&s, ns, class, &selectors) {
                Ok(i) => i,
                Err(f) => return Some(fault(&msg_id, "Sender", "w:InvalidSelectors", f, "2150858843")),
            };
            let input = body.elements().next().cloned().unwrap_or_default();
            if local(&input.name) != format!("{method}_INPUT") {
                return Some(fault(
                    &msg_id,
                    "Sender",
                    "w:SchemaValidationError",
                    "The method input element is missing or misnamed.",
                    "2150858817",
                ));
            }
            let uri = resource.clone();
            let out = invoke(&mut s, target, class, method, &input);
            let x = match out {
                Ok((code, extra)) => format!(
                    "<p:{method}_OUTPUT xmlns:p=\"{uri}\" xmlns:a=\"{NS_A}\" xmlns:w=\"{NS_W}\">{extra}<p:ReturnValue>{code}</p:ReturnValue></p:{method}_OUTPUT>"
                ),
                Err(why) => return Some(fault(&msg_id, "Receiver", "w:InternalError", &why, "2150859046")),
            };
            Some((200, envelope(&format!("{a}Response"), &msg_id, &x)))
        }
        _ => Some(fault(
            &msg_id,
            "Sender",
            "a:ActionNotSupported",
            "The action is not supported by the service.",
            "2150858757",
        )),
    }
}

fn unknown_class(msg_id: &str) -> (u16, String) {
    fault(msg_id, "Sender", "a:DestinationUnreachable", "The WS-Management service cannot process the request. The WMI service returned an 'invalid class' error.", "2150858752")
}

const CLASSES: &[&str] = &[
    "Msvm_ComputerSystem",
    "Msvm_VirtualSystemSettingData",
    "Msvm_MemorySettingData",
    "Msvm_ProcessorSettingData",
    "Msvm_ResourceAllocationSettingData",
    "Msvm_StorageAllocationSettingData",
    "Msvm_SerialPortSettingData",
    "Msvm_SyntheticEthernetPortSettingData",
    "Msvm_EthernetPortAllocationSettingData",
    "Msvm_VirtualEthernetSwitch",
    "Msvm_VirtualSwitch",
    "Msvm_VirtualSystemManagementService",
    "Msvm_ConcreteJob",
    "Msvm_ShutdownComponent",
    "Msvm_SyntheticDisplayController",
    "Msvm_Keyboard",
    "Win32_OperatingSystem",
    "Win32_ComputerSystem",
    "Win32_ComputerSystemProduct",
    "Win32_Processor",
];

fn class_exists(s: &State, ns: &str, class: &str) -> bool {
    if !CLASSES.contains(&class) {
        return false;
    }
    let probe = Inst::new(class, &[]);
    probe.ns(s.opts.mode) == ns
        && match s.opts.mode {
            Mode::V1 => !matches!(
                class,
                "Msvm_VirtualEthernetSwitch"
                    | "Msvm_SerialPortSettingData"
                    | "Msvm_EthernetPortAllocationSettingData"
            ),
            Mode::V2 => class != "Msvm_VirtualSwitch",
        }
}

/// What an enumeration returns (DSP0226's EnumerationMode).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Items {
    Object,
    Epr,
    ObjectAndEpr,
}

/// The key properties of a class (what its EPRs select by).
fn keys(class: &str) -> &'static [&'static str] {
    match class {
        "Msvm_ComputerSystem" | "Msvm_VirtualEthernetSwitch" | "Msvm_VirtualSwitch" => {
            &["CreationClassName", "Name"]
        }
        "Msvm_VirtualSystemManagementService" => &[
            "CreationClassName",
            "Name",
            "SystemCreationClassName",
            "SystemName",
        ],
        "Msvm_ShutdownComponent" | "Msvm_SyntheticDisplayController" | "Msvm_Keyboard" => &[
            "CreationClassName",
            "DeviceID",
            "SystemCreationClassName",
            "SystemName",
        ],
        "Win32_ComputerSystem" | "Win32_OperatingSystem" | "Win32_ComputerSystemProduct" => &["Name"],
        "Win32_Processor" => &["DeviceID"],
        _ => &["InstanceID"],
    }
}

/// Items for one reply: at most `max`, within the envelope size.
fn take_batch(
    mut items: Vec<Inst>,
    max: usize,
    max_env: usize,
    mode: Mode,
    kind: Items,
) -> (String, Vec<Inst>) {
    let mut out = String::new();
    let mut n = 0;
    while n < items.len() && n < max.max(1) {
        let x = match kind {
            Items::Object => items[n].xml(mode),
            Items::Epr => items[n].epr(mode),
            Items::ObjectAndEpr => format!("<w:Item>{}{}</w:Item>", items[n].xml(mode), items[n].epr(mode)),
        };
        if n > 0 && out.len() + x.len() + 2048 > max_env {
            break;
        }
        out.push_str(&x);
        n += 1;
    }
    let rest = items.split_off(n);
    (out, rest)
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn find_one(s: &State, ns: &str, class: &str, sel: &[(String, String)]) -> Result<usize, &'static str> {
    let sel: Vec<_> = sel.iter().filter(|(k, _)| !k.starts_with("__")).collect();
    if sel.is_empty() {
        return Err("The WS-Management service cannot process the request because the request contained invalid selectors for the resource.");
    }
    let found: Vec<usize> = s
        .insts
        .iter()
        .enumerate()
        .filter(|(_, i)| i.class == class && i.ns(s.opts.mode) == ns)
        .filter(|(_, i)| sel.iter().all(|(k, v)| i.get(k).is_some_and(|x| eq_ci(x, v))))
        .map(|(n, _)| n)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err("The WS-Management service cannot process the request because the request contained invalid selectors for the resource."),
    }
}

// ---------------------------------------------------------------- WQL

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(String),
    LParen,
    RParen,
    Comma,
    LBrace,
    RBrace,
    Dot,
}

fn tokens(q: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = q.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '\'' || ch == '"' {
            let q = ch;
            let mut s = String::new();
            i += 1;
            loop {
                match c.get(i) {
                    None => return Err("unterminated string in the query".into()),
                    Some('\\') => {
                        s.push(*c.get(i + 1).ok_or("bad escape")?);
                        i += 2;
                    }
                    Some(x) if *x == q => {
                        i += 1;
                        break;
                    }
                    Some(x) => {
                        s.push(*x);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if ch == '!' || ch == '<' || ch == '>' || ch == '=' {
            let mut op = ch.to_string();
            if matches!(c.get(i + 1), Some('=') | Some('>')) && ch != '=' {
                op.push(c[i + 1]);
                i += 1;
            }
            i += 1;
            out.push(Tok::Op(op));
        } else if ch == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if ch == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if ch == ',' {
            out.push(Tok::Comma);
            i += 1;
        } else if ch == '{' {
            out.push(Tok::LBrace);
            i += 1;
        } else if ch == '}' {
            out.push(Tok::RBrace);
            i += 1;
        } else if ch == '.' {
            out.push(Tok::Dot);
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' || ch == '*' || ch == '-' {
            let mut w = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '*' || c[i] == '-') {
                w.push(c[i]);
                i += 1;
            }
            out.push(Tok::Word(w));
        } else {
            return Err(format!("unexpected character '{ch}' in the query"));
        }
    }
    Ok(out)
}

enum Cond {
    Cmp(String, String, Tok),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.t.get(self.i), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn word(&mut self) -> Result<String, String> {
        match self.t.get(self.i) {
            Some(Tok::Word(w)) => {
                self.i += 1;
                Ok(w.clone())
            }
            other => Err(format!("expected a name, found {other:?}")),
        }
    }
    fn expect_word(&mut self, w: &str) -> Result<(), String> {
        if self.peek_word(w) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {w}"))
        }
    }
    fn or(&mut self) -> Result<Cond, String> {
        let mut l = self.and()?;
        while self.peek_word("OR") {
            self.i += 1;
            l = Cond::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Cond, String> {
        let mut l = self.atom()?;
        while self.peek_word("AND") {
            self.i += 1;
            l = Cond::And(Box::new(l), Box::new(self.atom()?));
        }
        Ok(l)
    }
    fn atom(&mut self) -> Result<Cond, String> {
        if self.t.get(self.i) == Some(&Tok::LParen) {
            self.i += 1;
            let c = self.or()?;
            if self.t.get(self.i) != Some(&Tok::RParen) {
                return Err("missing )".into());
            }
            self.i += 1;
            return Ok(c);
        }
        let prop = self.word()?;
        let op = match self.t.get(self.i) {
            Some(Tok::Op(o)) => o.clone(),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("LIKE") => "LIKE".into(),
            other => return Err(format!("expected an operator, found {other:?}")),
        };
        self.i += 1;
        let v = self.t.get(self.i).cloned().ok_or("missing value")?;
        self.i += 1;
        Ok(Cond::Cmp(prop, op, v))
    }
}

fn like(pattern: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (
        pattern.to_lowercase().chars().collect(),
        s.to_lowercase().chars().collect(),
    );
    fn m(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('%') => (0..=s.len()).any(|k| m(&p[1..], &s[k..])),
            Some('_') => !s.is_empty() && m(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && m(&p[1..], &s[1..]),
        }
    }
    m(&p, &s)
}

fn eval(c: &Cond, i: &Inst, server: &str) -> bool {
    match c {
        Cond::And(a, b) => eval(a, i, server) && eval(b, i, server),
        Cond::Or(a, b) => eval(a, i, server) || eval(b, i, server),
        Cond::Cmp(p, op, v) => {
            let Some(x) = i.get(p) else { return false };
            let v = match v {
                Tok::Str(s) => s.clone(),
                Tok::Word(w) if w == "__SERVER" => server.to_string(),
                Tok::Word(w) => w.clone(),
                _ => return false,
            };
            let num = |a: &str| a.parse::<i64>().ok();
            let cmp = match (num(x), num(&v)) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => x.to_lowercase().cmp(&v.to_lowercase()),
            };
            match op.as_str() {
                "=" => cmp.is_eq(),
                "!=" | "<>" => cmp.is_ne(),
                "<" => cmp.is_lt(),
                ">" => cmp.is_gt(),
                "<=" => cmp.is_le(),
                ">=" => cmp.is_ge(),
                "LIKE" => like(&v, x),
                _ => false,
            }
        }
    }
}

/// Runs a WQL query (SELECT or ASSOCIATORS OF) in `ns`.
fn wql(s: &mut State, ns: &str, q: &str) -> Result<Vec<Inst>, String> {
    let t = tokens(q)?;
    let mut p = P { t, i: 0 };
    let server = "HYPERV-TEST";
    let mode = s.opts.mode;
    if p.peek_word("SELECT") {
        p.i += 1;
        if p.word()? != "*" {
            return Err("only SELECT * is supported by this provider".into());
        }
        p.expect_word("FROM")?;
        let class = p.word()?;
        if !class_exists(s, ns, &class) {
            return Err(format!("Invalid class '{class}'"));
        }
        let cond = if p.peek_word("WHERE") {
            p.i += 1;
            Some(p.or()?)
        } else {
            None
        };
        if p.i != p.t.len() {
            return Err("Invalid query".into());
        }
        if class == "Msvm_ConcreteJob" {
            poll_jobs(s, &[]);
        }
        return Ok(s
            .insts
            .iter()
            .filter(|i| i.class == class && i.ns(mode) == ns)
            .filter(|i| cond.as_ref().is_none_or(|c| eval(c, i, server)))
            .cloned()
            .collect());
    }
    p.expect_word("ASSOCIATORS")?;
    p.expect_word("OF")?;
    if p.t.get(p.i) != Some(&Tok::LBrace) {
        return Err("expected {".into());
    }
    p.i += 1;
    let src_class = p.word()?;
    if p.t.get(p.i) != Some(&Tok::Dot) {
        return Err("expected .".into());
    }
    p.i += 1;
    let mut keys = Vec::new();
    loop {
        let k = p.word()?;
        if p.t.get(p.i) != Some(&Tok::Op("=".into())) {
            return Err("expected =".into());
        }
        p.i += 1;
        let v = match p.t.get(p.i) {
            Some(Tok::Str(s)) => s.clone(),
            Some(Tok::Word(w)) => w.clone(),
            _ => return Err("expected a key value".into()),
        };
        p.i += 1;
        keys.push((k, v));
        match p.t.get(p.i) {
            Some(Tok::Comma) => p.i += 1,
            Some(Tok::RBrace) => {
                p.i += 1;
                break;
            }
            _ => return Err("expected , or }".into()),
        }
    }
    let (mut assoc, mut result) = (None, None);
    if p.peek_word("WHERE") {
        p.i += 1;
        while p.i < p.t.len() {
            let k = p.word()?;
            if p.t.get(p.i) != Some(&Tok::Op("=".into())) {
                return Err("expected =".into());
            }
            p.i += 1;
            let v = p.word()?;
            match k.as_str() {
                "AssocClass" => assoc = Some(v),
                "ResultClass" => result = Some(v),
                _ => return Err(format!("unsupported ASSOCIATORS qualifier {k}")),
            }
        }
    }
    let src = s
        .insts
        .iter()
        .find(|i| i.class == src_class && keys.iter().all(|(k, v)| i.get(k).is_some_and(|x| eq_ci(x, v))))
        .cloned()
        .ok_or_else(|| "Not found".to_string())?;
    let related: Vec<Inst> = match (src_class.as_str(), assoc.as_deref()) {
        ("Msvm_ComputerSystem", Some("Msvm_SettingsDefineState")) => {
            let id = format!("Microsoft:{}", src.get("Name").unwrap_or(""));
            s.insts
                .iter()
                .filter(|i| {
                    i.class == "Msvm_VirtualSystemSettingData"
                        && i.get("InstanceID").is_some_and(|x| eq_ci(x, &id))
                })
                .cloned()
                .collect()
        }
        ("Msvm_VirtualSystemSettingData", Some("Msvm_VirtualSystemSettingDataComponent")) => {
            let prefix = format!("{}\\", src.get("InstanceID").unwrap_or("")).to_lowercase();
            s.insts
                .iter()
                .filter(|i| {
                    i.class.ends_with("SettingData")
                        && i.get("InstanceID")
                            .is_some_and(|x| x.to_lowercase().starts_with(&prefix))
                })
                .cloned()
                .collect()
        }
        ("Msvm_ComputerSystem", None) => {
            let g = src.get("Name").unwrap_or("").to_string();
            s.insts
                .iter()
                .filter(|i| i.get("SystemName") == Some(g.as_str()))
                .cloned()
                .collect()
        }
        ("Win32_ComputerSystem", Some("Win32_ComputerSystemProcessor")) => s
            .insts
            .iter()
            .filter(|i| i.class == "Win32_Processor")
            .cloned()
            .collect(),
        _ => return Err("unsupported association".into()),
    };
    Ok(related
        .into_iter()
        .filter(|i| result.as_ref().is_none_or(|r| &i.class == r))
        .collect())
}

// ---------------------------------------------------------------- jobs and methods

/// Advances every job by one poll (a Get or query of Msvm_ConcreteJob).
fn poll_jobs(s: &mut State, sel: &[(String, String)]) {
    let want = sel
        .iter()
        .find(|(k, _)| k == "InstanceID")
        .map(|(_, v)| v.clone());
    let hang = s.opts.hang_jobs;
    let mut done = Vec::new();
    for (n, j) in s.jobs.iter_mut().enumerate() {
        if want.as_ref().is_some_and(|w| !eq_ci(w, &j.id)) || j.state >= 7 || hang {
            continue;
        }
        if j.polls_left > 0 {
            j.polls_left -= 1;
        } else {
            j.state = if j.fail { 10 } else { 7 };
            done.push(n);
        }
    }
    for n in done {
        let effect = s.jobs[n].effect.take();
        let (id, st, fail, method) = (
            s.jobs[n].id.clone(),
            s.jobs[n].state,
            s.jobs[n].fail,
            s.jobs[n].method.clone(),
        );
        if !fail {
            if let Some(e) = effect {
                e(s);
            }
        }
        if let Some(inst) = s
            .insts
            .iter_mut()
            .find(|i| i.class == "Msvm_ConcreteJob" && i.get("InstanceID") == Some(id.as_str()))
        {
            inst.set("JobState", Some(&st.to_string()));
            inst.set("PercentComplete", Some("100"));
            if fail {
                inst.set("ErrorCode", Some("32768"));
                inst.set("ErrorDescription", Some(&format!("'{method}' failed.")));
            }
        }
    }
}

/// Starts a job whose `effect` applies when it completes; returns the Job
/// output parameter.
fn start_job(s: &mut State, method: &str, effect: Effect) -> String {
    let id = s.fresh_id();
    let fail = s.opts.failing_methods.iter().any(|m| m == method);
    s.jobs.push(Job {
        id: id.clone(),
        method: method.into(),
        polls_left: s.opts.job_polls,
        fail,
        effect: Some(effect),
        state: 4,
    });
    s.insts.push(Inst::new(
        "Msvm_ConcreteJob",
        &[
            ("ElementName", method),
            ("InstanceID", &id),
            ("JobState", "4"),
            ("PercentComplete", "0"),
        ],
    ));
    let ns = s.virt_ns();
    format!(
        "<p:Job><a:Address>{ANON}</a:Address><a:ReferenceParameters><w:ResourceURI>{WMI}{ns}/Msvm_ConcreteJob</w:ResourceURI>\
         <w:SelectorSet><w:Selector Name=\"InstanceID\">{id}</w:Selector><w:Selector Name=\"__cimnamespace\">{ns}</w:Selector>\
         </w:SelectorSet></a:ReferenceParameters></p:Job>"
    )
}

fn epr_xml(s: &State, name: &str, class: &str, key: &str, value: &str) -> String {
    format!(
        "<p:{name}><a:Address>{ANON}</a:Address><a:ReferenceParameters><w:ResourceURI>{WMI}{}/{class}</w:ResourceURI>\
         <w:SelectorSet><w:Selector Name=\"{key}\">{}</w:Selector></w:SelectorSet></a:ReferenceParameters></p:{name}>",
        s.virt_ns(),
        escape(value)
    )
}

/// The properties of an embedded CIM-XML instance (a parameter's text).
fn embedded(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    let el =
        dom::parse(text).map_err(|e| format!("The embedded instance is not valid CIM-XML: {}", e.message))?;
    if el.name != "INSTANCE" {
        return Err("The embedded instance is not valid CIM-XML".into());
    }
    let class = el.attr("CLASSNAME").unwrap_or("").to_string();
    let mut props = Vec::new();
    for p in el.elements() {
        let name = p.attr("NAME").unwrap_or("").to_string();
        if p.name == "PROPERTY" {
            props.push((name, p.child("VALUE").map(Element::text).unwrap_or_default()));
        } else if p.name == "PROPERTY.ARRAY" {
            for v in p
                .child("VALUE.ARRAY")
                .into_iter()
                .flat_map(|a| a.children_named("VALUE"))
            {
                props.push((name.clone(), v.text()));
            }
        }
    }
    Ok((class, props))
}

fn arg<'a>(input: &'a Element, name: &str) -> Option<&'a Element> {
    child(input, name)
}

fn epr_selector(e: &Element, key: &str) -> Option<String> {
    let rp = child(e, "ReferenceParameters")?;
    let set = child(rp, "SelectorSet")?;
    children(set, "Selector")
        .find(|s| s.attr("Name") == Some(key))
        .map(|s| s.text().trim().to_string())
}

fn invoke(
    s: &mut State,
    target: usize,
    class: &str,
    method: &str,
    input: &Element,
) -> Result<(u32, String), String> {
    let mode = s.opts.mode;
    match (class, method) {
        ("Msvm_ComputerSystem", "RequestStateChange") => {
            let req: u32 = arg(input, "RequestedState")
                .and_then(|e| e.text().trim().parse().ok())
                .ok_or("RequestedState is missing")?;
            let g = s.insts[target].get("Name").unwrap_or("").to_string();
            let cur = s.insts[target].get("EnabledState").unwrap_or("0").to_string();
            let (paused, saved) = (s.paused().to_string(), s.saved().to_string());
            let new = match (mode, req) {
                (_, 2) if cur == "3" || cur == paused || cur == saved => "2".to_string(),
                (_, 3) if cur == "2" || cur == paused || cur == saved => "3".to_string(),
                (Mode::V2, 9) | (Mode::V1, 32768) if cur == "2" => paused.clone(),
                (Mode::V2, 6) | (Mode::V1, 32769) if cur == "2" || cur == paused => saved.clone(),
                (_, 10) | (_, 11) if cur == "2" => "2".to_string(),
                _ => return Ok((4097, String::new())),
            };
            let job = start_job(
                s,
                method,
                Box::new(move |s: &mut State| {
                    s.next_pid += 4;
                    let pid = s.next_pid.to_string();
                    if let Some(vm) = s
                        .insts
                        .iter_mut()
                        .find(|i| i.class == "Msvm_ComputerSystem" && i.get("Name") == Some(g.as_str()))
                    {
                        let running = new == "2" || new == paused;
                        let had = vm.get("ProcessID").map(str::to_string);
                        vm.set("EnabledState", Some(&new));
                        vm.set(
                            "ProcessID",
                            if running {
                                Some(had.as_deref().unwrap_or(&pid))
                            } else {
                                None
                            },
                        );
                    }
                }),
            );
            Ok((4096, job))
        }
        ("Msvm_Keyboard", "PressKey" | "ReleaseKey") => {
            let code: u32 = arg(input, "keyCode")
                .and_then(|e| e.text().trim().parse().ok())
                .ok_or("keyCode is missing")?;
            let g = s.insts[target].get("SystemName").unwrap_or("").to_string();
            let running = s.insts.iter().any(|i| {
                i.class == "Msvm_ComputerSystem"
                    && i.get("Name") == Some(g.as_str())
                    && i.get("EnabledState") == Some("2")
            });
            if !running {
                // Invalid State for this operation.
                return Ok((32775, String::new()));
            }
            s.keys.push((g, method.to_string(), code));
            Ok((0, String::new()))
        }
        ("Msvm_ShutdownComponent", "InitiateShutdown") => {
            let g = s.insts[target].get("SystemName").unwrap_or("").to_string();
            arg(input, "Force").ok_or("Force is missing")?;
            arg(input, "Reason").ok_or("Reason is missing")?;
            let job = start_job(
                s,
                method,
                Box::new(move |s: &mut State| {
                    if let Some(vm) = s
                        .insts
                        .iter_mut()
                        .find(|i| i.class == "Msvm_ComputerSystem" && i.get("Name") == Some(g.as_str()))
                    {
                        vm.set("EnabledState", Some("3"));
                        vm.set("ProcessID", None);
                    }
                }),
            );
            Ok((4096, job))
        }
        ("Msvm_VirtualSystemManagementService", "DefineSystem") => {
            let text = arg(input, "SystemSettings")
                .map(Element::text)
                .ok_or("SystemSettings is missing")?;
            let (cls, props) = embedded(&text)?;
            if cls != "Msvm_VirtualSystemSettingData" {
                return Ok((5, String::new()));
            }
            let name = props
                .iter()
                .find(|(k, _)| k == "ElementName")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "New Virtual Machine".into());
            let g = s.fresh_id();
            let g2 = g.clone();
            let job = start_job(
                s,
                method,
                Box::new(move |s: &mut State| s.add_vm(&name, &g2, "3", 512, 1)),
            );
            let res = epr_xml(s, "ResultingSystem", "Msvm_ComputerSystem", "Name", &g);
            Ok((4096, format!("{job}{res}")))
        }
        ("Msvm_VirtualSystemManagementService", "DestroySystem") => {
            let e = arg(input, "AffectedSystem").ok_or("AffectedSystem is missing")?;
            let g = epr_selector(e, "Name").ok_or("AffectedSystem is not a reference to a system")?;
            let vm = s
                .insts
                .iter()
                .find(|i| i.class == "Msvm_ComputerSystem" && i.get("Name").is_some_and(|n| eq_ci(n, &g)))
                .ok_or("Not found")?;
            if vm.get("EnabledState") != Some("3") && vm.get("EnabledState") != Some(s.saved()) {
                return Ok((4097, String::new()));
            }
            let job = start_job(
                s,
                method,
                Box::new(move |s: &mut State| {
                    let prefix = format!("Microsoft:{g}").to_lowercase();
                    s.insts.retain(|i| {
                        let the_vm =
                            i.class == "Msvm_ComputerSystem" && i.get("Name").is_some_and(|n| eq_ci(n, &g));
                        let its_setting = i
                            .get("InstanceID")
                            .is_some_and(|x| x.to_lowercase().starts_with(&prefix));
                        let its_device = i.get("SystemName").is_some_and(|n| eq_ci(n, &g));
                        !(the_vm || its_setting || its_device)
                    });
                }),
            );
            Ok((4096, job))
        }
        (
            "Msvm_VirtualSystemManagementService",
            "ModifyResourceSettings" | "ModifySystemSettings" | "ModifyVirtualSystemResources",
        ) => {
            let pname = match method {
                "ModifySystemSettings" => "SystemSettings",
                "ModifyVirtualSystemResources" => "ResourceSettingData",
                _ => "ResourceSettings",
            };
            if method == "ModifyVirtualSystemResources" {
                let e = arg(input, "ComputerSystem").ok_or("ComputerSystem is missing")?;
                let g = epr_selector(e, "Name").ok_or("ComputerSystem is not a reference to a system")?;
                if !s
                    .insts
                    .iter()
                    .any(|i| i.class == "Msvm_ComputerSystem" && i.get("Name").is_some_and(|n| eq_ci(n, &g)))
                {
                    return Ok((5, String::new()));
                }
            }
            let mut changes = Vec::new();
            for e in children(input, pname) {
                let (cls, props) = embedded(&e.text())?;
                let id = props
                    .iter()
                    .find(|(k, _)| k == "InstanceID")
                    .map(|(_, v)| v.clone())
                    .ok_or("InstanceID is missing")?;
                if !s
                    .insts
                    .iter()
                    .any(|i| i.class == cls && i.get("InstanceID") == Some(id.as_str()))
                {
                    return Ok((5, String::new()));
                }
                if cls == "Msvm_ProcessorSettingData" {
                    if let Some((_, v)) = props.iter().find(|(k, _)| k == "VirtualQuantity") {
                        if v.parse::<u32>().map_or(true, |n| n == 0 || n > 64) {
                            return Ok((5, String::new()));
                        }
                    }
                }
                changes.push((cls, id, props));
            }
            if changes.is_empty() {
                return Ok((5, String::new()));
            }
            let job = start_job(
                s,
                method,
                Box::new(move |s: &mut State| {
                    for (cls, id, props) in changes {
                        if let Some(i) = s
                            .insts
                            .iter_mut()
                            .find(|i| i.class == cls && i.get("InstanceID") == Some(id.as_str()))
                        {
                            for (k, v) in props.iter().filter(|(k, _)| k != "InstanceID") {
                                i.set(k, Some(v));
                            }
                        }
                    }
                }),
            );
            Ok((4096, job))
        }
        ("Msvm_VirtualSystemManagementService", "AddResourceSettings") => {
            let e = arg(input, "AffectedConfiguration").ok_or("AffectedConfiguration is missing")?;
            let vssd = epr_selector(e, "InstanceID")
                .ok_or("AffectedConfiguration is not a reference to settings")?;
            if !s.insts.iter().any(|i| {
                i.class == "Msvm_VirtualSystemSettingData" && i.get("InstanceID") == Some(vssd.as_str())
            }) {
                return Ok((5, String::new()));
            }
            let mut added = Vec::new();
            let mut out = String::new();
            for e in children(input, "ResourceSettings") {
                let (cls, props) = embedded(&e.text())?;
                if !class_exists(s, s.virt_ns(), &cls) {
                    return Ok((5, String::new()));
                }
                let id = format!("{vssd}\\{}", s.fresh_id());
                let mut inst = Inst {
                    class: cls.clone(),
                    props: Vec::new(),
                };
                for (k, v) in props {
                    inst.props.push((k, Some(v)));
                }
                inst.set("InstanceID", Some(&id));
                out.push_str(&epr_xml(s, "ResultingResourceSettings", &cls, "InstanceID", &id));
                added.push(inst);
            }
            let job = start_job(s, method, Box::new(move |s: &mut State| s.insts.extend(added)));
            Ok((4096, format!("{job}{out}")))
        }
        _ => Err(format!(
            "The method {method} of {class} is not implemented by this host"
        )),
    }
}
