//! `make bench`: the Hyper-V driver against the WS-Management test server
//! (tests/hyperv/server.rs) holding 500 VMs: WS-Man requests and wall time
//! to open a connection, list every domain with its state, and read every
//! domain's info.  Prints "label value" lines (nanoseconds, or a request
//! count).

#[path = "../tests/hyperv/server.rs"]
#[allow(dead_code)]
mod server;

use std::sync::atomic::Ordering;
use std::time::Instant;

use virt::abi::{VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
use virt::auth::{Auth, Credential, Prompter};
use virt::connect::Connection;
use virt::drivers::hyperv::HypervDriver;
use virt::uri::Uri;

/// VMs on the test host (the server always has three of its own).
const VMS: usize = 500;

struct Creds(String, String);

impl Prompter for Creds {
    fn credential_types(&self) -> Vec<i32> {
        vec![VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]
    }

    fn ask(&self, creds: &mut [Credential]) -> bool {
        for c in creds.iter_mut() {
            c.result = Some(
                if c.kind == VIR_CRED_AUTHNAME {
                    &self.0
                } else {
                    &self.1
                }
                .clone(),
            );
        }
        true
    }
}

fn main() {
    let srv = server::Server::start(server::Opts {
        extra_vms: VMS - 3,
        ..server::Opts::default()
    });
    let (user, password) = {
        let st = srv.state.lock().unwrap();
        (st.opts.user.clone(), st.opts.password.clone())
    };
    let creds = Creds(user, password);
    let uri = Uri::parse(&srv.uri("")).unwrap();
    let start = Instant::now();
    let driver = HypervDriver::open(&uri, &Auth::new(Some(&creds), None), 0).expect("the driver logs in");
    let counter = driver.request_counter();
    let conn = Connection::new(uri.format(), Box::new(driver), false);
    println!("open (requests) {}", counter.load(Ordering::Relaxed));
    println!("open (time) {}", start.elapsed().as_nanos());
    let d = conn.driver();

    let before = counter.load(Ordering::Relaxed);
    let start = Instant::now();
    let all = d.list_all_domains(0).expect("listing works");
    println!(
        "listAllDomains, {} domains (time) {}",
        all.len(),
        start.elapsed().as_nanos()
    );
    println!(
        "listAllDomains (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );
    for dom in &all {
        d.domain_get_state(dom, 0).expect("state works");
    }
    println!(
        "listAllDomains + getState of each (time) {}",
        start.elapsed().as_nanos()
    );
    println!(
        "listAllDomains + state (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );

    let before = counter.load(Ordering::Relaxed);
    let start = Instant::now();
    for dom in &all {
        d.domain_get_info(dom).expect("info works");
    }
    println!("getInfo of every domain (time) {}", start.elapsed().as_nanos());
    println!(
        "getInfo of every domain (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );
    println!("server saw (requests) {}", srv.count());
    drop(conn);

    // The same listing with Windows' defaults: NTLM, SOAP sealed over HTTP.
    let srv = server::Server::start(server::Opts {
        extra_vms: VMS - 3,
        auth: vec!["Negotiate".into()],
        allow_unencrypted: false,
        ..server::Opts::default()
    });
    let uri = Uri::parse(&srv.uri("")).unwrap();
    let start = Instant::now();
    let driver =
        HypervDriver::open(&uri, &Auth::new(Some(&creds), None), 0).expect("the driver logs in with NTLM");
    let counter = driver.request_counter();
    let conn = Connection::new(uri.format(), Box::new(driver), false);
    println!(
        "NTLM: open, Basic refused first (time) {}",
        start.elapsed().as_nanos()
    );
    let d = conn.driver();
    let before = counter.load(Ordering::Relaxed);
    let start = Instant::now();
    let all = d.list_all_domains(0).expect("listing works");
    for dom in &all {
        d.domain_get_info(dom).expect("info works");
    }
    println!(
        "NTLM: listAllDomains + getInfo of each, sealed (time) {}",
        start.elapsed().as_nanos()
    );
    println!(
        "NTLM: listAllDomains + getInfo of each (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );
}
