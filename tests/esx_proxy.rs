//! The ESX driver through the `proxy` parameter: a small HTTP CONNECT proxy
//! and a small SOCKS5 proxy on loopback relay to vcsim, and record what they
//! were asked, so the traffic is seen to go through them.

mod esx;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use esx::sim::{Creds, Sim, SimOpts};
use virt::connect::Connection;

/// Copies bytes both ways until either side closes.
fn relay(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}

/// An HTTP proxy that serves CONNECT only; returns its port and the
/// targets it was asked for.
fn http_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { return };
            let seen = seen2.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let target = first.split(' ').nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(first.trim().to_string());
                let mut conn = conn;
                match TcpStream::connect(&target) {
                    Ok(up) if first.starts_with("CONNECT ") => {
                        conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .unwrap();
                        relay(conn, up);
                    }
                    _ => {
                        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                    }
                }
            });
        }
    });
    (port, seen)
}

/// A SOCKS5 proxy without authentication; records the ports asked for.
fn socks5_proxy() -> (u16, Arc<Mutex<Vec<u16>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { return };
            let seen = seen2.clone();
            thread::spawn(move || {
                let mut head = [0u8; 2];
                conn.read_exact(&mut head).unwrap();
                let mut methods = vec![0u8; head[1] as usize];
                conn.read_exact(&mut methods).unwrap();
                conn.write_all(&[5, 0]).unwrap();
                let mut req = [0u8; 4];
                conn.read_exact(&mut req).unwrap();
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        conn.read_exact(&mut ip).unwrap();
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        conn.read_exact(&mut len).unwrap();
                        let mut name = vec![0u8; len[0] as usize];
                        conn.read_exact(&mut name).unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    _ => return,
                };
                let mut p = [0u8; 2];
                conn.read_exact(&mut p).unwrap();
                let target_port = u16::from_be_bytes(p);
                seen.lock().unwrap().push(target_port);
                let up = TcpStream::connect((host.as_str(), target_port)).unwrap();
                conn.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                relay(conn, up);
            });
        }
    });
    (port, seen)
}

fn sim() -> Sim {
    Sim::start(SimOpts {
        esx: true,
        ..Default::default()
    })
}

#[test]
fn through_an_http_proxy() {
    let sim = sim();
    let (proxy, seen) = http_proxy();
    let uri = sim.uri("esx", "", &format!("?no_verify=1&proxy=http://127.0.0.1:{proxy}"));
    let conn = Connection::open(Some(&uri), Some(&Creds::new("root", "pw")), 0).unwrap();
    assert!(!conn.driver().list_all_domains(0).unwrap().is_empty());
    drop(conn);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{} ", sim.port))),
        "{seen:?}"
    );
}

#[test]
fn through_a_socks5_proxy() {
    let sim = sim();
    let (proxy, seen) = socks5_proxy();
    // `socks` is SOCKS5.
    let uri = sim.uri(
        "esx",
        "",
        &format!("?no_verify=1&proxy=socks://127.0.0.1:{proxy}"),
    );
    let conn = Connection::open(Some(&uri), Some(&Creds::new("root", "pw")), 0).unwrap();
    assert!(!conn.driver().list_all_domains(0).unwrap().is_empty());
    drop(conn);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|p| *p == sim.port), "{seen:?}");
}
