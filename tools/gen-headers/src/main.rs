//! Generates libvirt's split public headers with cbindgen.
//!
//! Each header `include/libvirt/X.h` is made from `src/abi/M.rs` (types and
//! constants), `src/ffi/M.rs` (implemented functions) and `src/ffi/stubs/M.rs`
//! (the rest), where M is the header's module name.  What Rust cannot express
//! (function-like macros, include guards, libvirt's include discipline) is
//! written here.  Usage: `gen-headers [--check] [REPO]`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One generated header.
struct Header {
    file: &'static str,
    module: &'static str,
    guard: &'static str,
    /// Included before the declarations.
    includes: &'static [&'static str],
    /// Refuse to be included other than through libvirt.h.
    private: bool,
    /// Macros with parameters and struct-tag aliases.
    macros: &'static str,
}

const COMMON_MACROS: &str = r#"#ifndef VIR_DEPRECATED
#  if __GNUC__ > 3 || (__GNUC__ == 3 && __GNUC_MINOR__ >= 1)
#    define VIR_DEPRECATED __attribute__((__deprecated__))
#  else
#    define VIR_DEPRECATED
#  endif
#endif

#define VIR_EXPORT_VAR extern

#define LIBVIR_CHECK_VERSION(major, minor, micro) \
    ((major) * 1000000 + (minor) * 1000 + (micro) <= LIBVIR_VERSION_NUMBER)
"#;

const HOST_MACROS: &str = r#"#define VIR_NODEINFO_MAXCPUS(nodeinfo) \
    ((nodeinfo).nodes * (nodeinfo).sockets * (nodeinfo).cores * (nodeinfo).threads)
"#;

const DOMAIN_MACROS: &str = r#"#define _virSchedParameter _virTypedParameter
#define _virBlkioParameter _virTypedParameter
#define _virMemoryParameter _virTypedParameter

#define VIR_USE_CPU(cpumap, cpu) ((cpumap)[(cpu) / 8] |= (1 << ((cpu) % 8)))
#define VIR_UNUSE_CPU(cpumap, cpu) ((cpumap)[(cpu) / 8] &= ~(1 << ((cpu) % 8)))
#define VIR_CPU_USED(cpumap, cpu) ((cpumap)[(cpu) / 8] & (1 << ((cpu) % 8)))
#define VIR_CPU_MAPLEN(cpu) (((cpu) + 7) / 8)
#define VIR_CPU_USABLE(cpumaps, maplen, vcpu, cpu) \
    VIR_CPU_USED(VIR_GET_CPUMAP(cpumaps, maplen, vcpu), cpu)
#define VIR_COPY_CPUMAP(cpumaps, maplen, vcpu, cpumap) \
    memcpy(cpumap, VIR_GET_CPUMAP(cpumaps, maplen, vcpu), maplen)
#define VIR_GET_CPUMAP(cpumaps, maplen, vcpu) (&((cpumaps)[(vcpu) * (maplen)]))
#define VIR_DOMAIN_EVENT_CALLBACK(cb) ((virConnectDomainEventGenericCallback)(cb))
"#;

const NETWORK_MACROS: &str =
    "#define VIR_NETWORK_EVENT_CALLBACK(cb) ((virConnectNetworkEventGenericCallback)(cb))\n";
const NODEDEV_MACROS: &str =
    "#define VIR_NODE_DEVICE_EVENT_CALLBACK(cb) ((virConnectNodeDeviceEventGenericCallback)(cb))\n";
const SECRET_MACROS: &str =
    "#define VIR_SECRET_EVENT_CALLBACK(cb) ((virConnectSecretEventGenericCallback)(cb))\n";
const STORAGE_MACROS: &str =
    "#define VIR_STORAGE_POOL_EVENT_CALLBACK(cb) ((virConnectStoragePoolEventGenericCallback)(cb))\n";

const HEADERS: &[Header] = &[
    Header {
        file: "libvirt-common.h",
        module: "common",
        guard: "__VIR_VIRCOMMON_H__",
        includes: &["sys/types.h"],
        private: true,
        macros: COMMON_MACROS,
    },
    Header {
        file: "libvirt-host.h",
        module: "host",
        guard: "LIBVIRT_HOST_H",
        includes: &[],
        private: true,
        macros: HOST_MACROS,
    },
    Header {
        file: "libvirt-domain.h",
        module: "domain",
        guard: "LIBVIRT_DOMAIN_H",
        includes: &[],
        private: true,
        macros: DOMAIN_MACROS,
    },
    Header {
        file: "libvirt-domain-checkpoint.h",
        module: "domain_checkpoint",
        guard: "LIBVIRT_DOMAIN_CHECKPOINT_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "libvirt-domain-snapshot.h",
        module: "domain_snapshot",
        guard: "LIBVIRT_DOMAIN_SNAPSHOT_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "libvirt-event.h",
        module: "event",
        guard: "LIBVIRT_EVENT_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "libvirt-interface.h",
        module: "interface",
        guard: "LIBVIRT_INTERFACE_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "libvirt-network.h",
        module: "network",
        guard: "LIBVIRT_NETWORK_H",
        includes: &[],
        private: true,
        macros: NETWORK_MACROS,
    },
    Header {
        file: "libvirt-nodedev.h",
        module: "nodedev",
        guard: "LIBVIRT_NODEDEV_H",
        includes: &[],
        private: true,
        macros: NODEDEV_MACROS,
    },
    Header {
        file: "libvirt-nwfilter.h",
        module: "nwfilter",
        guard: "LIBVIRT_NWFILTER_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "libvirt-secret.h",
        module: "secret",
        guard: "LIBVIRT_SECRET_H",
        includes: &[],
        private: true,
        macros: SECRET_MACROS,
    },
    Header {
        file: "libvirt-storage.h",
        module: "storage",
        guard: "LIBVIRT_STORAGE_H",
        includes: &[],
        private: true,
        macros: STORAGE_MACROS,
    },
    Header {
        file: "libvirt-stream.h",
        module: "stream",
        guard: "LIBVIRT_STREAM_H",
        includes: &[],
        private: true,
        macros: "",
    },
    Header {
        file: "virterror.h",
        module: "virterror",
        guard: "LIBVIRT_VIRTERROR_H",
        includes: &["libvirt/libvirt.h"],
        private: false,
        macros: "",
    },
];

const NOTICE: &str = "/* Generated by tools/gen-headers (cbindgen) from the Rust declarations in src/.\n * Do not edit: change the Rust source and run `make headers`. */";

fn base_config(repo: &Path) -> cbindgen::Config {
    let path = repo.join("cbindgen.toml");
    cbindgen::Config::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn generate(repo: &Path, h: &Header) -> String {
    let mut config = base_config(repo);
    config.include_guard = Some(h.guard.to_string());
    config.sys_includes = h.includes.iter().map(|s| s.to_string()).collect();
    config.header = Some(NOTICE.to_string());
    let mut after = String::new();
    if h.private {
        after.push_str(
            "#if !defined(__VIR_LIBVIRT_H_INCLUDES__) && !defined(__VIR_ADMIN_H_INCLUDES__)\n#  error \"Don't include this file directly, only use libvirt/libvirt.h\"\n#endif\n",
        );
    }
    if !h.macros.is_empty() {
        after.push('\n');
        after.push_str(h.macros);
    }
    let abi = repo.join("src/abi").join(format!("{}.rs", h.module));
    let abi_src = fs::read_to_string(&abi).unwrap_or_default();
    // cbindgen keeps only types some function uses; a header declares them all.
    config.export.include = type_names(&abi_src);
    let strings = string_constants(&abi_src);
    if !strings.is_empty() {
        after.push('\n');
        for (name, value) in strings {
            after.push_str(&format!("#define {name} \"{value}\"\n"));
        }
    }
    config.after_includes = (!after.is_empty()).then_some(after);
    let mut builder = cbindgen::Builder::new().with_config(config);
    for dir in ["src/abi", "src/ffi", "src/ffi/stubs"] {
        let file = repo.join(dir).join(format!("{}.rs", h.module));
        if file.exists() {
            builder = builder.with_src(file);
        }
    }
    let bindings = builder.generate().unwrap_or_else(|e| panic!("{}: {e}", h.file));
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

/// The names of the types (`pub type`, `pub struct`, `pub union`) a module declares.
fn type_names(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            ["pub type ", "pub struct ", "pub union "]
                .iter()
                .find_map(|p| l.strip_prefix(p))
                .map(|rest| {
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// `pub const NAME: &str = "...";` items of a module, as (NAME, C-escaped
/// value): cbindgen has no string constants, so they are written here.
fn string_constants(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find("pub const ") {
        rest = &rest[at + "pub const ".len()..];
        let name_end = rest.find(':').unwrap_or(0);
        let name = rest[..name_end].trim().to_string();
        let after = rest[name_end + 1..].trim_start();
        if !after.starts_with("&str") {
            continue;
        }
        let Some(q) = after.find('"') else { continue };
        let mut value = String::new();
        let mut chars = after[q + 1..].chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => {
                    let e = chars.next().unwrap_or('\\');
                    value.push('\\');
                    value.push(e);
                }
                c => value.push(c),
            }
        }
        out.push((name, value));
    }
    out
}

fn umbrella(repo: &Path) -> String {
    let mut config = base_config(repo);
    config.include_guard = Some("LIBVIRT_H".to_string());
    config.sys_includes = vec!["sys/types.h".to_string()];
    config.header = Some(NOTICE.to_string());
    let mut after = String::from("\n#define __VIR_LIBVIRT_H_INCLUDES__\n");
    for h in HEADERS.iter().filter(|h| h.private) {
        after.push_str(&format!("#include <libvirt/{}>\n", h.file));
    }
    after.push_str("#undef __VIR_LIBVIRT_H_INCLUDES__\n");
    config.after_includes = Some(after);
    let empty = std::env::temp_dir().join(format!("gen-headers-empty-{}.rs", std::process::id()));
    fs::write(&empty, "").expect("temp file");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(&empty)
        .generate()
        .expect("libvirt.h");
    let _ = fs::remove_file(&empty);
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

fn main() -> ExitCode {
    let mut check = false;
    let mut repo = PathBuf::from(".");
    for arg in std::env::args().skip(1) {
        if arg == "--check" {
            check = true;
        } else {
            repo = PathBuf::from(arg);
        }
    }
    let outdir = repo.join("include/libvirt");
    fs::create_dir_all(&outdir).expect("include/libvirt");
    let mut files: Vec<(String, String)> = HEADERS
        .iter()
        .map(|h| (h.file.to_string(), generate(&repo, h)))
        .collect();
    files.push(("libvirt.h".to_string(), umbrella(&repo)));
    let mut stale = Vec::new();
    for (name, text) in files {
        let path = outdir.join(&name);
        let old = fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            if check {
                stale.push(name);
            } else {
                fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "gen-headers: stale headers (run `make headers`): {}",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
