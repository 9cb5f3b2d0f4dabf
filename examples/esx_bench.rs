//! `make bench`: the ESX driver on a simulated vCenter (vcsim, one cluster
//! host with 1000 VMs): SOAP requests and wall time to open a connection,
//! list every domain with its state, and read every domain's info.
//! Prints "label value" lines (nanoseconds, or a request count).
//!
//! usage: esx_bench VCSIM_BINARY

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Instant;

use virt::abi::{VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
use virt::auth::{Auth, Credential, Prompter};
use virt::connect::Connection;
use virt::drivers::esx::EsxDriver;
use virt::uri::Uri;

/// VMs on the simulated host.
const VMS: u32 = 1000;

struct Creds;

impl Prompter for Creds {
    fn credential_types(&self) -> Vec<i32> {
        vec![VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]
    }

    fn ask(&self, creds: &mut [Credential]) -> bool {
        for c in creds.iter_mut() {
            c.result = Some(
                if c.kind == VIR_CRED_AUTHNAME {
                    "bench"
                } else {
                    "pw"
                }
                .to_string(),
            );
        }
        true
    }
}

fn main() {
    let vcsim = std::env::args().nth(1).expect("usage: esx_bench VCSIM_BINARY");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(vcsim)
        .args([
            "-l",
            &format!("127.0.0.1:{port}"),
            "-host",
            "1",
            "-vm",
            &VMS.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vcsim starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();

    let uri = Uri::parse(&format!(
        "vpx://127.0.0.1:{port}/DC0/DC0_C0/DC0_C0_H0?no_verify=1"
    ))
    .unwrap();
    let start = Instant::now();
    let driver = EsxDriver::open(&uri, &Auth::new(Some(&Creds), None), 0).expect("the driver logs in");
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
        d.domain_get_info(dom).expect("info works");
    }
    println!(
        "listAllDomains + getState + getInfo of each (time) {}",
        start.elapsed().as_nanos()
    );
    println!(
        "listAllDomains + getState + getInfo of each (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );

    // Once the listing is no longer recent, each domain is asked for itself.
    std::thread::sleep(virt::drivers::esx::RECENT);
    let before = counter.load(Ordering::Relaxed);
    let start = Instant::now();
    for dom in &all {
        d.domain_get_info(dom).expect("info works");
    }
    println!(
        "getInfo of every domain, listing no longer recent (time) {}",
        start.elapsed().as_nanos()
    );
    println!(
        "getInfo of every domain, listing no longer recent (requests) {}",
        counter.load(Ordering::Relaxed) - before
    );
    drop(conn);
    let _ = child.kill();
    let _ = child.wait();
}
