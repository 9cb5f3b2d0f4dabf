//! `libvirt-host.h`: connections and host information.
#![allow(non_snake_case, non_upper_case_globals)]

use crate::abi::*;

/// The credential types the terminal prompter handles.
static mut DEFAULT_CREDTYPES: [c_int; 6] = [
    VIR_CRED_AUTHNAME,
    VIR_CRED_ECHOPROMPT,
    VIR_CRED_REALM,
    VIR_CRED_PASSPHRASE,
    VIR_CRED_NOECHOPROMPT,
    VIR_CRED_EXTERNAL,
];

static mut DEFAULT_AUTH: virConnectAuth = virConnectAuth {
    credtype: &raw mut DEFAULT_CREDTYPES as *mut c_int,
    ncredtype: 6,
    cb: Some(default_auth_callback),
    cbdata: std::ptr::null_mut(),
};

/// libvirt's terminal prompter, for command-line tools.
#[no_mangle]
pub static mut virConnectAuthPtrDefault: virConnectAuthPtr = &raw mut DEFAULT_AUTH;

unsafe extern "C" fn default_auth_callback(
    cred: virConnectCredentialPtr,
    ncred: c_uint,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (cred, ncred, cbdata);
    -1
}
