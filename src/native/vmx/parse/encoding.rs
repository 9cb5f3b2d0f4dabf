//! `.encoding`: VMX files written by Windows hosts may declare a legacy
//! character set; libvirt converts such a file to UTF-8 (through libxml2,
//! which uses iconv) and reads it again.

use std::ffi::CString;

use super::values::error;
use crate::error::Result;

/// The text in `encoding` converted to UTF-8.
pub(crate) fn to_utf8(encoding: &str, text: &[u8]) -> Result<Vec<u8>> {
    let unsupported = || error(format!("libxml2 doesn't handle {encoding} encoding"));
    let failed = || error(format!("Could not convert from {encoding} to UTF-8 encoding"));
    let from = CString::new(encoding).map_err(|_| unsupported())?;
    let to = CString::new("UTF-8").map_err(|_| unsupported())?;
    // SAFETY: both names are NUL-terminated C strings that outlive the call.
    let cd = unsafe { libc::iconv_open(to.as_ptr(), from.as_ptr()) };
    if cd as isize == -1 {
        return Err(unsupported());
    }
    let result = convert(cd, text).ok_or_else(failed);
    // SAFETY: `cd` came from a successful iconv_open and is closed once.
    unsafe { libc::iconv_close(cd) };
    result
}

fn convert(cd: libc::iconv_t, text: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = vec![0; text.len().saturating_mul(4).saturating_add(16)];
    let mut in_pos = 0usize;
    let mut out_pos = 0usize;
    loop {
        let mut in_ptr = text[in_pos..].as_ptr() as *mut libc::c_char;
        let mut in_left = text.len() - in_pos;
        let mut out_ptr = out[out_pos..].as_mut_ptr() as *mut libc::c_char;
        let mut out_left = out.len() - out_pos;
        // SAFETY: the pointers and lengths describe live parts of `text`
        // and `out`; iconv only reads the input and writes within the output.
        let rc = unsafe {
            if in_left == 0 {
                // Flush any shift state.
                libc::iconv(
                    cd,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    &mut out_ptr,
                    &mut out_left,
                )
            } else {
                libc::iconv(cd, &mut in_ptr, &mut in_left, &mut out_ptr, &mut out_left)
            }
        };
        let errno = std::io::Error::last_os_error().raw_os_error();
        let flushing = in_pos == text.len();
        in_pos = text.len() - in_left;
        out_pos = out.len() - out_left;
        if rc != usize::MAX {
            if flushing {
                out.truncate(out_pos);
                return Some(out);
            }
            continue;
        }
        if errno == Some(libc::E2BIG) {
            let grow = out.len().max(64);
            out.resize(out.len() + grow, 0);
            continue;
        }
        return None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_unknown_sets() {
        assert_eq!(to_utf8("ISO-8859-1", b"caf\xe9").unwrap(), "café".as_bytes());
        assert_eq!(to_utf8("windows-1252", b"\x80").unwrap(), "€".as_bytes());
        assert_eq!(to_utf8("UTF-8", b"plain").unwrap(), b"plain");
        let e = to_utf8("no-such-charset", b"x").unwrap_err();
        assert_eq!(
            e.message,
            "internal error: libxml2 doesn't handle no-such-charset encoding"
        );
        let e = to_utf8("UTF-8", b"\xff\xfe").unwrap_err();
        assert_eq!(
            e.message,
            "internal error: Could not convert from UTF-8 to UTF-8 encoding"
        );
    }
}
