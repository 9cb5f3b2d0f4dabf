//! Facts about the machine the library runs on.

use crate::abi::*;
use crate::error::{Error, Result};

/// The host's name as libvirt reports it: the fully qualified name when the
/// resolver knows one, else the short name from gethostname(2).
pub fn hostname() -> Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; gethostname NUL-terminates when it fits.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(Error::io(VIR_FROM_NONE, &err, "failed to determine host name"));
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let short = String::from_utf8_lossy(&buf[..len]).into_owned();
    if short.contains('.') {
        return Ok(short);
    }
    Ok(canonical_name(&short)
        .filter(|c| !c.is_empty() && c != "localhost")
        .unwrap_or(short))
}

/// The resolver's canonical name for `host` (getaddrinfo with AI_CANONNAME).
fn canonical_name(host: &str) -> Option<String> {
    let c_host = std::ffi::CString::new(host).ok()?;
    // SAFETY: a zeroed addrinfo is a valid "no hints" value; we set two fields.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = libc::AI_CANONNAME;
    hints.ai_family = libc::AF_UNSPEC;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C string, hints and out-pointer; res freed below.
    let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 || res.is_null() {
        return None;
    }
    // SAFETY: res is a valid list from getaddrinfo until freeaddrinfo.
    let name = unsafe {
        let cn = (*res).ai_canonname;
        let name = (!cn.is_null()).then(|| std::ffi::CStr::from_ptr(cn).to_string_lossy().into_owned());
        libc::freeaddrinfo(res);
        name
    };
    name
}
