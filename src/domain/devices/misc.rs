//! The smaller device kinds: lease, filesystem, input, sound, audio,
//! watchdog, memballoon, rng, tpm, nvram, panic, shmem, memory, iommu,
//! vsock, hub, redirdev, redirfilter, smartcard.

use super::address::*;
use super::chardev::{self, ChrSource};
use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

const VIRTIO_MODELS: &[&str] = &[
    "default",
    "virtio",
    "virtio-transitional",
    "virtio-non-transitional",
];
const VIRTIO_OPTS: &[(&str, Kind)] = &[
    ("iommu", Kind::OnOff),
    ("ats", Kind::OnOff),
    ("packed", Kind::OnOff),
    ("page_per_vq", Kind::OnOff),
];

fn driver_out<'a>(o: &mut Out<'a>, a: &'a Attrs) {
    if !a.is_empty() {
        let mut x = Out::new("driver");
        a.write_to(&mut x);
        o.push(x);
    }
}

fn read_driver(el: &Element, table: &[(&str, Kind)]) -> Result<Attrs> {
    match el.child("driver") {
        Some(d) => Attrs::read(d, table),
        None => Ok(Attrs::default()),
    }
}

/// Bytes from an element's text and `unit` attribute (default `def_unit`).
pub fn scaled(el: &Element, def_unit: &str) -> Result<u64> {
    scaled_as(el, def_unit, &format!("./{}[1]", el.name))
}

/// [`scaled`], naming the element as `xpath` in the error.
pub fn scaled_as(el: &Element, def_unit: &str, xpath: &str) -> Result<u64> {
    let text = el.text();
    let t = text.trim();
    let v = to_ull(t, 10).ok_or_else(|| {
        xml_err(
            VIR_FROM_XML,
            format!("Invalid value '{t}' for element or attribute '{xpath}'"),
        )
    })?;
    unit_bytes(v, xattr(el, "unit").unwrap_or(def_unit))
}

/// `value` in `unit` as bytes, with libvirt's unit names.
pub fn unit_bytes(v: u64, unit: &str) -> Result<u64> {
    let f: u64 = match unit {
        "b" | "bytes" => 1,
        "KB" => 1000,
        "k" | "K" | "KiB" => 1024,
        "MB" => 1_000_000,
        "m" | "M" | "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "g" | "G" | "GiB" => 1 << 30,
        "TB" => 1_000_000_000_000,
        "t" | "T" | "TiB" => 1 << 40,
        "PB" => 1_000_000_000_000_000,
        "p" | "P" | "PiB" => 1 << 50,
        "EB" => 1_000_000_000_000_000_000,
        "e" | "E" | "EiB" => 1 << 60,
        _ => {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_INVALID_ARG,
                format!("unknown suffix '{unit}'"),
            ))
        }
    };
    v.checked_mul(f).ok_or_else(|| {
        Error::with(
            VIR_FROM_NONE,
            VIR_ERR_OVERFLOW,
            format!("value too large: {v}{unit}"),
        )
    })
}

/// A size in KiB, rounded up, from an element with a `unit` (default KiB).
pub fn scaled_kib(el: &Element) -> Result<u64> {
    Ok(scaled(el, "KiB")?.div_ceil(1024))
}

fn kib_out(name: &str, kib: u64) -> Out<'_> {
    let mut x = Out::text(name, kib.to_string());
    x.a("unit", "KiB");
    x
}

// ---------------------------------------------------------------- lease

/// A `<lease>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lease {
    /// `<lockspace>`.
    pub lockspace: Option<String>,
    /// `<key>`.
    pub key: String,
    /// `<target path>`.
    pub path: String,
    /// `<target offset>`.
    pub offset: Option<u64>,
}

/// Reads a `<lease>`.
pub fn parse_lease(el: &Element) -> Result<Lease> {
    let key = el
        .child_text("key")
        .ok_or_else(|| dom_xml_err("Missing 'key' element for lease"))?;
    // libvirt 9.0 fails a lease without lockspace without saying why.
    let Some(lockspace) = el.child_text("lockspace") else {
        return Err(Error::unknown_cause());
    };
    let t = el
        .child("target")
        .ok_or_else(|| dom_xml_err("Missing 'target' element for lease"))?;
    let path = attr(t, "path")
        .ok_or_else(|| dom_xml_err("Missing 'path' attribute to 'target' element for lease"))?;
    let offset = prop_ull(t, "offset", 10)?.filter(|o| *o != 0);
    Ok(Lease {
        lockspace: Some(lockspace),
        key,
        path,
        offset,
    })
}

/// Writes a `<lease>`.
pub fn format_lease(l: &Lease) -> Out<'_> {
    let mut o = Out::new("lease");
    o.t("lockspace", l.lockspace.as_ref()).t("key", Some(&l.key));
    let mut t = Out::new("target");
    t.a("path", &l.path).o("offset", l.offset);
    o.push(t);
    o
}

// ----------------------------------------------------------- filesystem

/// A `<filesystem>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filesystem {
    /// `type`.
    pub kind: String,
    /// `accessmode`.
    pub accessmode: String,
    /// `multidevs`, `fmode`, `dmode` in libvirt's order.
    pub attrs: Attrs,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// `<binary>` attributes.
    pub binary: Option<Attrs>,
    /// `<binary>` children: (element, attributes).
    pub binary_kids: Vec<(String, Attrs)>,
    /// `<source>` attributes.
    pub source: Attrs,
    /// `<target dir>`.
    pub target: String,
    /// `<readonly/>`.
    pub readonly: bool,
    /// `<space_hard_limit>` bytes.
    pub space_hard_limit: Option<u64>,
    /// `<space_soft_limit>` bytes.
    pub space_soft_limit: Option<u64>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<filesystem>`.
pub fn parse_filesystem(el: &Element) -> Result<Filesystem> {
    let kind = prop_enum(
        el,
        "type",
        &["mount", "block", "file", "template", "ram", "bind", "volume"],
        false,
    )?
    .unwrap_or_else(|| "mount".into());
    let accessmode = match xattr(el, "accessmode") {
        None => "passthrough".to_string(),
        Some(a) if ["passthrough", "mapped", "squash"].contains(&a) => a.to_string(),
        Some(a) => return Err(bad_value(el, "accessmode", a, "")),
    };
    let mut f = Filesystem {
        kind: kind.clone(),
        accessmode,
        ..Default::default()
    };
    if let Some(m) = prop_enum(el, "multidevs", &["default", "remap", "forbid", "warn"], true)? {
        f.attrs.set("multidevs", m);
    }
    for name in ["fmode", "dmode"] {
        if let Some(n) = prop_uint(el, name, 8)?.filter(|n| *n != 0) {
            if n > 0o777 {
                return Err(dom_xml_err(format!(
                    "invalid {name}: '{}'",
                    el.attr(name).unwrap_or("")
                )));
            }
            f.attrs.set(name, format!("{n:04o}"));
        }
    }
    if let Some(d) = el.child("driver") {
        let mut a = Attrs::read(
            d,
            &[
                (
                    "type",
                    Kind::Enum(&["default", "path", "handle", "loop", "nbd", "ploop", "virtiofs"]),
                ),
                ("format", Kind::Str),
                ("wrpolicy", Kind::Enum(&["default", "immediate"])),
                ("iommu", Kind::OnOff),
                ("ats", Kind::OnOff),
                ("packed", Kind::OnOff),
                ("page_per_vq", Kind::OnOff),
            ],
        )?;
        if let Some(fmt) = a.get("format").map(str::to_string) {
            if !super::disk::FORMATS[1..].contains(&fmt.as_str()) {
                return Err(unsupported(format!("unknown driver format value '{fmt}'")));
            }
            a.set("format", fmt);
        }
        if let Some(q) = xattr(d, "queue") {
            let n = to_ull_wrapping(q, 10)
                .ok_or_else(|| dom_xml_err(format!("cannot parse queue size '{q}' for virtiofs")))?;
            let n = Some(n).filter(|n| *n != 0);
            // The queue size sits after the format in libvirt's output.
            let mut ordered = Attrs::default();
            if let Some(n) = n {
                for (k, v) in a.0.iter() {
                    ordered.set(k, v.clone());
                    if k == "format" || (k == "type" && a.get("format").is_none()) {
                        ordered.set("queue", n.to_string());
                    }
                }
                if ordered.get("queue").is_none() {
                    ordered.set("queue", n.to_string());
                }
            } else {
                ordered = a.clone();
            }
            a = ordered;
        }
        f.driver = a;
    }
    // The daemon's settings only exist for virtiofs.
    if let Some(b) = el
        .child("binary")
        .filter(|_| f.driver.get("type") == Some("virtiofs"))
    {
        let mut a = Attrs::read(b, &[("path", Kind::Str), ("xattr", Kind::OnOff)])?;
        if a.get("path") == Some("") {
            a.remove("path");
        }
        f.binary = Some(a);
        let kids: &[(&str, &[(&str, Kind)])] = &[
            ("cache", &[("mode", Kind::EnumNz(&["default", "none", "always"]))]),
            (
                "sandbox",
                &[("mode", Kind::EnumNz(&["default", "namespace", "chroot"]))],
            ),
            ("lock", &[("posix", Kind::OnOff), ("flock", Kind::OnOff)]),
            ("thread_pool", &[]),
        ];
        for (name, table) in kids {
            if let Some(c) = b.child(name) {
                let mut a = Attrs::read(c, table)?;
                if *name == "thread_pool" {
                    if let Some(v) = xattr(c, "size") {
                        let n = to_int(v, 10).ok_or_else(|| {
                            dom_xml_err(format!("cannot parse thread pool size '{v}' for virtiofs"))
                        })?;
                        // -1 is "unset".
                        if n != -1 {
                            a.set("size", n.to_string());
                        }
                    }
                }
                if !a.is_empty() {
                    f.binary_kids.push((name.to_string(), a));
                }
            }
        }
    }
    let src = el.child("source");
    if let Some(s) = src {
        f.source = match kind.as_str() {
            "mount" | "bind" => Attrs::read(s, &[("dir", Kind::Str), ("socket", Kind::Str)])?,
            "block" => Attrs::read(s, &[("dev", Kind::Str)])?,
            "file" => Attrs::read(s, &[("file", Kind::Str)])?,
            "template" => Attrs::read(s, &[("name", Kind::Str)])?,
            "volume" => Attrs::read(s, &[("pool", Kind::Str), ("volume", Kind::Str)])?,
            "ram" => {
                let usage = s
                    .attr("usage")
                    .ok_or_else(|| dom_xml_err("missing 'usage' attribute for RAM filesystem"))?;
                let n = to_ull_wrapping(usage, 10)
                    .ok_or_else(|| dom_xml_err(format!("cannot parse usage '{usage}' for RAM filesystem")))?;
                let kib = unit_bytes(n, xattr(s, "units").unwrap_or("KiB"))?.div_ceil(1024);
                let mut a = Attrs::default();
                a.set("usage", kib.to_string());
                a.set("units", "KiB");
                a
            }
            _ => Attrs::default(),
        };
    }
    f.target = el
        .child("target")
        .and_then(|t| attr(t, "dir"))
        .unwrap_or_default();
    f.readonly = el.child("readonly").is_some();
    if let Some(x) = el
        .child("space_hard_limit")
        .filter(|e| !e.text().trim().is_empty())
    {
        f.space_hard_limit = Some(scaled(x, "bytes")?);
    }
    if let Some(x) = el
        .child("space_soft_limit")
        .filter(|e| !e.text().trim().is_empty())
    {
        f.space_soft_limit = Some(scaled(x, "bytes")?);
    }
    if kind == "ram" && src.is_none() {
        return Err(dom_xml_err("missing 'usage' attribute for RAM filesystem"));
    }
    let has_source = !f.source.is_empty() || kind == "ram";
    let source_name = f.source.0.first().map(|(_, v)| v.clone()).unwrap_or_default();
    if !has_source && f.source.get("socket").is_none() {
        return Err(Error::with(VIR_FROM_DOMAIN, VIR_ERR_NO_SOURCE, &f.target));
    }
    if f.target.is_empty() {
        // Volumes and RAM filesystems have no path to name.
        let named = matches!(kind.as_str(), "mount" | "bind" | "block" | "file" | "template");
        return Err(Error::new(
            VIR_FROM_DOMAIN,
            VIR_ERR_NO_TARGET,
            named.then_some(source_name.as_str()),
        ));
    }
    f.info = parse_info(el, INFO_PLAIN)?;
    Ok(f)
}

/// Writes a `<filesystem>`.
pub fn format_filesystem(f: &Filesystem) -> Out<'_> {
    let mut o = Out::new("filesystem");
    o.a("type", &f.kind);
    // An externally started virtiofsd owns the access mode.
    if f.source.get("socket").is_none() {
        o.a("accessmode", &f.accessmode);
    }
    f.attrs.write_to(&mut o);
    driver_out(&mut o, &f.driver);
    if let Some(b) = &f.binary {
        let mut x = Out::new("binary");
        b.write_to(&mut x);
        for (name, a) in &f.binary_kids {
            let mut y = Out::new(name);
            a.write_to(&mut y);
            x.push(y);
        }
        if !x.is_bare() {
            o.push(x);
        }
    }
    let mut s = Out::new("source");
    f.source.write_to(&mut s);
    o.push(s);
    let mut t = Out::new("target");
    t.a("dir", &f.target);
    o.push(t);
    if f.readonly {
        o.push(Out::new("readonly"));
    }
    for (name, v) in [
        ("space_hard_limit", f.space_hard_limit),
        ("space_soft_limit", f.space_soft_limit),
    ] {
        if let Some(v) = v {
            let mut x = Out::text(name, v.to_string());
            x.a("unit", "bytes");
            o.push(x);
        }
    }
    format_info(&mut o, &f.info);
    o
}

// ---------------------------------------------------------------- input

/// An `<input>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    /// `type`.
    pub kind: String,
    /// `bus` (filled in when absent).
    pub bus: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `<source>` attributes.
    pub source: Attrs,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads an `<input>`; `os_type` decides the default bus.
pub fn parse_input(el: &Element, os_type: &str) -> Result<Input> {
    let kind = match el.attr("type") {
        None => return Err(internal("missing input device type")),
        Some(t) if ["mouse", "tablet", "keyboard", "passthrough", "evdev"].contains(&t) => t.to_string(),
        Some(t) => return Err(unsupported(format!("unknown input device type '{t}'"))),
    };
    let bus = match el.attr("bus") {
        None => None,
        Some(b) if ["ps2", "usb", "xen", "parallels", "virtio", "none"].contains(&b) => Some(b.to_string()),
        Some(b) => return Err(unsupported(format!("unknown input bus type '{b}'"))),
    };
    let mut i = Input {
        kind: kind.clone(),
        bus,
        model: match el.attr("model") {
            None => None,
            Some(m) if VIRTIO_MODELS[1..].contains(&m) => Some(m.to_string()),
            Some(m) => return Err(unsupported(format!("unknown input model '{m}'"))),
        },
        ..Default::default()
    };
    if let Some(s) = el.child("source") {
        i.source = match kind.as_str() {
            "passthrough" => Attrs::read(s, &[("evdev", Kind::Str)])?,
            "evdev" => Attrs::read(
                s,
                &[
                    ("dev", Kind::Str),
                    ("grab", Kind::EnumNz(&["default", "all"])),
                    (
                        "grabToggle",
                        Kind::EnumNz(&[
                            "default",
                            "ctrl-ctrl",
                            "alt-alt",
                            "shift-shift",
                            "meta-meta",
                            "scrolllock",
                            "ctrl-scrolllock",
                        ]),
                    ),
                    ("repeat", Kind::OnOff),
                ],
            )?,
            _ => Attrs::default(),
        };
    }
    i.driver = read_driver(el, VIRTIO_OPTS)?;
    let hvm = os_type == "hvm";
    match i.bus.as_deref() {
        None => {
            i.bus = Some(
                match kind.as_str() {
                    "passthrough" => "virtio",
                    "evdev" => "none",
                    _ if hvm && kind == "tablet" => "usb",
                    _ if hvm => "ps2",
                    _ => "xen",
                }
                .to_string(),
            );
            if kind == "evdev" {
                i.bus = None;
            }
        }
        Some(b) => {
            if hvm && b == "xen" {
                return Err(Error::internal(
                    VIR_FROM_DOMAIN,
                    format!("unsupported input bus {b}"),
                ));
            }
            if hvm && b == "ps2" && kind == "tablet" {
                return Err(Error::internal(
                    VIR_FROM_DOMAIN,
                    "ps2 bus does not support tablet input device",
                ));
            }
            if !hvm && b != "xen" && matches!(os_type, "xen" | "linux" | "xenpvh") {
                return Err(Error::internal(
                    VIR_FROM_DOMAIN,
                    format!("unsupported input bus {b}"),
                ));
            }
        }
    }
    i.info = parse_info(el, INFO_PLAIN)?;
    Ok(i)
}

/// Writes an `<input>`.
pub fn format_input(i: &Input) -> Out<'_> {
    let mut o = Out::new("input");
    o.a("type", &i.kind)
        .o("bus", i.bus.as_ref())
        .o("model", i.model.as_ref());
    if !i.source.is_empty() {
        let mut s = Out::new("source");
        i.source.write_to(&mut s);
        o.push(s);
    }
    driver_out(&mut o, &i.driver);
    format_info(&mut o, &i.info);
    o
}

// ---------------------------------------------------------------- sound

/// A `<sound>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sound {
    /// `model`.
    pub model: String,
    /// `<codec type>`s.
    pub codecs: Vec<String>,
    /// `<audio id>`.
    pub audio: Option<u32>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<sound>`.
pub fn parse_sound(el: &Element) -> Result<Sound> {
    let model = prop_enum_req(
        el,
        "model",
        &[
            "", "sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "ich7",
        ],
    )?;
    let mut s = Sound {
        model: model.clone(),
        ..Default::default()
    };
    if matches!(model.as_str(), "ich6" | "ich9" | "ich7") {
        for c in el.children_named("codec") {
            match c.attr("type") {
                Some(t) if ["duplex", "micro", "output"].contains(&t) => s.codecs.push(t.to_string()),
                t => return Err(unsupported(format!("unknown codec type '{}'", t.unwrap_or("")))),
            }
        }
    }
    if let Some(a) = el.child("audio") {
        s.audio = prop_uint_nonzero(a, "id", 10)?;
    }
    s.info = parse_info(el, INFO_PLAIN)?;
    Ok(s)
}

/// Writes a `<sound>`.
pub fn format_sound(s: &Sound) -> Out<'_> {
    let mut o = Out::new("sound");
    o.a("model", &s.model);
    for c in &s.codecs {
        let mut x = Out::new("codec");
        x.a("type", c);
        o.push(x);
    }
    if let Some(id) = s.audio {
        let mut x = Out::new("audio");
        x.a("id", id);
        o.push(x);
    }
    format_info(&mut o, &s.info);
    o
}

// ---------------------------------------------------------------- audio

/// An `<audio>` backend.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audio {
    /// `id`.
    pub id: u32,
    /// `type`.
    pub kind: String,
    /// Type-specific attributes.
    pub attrs: Attrs,
    /// `<input>`: attributes and `<settings>` attributes.
    pub input: Option<(Attrs, Attrs)>,
    /// `<output>`: attributes and `<settings>` attributes.
    pub output: Option<(Attrs, Attrs)>,
}

fn audio_dir(el: &Element, kind: &str) -> Result<(Attrs, Attrs)> {
    let mut table: Vec<(&str, Kind)> = vec![
        ("mixingEngine", Kind::YesNo),
        ("fixedSettings", Kind::YesNo),
        ("voices", Kind::UintNz(10)),
        ("bufferLength", Kind::UintNz(10)),
    ];
    match kind {
        "alsa" | "oss" => table.push(("dev", Kind::Str)),
        "pulseaudio" => {
            table.push(("name", Kind::Str));
            table.push(("streamName", Kind::Str));
            table.push(("latency", Kind::Uint(10)));
        }
        "coreaudio" => table.push(("bufferCount", Kind::Uint(10))),
        "jack" => {
            table.push(("serverName", Kind::Str));
            table.push(("clientName", Kind::Str));
            table.push(("connectPorts", Kind::Str));
            table.push(("exactName", Kind::YesNo));
        }
        "sdl" => table.push(("bufferCount", Kind::Uint(10))),
        _ => {}
    }
    if kind == "oss" {
        table.push(("tryPoll", Kind::YesNo));
        table.push(("bufferCount", Kind::Uint(10)));
    }
    let a = Attrs::read(el, &table)?;
    let s = match el.child("settings") {
        Some(s) => Attrs::read(
            s,
            &[
                ("frequency", Kind::UintNz(10)),
                ("channels", Kind::UintNz(10)),
                (
                    "format",
                    Kind::EnumNz(&["default", "s8", "u8", "s16", "u16", "s32", "u32", "f32"]),
                ),
            ],
        )?,
        None => Attrs::default(),
    };
    if a.get("fixedSettings") == Some("yes") && a.get("mixingEngine") == Some("no") {
        return Err(unsupported("fixed audio settings requires mixing engine"));
    }
    if a.get("fixedSettings") != Some("yes") && !s.is_empty() {
        return Err(unsupported(
            "audio settings specified without fixed settings flag",
        ));
    }
    Ok((a, s))
}

/// Reads an `<audio>`.
pub fn parse_audio(el: &Element) -> Result<Audio> {
    let id = prop_uint(el, "id", 10)?.ok_or_else(|| missing_attr(el, "id"))?;
    if id == 0 {
        return Err(xml_err(
            VIR_FROM_XML,
            "Invalid value for attribute 'id' in element 'audio': Zero is not permitted",
        ));
    }
    let kind = prop_enum_req(
        el,
        "type",
        &[
            "",
            "none",
            "alsa",
            "coreaudio",
            "jack",
            "oss",
            "pulseaudio",
            "sdl",
            "spice",
            "file",
            "dbus",
        ],
    )?;
    let table: &[(&str, Kind)] = match kind.as_str() {
        "oss" => &[
            ("tryMMap", Kind::YesNo),
            ("exclusive", Kind::YesNo),
            ("dspPolicy", Kind::Str),
        ],
        "pulseaudio" => &[("serverName", Kind::Str)],
        "sdl" => &[(
            "driver",
            Kind::EnumNz(&["default", "esd", "alsa", "arts", "pulseaudio"]),
        )],
        "file" => &[("path", Kind::Str)],
        "coreaudio" | "jack" | "alsa" | "none" | "spice" | "dbus" => &[],
        _ => &[],
    };
    let mut a = Audio {
        id,
        kind: kind.clone(),
        attrs: {
            let a = Attrs::read(el, table)?;
            if let Some(d) = a.get("dspPolicy") {
                let n =
                    to_int(d, 10).ok_or_else(|| bad_value(el, "dspPolicy", d, " Expected integer value"))?;
                if n < 0 {
                    return Err(dom_xml_err(format!("cannot parse 'dspPolicy' value '{d}'")));
                }
            }
            a
        },
        ..Default::default()
    };
    if let Some(i) = el.child("input") {
        a.input = Some(audio_dir(i, &kind)?);
    }
    if let Some(o) = el.child("output") {
        a.output = Some(audio_dir(o, &kind)?);
    }
    Ok(a)
}

/// Writes an `<audio>`.
pub fn format_audio(a: &Audio) -> Out<'_> {
    let mut o = Out::new("audio");
    o.a("id", a.id).a("type", &a.kind);
    a.attrs.write_to(&mut o);
    for (name, d) in [("input", &a.input), ("output", &a.output)] {
        if let Some((attrs, settings)) = d {
            let mut x = Out::new(name);
            attrs.write_to(&mut x);
            // Fixed settings are always written, even when all defaults.
            if !settings.is_empty() || attrs.get("fixedSettings") == Some("yes") {
                let mut s = Out::new("settings");
                settings.write_to(&mut s);
                x.push(s);
            }
            if !x.is_bare() {
                o.push(x);
            }
        }
    }
    o
}

// ------------------------------------------------------------- watchdog

/// A `<watchdog>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watchdog {
    /// `model`.
    pub model: String,
    /// `action` (libvirt writes `reset` when absent).
    pub action: String,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<watchdog>`.
pub fn parse_watchdog(el: &Element) -> Result<Watchdog> {
    let model = match el.attr("model") {
        None => return Err(internal("watchdog must contain model name")),
        Some(m) if ["i6300esb", "ib700", "diag288", "itco"].contains(&m) => m.to_string(),
        Some(m) => return Err(unsupported(format!("unknown watchdog model '{m}'"))),
    };
    let action = match el.attr("action") {
        None => "reset".to_string(),
        Some(a)
            if [
                "reset",
                "shutdown",
                "poweroff",
                "pause",
                "none",
                "dump",
                "inject-nmi",
            ]
            .contains(&a) =>
        {
            a.to_string()
        }
        Some(a) => return Err(unsupported(format!("unknown watchdog action '{a}'"))),
    };
    Ok(Watchdog {
        model,
        action,
        info: parse_info(el, INFO_PLAIN)?,
    })
}

/// Writes a `<watchdog>`.
pub fn format_watchdog(w: &Watchdog) -> Out<'_> {
    let mut o = Out::new("watchdog");
    o.a("model", &w.model).a("action", &w.action);
    format_info(&mut o, &w.info);
    o
}

// ----------------------------------------------------------- memballoon

/// A `<memballoon>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memballoon {
    /// `model`.
    pub model: String,
    /// `autodeflate`.
    pub autodeflate: Option<bool>,
    /// `freePageReporting`.
    pub free_page_reporting: Option<bool>,
    /// `<stats period>`.
    pub period: Option<i32>,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<memballoon>`.
pub fn parse_memballoon(el: &Element) -> Result<Memballoon> {
    let model = prop_enum_req(
        el,
        "model",
        &[
            "",
            "virtio",
            "xen",
            "none",
            "virtio-transitional",
            "virtio-non-transitional",
        ],
    )?;
    let mut m = Memballoon {
        model,
        autodeflate: prop_onoff(el, "autodeflate")?,
        free_page_reporting: prop_onoff(el, "freePageReporting")?,
        ..Default::default()
    };
    if let Some(s) = el.child("stats") {
        m.period = prop_int(s, "period", 10)?.filter(|p| *p > 0);
    }
    m.driver = read_driver(el, VIRTIO_OPTS)?;
    m.info = parse_info(el, INFO_PLAIN)?;
    Ok(m)
}

/// Writes a `<memballoon>`.
pub fn format_memballoon(m: &Memballoon) -> Out<'_> {
    let mut o = Out::new("memballoon");
    o.a("model", &m.model)
        .o("autodeflate", m.autodeflate.map(onoff))
        .o("freePageReporting", m.free_page_reporting.map(onoff));
    if let Some(p) = m.period {
        let mut x = Out::new("stats");
        x.a("period", p);
        o.push(x);
    }
    // The balloon writes its virtio options after its address.
    format_info(&mut o, &m.info);
    driver_out(&mut o, &m.driver);
    o
}

// ------------------------------------------------------------------ rng

/// An `<rng>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rng {
    /// `model`.
    pub model: String,
    /// `<rate>` attributes.
    pub rate: Option<Attrs>,
    /// `<backend model>`.
    pub backend: String,
    /// The random backend's device path.
    pub path: Option<String>,
    /// The egd backend's character device.
    pub egd: Option<ChrSource>,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads an `<rng>`.
pub fn parse_rng(el: &Element) -> Result<Rng> {
    let model = match el.attr("model") {
        None => return Err(dom_xml_err("missing RNG device model")),
        Some(m) if VIRTIO_MODELS[1..].contains(&m) => m.to_string(),
        Some(m) => return Err(unsupported(format!("unknown RNG model '{m}'"))),
    };
    let mut r = Rng {
        model,
        ..Default::default()
    };
    if let Some(rate) = el.child("rate") {
        // A rate without bytes is ignored altogether.
        if xattr(rate, "bytes").is_some() {
            let mut a = Attrs::default();
            for name in ["bytes", "period"] {
                if let Some(v) = xattr(rate, name) {
                    let n = to_uint(v, 10)
                        .ok_or_else(|| dom_xml_err(format!("invalid RNG rate {name} value")))?;
                    if n != 0 || name == "bytes" {
                        a.set(name, n.to_string());
                    }
                }
            }
            r.rate = Some(a);
        }
    }
    if el.children_named("backend").count() != 1 {
        return Err(dom_xml_err("only one RNG backend is supported"));
    }
    let b = el
        .child("backend")
        .ok_or_else(|| dom_xml_err("only one RNG backend is supported"))?;
    let bm = match b.attr("model") {
        None => return Err(dom_xml_err("missing RNG device backend model")),
        Some(m) if ["random", "egd", "builtin"].contains(&m) => m.to_string(),
        Some(m) => return Err(unsupported(format!("unknown RNG backend model '{m}'"))),
    };
    match bm.as_str() {
        "random" => {
            let t = b.text();
            r.path = Some(if t.is_empty() { "/dev/random".into() } else { t });
        }
        "egd" => {
            let t = match b.attr("type") {
                None => return Err(dom_xml_err("missing EGD backend type")),
                Some(t) if chardev::SOURCE_TYPES.contains(&t) => t,
                Some(t) => return Err(unsupported(format!("unknown backend type '{t}' for egd"))),
            };
            let s = chardev::parse_source(b, t, true)?;
            chardev::validate_source(&s)?;
            r.egd = Some(s);
        }
        _ => {}
    }
    r.backend = bm;
    r.driver = read_driver(el, VIRTIO_OPTS)?;
    r.info = parse_info(el, INFO_PLAIN)?;
    Ok(r)
}

/// Writes an `<rng>`.
pub fn format_rng(r: &Rng) -> Out<'_> {
    let mut o = Out::new("rng");
    o.a("model", &r.model);
    if let Some(rate) = r
        .rate
        .as_ref()
        .filter(|r| r.get("bytes").is_some_and(|b| b != "0"))
    {
        let mut x = Out::new("rate");
        rate.write_to(&mut x);
        o.push(x);
    }
    let mut b = match (&r.path, &r.egd) {
        (Some(p), _) => Out::text("backend", p.clone()),
        _ => Out::new("backend"),
    };
    b.a("model", &r.backend);
    if let Some(s) = &r.egd {
        b.a("type", &s.kind);
        chardev::format_source(&mut b, s);
    }
    o.push(b);
    driver_out(&mut o, &r.driver);
    format_info(&mut o, &r.info);
    o
}

// ------------------------------------------------------------------ tpm

/// A `<tpm>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tpm {
    /// `model`.
    pub model: Option<String>,
    /// `<backend type>`.
    pub backend: String,
    /// Backend attributes (`version`, `persistent_state`).
    pub backend_attrs: Attrs,
    /// passthrough `<device path>`.
    pub device_path: Option<String>,
    /// external `<source type path>`.
    pub source: Option<Attrs>,
    /// emulator `<encryption secret>`.
    pub encryption: Option<String>,
    /// emulator `<active_pcr_banks>`.
    pub pcr_banks: Vec<String>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<tpm>`.
pub fn parse_tpm(el: &Element) -> Result<Tpm> {
    let model = prop_enum(
        el,
        "model",
        &["default", "tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy"],
        false,
    )?;
    match el.children_named("backend").count() {
        0 => return Err(dom_xml_err("missing TPM device backend")),
        1 => {}
        _ => return Err(dom_xml_err("only one TPM backend is supported")),
    }
    let b = el
        .child("backend")
        .ok_or_else(|| dom_xml_err("only one TPM backend is supported"))?;
    let kind = prop_enum_req(b, "type", &["passthrough", "emulator", "external"]).or_else(|e| {
        match b.attr("type") {
            Some("passthrough") => Ok("passthrough".to_string()),
            _ => Err(e),
        }
    })?;
    let mut t = Tpm {
        model,
        backend: kind.clone(),
        ..Default::default()
    };
    match kind.as_str() {
        "passthrough" => {
            t.device_path = Some(
                b.child("device")
                    .and_then(|d| attr_nonempty(d, "path"))
                    .unwrap_or_else(|| "/dev/tpm0".into()),
            );
        }
        "emulator" => {
            let mut a = Attrs::default();
            if let Some(v) = prop_enum(b, "version", &["default", "1.2", "2.0"], false)? {
                a.set("version", v);
            }
            if let Some(v) = b.attr("persistent_state") {
                let yes = match v {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(internal("Invalid persistent_state value, either 'yes' or 'no'")),
                };
                if yes {
                    a.set("persistent_state", "yes");
                }
            }
            t.backend_attrs = a;
            if let Some(e) = b.child("encryption").filter(|e| xattr(e, "secret").is_some()) {
                let u = e.attr("secret").unwrap_or("");
                let uuid = crate::domain::Uuid::parse(u)
                    .ok_or_else(|| internal(format!("Unable to parse secret uuid '{u}'")))?;
                t.encryption = Some(uuid.to_string());
            }
            if let Some(p) = b.child("active_pcr_banks") {
                for bank in ["sha1", "sha256", "sha384", "sha512"] {
                    if p.child(bank).is_some() {
                        t.pcr_banks.push(bank.to_string());
                    }
                }
            }
        }
        "external" => {
            if b.child("source").is_none() {
                return Err(dom_xml_err("missing external TPM backend type"));
            }
            if b.children_named("source").count() > 1 {
                return Err(dom_xml_err(
                    "only one source element is allowed for character device",
                ));
            }
            if let Some(s) = b.child("source") {
                match xattr(s, "type") {
                    None => return Err(dom_xml_err("missing external TPM backend type")),
                    Some("unix") => {}
                    Some(x) => {
                        return Err(unsupported(format!(
                            "unknown backend type '{x}' for external TPM"
                        )))
                    }
                }
                t.source = Some(Attrs::read(
                    s,
                    &[
                        ("type", Kind::Str),
                        ("mode", Kind::EnumNz(&["", "connect", "bind"])),
                        ("path", Kind::Str),
                    ],
                )?);
            }
        }
        _ => {}
    }
    t.info = parse_info(el, INFO_PLAIN)?;
    Ok(t)
}

/// Writes a `<tpm>`.
pub fn format_tpm(t: &Tpm) -> Out<'_> {
    let mut o = Out::new("tpm");
    o.o("model", t.model.as_ref());
    let mut b = Out::new("backend");
    b.a("type", &t.backend);
    t.backend_attrs.write_to(&mut b);
    if let Some(p) = &t.device_path {
        let mut x = Out::new("device");
        x.a("path", p);
        b.push(x);
    }
    if let Some(s) = &t.source {
        let mut x = Out::new("source");
        s.write_to(&mut x);
        b.push(x);
    }
    if let Some(e) = &t.encryption {
        let mut x = Out::new("encryption");
        x.a("secret", e);
        b.push(x);
    }
    if !t.pcr_banks.is_empty() {
        let mut x = Out::new("active_pcr_banks");
        for bank in &t.pcr_banks {
            x.push(Out::new(bank));
        }
        b.push(x);
    }
    o.push(b);
    format_info(&mut o, &t.info);
    o
}

// ---------------------------------------------------- nvram, panic, hub

/// A device that is only its kind and information block (`<nvram>`,
/// `<panic>`, `<hub>`, `<iommu>`, `<vsock>`, ...), with its attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Simple {
    /// Attributes in libvirt's order.
    pub attrs: Attrs,
    /// `<driver>` attributes.
    pub driver: Attrs,
    /// Extra child elements: (name, attributes).
    pub kids: Vec<(String, Attrs)>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads an `<nvram>`.
pub fn parse_nvram(el: &Element) -> Result<Simple> {
    Ok(Simple {
        info: parse_info(el, INFO_PLAIN)?,
        ..Default::default()
    })
}

/// Reads a `<panic>`.
pub fn parse_panic(el: &Element) -> Result<Simple> {
    Ok(Simple {
        attrs: match el.attr("model") {
            None => Attrs::default(),
            Some(m) if ["isa", "pseries", "hyperv", "s390"].contains(&m) => {
                let mut a = Attrs::default();
                a.set("model", m);
                a
            }
            Some(m) => return Err(unsupported(format!("unknown panic model '{m}'"))),
        },
        info: parse_info(el, INFO_PLAIN)?,
        ..Default::default()
    })
}

/// Reads a `<hub>`.
pub fn parse_hub(el: &Element) -> Result<Simple> {
    let t = el
        .attr("type")
        .ok_or_else(|| internal("missing hub device type"))?;
    if t != "usb" {
        return Err(unsupported(format!("unknown hub device type '{t}'")));
    }
    let mut a = Attrs::default();
    a.set("type", "usb");
    Ok(Simple {
        attrs: a,
        info: parse_info(el, INFO_PLAIN)?,
        ..Default::default()
    })
}

/// Reads an `<iommu>`.
pub fn parse_iommu(el: &Element) -> Result<Simple> {
    let attrs = Attrs::read(el, &[("model", Kind::EnumNz(&["", "intel", "smmuv3", "virtio"]))])?;
    if attrs.is_empty() {
        return Err(missing_attr(el, "model"));
    }
    let driver = read_driver(
        el,
        &[
            ("intremap", Kind::OnOff),
            ("caching_mode", Kind::OnOff),
            ("eim", Kind::OnOff),
            ("iotlb", Kind::OnOff),
            ("aw_bits", Kind::Uint(10)),
        ],
    )?;
    if driver.get("intremap") == Some("on") {
        return Err(unsupported(
            "IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')",
        ));
    }
    if driver.get("eim") == Some("on") && driver.get("intremap") != Some("on") {
        return Err(unsupported(
            "IOMMU eim requires interrupt remapping to be enabled",
        ));
    }
    Ok(Simple {
        attrs,
        driver,
        info: parse_info(el, INFO_PLAIN)?,
        ..Default::default()
    })
}

/// Reads a `<vsock>`.
pub fn parse_vsock(el: &Element) -> Result<Simple> {
    let attrs = Attrs::read(el, &[("model", Kind::Enum(VIRTIO_MODELS))])?;
    let mut kids = Vec::new();
    let (auto, address) = match el.child("cid") {
        Some(c) => (prop_yesno(c, "auto")?, prop_uint_nonzero(c, "address", 10)?),
        None => (None, None),
    };
    let mut cid = Attrs::default();
    cid.set("auto", yesno(auto.unwrap_or(address.is_none())));
    if let Some(a) = address {
        cid.set("address", a.to_string());
    }
    kids.push(("cid".to_string(), cid));
    Ok(Simple {
        attrs,
        kids,
        driver: read_driver(el, VIRTIO_OPTS)?,
        info: parse_info(el, INFO_PLAIN)?,
    })
}

/// Writes a simple device.
pub fn format_simple<'a>(name: &'a str, s: &'a Simple) -> Out<'a> {
    let mut o = Out::new(name);
    s.attrs.write_to(&mut o);
    for (k, a) in &s.kids {
        let mut x = Out::new(k);
        a.write_to(&mut x);
        o.push(x);
    }
    driver_out(&mut o, &s.driver);
    format_info(&mut o, &s.info);
    o
}

// ---------------------------------------------------------------- shmem

/// A `<shmem>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shmem {
    /// `name`.
    pub name: String,
    /// `<model type>`.
    pub model: String,
    /// `<size>` in bytes.
    pub size: Option<u64>,
    /// `<server path>`: Some(None) for a server without a path.
    pub server: Option<Option<String>>,
    /// `<msi>` attributes.
    pub msi: Option<Attrs>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<shmem>`.
pub fn parse_shmem(el: &Element) -> Result<Shmem> {
    let name = el
        .attr("name")
        .ok_or_else(|| dom_xml_err("shmem element must contain 'name' attribute"))?
        .to_string();
    let model = match el.child("model") {
        Some(m) => prop_enum(
            m,
            "type",
            &["ivshmem", "ivshmem-plain", "ivshmem-doorbell"],
            false,
        )?
        .unwrap_or_else(|| "ivshmem".into()),
        None => "ivshmem".into(),
    };
    let mut s = Shmem {
        name,
        model,
        ..Default::default()
    };
    if let Some(z) = el.child("size").filter(|e| !e.text().trim().is_empty()) {
        s.size = Some(scaled(z, "b")?);
    }
    if let Some(sv) = el.child("server") {
        s.server = Some(attr(sv, "path"));
    }
    if el.child("msi").is_some() && s.server.is_none() {
        return Err(dom_xml_err("msi option is only supported with a server"));
    }
    if let Some(m) = el.child("msi") {
        s.msi = Some(Attrs::read(
            m,
            &[("vectors", Kind::Uint(10)), ("ioeventfd", Kind::OnOff)],
        )?);
    }
    s.info = parse_info(el, INFO_PLAIN)?;
    Ok(s)
}

/// Writes a `<shmem>`.
pub fn format_shmem(s: &Shmem) -> Out<'_> {
    let mut o = Out::new("shmem");
    o.a("name", &s.name);
    let mut m = Out::new("model");
    m.a("type", &s.model);
    o.push(m);
    if let Some(z) = s.size {
        let mut x = Out::text("size", (z >> 20).to_string());
        x.a("unit", "M");
        o.push(x);
    }
    if let Some(p) = &s.server {
        let mut x = Out::new("server");
        x.o("path", p.as_ref());
        o.push(x);
    }
    if let Some(m) = &s.msi {
        let mut x = Out::new("msi");
        m.write_to(&mut x);
        o.push(x);
    }
    format_info(&mut o, &s.info);
    o
}

// --------------------------------------------------------------- memory

/// A `<memory>` device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryDevice {
    /// `model`.
    pub model: String,
    /// `access`, `discard` in libvirt's order.
    pub attrs: Attrs,
    /// `<source>` children in libvirt's order (rendered as given).
    pub source: Vec<Out<'static>>,
    /// `<target>` size in KiB.
    pub size: u64,
    /// `<target><node>`.
    pub node: Option<u32>,
    /// Other `<target>` children in libvirt's order.
    pub target_extra: Vec<Out<'static>>,
    /// Address, alias.
    pub info: DeviceInfo,
}

impl PartialEq for Out<'_> {
    fn eq(&self, other: &Out) -> bool {
        let mut a = crate::xml::Writer::new();
        self.write(&mut a);
        let mut b = crate::xml::Writer::new();
        other.write(&mut b);
        a.finish() == b.finish()
    }
}

/// Reads a `<memory>` device; `numa_nodes` is the guest's NUMA node count.
pub fn parse_memory(el: &Element, numa_nodes: usize) -> Result<MemoryDevice> {
    let model = prop_enum_req(
        el,
        "model",
        &["", "dimm", "nvdimm", "virtio-pmem", "virtio-mem", "sgx-epc"],
    )?;
    let mut m = MemoryDevice {
        model: model.clone(),
        attrs: Attrs::read(
            el,
            &[
                ("access", Kind::EnumNz(&["default", "shared", "private"])),
                ("discard", Kind::YesNo),
            ],
        )?,
        ..Default::default()
    };
    if model == "virtio-pmem" && m.attrs.get("access").is_none() {
        m.attrs.0.insert(0, ("access".into(), "shared".into()));
    }
    if let Some(s) = el.child("source") {
        if let Some(p) = s.child("pagesize").filter(|e| !e.text().trim().is_empty()) {
            m.source.push(kib_out("pagesize", scaled_kib(p)?));
        }
        if let Some(n) = s.child_text("nodemask") {
            m.source.push(Out::text("nodemask", n));
        }
        if let Some(p) = s.child_text("path") {
            m.source.push(Out::text("path", p));
        }
        if let Some(a) = s.child("alignsize").filter(|e| !e.text().trim().is_empty()) {
            m.source.push(kib_out("alignsize", scaled_kib(a)?));
        }
        if s.child("pmem").is_some() {
            m.source.push(Out::new("pmem"));
        }
    }
    if matches!(model.as_str(), "nvdimm" | "virtio-pmem")
        && el.child("source").and_then(|s| s.child("path")).is_none()
    {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_XML_DETAIL,
            format!("path is required for model '{model}'"),
        ));
    }
    let t = el
        .child("target")
        .ok_or_else(|| dom_xml_err("missing <target> element for <memory> device"))?;
    let size = t
        .child("size")
        .filter(|e| !e.text().trim().is_empty())
        .ok_or_else(|| xml_err(VIR_FROM_XML, "missing element or attribute './size'"))?;
    m.size = scaled_as(size, "KiB", "./size")?.div_ceil(1024);
    if let Some(n) = t.child_text("node") {
        let v = to_uint(&n, 10).ok_or_else(|| dom_xml_err("invalid value of memory device node"))?;
        if numa_nodes == 0 {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_XML_DETAIL,
                "can't add memory backend as guest has no NUMA nodes configured",
            ));
        }
        m.node = Some(v);
    }
    if let Some(l) = t.child("label") {
        if let Some(z) = l.child("size").filter(|e| !e.text().trim().is_empty()) {
            let mut x = Out::new("label");
            x.push(kib_out("size", scaled_kib(z)?));
            m.target_extra.push(x);
        }
    }
    if model == "virtio-mem" && t.child("block").filter(|e| !e.text().trim().is_empty()).is_none() {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_XML_DETAIL,
            "block size must be a power of two",
        ));
    }
    for name in ["block", "requested", "current"] {
        if model == "virtio-mem"
            && name == "requested"
            && t.child(name).filter(|e| !e.text().trim().is_empty()).is_none()
        {
            // virtio-mem always states the requested size.
            m.target_extra.push(kib_out(name, 0));
        }
        if let Some(b) = t.child(name).filter(|e| !e.text().trim().is_empty()) {
            let kib = scaled_kib(b)?;
            if name == "block" && !kib.is_power_of_two() {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_XML_DETAIL,
                    "block size must be a power of two",
                ));
            }
            m.target_extra.push(kib_out(name, kib));
        }
    }
    if t.child("readonly").is_some() {
        m.target_extra.push(Out::new("readonly"));
    }
    m.info = parse_info(el, INFO_PLAIN)?;
    Ok(m)
}

/// Writes a `<memory>` device.
pub fn format_memory(m: &MemoryDevice) -> Out<'_> {
    let mut o = Out::new("memory");
    o.a("model", &m.model);
    m.attrs.write_to(&mut o);
    if !m.source.is_empty() {
        let mut s = Out::new("source");
        for x in &m.source {
            s.push(x.clone());
        }
        o.push(s);
    }
    let mut t = Out::new("target");
    t.push(kib_out("size", m.size));
    t.t("node", m.node);
    for x in &m.target_extra {
        t.push(x.clone());
    }
    o.push(t);
    format_info(&mut o, &m.info);
    o
}

// ------------------------------------------------- redirdev, redirfilter

/// A `<redirdev>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redirdev {
    /// `bus`.
    pub bus: String,
    /// Host side.
    pub source: ChrSource,
    /// Address, boot order, alias.
    pub info: DeviceInfo,
}

/// Reads a `<redirdev>`.
pub fn parse_redirdev(el: &Element) -> Result<Redirdev> {
    let bus = match el.attr("bus") {
        None => "usb".to_string(),
        Some("usb") => "usb".to_string(),
        Some(b) => return Err(unsupported(format!("unknown redirdev bus '{b}'"))),
    };
    let kind = match el.attr("type") {
        None => return Err(internal("missing type in redirdev")),
        Some(t) if chardev::SOURCE_TYPES.contains(&t) => t,
        Some(t) => {
            return Err(unsupported(format!(
                "unknown redirdev character device type '{t}'"
            )))
        }
    };
    let source = chardev::parse_source(el, kind, true)?;
    chardev::validate_source(&source)?;
    Ok(Redirdev {
        bus,
        source,
        info: parse_info(el, INFO_BOOT)?,
    })
}

/// Writes a `<redirdev>`.
pub fn format_redirdev(r: &Redirdev) -> Out<'_> {
    let mut o = Out::new("redirdev");
    o.a("bus", &r.bus).a("type", &r.source.kind);
    o.keep_open();
    chardev::format_source(&mut o, &r.source);
    format_info(&mut o, &r.info);
    o
}

/// One `<usbdev>` rule of a `<redirfilter>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsbRule {
    /// `class` (-1 = any).
    pub class: Option<u32>,
    /// `vendor`.
    pub vendor: Option<u32>,
    /// `product`.
    pub product: Option<u32>,
    /// `version` as (BCD) number.
    pub version: Option<u32>,
    /// `allow`.
    pub allow: bool,
}

fn rule_num(el: &Element, name: &str, max: u32) -> Result<Option<u32>> {
    match el.attr(name) {
        None => Ok(None),
        Some("-1") => Ok(None),
        Some(v) => {
            let n = to_int(v, 0).ok_or_else(|| bad_value(el, name, v, " Expected integer value"))?;
            if n == -1 {
                return Ok(None);
            }
            let n = n as u32;
            if n > max {
                let what = match name {
                    "class" => "Class code",
                    "vendor" => "vendor ID",
                    _ => "product ID",
                };
                return Err(internal(format!("Invalid USB {what} 0x{n:x}")));
            }
            Ok(Some(n))
        }
    }
}

/// Reads a `<redirfilter>`.
pub fn parse_redirfilter(el: &Element) -> Result<Vec<UsbRule>> {
    let mut out = Vec::new();
    for u in el.children_named("usbdev") {
        let class = rule_num(u, "class", 0xff)?;
        let vendor = rule_num(u, "vendor", 0xffff)?;
        let product = rule_num(u, "product", 0xffff)?;
        let version = match u.attr("version") {
            None | Some("-1") => None,
            Some(v) => {
                // BCD "major.minor"; a one-digit minor is the high nibble.
                let bad = || dom_xml_err(format!("Cannot parse USB device version {v}"));
                let (maj, min) = v.split_once('.').ok_or_else(bad)?;
                let maj = to_uint(maj, 16).filter(|n| *n <= 0xff).ok_or_else(bad)?;
                let min = match min.len() {
                    0 => 0,
                    1 => to_uint(min, 16).ok_or_else(bad)? << 4,
                    2 => to_uint(min, 16).ok_or_else(bad)?,
                    _ => return Err(bad()),
                };
                Some((maj << 8) | min)
            }
        };
        let allow = prop_yesno(u, "allow")?.ok_or_else(|| missing_attr(u, "allow"))?;
        out.push(UsbRule {
            class,
            vendor,
            product,
            version,
            allow,
        });
    }
    Ok(out)
}

/// Writes a `<redirfilter>`.
pub fn format_redirfilter(rules: &[UsbRule]) -> Out<'_> {
    let mut o = Out::new("redirfilter");
    for r in rules {
        let mut x = Out::new("usbdev");
        x.o("class", r.class.map(|c| format!("0x{c:02X}")))
            .o("vendor", r.vendor.map(|c| format!("0x{c:04X}")))
            .o("product", r.product.map(|c| format!("0x{c:04X}")))
            .o(
                "version",
                r.version.map(|v| format!("{:x}.{:02x}", v >> 8, v & 0xff)),
            )
            .a("allow", yesno(r.allow));
        o.push(x);
    }
    o
}

// ------------------------------------------------------------ smartcard

/// A `<smartcard>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Smartcard {
    /// `mode`.
    pub mode: String,
    /// `<certificate>`s (host-certificates).
    pub certificates: Vec<String>,
    /// `<database>`.
    pub database: Option<String>,
    /// passthrough host side.
    pub source: Option<ChrSource>,
    /// Address, alias.
    pub info: DeviceInfo,
}

/// Reads a `<smartcard>`.
pub fn parse_smartcard(el: &Element) -> Result<Smartcard> {
    let mode = prop_enum_req(el, "mode", &["", "host", "host-certificates", "passthrough"])?;
    let mut s = Smartcard {
        mode: mode.clone(),
        ..Default::default()
    };
    match mode.as_str() {
        "host-certificates" => {
            for c in el.children_named("certificate") {
                s.certificates.push(c.text());
            }
            if s.certificates.len() != 3 {
                return Err(dom_xml_err(
                    "host-certificates mode needs exactly three certificates",
                ));
            }
            s.database = el.child_text("database");
        }
        "passthrough" => {
            let t = match el.attr("type") {
                None => {
                    return Err(dom_xml_err(
                        "passthrough mode requires a character device type attribute",
                    ))
                }
                Some(t) if chardev::SOURCE_TYPES.contains(&t) => t,
                Some(t) => {
                    return Err(unsupported(format!(
                        "unknown type presented to host for character device: {t}"
                    )))
                }
            };
            let src = chardev::parse_source(el, t, true)?;
            chardev::validate_source(&src)?;
            s.source = Some(src);
        }
        _ => {}
    }
    s.info = parse_info(el, INFO_PLAIN)?;
    if let Some(a) = &s.info.address {
        if !matches!(a, Address::Ccid { .. }) {
            return Err(unsupported("Controllers must use the 'ccid' address type"));
        }
    }
    Ok(s)
}

/// Writes a `<smartcard>`.
pub fn format_smartcard(s: &Smartcard) -> Out<'_> {
    let mut o = Out::new("smartcard");
    o.a("mode", &s.mode);
    if let Some(src) = &s.source {
        o.a("type", &src.kind);
        chardev::format_source(&mut o, src);
    }
    for c in &s.certificates {
        o.push(Out::text("certificate", c.clone()));
    }
    o.t("database", s.database.as_ref());
    format_info(&mut o, &s.info);
    o
}
