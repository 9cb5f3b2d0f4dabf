//! Serial (`serialN`) and parallel (`parallelN`) ports.

use super::values::{error, Vmx};
use crate::domain::devices::{Chardev, ChrKind};
use crate::error::Result;
use crate::native::vmx::Context;
use crate::uri::Uri;

fn map_file(ctx: &Context, name: Option<&str>, key: &str) -> Result<Option<String>> {
    let Some(f) = ctx.parse_file_name else {
        return Err(error("virVMXContext has no parseFileName function set"));
    };
    // libvirt hands the callback a NULL file name here; name the entry.
    let name = name.ok_or_else(|| error(format!("Missing essential config entry '{key}'")))?;
    f(name, false)
}

fn chardev(dev: ChrKind, port: i32, kind: &str) -> Chardev {
    let mut c = Chardev {
        dev,
        target_port: Some(port),
        ..Default::default()
    };
    c.source.kind = kind.to_string();
    c
}

/// `serialN` as a serial port; `None` when it is not present.
pub(crate) fn parse_serial(ctx: &Context, vmx: &Vmx, port: i32) -> Result<Option<Chardev>> {
    if !(0..=3).contains(&port) {
        return Err(error(format!("Serial port index {port} out of [0..3] range")));
    }
    let key = |suffix: &str| format!("serial{port}.{suffix}");
    let present = vmx.boolean(&key("present"), false, true)?;
    vmx.boolean(&key("startConnected"), true, true)?;
    if !present {
        return Ok(None);
    }
    let file_type_name = key("fileType");
    let file_type = vmx.string(&file_type_name, true)?;
    let file_name_name = key("fileName");
    let file_name = vmx.string(&file_name_name, true)?;
    let end_point_name = key("network.endPoint");
    let end_point = vmx.string(&end_point_name, true)?;

    let ft = file_type.as_deref();
    let is = |v: &str| ft.is_some_and(|t| t.eq_ignore_ascii_case(v));
    // A missing fileType means a host device.
    let c = if ft.is_none() || is("device") {
        let mut c = chardev(ChrKind::Serial, port, "dev");
        c.source.path = file_name;
        c
    } else if is("file") {
        let mut c = chardev(ChrKind::Serial, port, "file");
        c.source.path = map_file(ctx, file_name.as_deref(), &file_name_name)?;
        c
    } else if is("pipe") {
        // Client/server and VM/application pipes all look the same.
        let mut c = chardev(ChrKind::Serial, port, "pipe");
        c.source.path = file_name;
        c
    } else if is("network") {
        let mut c = chardev(ChrKind::Serial, port, "tcp");
        let text =
            file_name.ok_or_else(|| error(format!("Missing essential config entry '{file_name_name}'")))?;
        let uri = Uri::parse(&text)?;
        if uri.port == 0 {
            return Err(error(format!(
                "VMX entry '{file_name_name}' doesn't contain a port part"
            )));
        }
        c.source.host = uri.server.clone();
        c.source.service = Some(uri.port.to_string());
        let scheme = uri.scheme.as_deref();
        let sch = |v: &str| scheme.is_some_and(|s| s.eq_ignore_ascii_case(v));
        c.source.protocol = if scheme.is_none() || sch("tcp") || sch("tcp4") || sch("tcp6") {
            None
        } else if sch("telnet") {
            Some("telnet".into())
        } else if sch("telnets") {
            Some("telnets".into())
        } else if sch("ssl") || sch("tcp+ssl") || sch("tcp4+ssl") || sch("tcp6+ssl") {
            Some("tls".into())
        } else {
            return Err(error(format!(
                "VMX entry '{file_name_name}' contains unsupported scheme '{}'",
                scheme.unwrap_or_default()
            )));
        };
        let ep = end_point.as_deref();
        c.source.mode = Some(
            if ep.is_none_or(|e| e.eq_ignore_ascii_case("server")) {
                "bind"
            } else if ep.is_some_and(|e| e.eq_ignore_ascii_case("client")) {
                "connect"
            } else {
                return Err(error(format!(
                    "Expecting VMX entry '{end_point_name}' to be 'server' or 'client' but found '{}'",
                    ep.unwrap_or_default()
                )));
            }
            .to_string(),
        );
        c
    } else {
        return Err(error(format!(
            "Expecting VMX entry '{file_type_name}' to be 'device', 'file' or 'pipe' or 'network' but found '{}'",
            ft.unwrap_or_default()
        )));
    };
    Ok(Some(finish(c)))
}

/// `parallelN` as a parallel port; `None` when it is not present.
pub(crate) fn parse_parallel(ctx: &Context, vmx: &Vmx, port: i32) -> Result<Option<Chardev>> {
    if !(0..=2).contains(&port) {
        return Err(error(format!("Parallel port index {port} out of [0..2] range")));
    }
    let key = |suffix: &str| format!("parallel{port}.{suffix}");
    let present = vmx.boolean(&key("present"), false, true)?;
    vmx.boolean(&key("startConnected"), true, true)?;
    if !present {
        return Ok(None);
    }
    let file_type_name = key("fileType");
    let file_type = vmx.string(&file_type_name, false)?.unwrap_or_default();
    let file_name_name = key("fileName");
    let file_name = vmx.string(&file_name_name, false)?;
    let c = if file_type.eq_ignore_ascii_case("device") {
        let mut c = chardev(ChrKind::Parallel, port, "dev");
        c.source.path = file_name;
        c
    } else if file_type.eq_ignore_ascii_case("file") {
        let mut c = chardev(ChrKind::Parallel, port, "file");
        c.source.path = map_file(ctx, file_name.as_deref(), &file_name_name)?;
        c
    } else {
        return Err(error(format!(
            "Expecting VMX entry '{file_type_name}' to be 'device' or 'file' but found '{file_type}'"
        )));
    };
    Ok(Some(finish(c)))
}

fn finish(mut c: Chardev) -> Chardev {
    c.source.has_source = c.source.path.is_some() || c.source.host.is_some() || c.source.mode.is_some();
    c
}
