//! The WS-Management test server checked with an independent client:
//! Debian's `wsl` (Dell's WS-Man shell scripts over curl and xmllint)
//! enumerates with a WQL filter across Enumerate and Pull, gets an
//! instance by its selectors, enumerates endpoint references and invokes
//! a method with one, and sees the faults of unknown classes.

mod hyperv;

use std::path::{Path, PathBuf};
use std::process::Command;

use hyperv::server::{Opts, Server};

const V2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2";
const WQL: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";

struct Wsl {
    dir: PathBuf,
    endpoint: String,
    password: String,
}

impl Wsl {
    fn new(server: &Server) -> Wsl {
        let dir = std::env::temp_dir().join(format!("hyperv-wsl-{}-{}", std::process::id(), server.port));
        std::fs::create_dir_all(&dir).unwrap();
        let password = server.state.lock().unwrap().opts.password.clone();
        Wsl {
            dir,
            endpoint: format!("127.0.0.1:{}", server.port),
            password,
        }
    }

    /// Runs a wsl command; returns every response document it wrote.
    fn run(&self, cmd: &str, args: &[&str]) -> Vec<String> {
        for e in std::fs::read_dir(&self.dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with("response") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        let out = Command::new(cmd)
            .args(args)
            .current_dir(&self.dir)
            .env("WSENDPOINT", &self.endpoint)
            .env("WSUSER", "administrator")
            .env("WSPASS", &self.password)
            .env("WSNOSSL", "1")
            .env("WSDONTASK", "y")
            .env("KEEPHISTORY", "0")
            .env("OUTPREFIX", &self.dir)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        // wsl exits non-zero on faults; the responses tell what happened.
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let mut docs: Vec<(usize, String)> = std::fs::read_dir(&self.dir)
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let n = name
                    .strip_prefix("response-")?
                    .strip_suffix(".xml")?
                    .parse()
                    .ok()?;
                Some((n, std::fs::read_to_string(e.path()).unwrap()))
            })
            .collect();
        docs.sort();
        assert!(!docs.is_empty(), "{cmd} got no response: {stderr}");
        docs.into_iter().map(|(_, d)| d).collect()
    }

    fn save(&self, name: &str, doc: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, doc).unwrap();
        p
    }
}

impl Drop for Wsl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn values(doc: &str, element: &str) -> Vec<String> {
    let open = format!("<p:{element}>");
    doc.match_indices(&open)
        .map(|(i, _)| {
            let rest = &doc[i + open.len()..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .collect()
}

fn have_wsl() -> bool {
    [
        "/usr/bin/wslenum",
        "/usr/bin/uuidgen",
        "/usr/bin/xmllint",
        "/usr/bin/curl",
    ]
    .iter()
    .all(|p| Path::new(p).exists())
}

#[test]
fn wsl_enumerates_gets_and_invokes() {
    if !have_wsl() {
        eprintln!("skipped: wsl, uuid-runtime, libxml2-utils or curl is not installed");
        return;
    }
    let server = Server::start(Opts::default());
    let wsl = Wsl::new(&server);
    // Two items per reply: three VMs take an Enumerate and a Pull.
    let docs = wsl.run(
        "wslenum",
        &[
            &format!("{V2}/*"),
            "-filter",
            "SELECT * FROM Msvm_ComputerSystem WHERE Name != __SERVER",
            "-dialect",
            WQL,
            "-opti",
            "2",
        ],
    );
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert!(docs[0].contains("EnumerateResponse") && docs[1].contains("PullResponse"));
    assert!(docs[1].contains("EndOfSequence"));
    let mut names: Vec<String> = docs.iter().flat_map(|d| values(d, "ElementName")).collect();
    names.sort();
    let mut expected: Vec<String> = server
        .instances("Msvm_ComputerSystem")
        .iter()
        .filter(|v| v.get("Caption") == Some("Virtual Machine"))
        .map(|v| {
            v.get("ElementName")
                .unwrap()
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        })
        .collect();
    expected.sort();
    assert_eq!(names, expected);

    // Get by the key selectors.
    let web = server.vm("web01").unwrap();
    let guid = web.get("Name").unwrap().to_string();
    let docs = wsl.run(
        "wslget",
        &[
            &format!("{V2}/Msvm_ComputerSystem"),
            "CreationClassName=Msvm_ComputerSystem",
            &format!("Name={guid}"),
        ],
    );
    assert_eq!(values(&docs[0], "ElementName"), ["web01"]);
    assert_eq!(values(&docs[0], "EnabledState"), ["2"]);

    // An EPR from EnumerateEPR, then RequestStateChange(9) on it: a job
    // that completes after polls, then the VM is paused (Quiesce).
    let docs = wsl.run(
        "wslenum",
        &[
            &format!("{V2}/*"),
            "-mode",
            "epr",
            "-filter",
            "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'",
            "-dialect",
            WQL,
            "-opti",
            "5",
        ],
    );
    assert!(docs[0].contains("<w:Selector Name=\"Name\">"), "{}", docs[0]);
    let epr = wsl.save("web.xml", &docs[0]);
    let docs = wsl.run(
        "wslinvoke",
        &[
            &format!("{V2}/Msvm_ComputerSystem"),
            "RequestStateChange",
            "RequestedState=9",
            "-inst",
            epr.to_str().unwrap(),
        ],
    );
    let last = docs.last().unwrap();
    assert_eq!(values(last, "ReturnValue"), ["4096"], "{last}");
    let job = last.split("<w:Selector Name=\"InstanceID\">").nth(1).unwrap();
    let job = &job[..job.find('<').unwrap()];
    let mut state = String::new();
    for _ in 0..10 {
        let docs = wsl.run(
            "wslget",
            &[&format!("{V2}/Msvm_ConcreteJob"), &format!("InstanceID={job}")],
        );
        state = values(&docs[0], "JobState").pop().unwrap();
        if state == "7" {
            break;
        }
    }
    assert_eq!(state, "7");
    assert_eq!(server.vm("web01").unwrap().get("EnabledState"), Some("9"));

    // Unknown classes are faults.
    let docs = wsl.run(
        "wslenum",
        &[
            &format!("{V2}/*"),
            "-filter",
            "SELECT * FROM Msvm_Nothing",
            "-dialect",
            WQL,
            "-opti",
            "5",
        ],
    );
    assert!(docs[0].contains("w:CannotProcessFilter"), "{}", docs[0]);
    let docs = wsl.run("wslget", &[&format!("{V2}/Msvm_Nothing"), "Name=x"]);
    assert!(docs[0].contains("a:DestinationUnreachable"), "{}", docs[0]);
}
