//! UUIDs as libvirt reads and writes them.

use std::fmt;

/// A 16-byte UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// Parses libvirt's accepted spellings: 32 hex digits, optionally split by
    /// '-' or ' ' anywhere between byte pairs, surrounding blanks ignored.
    pub fn parse(text: &str) -> Option<Uuid> {
        let mut out = [0u8; 16];
        let mut digits = text
            .trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n')
            .bytes()
            .peekable();
        for byte in out.iter_mut() {
            while matches!(digits.peek(), Some(b'-') | Some(b' ')) {
                digits.next();
            }
            let hi = (digits.next()? as char).to_digit(16)?;
            let lo = (digits.next()? as char).to_digit(16)?;
            *byte = (hi * 16 + lo) as u8;
        }
        digits.next().is_none().then_some(Uuid(out))
    }

    /// A random (version 4) UUID.
    pub fn generate() -> Uuid {
        let mut b = [0u8; 16];
        fill_random(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Uuid(b)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Fills `buf` from the kernel's random source.
pub fn fill_random(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writes at most the remaining length into our buffer.
        let n = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n <= 0 {
            // getrandom only fails before the pool is ready; fall back to time.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            for (i, b) in buf[filled..].iter_mut().enumerate() {
                *b = (t.as_nanos() >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
            }
            return;
        }
        filled += n as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_accepts_libvirt_spellings() {
        let u = Uuid::parse("6695eb01-f6a4-8304-79aa-97f2502e193f").unwrap();
        assert_eq!(u.to_string(), "6695eb01-f6a4-8304-79aa-97f2502e193f");
        assert_eq!(Uuid::parse("6695eb01f6a4830479aa97f2502e193f"), Some(u));
        assert_eq!(Uuid::parse(" 6695eb01-f6a4-8304-79aa-97f2502e193f\n"), Some(u));
        assert_eq!(Uuid::parse("6695eb01-f6a4-8304-79aa-97f2502e193"), None);
        assert_eq!(Uuid::parse("6695eb01-f6a4-8304-79aa-97f2502e193f0"), None);
        assert_eq!(Uuid::parse("zz95eb01-f6a4-8304-79aa-97f2502e193f"), None);
        let g = Uuid::generate();
        assert_ne!(g, Uuid::generate());
        assert_eq!(g.0[6] >> 4, 4);
    }
}
