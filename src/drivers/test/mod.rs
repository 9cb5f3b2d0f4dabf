//! The `test:///` driver: an in-memory hypervisor.  `test:///default` is
//! libvirt's built-in configuration, shared by every such connection in the
//! process; `test:///PATH.xml` loads a node file into a private state.

mod node;

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::abi::*;
use crate::auth::Auth;
use crate::driver::{Driver, NodeInfo};
use crate::error::{Error, Result};

pub use node::{Node, User};

/// Everything one test hypervisor holds.
pub struct TestState {
    node: Node,
}

/// The state `test:///default` connections share while any is open.
static DEFAULT: Mutex<Weak<Mutex<TestState>>> = Mutex::new(Weak::new());

/// One open test connection.
pub struct TestDriver {
    state: Arc<Mutex<TestState>>,
}

impl TestDriver {
    /// Opens `test://` + `path` (the URI's path) with libvirt's checks.
    pub fn open(path: Option<&str>, auth: &Auth, flags: u32) -> Result<TestDriver> {
        let unknown = flags & !VIR_CONNECT_RO;
        if unknown != 0 {
            return Err(Error::bad_flags(VIR_FROM_TEST, "testConnectOpen", unknown));
        }
        let state = match path {
            None | Some("") | Some("/") => {
                return Err(Error::invalid_arg(
                    VIR_FROM_TEST,
                    "testOpen: supply a path or use test:///default",
                ))
            }
            Some("/default") => {
                let mut shared = DEFAULT.lock();
                match shared.upgrade() {
                    Some(state) => state,
                    None => {
                        let state = Arc::new(Mutex::new(TestState {
                            node: Node::builtin(),
                        }));
                        *shared = Arc::downgrade(&state);
                        state
                    }
                }
            }
            Some(file) => Arc::new(Mutex::new(TestState {
                node: Node::load(file)?,
            })),
        };
        let users = state.lock().node.users.clone();
        authenticate(&users, auth)?;
        Ok(TestDriver { state })
    }
}

/// Logs in as one of the node file's users, as libvirt's test driver does:
/// a password is asked unless the named user exists without one.
fn authenticate(users: &[User], auth: &Auth) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let name = auth.username("test", "localhost", None)?;
    let user = users.iter().find(|u| u.name == name);
    if let Some(User { password: None, .. }) = user {
        return Ok(());
    }
    let given = auth.password("test", &name, "localhost")?;
    match user {
        Some(User {
            password: Some(expected),
            ..
        }) if *expected == given => Ok(()),
        _ => Err(Error::with(
            VIR_FROM_TEST,
            VIR_ERR_AUTH_FAILED,
            "authentication failed, see test XML for the correct username/password",
        )),
    }
}

impl Driver for TestDriver {
    fn kind(&self) -> &'static str {
        "TEST"
    }

    fn version(&self) -> Result<u64> {
        Ok(2)
    }

    fn hostname(&self) -> Result<String> {
        crate::host::hostname()
    }

    fn capabilities(&self) -> Result<String> {
        Ok(self.state.lock().node.capabilities().to_xml())
    }

    fn max_vcpus(&self, _kind: Option<&str>) -> Result<i32> {
        Ok(32)
    }

    fn node_info(&self) -> Result<NodeInfo> {
        Ok(self.state.lock().node.info.clone())
    }

    fn is_alive(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_secure(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_encrypted(&self) -> Result<bool> {
        Ok(false)
    }
}
