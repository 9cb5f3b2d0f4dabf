//! Inactive domains as xm config files, for XenDs older than 3.0.4 (which
//! forgot a domain once it stopped): one file per domain in `/etc/xen`.
//!
//! The directory also holds XenD's own configuration, example files,
//! scripts and editor or package-manager leftovers; like libvirt, anything
//! that is not a readable config file parsing as a domain is skipped without
//! an error (a debug message says why).

use std::fs;
use std::path::{Path, PathBuf};

use super::log;
use crate::abi::*;
use crate::domain::DomainDef;
use crate::error::{Error, Result};
use crate::native::xen::xm;

/// The largest file read as a config.
const MAX_CONFIG: u64 = 1024 * 1024;

/// Whether a directory entry's name can be a domain's config file.
pub fn candidate_name(name: &str) -> bool {
    !(name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".rpmsave")
        || name.ends_with(".rpmnew")
        || name.ends_with(".dpkg-old")
        || name.ends_with(".dpkg-dist")
        || name.ends_with(".bak")
        || name.ends_with(".swp")
        || name.starts_with("xend-config")
        || name.starts_with("xend-pci-")
        || name.starts_with("xmexample")
        || name == "xl.conf"
        || name == "xlexample.hvm"
        || name == "xlexample.pvlinux"
        || name == "cpupool"
        || name == "README")
}

/// The domains defined by the config files of `dir`, with their files.
pub fn scan(dir: &Path) -> Vec<(PathBuf, DomainDef)> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            log(
                false,
                &format!("cannot read config directory {}: {e}", dir.display()),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<(PathBuf, DomainDef)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !candidate_name(&name) {
            continue;
        }
        let path = entry.path();
        match read(&path) {
            Ok(def) => {
                if out.iter().any(|(_, d)| d.name == def.name) {
                    log(
                        false,
                        &format!(
                            "{}: domain '{}' is defined twice; ignored",
                            path.display(),
                            def.name
                        ),
                    );
                    continue;
                }
                out.push((path, def));
            }
            Err(why) => log(false, &format!("{}: not a domain config: {why}", path.display())),
        }
    }
    out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    out
}

/// Reads one config file.
fn read(path: &Path) -> std::result::Result<DomainDef, String> {
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_CONFIG {
        return Err("larger than 1 MiB".into());
    }
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    xm::parse(&text).map_err(|e| e.message)
}

/// The config file and definition of domain `name`.
pub fn find(dir: &Path, name: &str) -> Option<(PathBuf, DomainDef)> {
    scan(dir).into_iter().find(|(_, d)| d.name == name)
}

/// Writes `def` as its config file (replacing the file that defines the
/// same domain, else `dir/NAME`).
pub fn write(dir: &Path, def: &DomainDef) -> Result<PathBuf> {
    let name = &def.name;
    if name.is_empty() || name.contains('/') || !candidate_name(name) {
        return Err(Error::with(
            VIR_FROM_XENXM,
            VIR_ERR_INVALID_ARG,
            format!(
                "domain name '{name}' cannot be a config file name in {}",
                dir.display()
            ),
        ));
    }
    let existing = scan(dir);
    if let Some((_, other)) = existing
        .iter()
        .find(|(_, d)| d.uuid == def.uuid && d.name != *name)
    {
        return Err(Error::with(
            VIR_FROM_XENXM,
            VIR_ERR_OPERATION_FAILED,
            format!(
                "domain '{}' is already defined with uuid {}",
                other.name, def.uuid
            ),
        ));
    }
    if let Some((_, other)) = existing
        .iter()
        .find(|(_, d)| d.name == *name && d.uuid != def.uuid)
    {
        return Err(Error::with(
            VIR_FROM_XENXM,
            VIR_ERR_OPERATION_FAILED,
            format!("domain '{name}' is already defined with uuid {}", other.uuid),
        ));
    }
    let text = xm::format(def)?;
    let path = existing
        .into_iter()
        .find(|(_, d)| d.name == *name)
        .map(|(p, _)| p)
        .unwrap_or_else(|| dir.join(name));
    let tmp = dir.join(format!(".{name}.new"));
    let fail = |e: std::io::Error| {
        Error::io(
            VIR_FROM_XENXM,
            &e,
            format!("cannot write config file {}", path.display()),
        )
    };
    fs::write(&tmp, text).map_err(fail)?;
    fs::rename(&tmp, &path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })?;
    Ok(path)
}

/// Removes domain `name`'s config file.
pub fn remove(dir: &Path, name: &str) -> Result<()> {
    let (path, _) = find(dir, name).ok_or_else(|| {
        Error::with(
            VIR_FROM_XENXM,
            VIR_ERR_NO_DOMAIN,
            format!("no config file for domain '{name}' in {}", dir.display()),
        )
    })?;
    fs::remove_file(&path).map_err(|e| {
        Error::io(
            VIR_FROM_XENXM,
            &e,
            format!("cannot remove config file {}", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_not_candidates() {
        for skip in [
            ".hidden",
            "guest~",
            "guest.rpmsave",
            "xend-config.sxp",
            "xmexample1",
            "xend-pci-quirks.sxp",
        ] {
            assert!(!candidate_name(skip), "{skip}");
        }
        for keep in ["guest", "guest.cfg", "rhel5"] {
            assert!(candidate_name(keep), "{keep}");
        }
    }
}
