//! The ESX driver facing broken servers: SOAP faults, truncated and
//! malformed replies, error pages and dropped connections must end in clear
//! libvirt-style errors, never a panic or a hang.  A scripted HTTP server
//! on a loopback port plays the endpoint.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use virt::abi::*;
use virt::auth::{Credential, Prompter};
use virt::connect::Connection;
use virt::error::Error;

/// One scripted answer.
#[derive(Clone)]
enum Answer {
    /// Status and body.
    Reply(u16, String),
    /// Close the connection without answering.
    Drop,
    /// Status, content type and body bytes (not SOAP).
    Raw(u16, &'static str, Vec<u8>),
}

/// What a scripted server recorded: one entry per request.
type Log = Arc<Mutex<Vec<String>>>;

/// Serves the answers in order, one per request; records the SOAP methods seen.
fn serve(answers: Vec<Answer>) -> (u16, Log) {
    let (port, seen, _) = serve_recording(answers);
    (port, seen)
}

/// [`serve`], also recording each request's body.
fn serve_recording(answers: Vec<Answer>) -> (u16, Log, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Log::default();
    let bodies = Log::default();
    let (seen2, bodies2) = (seen.clone(), bodies.clone());
    thread::spawn(move || {
        let mut answers = answers.into_iter();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            if !handle(stream, &mut answers, &seen2, &bodies2) {
                return;
            }
        }
    });
    (port, seen, bodies)
}

fn handle(
    stream: TcpStream,
    answers: &mut impl Iterator<Item = Answer>,
    seen: &Mutex<Vec<String>>,
    bodies: &Mutex<Vec<String>>,
) -> bool {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        let mut request_line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return true;
            }
            if request_line.is_empty() {
                request_line = line.trim_end().to_string();
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return true;
        }
        let body = String::from_utf8_lossy(&body);
        let method = body
            .split("<soapenv:Body><")
            .nth(1)
            .and_then(|b| b.split([' ', '>']).next())
            .unwrap_or("")
            .to_string();
        // Requests without a SOAP body are logged by their request line.
        seen.lock()
            .unwrap()
            .push(if method.is_empty() { request_line } else { method });
        bodies.lock().unwrap().push(body.to_string());
        match answers.next() {
            Some(Answer::Reply(status, text)) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                    text.len()
                );
                if stream.write_all(head.as_bytes()).is_err() || stream.write_all(text.as_bytes()).is_err() {
                    return true;
                }
            }
            Some(Answer::Raw(status, kind, bytes)) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                    bytes.len()
                );
                if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&bytes).is_err() {
                    return true;
                }
            }
            Some(Answer::Drop) | None => return true,
        }
    }
}

fn envelope(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"
    )
}

/// A service content without any `xsi:type` and without `type` on the
/// references: the driver has to infer them.
fn service_content() -> String {
    envelope(
        "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>\
         <rootFolder>ha-folder-root</rootFolder><propertyCollector>ha-property-collector</propertyCollector>\
         <about><fullName>Fake ESXi 7.0.3</fullName><version>7.0.3</version><apiVersion>7.0</apiVersion>\
         <productLineId>embeddedEsx</productLineId><apiType>HostAgent</apiType></about>\
         <sessionManager>ha-sessionmgr</sessionManager></returnval></RetrieveServiceContentResponse>",
    )
}

fn fault(code: &str, text: &str) -> String {
    envelope(&format!(
        "<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring></soapenv:Fault>"
    ))
}

struct Creds;

impl Prompter for Creds {
    fn credential_types(&self) -> Vec<i32> {
        vec![VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]
    }
    fn ask(&self, creds: &mut [Credential]) -> bool {
        for c in creds {
            c.result = Some("x".to_string());
        }
        true
    }
}

fn open_with(answers: Vec<Answer>) -> (Error, Vec<String>) {
    let (port, seen) = serve(answers);
    let uri = format!("esx://127.0.0.1:{port}/?transport=http");
    let err = match Connection::open(Some(&uri), Some(&Creds), 0) {
        Ok(_) => panic!("opening succeeded"),
        Err(e) => e,
    };
    let seen = seen.lock().unwrap().clone();
    (err, seen)
}

fn assert_esx_error(e: &Error, needle: &str) {
    assert_eq!(
        (e.domain, e.code),
        (VIR_FROM_ESX, VIR_ERR_INTERNAL_ERROR),
        "{e:?}"
    );
    assert!(
        e.message.contains(needle),
        "expected '{needle}' in: {}",
        e.message
    );
}

#[test]
fn truncated_service_content() {
    let full = service_content();
    let (e, _) = open_with(vec![Answer::Reply(200, full[..full.len() / 2].to_string())]);
    assert_esx_error(
        &e,
        "call to 'RetrieveServiceContent': the reply could not be parsed",
    );
}

#[test]
fn malformed_and_foreign_replies() {
    for (status, body, needle) in [
        (200, "this is not XML".to_string(), "could not be parsed"),
        (200, String::new(), "could not be parsed"),
        (200, "<html><body>hi</body></html>".to_string(), "unexpected root element"),
        (200, envelope(""), "the Body is empty"),
        (200, envelope("<SomethingElseResponse/>"), "expected 'RetrieveServiceContentResponse'"),
        (503, "<html>Service Unavailable</html>".to_string(), "HTTP response code 503"),
        (
            200,
            envelope("<RetrieveServiceContentResponse><returnval><rootFolder>r</rootFolder></returnval></RetrieveServiceContentResponse>"),
            "lacks 'about'",
        ),
    ] {
        let (e, seen) = open_with(vec![Answer::Reply(status, body)]);
        assert_eq!(seen, vec!["RetrieveServiceContent"]);
        assert_esx_error(&e, needle);
    }
}

#[test]
fn faults_are_reported_with_their_text() {
    let (e, _) = open_with(vec![Answer::Reply(500, fault("ServerFaultCode", "Service busy"))]);
    assert_eq!(
        e.message,
        "internal error: HTTP response code 500 for call to 'RetrieveServiceContent'. Fault: ServerFaultCode - Service busy"
    );
    // Login refused: the service content is read without xsi:type, then
    // the login fault is reported.
    let (e, seen) = open_with(vec![
        Answer::Reply(200, service_content()),
        Answer::Reply(
            500,
            fault(
                "ServerFaultCode",
                "Cannot complete login due to an incorrect user name or password.",
            ),
        ),
    ]);
    assert_eq!(seen, vec!["RetrieveServiceContent", "Login"]);
    assert_eq!(
        e.message,
        "internal error: HTTP response code 500 for call to 'Login'. Fault: ServerFaultCode - Cannot complete login due to an incorrect user name or password."
    );
}

#[test]
fn dropped_connections() {
    let (e, _) = open_with(vec![Answer::Drop]);
    assert_eq!(e.domain, VIR_FROM_ESX);
    assert!(
        e.message.contains("curl_easy_perform() returned an error"),
        "{}",
        e.message
    );
    // Dropped in the middle of the session: after login, at inventory time.
    let (e, seen) = open_with(vec![
        Answer::Reply(200, service_content()),
        Answer::Reply(200, envelope("<LoginResponse><returnval/></LoginResponse>")),
        Answer::Drop,
    ]);
    // The session is still ended on the way out.
    assert_eq!(
        seen,
        vec![
            "RetrieveServiceContent",
            "Login",
            "RetrievePropertiesEx",
            "Logout"
        ]
    );
    assert_eq!(e.domain, VIR_FROM_ESX);
}

#[test]
fn an_empty_inventory_is_an_error() {
    let (e, _) = open_with(vec![
        Answer::Reply(200, service_content()),
        Answer::Reply(200, envelope("<LoginResponse><returnval/></LoginResponse>")),
        Answer::Reply(200, envelope("<RetrievePropertiesExResponse/>")),
        Answer::Reply(200, envelope("<LogoutResponse/>")),
    ]);
    assert_esx_error(&e, "Could not find a host system");
}

#[test]
fn a_vcenter_behind_an_esx_uri_is_refused() {
    let vc = service_content()
        .replace("HostAgent", "VirtualCenter")
        .replace("embeddedEsx", "vpx");
    let (e, seen) = open_with(vec![Answer::Reply(200, vc)]);
    assert_eq!(seen, vec!["RetrieveServiceContent"]);
    assert_esx_error(
        &e,
        "Expecting '127.0.0.1' to be a ESX host but found a vCenter host",
    );
}

fn objects(inner: &str) -> String {
    envelope(&format!(
        "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>{inner}</returnval></RetrievePropertiesExResponse>"
    ))
}

fn object(kind: &str, id: &str, props: &[(&str, &str)]) -> String {
    let mut s = format!("<objects><obj type=\"{kind}\">{id}</obj>");
    for (name, val) in props {
        // "Type:id" values are references.
        match val
            .split_once(':')
            .filter(|(t, _)| t.starts_with(char::is_uppercase))
        {
            Some((t, v)) => s.push_str(&format!(
                "<propSet><name>{name}</name><val type=\"{t}\">{v}</val></propSet>"
            )),
            None => s.push_str(&format!("<propSet><name>{name}</name><val>{val}</val></propSet>")),
        }
    }
    s.push_str("</objects>");
    s
}

/// A host with one powered-off VM, as far as opening and finding it goes.
fn host_with_one_vm() -> Vec<Answer> {
    let inventory = [
        object("Folder", "ha-folder-root", &[("name", "root")]),
        object(
            "Datacenter",
            "dc",
            &[
                ("name", "ha-datacenter"),
                ("parent", "Folder:ha-folder-root"),
                // The server may leave out the type where the schema implies it.
                ("hostFolder", "hf"),
            ],
        ),
        object("Folder", "hf", &[("name", "host"), ("parent", "Datacenter:dc")]),
        object(
            "ComputeResource",
            "cr",
            &[("name", "esx1"), ("parent", "Folder:hf")],
        ),
        object(
            "HostSystem",
            "host-1",
            &[("name", "esx1"), ("parent", "ComputeResource:cr")],
        ),
    ]
    .concat();
    let vm = object(
        "VirtualMachine",
        "vm-7",
        &[
            ("name", "guest"),
            ("config.uuid", "42364d17-2e3c-7b6f-b9c1-5b0d2d4a1f00"),
            ("runtime.powerState", "poweredOff"),
            ("config.template", "false"),
        ],
    );
    vec![
        Answer::Reply(200, service_content()),
        Answer::Reply(200, envelope("<LoginResponse><returnval/></LoginResponse>")),
        Answer::Reply(200, objects(&inventory)),
        // Lookup by name lists the VMs; starting asks the VM itself.
        Answer::Reply(200, objects(&vm)),
        Answer::Reply(200, objects(&vm)),
        Answer::Reply(
            200,
            envelope("<PowerOnVM_TaskResponse><returnval type=\"Task\">task-1</returnval></PowerOnVM_TaskResponse>"),
        ),
        // The task waits on a question.
        Answer::Reply(
            200,
            objects(&format!(
                "{}<objects><obj type=\"VirtualMachine\">vm-7</obj><propSet><name>runtime.question</name><val>\
                 <id>q1</id><text>Was it moved or copied?</text><choice><choiceInfo><key>0</key><label>Cancel</label></choiceInfo>\
                 <choiceInfo><key>2</key><label>I copied it</label></choiceInfo><defaultIndex>1</defaultIndex></choice>\
                 </val></propSet></objects>",
                object("Task", "task-1", &[("info.state", "running")])
            )),
        ),
    ]
}

fn open_host(auto_answer: bool, tail: Vec<Answer>) -> (virt::error::Result<()>, Vec<String>) {
    let mut answers = host_with_one_vm();
    answers.extend(tail);
    let (port, seen) = serve(answers);
    let uri = format!(
        "esx://127.0.0.1:{port}/?transport=http&auto_answer={}",
        u8::from(auto_answer)
    );
    let conn = Connection::open(Some(&uri), Some(&Creds), 0).unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    let r = d.domain_create(&dom, 0).map(|_| ());
    drop(conn);
    let seen = seen.lock().unwrap().clone();
    (r, seen)
}

#[test]
fn questions_are_answered_with_auto_answer() {
    let (r, seen) = open_host(
        true,
        vec![
            Answer::Reply(200, envelope("<AnswerVMResponse/>")),
            Answer::Reply(
                200,
                objects(&object("Task", "task-1", &[("info.state", "success")])),
            ),
            Answer::Reply(200, envelope("<LogoutResponse/>")),
        ],
    );
    r.unwrap();
    assert_eq!(
        &seen[5..],
        [
            "PowerOnVM_Task",
            "RetrievePropertiesEx",
            "AnswerVM",
            "RetrievePropertiesEx",
            "Logout"
        ]
    );
}

#[test]
fn questions_are_errors_without_auto_answer() {
    let (r, seen) = open_host(
        false,
        vec![
            Answer::Reply(200, envelope("<CancelTaskResponse/>")),
            Answer::Reply(200, envelope("<LogoutResponse/>")),
        ],
    );
    let e = r.unwrap_err();
    assert_eq!(
        e.message,
        "internal error: Pending question blocks virtual machine execution, question is 'Was it moved or copied?', possible answers are 'Cancel', 'I copied it'"
    );
    assert_eq!(
        &seen[5..],
        ["PowerOnVM_Task", "RetrievePropertiesEx", "CancelTask", "Logout"]
    );
}

#[test]
fn failed_tasks_carry_the_server_message() {
    let mut answers = host_with_one_vm();
    answers.truncate(6);
    answers.push(Answer::Reply(
        200,
        objects(&object(
            "Task",
            "task-1",
            &[
                ("info.state", "error"),
                (
                    "info.error",
                    "<localizedMessage>Not enough memory</localizedMessage>",
                ),
            ],
        )),
    ));
    let (port, _) = serve(answers);
    let conn = Connection::open(
        Some(&format!("esx://127.0.0.1:{port}/?transport=http")),
        Some(&Creds),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    let e = d.domain_create(&dom, 0).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_INTERNAL_ERROR,
            "internal error: Could not start domain: Not enough memory"
        )
    );
}

#[test]
fn a_call_refused_for_an_ended_session_logs_in_again() {
    let mut answers = host_with_one_vm();
    answers.truncate(5);
    answers.extend([
        Answer::Reply(
            500,
            envelope(
                "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The session is not authenticated.</faultstring>\
                 <detail><NotAuthenticatedFault xmlns=\"urn:vim25\"/></detail></soapenv:Fault>",
            ),
        ),
        Answer::Reply(200, envelope("<LoginResponse><returnval/></LoginResponse>")),
        Answer::Reply(
            200,
            envelope("<PowerOnVM_TaskResponse><returnval type=\"Task\">task-1</returnval></PowerOnVM_TaskResponse>"),
        ),
        Answer::Reply(200, objects(&object("Task", "task-1", &[("info.state", "success")]))),
        Answer::Reply(200, envelope("<LogoutResponse/>")),
    ]);
    let (port, seen) = serve(answers);
    let conn = Connection::open(
        Some(&format!("esx://127.0.0.1:{port}/?transport=http")),
        Some(&Creds),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    d.domain_create(&dom, 0).unwrap();
    drop(conn);
    assert_eq!(
        seen.lock().unwrap()[5..],
        [
            "PowerOnVM_Task",
            "Login",
            "PowerOnVM_Task",
            "RetrievePropertiesEx",
            "Logout"
        ]
    );
}

#[test]
fn a_pending_question_stops_a_task_before_it_starts() {
    let mut answers = host_with_one_vm();
    answers.truncate(4);
    // The VM waits on a question already when the domain is started.
    answers.push(Answer::Reply(
        200,
        objects(
            "<objects><obj type=\"VirtualMachine\">vm-7</obj>\
             <propSet><name>name</name><val>guest</val></propSet>\
             <propSet><name>config.uuid</name><val>42364d17-2e3c-7b6f-b9c1-5b0d2d4a1f00</val></propSet>\
             <propSet><name>runtime.powerState</name><val>poweredOff</val></propSet>\
             <propSet><name>runtime.question</name><val><id>q9</id><text>Disk full?</text>\
             <choice><choiceInfo><key>0</key><label>Retry</label></choiceInfo><defaultIndex>0</defaultIndex></choice>\
             </val></propSet></objects>"
        ),
    ));
    answers.push(Answer::Reply(200, envelope("<LogoutResponse/>")));
    let (port, seen) = serve(answers);
    let conn = Connection::open(
        Some(&format!("esx://127.0.0.1:{port}/?transport=http")),
        Some(&Creds),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    let e = d.domain_create(&dom, 0).unwrap_err();
    assert_eq!(
        e.message,
        "internal error: Pending question blocks virtual machine execution, question is 'Disk full?', possible answers are 'Retry'"
    );
    drop(conn);
    // No task was started.
    assert_eq!(&seen.lock().unwrap()[4..], ["RetrievePropertiesEx", "Logout"]);
}

#[test]
fn autostart_through_the_host_autostart_manager() {
    let vm = object(
        "VirtualMachine",
        "vm-7",
        &[
            ("name", "guest"),
            ("config.uuid", "42364d17-2e3c-7b6f-b9c1-5b0d2d4a1f00"),
            ("runtime.powerState", "poweredOff"),
        ],
    );
    let host = object(
        "HostSystem",
        "host-1",
        &[(
            "configManager.autoStartManager",
            "HostAutoStartManager:ha-autostart-mgr",
        )],
    );
    let config = |enabled: &str, action: &str| {
        objects(&format!(
            "<objects><obj type=\"HostAutoStartManager\">ha-autostart-mgr</obj><propSet><name>config</name><val>\
             <defaults><enabled>{enabled}</enabled></defaults>\
             <powerInfo><key type=\"VirtualMachine\">vm-7</key><startOrder>1</startOrder><startAction>{action}</startAction></powerInfo>\
             </val></propSet></objects>"
        ))
    };
    let mut answers = host_with_one_vm();
    answers.truncate(4);
    answers.extend([
        // Autostart is on for the VM when the host's autostart is on too.
        Answer::Reply(200, objects(&vm)),
        Answer::Reply(200, objects(&host)),
        Answer::Reply(200, config("true", "powerOn")),
        Answer::Reply(200, objects(&vm)),
        Answer::Reply(200, objects(&host)),
        Answer::Reply(200, config("false", "powerOn")),
        // Turning it off reconfigures the VM's entry.
        Answer::Reply(200, objects(&vm)),
        Answer::Reply(200, objects(&host)),
        Answer::Reply(200, envelope("<ReconfigureAutostartResponse/>")),
        Answer::Reply(200, envelope("<LogoutResponse/>")),
    ]);
    let (port, seen, bodies) = serve_recording(answers);
    let conn = Connection::open(
        Some(&format!("esx://127.0.0.1:{port}/?transport=http")),
        Some(&Creds),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    // Past the window in which the lookup's listing answers for the VM, so
    // that each call asks the server as scripted.
    std::thread::sleep(virt::drivers::esx::RECENT);
    assert!(d.domain_get_autostart(&dom).unwrap());
    assert!(!d.domain_get_autostart(&dom).unwrap());
    d.domain_set_autostart(&dom, false).unwrap();
    drop(conn);
    assert_eq!(seen.lock().unwrap()[12], "ReconfigureAutostart");
    let body = &bodies.lock().unwrap()[12];
    assert!(
        body.contains("<powerInfo><key type=\"VirtualMachine\">vm-7</key>")
            && body.contains("<startAction>none</startAction>"),
        "{body}"
    );
}

#[test]
fn screenshots_come_from_the_hosts_screen_page() {
    let running = object(
        "VirtualMachine",
        "vm-7",
        &[
            ("name", "guest"),
            ("config.uuid", "42364d17-2e3c-7b6f-b9c1-5b0d2d4a1f00"),
            ("runtime.powerState", "poweredOn"),
            ("config.template", "false"),
        ],
    );
    let png = b"\x89PNG\r\n\x1a\n-the-image-".to_vec();
    let mut answers = host_with_one_vm();
    answers.truncate(3);
    answers.extend([
        Answer::Reply(200, objects(&running)),
        Answer::Raw(200, "image/png", png.clone()),
        Answer::Raw(200, "text/html", b"<html>login</html>".to_vec()),
        Answer::Reply(200, envelope("<LogoutResponse/>")),
    ]);
    let (port, seen) = serve(answers);
    let conn = Connection::open(
        Some(&format!("esx://127.0.0.1:{port}/?transport=http")),
        Some(&Creds),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let dom = d.domain_lookup_by_name("guest").unwrap();
    let (mime, image) = d.domain_screenshot(&dom, 0, 0).unwrap();
    assert_eq!(mime, "image/png");
    assert_eq!(image.bytes(), Some(&png[..]));
    // A page that is not an image, another screen, flags: clear errors.
    let e = d.domain_screenshot(&dom, 0, 0).unwrap_err();
    assert!(e.message.contains("is not a PNG image"), "{}", e.message);
    assert_eq!(
        d.domain_screenshot(&dom, 1, 0).unwrap_err().message,
        "invalid argument: Screen cannot be selected"
    );
    assert_eq!(
        d.domain_screenshot(&dom, 0, 1).unwrap_err().code,
        VIR_ERR_INVALID_ARG
    );
    drop(conn);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[4], "GET /screen?id=vm-7 HTTP/1.1");
    assert_eq!(seen[5], "GET /screen?id=vm-7 HTTP/1.1");
}
