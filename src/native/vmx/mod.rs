//! VMware's VMX configuration format (`vmware-vmx`) to and from the domain model.
//!
//! The converters never touch a datastore: how a VMX file name maps to a libvirt
//! disk source (and back) is the caller's, through [`Context`]; the ESX driver
//! asks the server, the offline tool uses [`offline`]'s conventions.

pub mod format;
pub mod offline;
pub mod parse;

use crate::error::Result;

pub use format::format_config;
pub use parse::parse_config;

/// Maps a VMX file name to a libvirt source path; `Ok(None)` when the file is
/// missing and `allow_missing` (an ISO image) lets the drive be empty.
pub type ParseFileName<'a> = dyn Fn(&str, bool) -> Result<Option<String>> + 'a;

/// Maps a libvirt source path (`[datastore] dir/file`) to a VMX file name.
pub type FormatFileName<'a> = dyn Fn(&str) -> Result<String> + 'a;

/// Picks the SCSI controller model for a disk when the definition leaves it to
/// the host (libvirt asks the disk image's descriptor).
pub type AutodetectScsiModel<'a> = dyn Fn(&crate::domain::devices::Disk) -> Result<String> + 'a;

/// What the converters need from the host they convert for.
pub struct Context<'a> {
    /// VMX file name → libvirt source (VMX → XML).
    pub parse_file_name: Option<&'a ParseFileName<'a>>,
    /// libvirt source → VMX file name (XML → VMX).
    pub format_file_name: Option<&'a FormatFileName<'a>>,
    /// SCSI controller model auto-detection (XML → VMX).
    pub autodetect_scsi_model: Option<&'a AutodetectScsiModel<'a>>,
    /// The vCenter datacenter path, kept in `<vmware:datacenterpath>`.
    pub datacenter_path: Option<&'a str>,
}
