//! Serial (`serialN.*`) and parallel (`parallelN.*`) ports.

use super::{internal, unsupported, Vmx};
use crate::domain::devices::Chardev;
use crate::error::Result;
use crate::native::vmx::FormatFileName;

/// Writes one serial port.
pub(super) fn format_serial(vmx: &mut Vmx, format_file_name: &FormatFileName, c: &Chardev) -> Result<()> {
    let port = c.target_port.unwrap_or(0);
    if !(0..=3).contains(&port) {
        return Err(internal(format!("Serial port index {port} out of [0..3] range")));
    }
    let prefix = format!("serial{port}");
    let path = c.source.path.as_deref().unwrap_or("");
    vmx.set(format!("{prefix}.present"), "true");
    match c.source.kind.as_str() {
        "dev" => {
            vmx.set(format!("{prefix}.fileType"), "device");
            vmx.set(format!("{prefix}.fileName"), path);
        }
        "file" => {
            vmx.set(format!("{prefix}.fileType"), "file");
            vmx.set(format!("{prefix}.fileName"), format_file_name(path)?);
        }
        "pipe" => {
            vmx.set(format!("{prefix}.fileType"), "pipe");
            // The vSphere client's defaults for a new named pipe.
            vmx.set(format!("{prefix}.pipe.endPoint"), "client");
            vmx.set(format!("{prefix}.tryNoRxLoss"), "false");
            vmx.set(format!("{prefix}.fileName"), path);
        }
        "tcp" => {
            let scheme = match c.source.protocol.as_deref().unwrap_or("raw") {
                "raw" => "tcp",
                "telnet" => "telnet",
                "telnets" => "telnets",
                "tls" => "ssl",
                other => {
                    return Err(unsupported(format!(
                        "Unsupported character device TCP protocol '{other}'"
                    )))
                }
            };
            let host = c.source.host.as_deref().unwrap_or("");
            let service = c.source.service.as_deref().unwrap_or("");
            let end = if c.source.mode.as_deref() == Some("bind") {
                "server"
            } else {
                "client"
            };
            vmx.set(format!("{prefix}.fileType"), "network");
            vmx.set(
                format!("{prefix}.fileName"),
                format!("{scheme}://{host}:{service}"),
            );
            vmx.set(format!("{prefix}.network.endPoint"), end);
        }
        other => {
            return Err(unsupported(format!(
                "Unsupported character device type '{other}'"
            )))
        }
    }
    // The vSphere client's default: let the guest idle while polling.
    vmx.set(format!("{prefix}.yieldOnMsrRead"), "true");
    Ok(())
}

/// Writes one parallel port.
pub(super) fn format_parallel(vmx: &mut Vmx, format_file_name: &FormatFileName, c: &Chardev) -> Result<()> {
    let port = c.target_port.unwrap_or(0);
    if !(0..=2).contains(&port) {
        return Err(internal(format!(
            "Parallel port index {port} out of [0..2] range"
        )));
    }
    let prefix = format!("parallel{port}");
    let path = c.source.path.as_deref().unwrap_or("");
    match c.source.kind.as_str() {
        "dev" => {
            vmx.set(format!("{prefix}.present"), "true");
            vmx.set(format!("{prefix}.fileType"), "device");
            vmx.set(format!("{prefix}.fileName"), path);
        }
        "file" => {
            vmx.set(format!("{prefix}.present"), "true");
            vmx.set(format!("{prefix}.fileType"), "file");
            vmx.set(format!("{prefix}.fileName"), format_file_name(path)?);
        }
        other => {
            return Err(unsupported(format!(
                "Unsupported character device type '{other}'"
            )))
        }
    }
    Ok(())
}
