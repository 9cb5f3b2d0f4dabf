//! Storage XML: pools (`<pool>`) and volumes (`<volume>`), read with
//! libvirt's checks and written back as libvirt's formatter writes them.

mod perms;
pub mod pool;
pub mod volume;

pub use perms::Permissions;
pub use pool::{volume_formats, PoolDef, PoolSource, VolFormats};
pub use volume::VolumeDef;

use crate::abi::*;
use crate::error::Error;

/// `VIR_ERR_XML_ERROR` raised by the storage parsers.
fn xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_STORAGE, VIR_ERR_XML_ERROR, detail)
}

/// A path as libvirt keeps it: repeated and trailing slashes dropped, but a
/// leading "//" (which POSIX lets mean something else than "/") kept.
fn clean_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let rest = match path.strip_prefix("//") {
        Some(r) if !r.starts_with('/') => {
            out.push_str("//");
            r
        }
        _ => path,
    };
    for c in rest.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 && out.ends_with('/') && out != "//" {
        out.pop();
    }
    out
}
