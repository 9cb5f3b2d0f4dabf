//! virDomainSendKey: key codes translated to Windows virtual-key codes and
//! pressed and released through the VM's Msvm_Keyboard.

use super::wsman::Arg;
use super::HypervDriver;
use crate::abi::*;
use crate::driver::DomainRef;
use crate::error::{Error, Result};

/// Linux input key codes (and the XT scan codes, equal for these keys) to
/// Windows virtual-key codes, after the keymap tables libvirt builds on.
const LINUX_TO_WIN32: &[(u32, u32)] = &[
    (1, 0x1b),  // Esc
    (2, 0x31),  // 1
    (3, 0x32),  // 2
    (4, 0x33),  // 3
    (5, 0x34),  // 4
    (6, 0x35),  // 5
    (7, 0x36),  // 6
    (8, 0x37),  // 7
    (9, 0x38),  // 8
    (10, 0x39), // 9
    (11, 0x30), // 0
    (12, 0xbd), // -
    (13, 0xbb), // =
    (14, 0x08), // Backspace
    (15, 0x09), // Tab
    (16, 0x51), // Q
    (17, 0x57), // W
    (18, 0x45), // E
    (19, 0x52), // R
    (20, 0x54), // T
    (21, 0x59), // Y
    (22, 0x55), // U
    (23, 0x49), // I
    (24, 0x4f), // O
    (25, 0x50), // P
    (26, 0xdb), // [
    (27, 0xdd), // ]
    (28, 0x0d), // Enter
    (29, 0xa2), // Left Ctrl
    (30, 0x41), // A
    (31, 0x53), // S
    (32, 0x44), // D
    (33, 0x46), // F
    (34, 0x47), // G
    (35, 0x48), // H
    (36, 0x4a), // J
    (37, 0x4b), // K
    (38, 0x4c), // L
    (39, 0xba), // ;
    (40, 0xde), // '
    (41, 0xc0), // `
    (42, 0xa0), // Left Shift
    (43, 0xdc), // backslash
    (44, 0x5a), // Z
    (45, 0x58), // X
    (46, 0x43), // C
    (47, 0x56), // V
    (48, 0x42), // B
    (49, 0x4e), // N
    (50, 0x4d), // M
    (51, 0xbc), // ,
    (52, 0xbe), // .
    (53, 0xbf), // /
    (54, 0xa1), // Right Shift
    (55, 0x6a), // keypad *
    (56, 0xa4), // Left Alt
    (57, 0x20), // Space
    (58, 0x14), // Caps Lock
    (59, 0x70), // F1
    (60, 0x71), // F2
    (61, 0x72), // F3
    (62, 0x73), // F4
    (63, 0x74), // F5
    (64, 0x75), // F6
    (65, 0x76), // F7
    (66, 0x77), // F8
    (67, 0x78), // F9
    (68, 0x79), // F10
    (69, 0x90), // Num Lock
    (70, 0x91), // Scroll Lock
    (87, 0x7a), // F11
    (88, 0x7b), // F12
];

/// Linux-only codes above the XT range.
const LINUX_EXTENDED: &[(u32, u32)] = &[
    (97, 0xa3),  // Right Ctrl
    (100, 0xa5), // Right Alt
    (102, 0x24), // Home
    (103, 0x26), // Up
    (104, 0x21), // Page Up
    (105, 0x25), // Left
    (106, 0x27), // Right
    (107, 0x23), // End
    (108, 0x28), // Down
    (109, 0x22), // Page Down
    (110, 0x2d), // Insert
    (111, 0x2e), // Delete
    (125, 0x5b), // Left Windows
    (126, 0x5c), // Right Windows
];

/// A key code of `codeset` as a Windows virtual-key code.
pub fn to_win32(codeset: u32, code: u32) -> Option<u32> {
    let find = |table: &[(u32, u32)]| table.iter().find(|(k, _)| *k == code).map(|(_, v)| *v);
    match codeset as i32 {
        VIR_KEYCODE_SET_WIN32 => (code > 0 && code < 0x100).then_some(code),
        VIR_KEYCODE_SET_LINUX => find(LINUX_TO_WIN32).or_else(|| find(LINUX_EXTENDED)),
        // Scan code set 1 and QEMU's numbering agree with Linux below 0x59.
        VIR_KEYCODE_SET_XT | VIR_KEYCODE_SET_ATSET1 | VIR_KEYCODE_SET_QNUM => find(LINUX_TO_WIN32),
        _ => None,
    }
}

impl HypervDriver {
    /// Presses every key, holds them, then releases them in reverse order.
    pub(super) fn send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainSendKey", flags));
        }
        let codes = keycodes
            .iter()
            .map(|&k| {
                to_win32(codeset, k).ok_or_else(|| {
                    Error::invalid_arg(
                        VIR_FROM_HYPERV,
                        format!("could not translate keycode {k} of codeset {codeset} to a Windows key"),
                    )
                })
            })
            .collect::<Result<Vec<u32>>>()?;
        let vm = self.vm(dom)?;
        if !vm.is_active() {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_OPERATION_INVALID,
                "Domain is not active",
            ));
        }
        let wql = format!(
            "ASSOCIATORS OF {{Msvm_ComputerSystem.CreationClassName=\"Msvm_ComputerSystem\",Name=\"{}\"}} \
             WHERE ResultClass = Msvm_Keyboard",
            vm.guid
        );
        let kb = self
            .client
            .query(self.ns(), &wql)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_OPERATION_FAILED,
                    format!("Could not get keyboard for domain {}", dom.name),
                )
            })?;
        let selectors = vec![
            ("CreationClassName".to_string(), "Msvm_Keyboard".to_string()),
            ("DeviceID".to_string(), kb.need("DeviceID")?.to_string()),
            (
                "SystemCreationClassName".to_string(),
                "Msvm_ComputerSystem".to_string(),
            ),
            ("SystemName".to_string(), vm.guid.clone()),
        ];
        let call = |method: &str, code: u32| {
            self.client.invoke(
                self.ns(),
                "Msvm_Keyboard",
                &selectors,
                method,
                &[Arg::Simple("keyCode".to_string(), code.to_string())],
            )
        };
        for &c in &codes {
            call("PressKey", c)?;
        }
        if holdtime > 0 {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(holdtime)));
        }
        for &c in codes.iter().rev() {
            call("ReleaseKey", c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_translate_to_windows_codes() {
        assert_eq!(to_win32(VIR_KEYCODE_SET_LINUX as u32, 29), Some(0xa2));
        assert_eq!(to_win32(VIR_KEYCODE_SET_LINUX as u32, 111), Some(0x2e));
        assert_eq!(to_win32(VIR_KEYCODE_SET_XT as u32, 30), Some(0x41));
        assert_eq!(to_win32(VIR_KEYCODE_SET_WIN32 as u32, 0x41), Some(0x41));
        assert_eq!(to_win32(VIR_KEYCODE_SET_USB as u32, 4), None);
        assert_eq!(to_win32(VIR_KEYCODE_SET_LINUX as u32, 9999), None);
    }
}
