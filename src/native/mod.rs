//! Native configuration formats (VMware VMX, ...) converted to and from the
//! domain model. Pure functions: the caller supplies every host look-up.

pub mod vmx;
pub mod xen;

use crate::abi::*;
use crate::domain::{self, DomainDef, FormatOptions, ParseOptions, Profile};
use crate::error::{Error, Result};

/// A native configuration format, by the name the API and `virt-native` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// VMware's `.vmx` files (`vmware-vmx`).
    VmwareVmx,
    /// The xm tool's config files (`xen-xm`).
    XenXm,
    /// The xl tool's config files (`xen-xl`).
    XenXl,
    /// XenD's domain s-expressions (`xen-sxpr`).
    XenSxpr,
}

impl Format {
    /// The format called `name`, or libvirt's error for a format we lack.
    pub fn from_name(name: &str) -> Result<Format> {
        match name {
            "vmware-vmx" => Ok(Format::VmwareVmx),
            "xen-xm" => Ok(Format::XenXm),
            "xen-xl" => Ok(Format::XenXl),
            "xen-sxpr" => Ok(Format::XenSxpr),
            _ => Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_INVALID_ARG,
                format!("Unsupported config format '{name}'"),
            )),
        }
    }

    /// The driver profile definitions of this format are parsed with.
    pub fn profile(self) -> &'static Profile {
        match self {
            Format::VmwareVmx => &Profile::VMWARE,
            Format::XenXm | Format::XenXl => &Profile::XEN,
            Format::XenSxpr => &Profile::XEN_SXPR,
        }
    }
}

/// How the offline conversions run (`virt-native` and the conformance tests).
#[derive(Debug, Clone, Default)]
pub struct OfflineOptions {
    /// VMX: the `virtualHW.version` written (libvirt's default is 4).
    pub virtual_hw_version: Option<i32>,
    /// VMX: the vCenter datacenter path recorded in the definition.
    pub datacenter_path: Option<String>,
}

/// The VMX hardware version written when none is asked for.
pub const DEFAULT_VIRTUAL_HW_VERSION: i32 = 4;

/// Converts a native configuration (raw bytes: a VMX file may declare a
/// legacy `.encoding`) to a definition, mapping datastore paths by
/// [`vmx::offline`]'s conventions.
pub fn from_native_offline(format: Format, config: &[u8], opts: &OfflineOptions) -> Result<DomainDef> {
    match format {
        Format::VmwareVmx => {
            let parse_file_name = vmx::offline::parse_file_name;
            let ctx = vmx::Context {
                parse_file_name: Some(&parse_file_name),
                format_file_name: None,
                autodetect_scsi_model: None,
                datacenter_path: opts.datacenter_path.as_deref(),
            };
            vmx::parse::parse_config_bytes(&ctx, config)
        }
        Format::XenXm => xen::xm::parse(utf8(config)?),
        Format::XenXl => xen::xl::parse(utf8(config)?),
        Format::XenSxpr => xen::sxpr::parse(utf8(config)?),
    }
}

/// Xen's configurations are read as UTF-8 text.
fn utf8(config: &[u8]) -> Result<&str> {
    std::str::from_utf8(config).map_err(|_| {
        Error::with(
            VIR_FROM_NONE,
            VIR_ERR_INVALID_ARG,
            "the configuration is not valid UTF-8",
        )
    })
}

/// Converts a native configuration to domain XML, formatted as libvirt's
/// suite for the format does: passwords included (the configuration is the
/// caller's own file) except for s-expressions, which XenD reported with the
/// running domain's id and without passwords.
pub fn xml_from_native_offline(format: Format, config: &[u8], opts: &OfflineOptions) -> Result<String> {
    let mut xml = match format {
        Format::XenSxpr => xen::sxpr::to_xml(utf8(config)?)?,
        _ => {
            let def = from_native_offline(format, config, opts)?;
            let inactive = matches!(format, Format::XenXm | Format::XenXl);
            domain::format(
                &def,
                &FormatOptions {
                    secure: true,
                    inactive,
                    ..Default::default()
                },
            )
        }
    };
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    Ok(xml)
}

/// Converts domain XML to a native configuration without a server: datastore
/// paths by [`vmx::offline`]'s conventions, SCSI disks on `lsilogic` where the
/// definition leaves the model to the host (no disk descriptor to ask).
pub fn xml_to_native_offline(format: Format, xml: &str, opts: &OfflineOptions) -> Result<String> {
    let def = domain::parse(
        xml,
        &ParseOptions {
            profile: format.profile(),
            inactive: true,
        },
    )?;
    match format {
        Format::VmwareVmx => {
            let format_file_name = vmx::offline::format_file_name;
            let autodetect = |_: &domain::devices::Disk| Ok("lsilogic".to_string());
            let ctx = vmx::Context {
                parse_file_name: None,
                format_file_name: Some(&format_file_name),
                autodetect_scsi_model: Some(&autodetect),
                datacenter_path: opts.datacenter_path.as_deref(),
            };
            let version = opts.virtual_hw_version.unwrap_or(DEFAULT_VIRTUAL_HW_VERSION);
            vmx::format_config(&ctx, &def, version)
        }
        Format::XenXm => xen::xm::format(&def),
        Format::XenXl => xen::xl::format(&def),
        Format::XenSxpr => xen::sxpr::format(&def),
    }
    .map(|mut text| {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    })
}
