//! XDR (RFC 4506) as libvirt's rpcgen uses it.  Decoding never trusts a
//! length: every count is checked against its declared maximum and against
//! the bytes that remain before anything is allocated.

use crate::abi::*;
use crate::error::{Error, Result};

/// libvirt's limit for any string on the wire (`REMOTE_STRING_MAX`).
pub const STRING_MAX: usize = 4_194_304;

/// The error every malformed payload gives.
pub fn decode_error(why: &str) -> Error {
    Error::new(
        VIR_FROM_RPC,
        VIR_ERR_RPC,
        Some(&format!("Unable to decode message payload: {why}")),
    )
}

fn encode_error(why: &str) -> Error {
    Error::new(
        VIR_FROM_RPC,
        VIR_ERR_RPC,
        Some(&format!("Unable to encode message payload: {why}")),
    )
}

/// Padding bytes after `len` bytes of opaque data.
fn pad(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Builds an XDR byte stream.  The first limit violated is remembered and
/// reported by [`Encoder::finish`], so encoders of nested types stay simple.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
    error: Option<Error>,
}

impl Encoder {
    /// An empty stream.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// A stream that continues after `prefix` (e.g. a packet header).
    pub fn with_prefix(prefix: Vec<u8>) -> Encoder {
        Encoder {
            buf: prefix,
            error: None,
        }
    }

    /// The bytes, or the first limit a value broke.
    pub fn finish(self) -> Result<Vec<u8>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.buf),
        }
    }

    /// Records a limit violation (only the first one is kept).
    pub fn fail(&mut self, why: &str) {
        if self.error.is_none() {
            self.error = Some(encode_error(why));
        }
    }

    /// `unsigned int` (also enum, char, short, bool after widening).
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `int`.
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `unsigned hyper`.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `hyper`.
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `bool`.
    pub fn bool(&mut self, v: bool) {
        self.u32(v as u32);
    }

    /// `float`.
    pub fn f32(&mut self, v: f32) {
        self.u32(v.to_bits());
    }

    /// `double`.
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// `opaque x[N]`: the bytes and padding, no length.
    pub fn opaque_fixed(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
        self.buf.extend(std::iter::repeat_n(0, pad(v.len())));
    }

    /// Raw bytes with no padding (stream data, pre-encoded payloads).
    pub fn opaque_fixed_raw(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// `opaque x<max>`: length, bytes, padding.
    pub fn opaque(&mut self, v: &[u8], max: usize) {
        if v.len() > max {
            self.fail(&format!("{} bytes exceed the limit of {max}", v.len()));
        }
        self.u32(v.len() as u32);
        self.opaque_fixed(v);
    }

    /// `string x<max>`.
    pub fn string(&mut self, v: &str, max: usize) {
        self.opaque(v.as_bytes(), max);
    }

    /// The count of a variable array, checked against its maximum.
    pub fn count(&mut self, n: usize, max: usize) {
        if n > max {
            self.fail(&format!("{n} elements exceed the limit of {max}"));
        }
        self.u32(n as u32);
    }

    /// `T x<max>`.
    pub fn array<T: Xdr>(&mut self, v: &[T], max: usize) {
        self.count(v.len(), max);
        for x in v {
            x.encode(self);
        }
    }

    /// `T *x`: discriminant, then the value when present.
    pub fn optional<T: Xdr>(&mut self, v: Option<&T>) {
        self.bool(v.is_some());
        if let Some(x) = v {
            x.encode(self);
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Overwrites four bytes already written (a packet's length word).
    pub fn patch_u32(&mut self, at: usize, v: u32) {
        self.buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }
}

/// Reads an XDR byte stream.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Decoder<'a> {
        Decoder { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails unless every byte was consumed (trailing bytes mean the two
    /// sides disagree on the type).
    pub fn finish(&self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(decode_error(&format!("{n} unexpected trailing bytes"))),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(decode_error(&format!(
                "{n} bytes wanted, {} left",
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// `unsigned int`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `int`.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(self.u32()? as i32)
    }

    /// `unsigned hyper`.
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// `hyper`.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }

    /// `bool`: only 0 and 1 are valid.
    pub fn bool(&mut self) -> Result<bool> {
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(decode_error(&format!("bad boolean {n}"))),
        }
    }

    /// `float`.
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }

    /// `double`.
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// `opaque x[n]`: the bytes, padding skipped.
    pub fn opaque_fixed(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self.take(n)?;
        self.take(pad(n))?;
        Ok(s)
    }

    /// `opaque x<max>`.
    pub fn opaque(&mut self, max: usize) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(decode_error(&format!("length {n} exceeds the limit of {max}")));
        }
        self.opaque_fixed(n)
    }

    /// `string x<max>`: must be UTF-8 (libvirt only sends text).
    pub fn string(&mut self, max: usize) -> Result<String> {
        let b = self.opaque(max)?;
        String::from_utf8(b.to_vec()).map_err(|_| decode_error("string is not UTF-8"))
    }

    /// A variable array's count, checked against its maximum and against the
    /// bytes left (every element takes at least four).
    pub fn count(&mut self, max: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(decode_error(&format!("{n} elements exceed the limit of {max}")));
        }
        if n > self.remaining() / 4 {
            return Err(decode_error(&format!(
                "{n} elements cannot fit in {} bytes",
                self.remaining()
            )));
        }
        Ok(n)
    }

    /// `T x<max>`.
    pub fn array<T: Xdr>(&mut self, max: usize) -> Result<Vec<T>> {
        let n = self.count(max)?;
        (0..n).map(|_| T::decode(self)).collect()
    }

    /// `T x[n]`.
    pub fn fixed_array<T: Xdr>(&mut self, n: usize) -> Result<Vec<T>> {
        if n > self.remaining() / 4 {
            return Err(decode_error(&format!(
                "{n} elements cannot fit in {} bytes",
                self.remaining()
            )));
        }
        (0..n).map(|_| T::decode(self)).collect()
    }

    /// `T *x`.
    pub fn optional<T: Xdr>(&mut self) -> Result<Option<T>> {
        match self.bool()? {
            true => Ok(Some(T::decode(self)?)),
            false => Ok(None),
        }
    }
}

/// A type with an XDR form.
pub trait Xdr: Sized {
    /// Appends the value.
    fn encode(&self, e: &mut Encoder);
    /// Reads a value.
    fn decode(d: &mut Decoder) -> Result<Self>;
}

macro_rules! scalar {
    ($t:ty, $m:ident) => {
        impl Xdr for $t {
            fn encode(&self, e: &mut Encoder) {
                e.$m(*self);
            }
            fn decode(d: &mut Decoder) -> Result<Self> {
                d.$m()
            }
        }
    };
}

scalar!(u32, u32);
scalar!(i32, i32);
scalar!(u64, u64);
scalar!(i64, i64);
scalar!(bool, bool);
scalar!(f32, f32);
scalar!(f64, f64);

/// `remote_nonnull_string`.
impl Xdr for String {
    fn encode(&self, e: &mut Encoder) {
        e.string(self, STRING_MAX);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        d.string(STRING_MAX)
    }
}

/// `T *` (and `remote_string` for `Option<String>`).
impl<T: Xdr> Xdr for Option<T> {
    fn encode(&self, e: &mut Encoder) {
        e.optional(self.as_ref());
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        d.optional()
    }
}

/// `()` for procedures without arguments or results (xdr_void).
impl Xdr for () {
    fn encode(&self, _: &mut Encoder) {}
    fn decode(_: &mut Decoder) -> Result<Self> {
        Ok(())
    }
}

macro_rules! tuple {
    ($($t:ident $i:tt),+) => {
        /// A struct given as a tuple of its fields in order.
        impl<$($t: Xdr),+> Xdr for ($($t,)+) {
            fn encode(&self, e: &mut Encoder) {
                $( self.$i.encode(e); )+
            }
            fn decode(d: &mut Decoder) -> Result<Self> {
                Ok(($( $t::decode(d)?, )+))
            }
        }
    };
}

tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5);

/// `remote_uuid`: 16 bytes, no length.
impl Xdr for crate::domain::Uuid {
    fn encode(&self, e: &mut Encoder) {
        e.opaque_fixed(&self.0);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let mut u = [0u8; 16];
        u.copy_from_slice(d.opaque_fixed(16)?);
        Ok(crate::domain::Uuid(u))
    }
}

/// Encodes a value into a fresh buffer.
pub fn to_bytes<T: Xdr>(v: &T) -> Result<Vec<u8>> {
    let mut e = Encoder::new();
    v.encode(&mut e);
    e.finish()
}

/// Decodes a whole buffer as one value.
pub fn from_bytes<T: Xdr>(b: &[u8]) -> Result<T> {
    let mut d = Decoder::new(b);
    let v = T::decode(&mut d)?;
    d.finish()?;
    Ok(v)
}

/// Implements [`Xdr`] for a struct by its fields in order.
#[macro_export]
macro_rules! xdr_struct {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl $crate::rpc::xdr::Xdr for $name {
            fn encode(&self, e: &mut $crate::rpc::xdr::Encoder) {
                $( $crate::rpc::xdr::Xdr::encode(&self.$field, e); )*
            }
            fn decode(d: &mut $crate::rpc::xdr::Decoder) -> $crate::error::Result<Self> {
                Ok($name { $( $field: $crate::rpc::xdr::Xdr::decode(d)?, )* })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let mut d = Decoder::new(&[0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1]);
        assert!(d.array::<u32>(usize::MAX).is_err());
        let mut d = Decoder::new(&[0, 0, 0, 9, 1, 2, 3, 4]);
        assert!(d.opaque(100).is_err());
        let mut d = Decoder::new(&[0, 0, 0, 2]);
        assert!(d.bool().is_err());
    }

    #[test]
    fn limits_are_enforced_when_encoding() {
        let mut e = Encoder::new();
        e.string("abcdefgh", 7);
        assert!(e.finish().is_err());
    }
}
