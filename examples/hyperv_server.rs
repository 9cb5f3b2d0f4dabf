//! The Hyper-V WS-Management test server (tests/hyperv/server.rs) as a
//! program, for trying clients by hand: prints the port, serves until its
//! standard input closes.
//!
//! usage: hyperv_server [v1|v2] [tls] [windows]

#[path = "../tests/hyperv/server.rs"]
#[allow(dead_code)]
mod server;

use std::io::Read;

/// With `windows`: Negotiate only and no unencrypted HTTP, as Windows
/// ships WinRM.
fn windows_defaults(on: bool) -> server::Opts {
    let mut opts = server::Opts::default();
    if on {
        opts.auth = vec!["Negotiate".into(), "Kerberos".into()];
        opts.allow_unencrypted = false;
    }
    opts
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let srv = server::Server::start(server::Opts {
        mode: if args.iter().any(|a| a == "v1") {
            server::Mode::V1
        } else {
            server::Mode::V2
        },
        tls: args.iter().any(|a| a == "tls"),
        ..windows_defaults(args.iter().any(|a| a == "windows"))
    });
    println!("{}", srv.port);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
