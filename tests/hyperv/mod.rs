//! Helpers of the Hyper-V driver tests, shared by several test binaries.
#![allow(dead_code)]

pub mod server;

use std::sync::Mutex;

use virt::abi::*;
use virt::auth::{Credential, Prompter};

/// Answers credential requests with a fixed user and password, and records
/// what was asked.
pub struct Creds {
    pub user: String,
    pub pass: String,
    pub asked: Mutex<Vec<Credential>>,
}

impl Creds {
    pub fn new(user: &str, pass: &str) -> Creds {
        Creds {
            user: user.to_string(),
            pass: pass.to_string(),
            asked: Mutex::new(Vec::new()),
        }
    }
}

impl Prompter for Creds {
    fn credential_types(&self) -> Vec<i32> {
        vec![VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]
    }

    fn ask(&self, creds: &mut [Credential]) -> bool {
        for c in creds.iter_mut() {
            self.asked.lock().unwrap().push(c.clone());
            c.result = Some(if c.kind == VIR_CRED_AUTHNAME {
                self.user.clone()
            } else {
                self.pass.clone()
            });
        }
        true
    }
}
