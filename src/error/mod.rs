//! The one error type of the library: libvirt's `virErrorNumber`, `virErrorDomain`,
//! level, message and extra fields, built the way libvirt builds them so that
//! callers see the same codes and texts.

mod tables;

use std::fmt;

use crate::abi::*;

pub use tables::domain_name;

/// A libvirt error: what `virGetLastError` shows after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The `virErrorNumber`.
    pub code: i32,
    /// The `virErrorDomain`: which part of the library raised it.
    pub domain: i32,
    /// The `virErrorLevel`.
    pub level: i32,
    /// The complete human-readable message.
    pub message: String,
    /// Extra string information, as libvirt fills it in.
    pub str1: Option<String>,
    /// Extra string information, as libvirt fills it in.
    pub str2: Option<String>,
    /// Extra string information, as libvirt fills it in.
    pub str3: Option<String>,
    /// Extra number information (`-1` when unused, errno for system errors).
    pub int1: i32,
    /// Extra number information.
    pub int2: i32,
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// libvirt's standard report: the code's message, followed by `detail`
    /// where there is one ("Domain not found: no domain with matching name 'x'").
    pub fn new(domain: i32, code: i32, detail: Option<&str>) -> Error {
        let (bare, with) = tables::template(code).unwrap_or(("unknown error", "unknown error: %s"));
        let (message, str1) = match detail {
            Some(d) => (with.replacen("%s", d, 1), with),
            None => (bare.to_string(), bare),
        };
        Error {
            code,
            domain,
            level: VIR_ERR_ERROR,
            message,
            str1: Some(str1.to_string()),
            str2: detail.map(str::to_string),
            str3: None,
            int1: -1,
            int2: -1,
        }
    }

    /// [`Error::new`] with a detail text.
    pub fn with(domain: i32, code: i32, detail: impl AsRef<str>) -> Error {
        Error::new(domain, code, Some(detail.as_ref()))
    }

    /// `VIR_ERR_INVALID_ARG` for a required pointer argument that was NULL.
    pub fn null_arg(domain: i32, func: &str, arg: &str) -> Error {
        Error::arg_check(domain, format!("{arg} in {func} must not be NULL"), func, arg)
    }

    /// `VIR_ERR_INVALID_ARG` for a pointer argument that must be NULL.
    pub fn non_null_arg(domain: i32, func: &str, arg: &str) -> Error {
        Error::arg_check(domain, format!("{arg} in {func} must be NULL"), func, arg)
    }

    /// `VIR_ERR_INVALID_ARG` for an argument outside its allowed range; the
    /// message is complete as given (libvirt's argument checks add no prefix).
    pub fn arg_check(domain: i32, message: String, func: &str, arg: &str) -> Error {
        Error {
            code: VIR_ERR_INVALID_ARG,
            domain,
            level: VIR_ERR_ERROR,
            message,
            str1: Some(func.to_string()),
            str2: Some(arg.to_string()),
            str3: None,
            int1: 0,
            int2: 0,
        }
    }

    /// `VIR_ERR_INVALID_ARG` for flags a function does not know.
    pub fn bad_flags(domain: i32, func: &str, flags: u32) -> Error {
        Error::arg_check(
            domain,
            format!("unsupported flags (0x{flags:x}) in function {func}"),
            func,
            "flags",
        )
    }

    /// `VIR_ERR_INVALID_ARG` with libvirt's "invalid argument: ..." message.
    pub fn invalid_arg(domain: i32, detail: impl AsRef<str>) -> Error {
        Error::with(domain, VIR_ERR_INVALID_ARG, detail)
    }

    /// `VIR_ERR_INTERNAL_ERROR` ("internal error: ...").
    pub fn internal(domain: i32, detail: impl AsRef<str>) -> Error {
        Error::with(domain, VIR_ERR_INTERNAL_ERROR, detail)
    }

    /// `VIR_ERR_NO_SUPPORT`: the connection's driver lacks `func`.
    pub fn no_support(domain: i32, func: &str) -> Error {
        Error::with(domain, VIR_ERR_NO_SUPPORT, func)
    }

    /// `VIR_ERR_OPERATION_DENIED` for a write call on a read-only connection.
    pub fn read_only(domain: i32, func: &str) -> Error {
        Error::with(
            domain,
            VIR_ERR_OPERATION_DENIED,
            format!("read only access prevents {func}"),
        )
    }

    /// `VIR_ERR_SYSTEM_ERROR`: `message` followed by the text of `errno`.
    pub fn system(domain: i32, errno: i32, message: impl AsRef<str>) -> Error {
        let text = format!("{}: {}", message.as_ref(), strerror(errno));
        Error {
            code: VIR_ERR_SYSTEM_ERROR,
            domain,
            level: VIR_ERR_ERROR,
            message: text.clone(),
            str1: Some("%s".to_string()),
            str2: Some(text),
            str3: None,
            int1: errno,
            int2: -1,
        }
    }

    /// [`Error::system`] from an I/O error.
    pub fn io(domain: i32, err: &std::io::Error, message: impl AsRef<str>) -> Error {
        match err.raw_os_error() {
            Some(errno) => Error::system(domain, errno, message),
            None => Error::internal(domain, format!("{}: {err}", message.as_ref())),
        }
    }

    /// What libvirt reports when a call failed without saying why.
    pub fn unknown_cause() -> Error {
        Error {
            code: VIR_ERR_INTERNAL_ERROR,
            domain: VIR_FROM_NONE,
            level: VIR_ERR_ERROR,
            message: "An error occurred, but the cause is unknown".to_string(),
            str1: None,
            str2: None,
            str3: None,
            int1: 0,
            int2: 0,
        }
    }

    /// The name of this error's domain, as libvirt's default handler prints it.
    pub fn domain_name(&self) -> &'static str {
        domain_name(self.domain)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The C library's text for an errno value.
pub fn strerror(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno)
        .to_string()
        .split(" (os error")
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_goes_into_the_template() {
        let e = Error::with(
            VIR_FROM_TEST,
            VIR_ERR_NO_DOMAIN,
            "no domain with matching name 'x'",
        );
        assert_eq!(e.message, "Domain not found: no domain with matching name 'x'");
        assert_eq!(e.str1.as_deref(), Some("Domain not found: %s"));
        assert_eq!(e.str2.as_deref(), Some("no domain with matching name 'x'"));
        assert_eq!((e.int1, e.int2, e.level), (-1, -1, 2));
    }

    #[test]
    fn without_detail_the_bare_message_is_used() {
        let e = Error::new(VIR_FROM_TEST, VIR_ERR_NO_DOMAIN, None);
        assert_eq!(e.message, "Domain not found");
        assert_eq!(e.str1.as_deref(), Some("Domain not found"));
        assert_eq!(e.str2, None);
    }

    #[test]
    fn templates_that_are_not_prefixes() {
        let e = Error::with(0, VIR_ERR_DOM_EXIST, "foo");
        assert_eq!(e.message, "domain foo exists already");
        let e = Error::with(0, VIR_ERR_XML_ERROR, "bad");
        assert_eq!(e.message, "XML error: bad");
    }

    #[test]
    fn argument_checks_read_like_libvirt() {
        let e = Error::null_arg(VIR_FROM_DOMAIN, "virConnectGetVersion", "hvVer");
        assert_eq!(e.message, "hvVer in virConnectGetVersion must not be NULL");
        assert_eq!((e.code, e.int1, e.int2), (VIR_ERR_INVALID_ARG, 0, 0));
        assert_eq!(e.str1.as_deref(), Some("virConnectGetVersion"));
        let e = Error::bad_flags(VIR_FROM_TEST, "testConnectOpen", 0x1000);
        assert_eq!(
            e.message,
            "unsupported flags (0x1000) in function testConnectOpen"
        );
        assert_eq!(e.str2.as_deref(), Some("flags"));
    }

    #[test]
    fn system_errors_carry_errno() {
        let e = Error::system(VIR_FROM_RPC, libc::ENOENT, "Failed to connect socket to '/x'");
        assert_eq!(
            e.message,
            "Failed to connect socket to '/x': No such file or directory"
        );
        assert_eq!((e.code, e.int1), (VIR_ERR_SYSTEM_ERROR, libc::ENOENT));
        assert_eq!(e.str1.as_deref(), Some("%s"));
    }

    #[test]
    fn domain_names_match_libvirt() {
        assert_eq!(domain_name(VIR_FROM_NONE), "");
        assert_eq!(domain_name(VIR_FROM_TEST), "Test Driver");
        assert_eq!(domain_name(VIR_FROM_DOMAIN), "Domain Config");
        assert_eq!(domain_name(VIR_FROM_RPC), "XML-RPC");
        assert_eq!(domain_name(9999), "Unknown");
    }
}
