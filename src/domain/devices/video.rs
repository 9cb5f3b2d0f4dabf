//! `<video>`: models with their memory defaults, heads, primary flag,
//! acceleration; and the default adapter libvirt adds for graphics.

use super::address::*;
use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

const MODELS: &[&str] = &[
    "vga",
    "cirrus",
    "vmvga",
    "xen",
    "vbox",
    "qxl",
    "parallels",
    "virtio",
    "gop",
    "none",
    "bochs",
    "ramfb",
];

/// A `<video>` device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Video {
    /// `<model type=...>`.
    pub model: String,
    /// `ram` (qxl) in KiB.
    pub ram: u32,
    /// `vram` in KiB.
    pub vram: u32,
    /// `vram64` (qxl) in KiB.
    pub vram64: u32,
    /// `vgamem` (qxl) in KiB.
    pub vgamem: u32,
    /// `heads`.
    pub heads: u32,
    /// `primary='yes'`.
    pub primary: bool,
    /// `<acceleration>` attributes.
    pub accel: Option<Attrs>,
    /// `<resolution x y>`.
    pub resolution: Option<(u32, u32)>,
    /// `<driver>` attributes (virtio options first, as libvirt writes them).
    pub driver: Attrs,
    /// Address, alias.
    pub info: DeviceInfo,
}

impl Video {
    /// The adapter libvirt adds when graphics exist without video, given the
    /// driver's default model and vram.
    pub fn default_for_graphics((model, vram): (&str, u32)) -> Video {
        Video {
            model: model.into(),
            vram,
            heads: 1,
            primary: true,
            ..Default::default()
        }
    }
}

fn default_vram(model: &str, vga_vram: u32) -> u32 {
    match model {
        "vga" | "cirrus" | "vmvga" => vga_vram,
        "bochs" => 16 * 1024,
        "qxl" => 64 * 1024,
        "xen" => 4 * 1024,
        _ => 0,
    }
}

fn video_num(el: &Element, name: &str) -> Result<u32> {
    match xattr(el, name) {
        None => Ok(0),
        Some(v) => to_uint(v, 10).ok_or_else(|| dom_xml_err(format!("cannot parse video {name} '{v}'"))),
    }
}

/// Reads a `<video>`; `defaults` is the driver's (model, vga vram).
pub fn parse(el: &Element, defaults: (&str, u32)) -> Result<Video> {
    let mut v = Video::default();
    let model_el = el.child("model");
    let mut model = None;
    if let Some(m) = model_el {
        if let Some(t) = xattr(m, "type") {
            if !MODELS.contains(&t) {
                return Err(unsupported(format!("unknown video model '{t}'")));
            }
            model = Some(t.to_string());
        }
        v.ram = video_num(m, "ram")?;
        v.vram = video_num(m, "vram")?;
        v.vram64 = video_num(m, "vram64")?;
        v.vgamem = video_num(m, "vgamem")?;
        v.heads = match xattr(m, "heads") {
            None => 1,
            Some(h) => to_uint(h, 10)
                .ok_or_else(|| Error::internal(VIR_FROM_DOMAIN, format!("cannot parse video heads '{h}'")))?,
        };
        // Only "yes" counts.
        v.primary = m.attr("primary") == Some("yes");
        if let Some(a) = m.child("acceleration") {
            v.accel = Some(Attrs::read(
                a,
                &[
                    ("accel3d", Kind::YesNo),
                    ("accel2d", Kind::YesNo),
                    ("rendernode", Kind::Str),
                ],
            )?);
        }
        if let Some(r) = m.child("resolution") {
            let x = prop_uint(r, "x", 10)?.ok_or_else(|| missing_attr(r, "x"))?;
            let y = prop_uint(r, "y", 10)?.ok_or_else(|| missing_attr(r, "y"))?;
            if x == 0 || y == 0 {
                return Err(unsupported("video resolution values must be greater than 0"));
            }
            v.resolution = Some((x, y));
        }
    } else {
        v.heads = 1;
    }
    if let Some(d) = el.child("driver") {
        v.driver = Attrs::read(
            d,
            &[
                ("iommu", Kind::OnOff),
                ("ats", Kind::OnOff),
                ("packed", Kind::OnOff),
                ("page_per_vq", Kind::OnOff),
            ],
        )?;
        // Unknown vgaconf values are ignored; "io" is the default.
        if let Some(c) = d.attr("vgaconf").filter(|c| *c == "on" || *c == "off") {
            v.driver.set("vgaconf", c);
        }
        if let Some(n) = prop_enum(d, "name", &["default", "qemu", "vhostuser"], true)? {
            v.driver.set("name", n);
        }
    }
    v.model = model.unwrap_or_else(|| defaults.0.into());
    if v.ram != 0 && v.model != "qxl" {
        return Err(unsupported("ram attribute only supported for video type qxl"));
    }
    if v.vram64 != 0 && v.model != "qxl" {
        return Err(unsupported("vram64 attribute only supported for video type qxl"));
    }
    if v.vgamem != 0 && v.model != "qxl" {
        return Err(unsupported("vgamem attribute only supported for video type qxl"));
    }
    let virtio = v.model == "virtio";
    if !virtio {
        for opt in ["iommu", "ats", "packed", "page_per_vq"] {
            if v.driver.get(opt).is_some() {
                return Err(unsupported(format!(
                    "{opt} driver option is only supported for virtio devices"
                )));
            }
        }
        if v.driver.get("name") == Some("vhostuser") {
            return Err(unsupported(
                "'vhostuser' driver is only supported with 'virtio' device",
            ));
        }
    }
    if let Some(a) = &v.accel {
        if a.get("rendernode").is_some() && v.driver.get("name") != Some("vhostuser") {
            return Err(unsupported(
                "unsupported rendernode accel attribute without 'vhostuser'",
            ));
        }
    }
    if v.model == "none" {
        v.heads = 0;
        v.vram = 0;
    } else {
        // Rounding happens in 32 bits first: an overflow wraps to zero and
        // then takes the model's default, as in libvirt.
        let round = |n: u32| {
            if n == 0 {
                0
            } else {
                n.checked_next_power_of_two().unwrap_or(0)
            }
        };
        v.vram = round(v.vram);
        v.ram = round(v.ram);
        if v.vram == 0 {
            v.vram = default_vram(&v.model, defaults.1);
        }
        if v.model == "qxl" && v.ram == 0 {
            v.ram = 64 * 1024;
        }
    }
    v.info = parse_info(el, INFO_PLAIN)?;
    Ok(v)
}

/// Writes a `<video>`.
pub fn format(v: &Video) -> Out<'_> {
    let mut o = Out::new("video");
    if !v.driver.is_empty() {
        let mut d = Out::new("driver");
        v.driver.write_to(&mut d);
        o.push(d);
    }
    let mut m = Out::new("model");
    m.a("type", &v.model);
    if v.ram != 0 {
        m.a("ram", v.ram);
    }
    if v.vram != 0 {
        m.a("vram", v.vram);
    }
    if v.vram64 != 0 {
        m.a("vram64", v.vram64);
    }
    if v.vgamem != 0 {
        m.a("vgamem", v.vgamem);
    }
    if v.heads != 0 {
        m.a("heads", v.heads);
    }
    if v.primary {
        m.a("primary", "yes");
    }
    if let Some(a) = &v.accel {
        let mut x = Out::new("acceleration");
        a.write_to(&mut x);
        m.push(x);
    }
    if let Some((x, y)) = v.resolution {
        let mut r = Out::new("resolution");
        r.a("x", x).a("y", y);
        m.push(r);
    }
    o.push(m);
    format_info(&mut o, &v.info);
    o
}
