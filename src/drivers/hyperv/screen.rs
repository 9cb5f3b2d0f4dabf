//! Screenshots: Hyper-V hands out a VM's screen as a thumbnail of RGB565
//! pixels (GetVirtualSystemThumbnailImage); callers get it as a PPM picture,
//! the format libvirt's Hyper-V driver streams.

use super::settings::VSMS;
use super::wsman::{resource_uri, Arg, Epr};
use super::HypervDriver;
use crate::abi::*;
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::xml::dom::local;

/// The MIME type of the pictures.
const PPM: &str = "image/x-portable-pixmap";

impl HypervDriver {
    /// The screen of a running VM at its video head's resolution.
    pub(super) fn screenshot(&self, dom: &DomainRef, _screen: u32, flags: u32) -> Result<(String, Vec<u8>)> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainScreenshot", flags));
        }
        self.v2_only("virDomainScreenshot")?;
        let vm = self.vm(dom)?;
        if !vm.is_active() {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_OPERATION_INVALID,
                "Domain is not active",
            ));
        }
        let (width, height) = self.resolution(&vm.guid, &dom.name)?;
        let vssd = self.settings(&vm)?.vssd;
        let target = Epr {
            resource_uri: resource_uri(self.ns(), "Msvm_VirtualSystemSettingData"),
            selectors: vec![("InstanceID".to_string(), vssd.need("InstanceID")?.to_string())],
        };
        let out = self.client.invoke(
            self.ns(),
            VSMS,
            &self.vsms_selectors(),
            "GetVirtualSystemThumbnailImage",
            &[
                Arg::Reference("TargetSystem".to_string(), target),
                Arg::Simple("WidthPixels".to_string(), width.to_string()),
                Arg::Simple("HeightPixels".to_string(), height.to_string()),
            ],
        )?;
        // WS-Management spells a uint8[] as one element per byte.
        let data = out
            .0
            .elements()
            .filter(|e| local(&e.name) == "ImageData")
            .map(|e| e.text().trim().parse::<u8>())
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    "The thumbnail image holds a value that is not a byte",
                )
            })?;
        Ok((PPM.to_string(), ppm_from_rgb565(width, height, &data)?))
    }

    /// The current resolution of the VM's video head.
    fn resolution(&self, guid: &str, name: &str) -> Result<(u32, u32)> {
        let wql = format!(
            "ASSOCIATORS OF {{Msvm_ComputerSystem.CreationClassName=\"Msvm_ComputerSystem\",Name=\"{guid}\"}} \
             WHERE ResultClass = Msvm_VideoHead"
        );
        let heads = self.client.query(self.ns(), &wql)?;
        heads
            .iter()
            .filter_map(|h| {
                let w = h.int("CurrentHorizontalResolution")?;
                let v = h.int("CurrentVerticalResolution")?;
                (w > 0 && v > 0 && w <= 0xffff && v <= 0xffff).then_some((w as u32, v as u32))
            })
            .next()
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_OPERATION_FAILED,
                    format!("Could not get the screen resolution of domain {name}"),
                )
            })
    }
}

/// A binary PPM of `width` x `height` little-endian RGB565 pixels, each
/// channel widened to 8 bits by repeating its high bits.
pub fn ppm_from_rgb565(width: u32, height: u32, data: &[u8]) -> Result<Vec<u8>> {
    let pixels = width as usize * height as usize;
    if data.len() != pixels * 2 {
        return Err(Error::internal(
            VIR_FROM_HYPERV,
            format!(
                "The thumbnail image has {} bytes, not the {} of {width}x{height} RGB565 pixels",
                data.len(),
                pixels * 2
            ),
        ));
    }
    let mut out = format!("P6\n{width} {height}\n255\n").into_bytes();
    out.reserve(pixels * 3);
    for p in data.chunks_exact(2) {
        let v = u16::from_le_bytes([p[0], p[1]]);
        let (r, g, b) = ((v >> 11) & 0x1f, (v >> 5) & 0x3f, v & 0x1f);
        out.push(((r << 3) | (r >> 2)) as u8);
        out.push(((g << 2) | (g >> 4)) as u8);
        out.push(((b << 3) | (b >> 2)) as u8);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb565_widens_to_full_range() {
        // Black, white, pure red, pure green, pure blue.
        let px: [u16; 5] = [0x0000, 0xffff, 0xf800, 0x07e0, 0x001f];
        let data: Vec<u8> = px.iter().flat_map(|p| p.to_le_bytes()).collect();
        let ppm = ppm_from_rgb565(5, 1, &data).unwrap();
        let header = b"P6\n5 1\n255\n";
        assert_eq!(&ppm[..header.len()], header);
        assert_eq!(
            &ppm[header.len()..],
            &[0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        );
        assert!(ppm_from_rgb565(2, 2, &data).is_err());
    }
}
