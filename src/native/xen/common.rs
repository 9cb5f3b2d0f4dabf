//! What the xm and xl formats share: typed reads of config values with
//! libvirt's messages, the domain XML a config is turned into (with the
//! devices libvirt's Xen post-parse adds), and the canonical XML a
//! definition is read back from when writing a config.

use crate::abi::*;
use crate::conf::{Conf, Value};
use crate::domain::{self, DomainDef, FormatOptions, ParseOptions, Profile};
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};

/// The emulator and loader of the harness capabilities (hvm and pv guests).
pub const DEFAULT_LOADER: &str = "/usr/lib/xen/boot/hvmloader";
/// Where OVMF lives when `bios = "ovmf"` names no file of its own.
pub const FIRMWARE_DIR: &str = "/usr/lib/xen/boot";
/// The minimum Xen guest size in MiB; twice it is the default memory.
const MIN_XEN_GUEST_SIZE: u64 = 64;

/// Which of the two formats is being read or written: they differ in a few
/// keys and in what an unsupported setting is reported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `xen-xm`.
    Xm,
    /// `xen-xl`.
    Xl,
}

impl Dialect {
    /// The error domain of the format's own code.
    pub fn domain(self) -> i32 {
        match self {
            Dialect::Xm => VIR_FROM_XENXM,
            Dialect::Xl => VIR_FROM_XENXL,
        }
    }
}

/// An internal error of the shared Xen code.
pub fn internal(msg: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_XEN, msg)
}

/// A `VIR_ERR_CONFIG_UNSUPPORTED` error in `domain`.
pub fn unsupported(domain: i32, msg: impl AsRef<str>) -> Error {
    Error::with(domain, VIR_ERR_CONFIG_UNSUPPORTED, msg)
}

/// A `VIR_ERR_CONF_SYNTAX` error in `domain`.
pub fn syntax(domain: i32, msg: impl AsRef<str>) -> Error {
    Error::with(domain, VIR_ERR_CONF_SYNTAX, msg)
}

fn malformed(name: &str) -> Error {
    internal(format!("config value {name} was malformed"))
}

/// Parses a decimal number as C's `strtoul` family does for libvirt's
/// `virStrToLong_*`: leading blanks and a sign allowed, nothing after it.
pub fn parse_c_ulong(s: &str, radix: u32) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t = if radix == 16 {
        t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t)
    } else {
        t
    };
    if t.is_empty() || !t.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = u64::from_str_radix(t, radix).ok()?;
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Parses a C `int` the way `virStrToLong_i` does.
pub fn parse_c_int(s: &str, radix: u32) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if rest.starts_with(['-', '+']) {
        return None;
    }
    let n = parse_c_ulong(rest, radix)? as i64;
    let n = if neg { -n } else { n };
    (i32::MIN as i64..=i32::MAX as i64).contains(&n).then_some(n)
}

/// Typed reads of a config with the Xen code's defaults and messages.
pub struct Cfg<'a> {
    /// The parsed file.
    pub conf: &'a Conf,
}

impl Cfg<'_> {
    /// A boolean: a number (non-zero is true) or the string "1".
    pub fn bool(&self, name: &str, default: i64) -> Result<i64> {
        match self.conf.get(name) {
            None => Ok(default),
            Some(Value::UInt(n)) => Ok((*n != 0) as i64),
            Some(Value::String(s)) => Ok((s == "1") as i64),
            Some(_) => Err(malformed(name)),
        }
    }

    /// An unsigned number, written bare or as a decimal string.
    pub fn ulong(&self, name: &str, default: u64) -> Result<u64> {
        match self.conf.get(name) {
            None => Ok(default),
            Some(Value::UInt(n)) => Ok(*n),
            Some(Value::String(s)) => parse_c_ulong(s, 10).ok_or_else(|| malformed(name)),
            Some(_) => Err(malformed(name)),
        }
    }

    /// An optional string (a number or list is the config parser's type
    /// error).
    pub fn string(&self, name: &str) -> Result<Option<String>> {
        Ok(self.conf.get_string(name)?.map(str::to_string))
    }

    /// A string that must be there.
    pub fn required(&self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| internal(format!("config value {name} was missing")))
    }

    /// A list of strings, or `None` when the setting is absent or is not a
    /// list (libvirt then falls back to reading a single string); a list
    /// holding other values is an error.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.conf.get(name) {
            Some(Value::List(_)) => self.conf.get_string_list(name, false),
            _ => Ok(None),
        }
    }

    /// The strings of a list setting, skipping anything else in it (libvirt
    /// ignores non-string entries of device lists).
    pub fn list_strings(&self, name: &str) -> Vec<String> {
        match self.conf.get(name) {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Escapes text for an XML attribute or element.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A domain being read from a config, kept as domain XML pieces: the model's
/// own parser then applies libvirt's defaults and checks.
#[derive(Debug, Default)]
pub struct DomainXml {
    /// `name`.
    pub name: String,
    /// `uuid`, when given.
    pub uuid: Option<String>,
    /// `maxmem` in KiB.
    pub memory_kib: u64,
    /// `memory` in KiB.
    pub current_kib: u64,
    /// `vcpus`.
    pub vcpus: u64,
    /// `maxvcpus` (or `vcpus`).
    pub max_vcpus: u64,
    /// `cpus`.
    pub cpuset: Option<String>,
    /// `hvm`, `xen` or `xenpvh`.
    pub os_type: &'static str,
    /// `<loader>` element.
    pub loader: Option<String>,
    /// `<kernel>`.
    pub kernel: Option<String>,
    /// `<initrd>`.
    pub initrd: Option<String>,
    /// `<cmdline>`.
    pub cmdline: Option<String>,
    /// `<bootloader>`.
    pub bootloader: Option<String>,
    /// `<bootloader_args>`.
    pub bootloader_args: Option<String>,
    /// ACPI SLIC table.
    pub slic: Option<String>,
    /// `<boot dev>` values.
    pub boot: Vec<&'static str>,
    /// `<features>` children other than `<xen>`.
    pub features: Vec<String>,
    /// `<features><xen>` children.
    pub xen_features: Vec<String>,
    /// `<cpu>` element.
    pub cpu: Option<String>,
    /// `<clock>` attributes.
    pub clock: String,
    /// `<timer>` elements.
    pub timers: Vec<String>,
    /// Lifecycle actions.
    pub on_poweroff: String,
    /// Lifecycle actions.
    pub on_reboot: String,
    /// Lifecycle actions.
    pub on_crash: String,
    /// `<emulator>`.
    pub emulator: Option<String>,
    /// Device elements, in the order libvirt adds them.
    pub devices: Vec<String>,
    /// Whether graphics were configured (a video adapter is added).
    pub has_graphics: bool,
    /// Extra attributes of the xenbus controller.
    pub xenbus_attrs: String,
    /// `<xen:commandline>` arguments.
    pub commandline: Vec<String>,
}

fn opt_el(out: &mut String, indent: &str, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        out.push_str(&format!("{indent}<{name}>{}</{name}>\n", esc(v)));
    }
}

impl DomainXml {
    /// Whether this is an HVM guest.
    pub fn hvm(&self) -> bool {
        self.os_type == "hvm"
    }

    /// The document, with the devices libvirt's Xen driver adds to every
    /// definition: the xenbus controller, a mouse and keyboard, a video
    /// adapter for graphics, and the Xen balloon.
    pub fn to_xml(&self) -> String {
        let mut x = String::from("<domain type='xen'");
        if !self.commandline.is_empty() {
            x.push_str(" xmlns:xen='http://libvirt.org/schemas/domain/xen/1.0'");
        }
        x.push_str(">\n");
        x.push_str(&format!("  <name>{}</name>\n", esc(&self.name)));
        if let Some(u) = &self.uuid {
            x.push_str(&format!("  <uuid>{}</uuid>\n", esc(u)));
        }
        x.push_str(&format!("  <memory unit='KiB'>{}</memory>\n", self.memory_kib));
        x.push_str(&format!(
            "  <currentMemory unit='KiB'>{}</currentMemory>\n",
            self.current_kib
        ));
        let mut vcpu = String::from("  <vcpu");
        if let Some(c) = &self.cpuset {
            vcpu.push_str(&format!(" cpuset='{}'", esc(c)));
        }
        if self.vcpus != self.max_vcpus {
            vcpu.push_str(&format!(" current='{}'", self.vcpus));
        }
        x.push_str(&format!("{vcpu}>{}</vcpu>\n", self.max_vcpus));
        opt_el(&mut x, "  ", "bootloader", &self.bootloader);
        opt_el(&mut x, "  ", "bootloader_args", &self.bootloader_args);
        let machine = match self.os_type {
            "hvm" => "xenfv",
            "xenpvh" => "xenpvh",
            _ => "xenpv",
        };
        x.push_str(&format!(
            "  <os>\n    <type arch='x86_64' machine='{machine}'>{}</type>\n",
            self.os_type
        ));
        if let Some(l) = &self.loader {
            x.push_str(&format!("    {l}\n"));
        }
        opt_el(&mut x, "    ", "kernel", &self.kernel);
        opt_el(&mut x, "    ", "initrd", &self.initrd);
        opt_el(&mut x, "    ", "cmdline", &self.cmdline);
        if let Some(s) = &self.slic {
            x.push_str(&format!(
                "    <acpi><table type='slic'>{}</table></acpi>\n",
                esc(s)
            ));
        }
        for b in &self.boot {
            x.push_str(&format!("    <boot dev='{b}'/>\n"));
        }
        x.push_str("  </os>\n");
        if !self.features.is_empty() || !self.xen_features.is_empty() {
            x.push_str("  <features>\n");
            for f in &self.features {
                x.push_str(&format!("    {f}\n"));
            }
            if !self.xen_features.is_empty() {
                x.push_str("    <xen>\n");
                for f in &self.xen_features {
                    x.push_str(&format!("      {f}\n"));
                }
                x.push_str("    </xen>\n");
            }
            x.push_str("  </features>\n");
        }
        if let Some(c) = &self.cpu {
            x.push_str(&format!("  {c}\n"));
        }
        x.push_str(&format!("  <clock {}>\n", self.clock));
        for t in &self.timers {
            x.push_str(&format!("    {t}\n"));
        }
        x.push_str("  </clock>\n");
        for (n, v) in [
            ("on_poweroff", &self.on_poweroff),
            ("on_reboot", &self.on_reboot),
            ("on_crash", &self.on_crash),
        ] {
            x.push_str(&format!("  <{n}>{}</{n}>\n", esc(v)));
        }
        x.push_str("  <devices>\n");
        opt_el(&mut x, "    ", "emulator", &self.emulator);
        for d in &self.devices {
            x.push_str(&format!("    {d}\n"));
        }
        x.push_str(&format!(
            "    <controller type='xenbus' index='0'{}/>\n",
            self.xenbus_attrs
        ));
        let bus = if self.hvm() { "ps2" } else { "xen" };
        x.push_str(&format!("    <input type='mouse' bus='{bus}'/>\n"));
        x.push_str(&format!("    <input type='keyboard' bus='{bus}'/>\n"));
        if self.has_graphics {
            x.push_str(if self.hvm() {
                "    <video><model type='cirrus' vram='8192' heads='1' primary='yes'/></video>\n"
            } else {
                "    <video><model type='xen' vram='4096' heads='1' primary='yes'/></video>\n"
            });
        }
        x.push_str("    <memballoon model='xen'/>\n  </devices>\n");
        if !self.commandline.is_empty() {
            x.push_str("  <xen:commandline>\n");
            for a in &self.commandline {
                x.push_str(&format!("    <xen:arg value='{}'/>\n", esc(a)));
            }
            x.push_str("  </xen:commandline>\n");
        }
        x.push_str("</domain>\n");
        x
    }

    /// The definition, through the domain model's parser.
    pub fn finish(&self) -> Result<DomainDef> {
        let mut def = domain::parse(
            &self.to_xml(),
            &ParseOptions {
                profile: &Profile::XEN,
                inactive: true,
            },
        )?;
        // The XML parser gives Open vSwitch ports a generated interface id;
        // libvirt's converter builds its definition without one.
        for net in &mut def.devices.interfaces {
            if let Some(vp) = &mut net.virtualport {
                vp.params = Default::default();
            }
        }
        Ok(def)
    }
}

/// Parses config text as `virConfReadString` does.
pub fn read_conf(config: &str) -> Result<Conf> {
    Conf::parse_string(config)
}

/// The definition as libvirt's formatter writes it (inactive, with
/// passwords), as an element tree to read settings from.
pub fn canonical(def: &DomainDef) -> Result<Element> {
    let xml = domain::format(
        def,
        &FormatOptions {
            secure: true,
            inactive: true,
            ..Default::default()
        },
    );
    dom::parse(&xml).map_err(|e| internal(format!("cannot read back the definition: {}", e.message)))
}

/// Default memory in MiB when `memory` is absent.
pub fn default_memory_mib() -> u64 {
    MIN_XEN_GUEST_SIZE * 2
}

/// A config being written.
pub struct Out {
    /// The entries so far.
    pub conf: Conf,
}

impl Out {
    /// A new, empty config.
    pub fn new() -> Out {
        Out { conf: Conf::new() }
    }

    /// Sets a string.
    pub fn str(&mut self, name: &str, v: impl Into<String>) {
        self.conf.set(name, Value::String(v.into()));
    }

    /// Sets a number.
    pub fn int(&mut self, name: &str, v: i64) {
        self.conf.set(name, Value::Int(v));
    }

    /// Sets a list of strings (nothing when empty, as libvirt skips them).
    pub fn list(&mut self, name: &str, items: Vec<String>) {
        if !items.is_empty() {
            self.conf
                .set(name, Value::List(items.into_iter().map(Value::String).collect()));
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.conf.format()
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}
