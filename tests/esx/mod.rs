//! Helpers of the ESX driver tests, shared by several test binaries (each
//! uses a part of them).
#![allow(dead_code)]

pub mod oracle;
pub mod sim;

use sim::{Creds, Sim, SimOpts};
use virt::auth::Auth;
use virt::connect::Connection;
use virt::drivers::esx::{EsxDriver, RequestCounter};
use virt::error::{Error, Result};
use virt::uri::Uri;

/// A simulated ESXi host (no vCenter).
pub fn esx_sim() -> Sim {
    Sim::start(SimOpts {
        esx: true,
        ..Default::default()
    })
}

/// The driver opened directly on `sim` as root, so that its request
/// counter stays readable.
pub fn counted(sim: &Sim) -> (Connection, RequestCounter) {
    let creds = Creds::new("root", "pw");
    let uri = Uri::parse(&sim.uri("esx", "", "?no_verify=1")).unwrap();
    let driver = EsxDriver::open(&uri, &Auth::new(Some(&creds), None), 0).unwrap();
    let counter = driver.request_counter();
    (Connection::new(uri.format(), Box::new(driver), false), counter)
}

/// The error of a call expected to fail.
pub fn expect_err<T>(r: Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, the call succeeded"),
        Err(e) => e,
    }
}
