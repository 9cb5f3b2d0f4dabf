//! The test server's authentication checked with an independent client:
//! Debian's python3-winrm, whose NTLM (python3-ntlm-auth through
//! requests-ntlm) and WinRM message encryption are not ours, posts
//! WS-Enumeration requests with Basic and with NTLM, sealed over HTTP.

mod hyperv;

use std::process::Command;

use hyperv::server::{Opts, Server};

const SCRIPT: &str = r#"
import sys, winrm
from winrm.protocol import Protocol
from winrm.exceptions import InvalidCredentialsError
port, transport, pw = sys.argv[1], sys.argv[2], sys.argv[3]
p = Protocol(endpoint="http://127.0.0.1:%s/wsman" % port, transport=transport,
             username="administrator", password=pw, message_encryption="auto")
msg = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header><a:To>http://127.0.0.1/wsman</a:To><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*</w:ResourceURI><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><a:MessageID>uuid:%d</a:MessageID></s:Header><s:Body><n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements><w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM Msvm_ComputerSystem WHERE Name != __SERVER</w:Filter></n:Enumerate></s:Body></s:Envelope>"""
try:
    for n in range(3):
        r = p.send_message(msg % n)
        r = r if isinstance(r, str) else r.decode()
        print("reply", n, r.count("<p:ElementName>"), "web01" in r, "EndOfSequence" in r)
except InvalidCredentialsError as e:
    print("refused", e)
"#;

/// Runs the script; None when python3-winrm is missing.
fn winrm(server: &Server, transport: &str, password: &str) -> Option<String> {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import winrm, requests_ntlm"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("hyperv-winrm-{}-{}", std::process::id(), server.port));
    std::fs::create_dir_all(&dir).unwrap();
    // ntlm-auth hashes with MD4, which OpenSSL 3 keeps in its legacy provider.
    let conf = dir.join("openssl.cnf");
    std::fs::write(
        &conf,
        "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n\
         [provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n\
         [default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n",
    )
    .unwrap();
    let script = dir.join("winrm_check.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(server.port.to_string())
        .arg(transport)
        .arg(password)
        .env("OPENSSL_CONF", &conf)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "python3-winrm failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn winrm_authenticates_with_ntlm_and_seals() {
    // Windows' defaults: Negotiate only, no unencrypted HTTP.
    let server = Server::start(Opts {
        auth: vec!["Negotiate".into(), "Kerberos".into()],
        allow_unencrypted: false,
        ..Opts::default()
    });
    let Some(out) = winrm(&server, "ntlm", "Passw0rd!") else {
        eprintln!("skipped: python3-winrm is not installed");
        return;
    };
    for n in 0..3 {
        assert!(out.contains(&format!("reply {n} 3 True True")), "{out}");
    }
    // All three went sealed (pywinrm encrypts NTLM over HTTP).
    assert_eq!(server.state.lock().unwrap().sealed, 3);
    let out = winrm(&server, "ntlm", "wrong").unwrap();
    assert!(out.starts_with("refused"), "{out}");
    // Basic is refused where Windows does not allow it.
    let out = winrm(&server, "basic", "Passw0rd!").unwrap();
    assert!(out.starts_with("refused"), "{out}");
}

#[test]
fn winrm_authenticates_with_basic_where_allowed() {
    // The seed's set-up: Basic on, unencrypted HTTP allowed.
    let server = Server::start(Opts::default());
    let Some(out) = winrm(&server, "basic", "Passw0rd!") else {
        eprintln!("skipped: python3-winrm is not installed");
        return;
    };
    assert!(out.contains("reply 2 3 True True"), "{out}");
    assert_eq!(server.state.lock().unwrap().sealed, 0);
    let out = winrm(&server, "basic", "wrong").unwrap();
    assert!(out.starts_with("refused"), "{out}");
}
