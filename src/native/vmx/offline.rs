//! Datastore paths without a server: `/vmfs/volumes/DS/rest` ↔ `[DS] rest`,
//! the conventions of libvirt's own converter tests, which `virt-native` and
//! the conformance tests share.

use crate::abi::VIR_FROM_NONE;
use crate::error::{Error, Result};

/// The directory a bare VMX file name is taken to live in.
const DEFAULT_DIRECTORY: &str = "[datastore] directory";

/// A VMX file name as a libvirt source path. A datastore named `missing` (or
/// a file whose path starts with `missing`) stands for a file that is not
/// there: allowed for ISO images (an empty drive), an error otherwise.
pub fn parse_file_name(name: &str, allow_missing: bool) -> Result<Option<String>> {
    if let Some(rest) = name.strip_prefix("/vmfs/volumes/") {
        let (datastore, path) = rest.split_once('/').unwrap_or((rest, ""));
        if datastore == "missing" || path.starts_with("missing") {
            if allow_missing {
                return Ok(None);
            }
            return Err(Error::internal(
                VIR_FROM_NONE,
                format!("Referenced missing file '{name}'"),
            ));
        }
        return Ok(Some(format!("[{datastore}] {path}")));
    }
    if name.starts_with('/') {
        return Ok(Some(name.to_string()));
    }
    if name.contains('/') {
        return Err(Error::with(
            VIR_FROM_NONE,
            crate::abi::VIR_ERR_CONFIG_UNSUPPORTED,
            format!("Relative file name '{name}' is not supported"),
        ));
    }
    Ok(Some(format!("{DEFAULT_DIRECTORY}/{name}")))
}

/// A libvirt source path as a VMX file name: `[DS] path` becomes
/// `/vmfs/volumes/DS/path`, absolute paths stay, anything else is refused.
pub fn format_file_name(source: &str) -> Result<String> {
    if let Some(rest) = source.strip_prefix('[') {
        let Some((datastore, path)) = rest.split_once(']') else {
            return Err(bad_datastore_path(source));
        };
        if datastore.is_empty() {
            return Err(bad_datastore_path(source));
        }
        return Ok(format!(
            "/vmfs/volumes/{datastore}/{}",
            path.trim_start_matches(' ')
        ));
    }
    if source.starts_with('/') {
        return Ok(source.to_string());
    }
    Err(Error::with(
        VIR_FROM_NONE,
        crate::abi::VIR_ERR_CONFIG_UNSUPPORTED,
        format!("Could not handle file name '{source}'"),
    ))
}

fn bad_datastore_path(source: &str) -> Error {
    Error::with(
        VIR_FROM_NONE,
        crate::abi::VIR_ERR_INVALID_ARG,
        format!("Datastore path '{source}' doesn't have expected format '[<datastore>] <path>'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datastore_paths_map_both_ways() {
        let src = parse_file_name("/vmfs/volumes/ds1/vm/disk.vmdk", false).unwrap();
        assert_eq!(src.as_deref(), Some("[ds1] vm/disk.vmdk"));
        assert_eq!(
            format_file_name("[ds1] vm/disk.vmdk").unwrap(),
            "/vmfs/volumes/ds1/vm/disk.vmdk"
        );
        assert_eq!(format_file_name("[ds1]").unwrap(), "/vmfs/volumes/ds1/");
        assert_eq!(
            parse_file_name("disk.vmdk", false).unwrap().as_deref(),
            Some("[datastore] directory/disk.vmdk")
        );
        assert_eq!(
            parse_file_name("/dev/cdrom", false).unwrap().as_deref(),
            Some("/dev/cdrom")
        );
    }

    #[test]
    fn missing_files_and_bad_paths_are_refused() {
        assert_eq!(
            parse_file_name("/vmfs/volumes/missing/a.iso", true).unwrap(),
            None
        );
        assert!(parse_file_name("/vmfs/volumes/ds/missing.vmdk", false).is_err());
        assert!(parse_file_name("sub/disk.vmdk", false).is_err());
        assert!(format_file_name("[] x").is_err());
        assert!(format_file_name("[ds x").is_err());
        assert!(format_file_name("relative/x").is_err());
    }
}
