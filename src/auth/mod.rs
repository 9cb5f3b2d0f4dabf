//! Credentials for drivers that log in (test node files, esx, hyperv, remote):
//! libvirt's `auth.conf` is consulted first, then the caller's callback
//! (`virConnectOpenAuth`), with libvirt's prompts and errors.  Passwords never
//! appear in error messages.

use crate::abi::*;
use crate::error::{Error, Result};

pub mod terminal;

/// One credential request, as the callback sees it (`virConnectCredential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `VIR_CRED_*` type.
    pub kind: i32,
    /// Text to show the user.
    pub prompt: String,
    /// Extra context (libvirt passes the host name).
    pub challenge: Option<String>,
    /// Suggested answer.
    pub default: Option<String>,
    /// The answer, once given.
    pub result: Option<String>,
}

/// The caller's way of answering credential requests (`virConnectAuth`).
pub trait Prompter {
    /// The `VIR_CRED_*` types the caller can answer, in the caller's order.
    fn credential_types(&self) -> Vec<i32>;
    /// Fills in `result` of each request; false when the callback failed.
    fn ask(&self, creds: &mut [Credential]) -> bool;
}

/// Where a stored credential comes from: `auth.conf`.
pub trait CredentialStore {
    /// The stored `credname` ("username" or "password") for `service` on `host`.
    fn lookup(&self, service: &str, host: &str, credname: &str) -> Result<Option<String>>;
}

/// The credentials available to one connection attempt.
pub struct Auth<'a> {
    prompter: Option<&'a dyn Prompter>,
    store: Option<&'a dyn CredentialStore>,
}

impl<'a> Auth<'a> {
    /// Credentials from `store` (auth.conf), then `prompter` (the callback).
    pub fn new(prompter: Option<&'a dyn Prompter>, store: Option<&'a dyn CredentialStore>) -> Self {
        Auth { prompter, store }
    }

    /// No way to get credentials at all (`virConnectOpen`).
    pub fn none() -> Auth<'static> {
        Auth {
            prompter: None,
            store: None,
        }
    }

    /// Whether the caller passed an authentication callback.
    pub fn has_prompter(&self) -> bool {
        self.prompter.is_some()
    }

    fn stored(&self, service: &str, host: &str, credname: &str) -> Result<Option<String>> {
        match self.store {
            Some(store) => store.lookup(service, host, credname),
            None => Ok(None),
        }
    }

    fn prompter(&self) -> Result<&'a dyn Prompter> {
        self.prompter
            .ok_or_else(|| Error::invalid_arg(VIR_FROM_AUTH, "Missing authentication credentials"))
    }

    fn ask_one(&self, prompter: &dyn Prompter, cred: Credential, failure: &str) -> Result<String> {
        let mut creds = [cred];
        if !prompter.ask(&mut creds) {
            return Err(Error::with(VIR_FROM_AUTH, VIR_ERR_AUTH_FAILED, failure));
        }
        let [cred] = creds;
        cred.result
            .ok_or_else(|| Error::with(VIR_FROM_AUTH, VIR_ERR_AUTH_FAILED, failure))
    }

    /// The user name for `service` on `host` (`default` offered to the user).
    pub fn username(&self, service: &str, host: &str, default: Option<&str>) -> Result<String> {
        if let Some(user) = self.stored(service, host, "username")? {
            return Ok(user);
        }
        let prompter = self.prompter()?;
        if !prompter.credential_types().contains(&VIR_CRED_AUTHNAME) {
            return Err(Error::with(
                VIR_FROM_AUTH,
                VIR_ERR_AUTH_FAILED,
                "Missing VIR_CRED_AUTHNAME credential type",
            ));
        }
        let prompt = match default {
            Some(d) => format!("Enter username for {host} [{d}]"),
            None => format!("Enter username for {host}"),
        };
        let cred = Credential {
            kind: VIR_CRED_AUTHNAME,
            prompt,
            challenge: Some(host.to_string()),
            default: default.map(str::to_string),
            result: None,
        };
        self.ask_one(prompter, cred, "Username request failed")
    }

    /// `username`'s password for `service` on `host`.
    pub fn password(&self, service: &str, username: &str, host: &str) -> Result<String> {
        if let Some(pw) = self.stored(service, host, "password")? {
            return Ok(pw);
        }
        let prompter = self.prompter()?;
        // The first of the two secret kinds the caller lists is the one asked.
        let kind = prompter
            .credential_types()
            .into_iter()
            .find(|t| *t == VIR_CRED_PASSPHRASE || *t == VIR_CRED_NOECHOPROMPT)
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_AUTH,
                    VIR_ERR_AUTH_FAILED,
                    "Missing VIR_CRED_PASSPHRASE or VIR_CRED_NOECHOPROMPT credential type",
                )
            })?;
        let cred = Credential {
            kind,
            prompt: format!("Enter {username}'s password for {host}"),
            challenge: Some(host.to_string()),
            default: None,
            result: None,
        };
        self.ask_one(prompter, cred, "Password request failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    struct Scripted {
        types: Vec<i32>,
        answers: Vec<(i32, Option<&'static str>)>,
        seen: RefCell<Vec<Credential>>,
        fail: bool,
    }

    impl Prompter for Scripted {
        fn credential_types(&self) -> Vec<i32> {
            self.types.clone()
        }
        fn ask(&self, creds: &mut [Credential]) -> bool {
            for c in creds.iter_mut() {
                self.seen.borrow_mut().push(c.clone());
                c.result = self
                    .answers
                    .iter()
                    .find(|(k, _)| *k == c.kind)
                    .and_then(|(_, a)| a.map(str::to_string));
            }
            !self.fail
        }
    }

    struct Store(&'static str, &'static str);

    impl CredentialStore for Store {
        fn lookup(&self, _service: &str, _host: &str, credname: &str) -> Result<Option<String>> {
            Ok(Some(
                if credname == "username" { self.0 } else { self.1 }.to_string(),
            ))
        }
    }

    fn scripted(types: &[i32], answers: &[(i32, Option<&'static str>)], fail: bool) -> Scripted {
        Scripted {
            types: types.to_vec(),
            answers: answers.to_vec(),
            seen: RefCell::new(vec![]),
            fail,
        }
    }

    #[test]
    fn prompts_like_libvirt() {
        let p = scripted(
            &[VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE],
            &[
                (VIR_CRED_AUTHNAME, Some("alice")),
                (VIR_CRED_PASSPHRASE, Some("pw")),
            ],
            false,
        );
        let auth = Auth::new(Some(&p), None);
        assert_eq!(auth.username("test", "localhost", None).unwrap(), "alice");
        assert_eq!(auth.password("test", "alice", "localhost").unwrap(), "pw");
        let seen = p.seen.borrow();
        assert_eq!(seen[0].prompt, "Enter username for localhost");
        assert_eq!(seen[0].challenge.as_deref(), Some("localhost"));
        assert_eq!(seen[1].prompt, "Enter alice's password for localhost");
        assert_eq!(seen[1].kind, VIR_CRED_PASSPHRASE);
    }

    #[test]
    fn default_username_is_offered() {
        let p = scripted(&[VIR_CRED_AUTHNAME], &[(VIR_CRED_AUTHNAME, Some("root"))], false);
        Auth::new(Some(&p), None)
            .username("esx", "h1", Some("root"))
            .unwrap();
        assert_eq!(p.seen.borrow()[0].prompt, "Enter username for h1 [root]");
        assert_eq!(p.seen.borrow()[0].default.as_deref(), Some("root"));
    }

    #[test]
    fn the_first_listed_secret_kind_is_used() {
        let p = scripted(
            &[VIR_CRED_NOECHOPROMPT, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE],
            &[(VIR_CRED_NOECHOPROMPT, Some("x"))],
            false,
        );
        Auth::new(Some(&p), None)
            .password("test", "alice", "localhost")
            .unwrap();
        assert_eq!(p.seen.borrow()[0].kind, VIR_CRED_NOECHOPROMPT);
    }

    #[test]
    fn failures_read_like_libvirt() {
        let e = Auth::none().username("test", "localhost", None).unwrap_err();
        assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_AUTH));
        assert_eq!(e.message, "invalid argument: Missing authentication credentials");
        let p = scripted(&[VIR_CRED_PASSPHRASE], &[], false);
        let e = Auth::new(Some(&p), None)
            .username("test", "localhost", None)
            .unwrap_err();
        assert_eq!(
            e.message,
            "authentication failed: Missing VIR_CRED_AUTHNAME credential type"
        );
        let p = scripted(&[VIR_CRED_AUTHNAME], &[], false);
        let e = Auth::new(Some(&p), None)
            .password("test", "a", "localhost")
            .unwrap_err();
        assert_eq!(
            e.message,
            "authentication failed: Missing VIR_CRED_PASSPHRASE or VIR_CRED_NOECHOPROMPT credential type"
        );
        let p = scripted(&[VIR_CRED_AUTHNAME], &[], true);
        let e = Auth::new(Some(&p), None)
            .username("test", "localhost", None)
            .unwrap_err();
        assert_eq!(e.message, "authentication failed: Username request failed");
        assert_eq!((e.code, e.domain), (VIR_ERR_AUTH_FAILED, VIR_FROM_AUTH));
    }

    #[test]
    fn stored_credentials_come_first() {
        let p = scripted(&[VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE], &[], true);
        let store = Store("bob", "s3cret");
        let auth = Auth::new(Some(&p), Some(&store));
        assert_eq!(auth.username("test", "localhost", None).unwrap(), "bob");
        assert_eq!(auth.password("test", "bob", "localhost").unwrap(), "s3cret");
        assert!(p.seen.borrow().is_empty());
    }
}
