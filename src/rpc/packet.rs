//! The packet framing of virnetprotocol: a length word, a 24-byte header
//! and the XDR payload; and `remote_error`, the payload of a failed reply.

use super::xdr::{decode_error, Decoder, Encoder, Xdr};
use crate::abi::*;
use crate::error::{Error, Result};

/// The main API program.
pub const REMOTE_PROGRAM: u32 = 0x2000_8086;
/// The keepalive program ('keep').
pub const KEEPALIVE_PROGRAM: u32 = 0x6b65_6570;
/// Every program is at version 1.
pub const PROGRAM_VERSION: u32 = 1;
/// Keepalive procedure: are you there?
pub const KEEPALIVE_PING: i32 = 1;
/// Keepalive procedure: yes.
pub const KEEPALIVE_PONG: i32 = 2;

/// Bytes of the length word.
pub const LEN_SIZE: usize = 4;
/// Bytes of the header after the length word.
pub const HEADER_SIZE: usize = 24;
/// The most bytes a packet may have after its length word.
pub const MESSAGE_MAX: usize = 33_554_432;

/// `virNetMessageType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Client to server request.
    Call = 0,
    /// Server answer to a call.
    Reply = 1,
    /// Unsolicited: events and keepalive.
    Message = 2,
    /// Stream data.
    Stream = 3,
    /// A call with file descriptors.
    CallWithFds = 4,
    /// A reply with file descriptors.
    ReplyWithFds = 5,
    /// A hole in stream data.
    StreamHole = 6,
}

impl MessageType {
    fn from_u32(v: u32) -> Result<MessageType> {
        use MessageType::*;
        Ok(match v {
            0 => Call,
            1 => Reply,
            2 => Message,
            3 => Stream,
            4 => CallWithFds,
            5 => ReplyWithFds,
            6 => StreamHole,
            n => return Err(decode_error(&format!("unknown message type {n}"))),
        })
    }
}

/// `virNetMessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success (and every call).
    Ok = 0,
    /// The payload is a `remote_error`.
    Error = 1,
    /// More stream data follows.
    Continue = 2,
}

impl Status {
    fn from_u32(v: u32) -> Result<Status> {
        Ok(match v {
            0 => Status::Ok,
            1 => Status::Error,
            2 => Status::Continue,
            n => return Err(decode_error(&format!("unknown message status {n}"))),
        })
    }
}

/// The fields of a packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Program number.
    pub prog: u32,
    /// Program version.
    pub vers: u32,
    /// Procedure within the program.
    pub proc_: i32,
    /// What kind of message.
    pub kind: MessageType,
    /// Matches a reply to its call.
    pub serial: u32,
    /// Outcome.
    pub status: Status,
}

impl Header {
    /// A call of `proc_` on the main program.
    pub fn call(proc_: i32, serial: u32) -> Header {
        Header {
            prog: REMOTE_PROGRAM,
            vers: PROGRAM_VERSION,
            proc_,
            kind: MessageType::Call,
            serial,
            status: Status::Ok,
        }
    }

    /// A keepalive message (`KEEPALIVE_PING` or `KEEPALIVE_PONG`).
    pub fn keepalive(proc_: i32) -> Header {
        Header {
            prog: KEEPALIVE_PROGRAM,
            vers: PROGRAM_VERSION,
            proc_,
            kind: MessageType::Message,
            serial: 0,
            status: Status::Ok,
        }
    }

    /// An encoder holding the length placeholder and this header; finish it
    /// with [`finish_packet`].
    pub fn start(&self) -> Encoder {
        let mut e = Encoder::new();
        e.u32(0);
        e.u32(self.prog);
        e.u32(self.vers);
        e.i32(self.proc_);
        e.u32(self.kind as u32);
        e.u32(self.serial);
        e.u32(self.status as u32);
        e
    }

    /// Reads the header at the start of `d`.
    pub fn decode(d: &mut Decoder) -> Result<Header> {
        Ok(Header {
            prog: d.u32()?,
            vers: d.u32()?,
            proc_: d.i32()?,
            kind: MessageType::from_u32(d.u32()?)?,
            serial: d.u32()?,
            status: Status::from_u32(d.u32()?)?,
        })
    }
}

/// Sets the length word of a packet started by [`Header::start`].
pub fn finish_packet(mut e: Encoder) -> Result<Vec<u8>> {
    let len = e.len();
    if len - LEN_SIZE > MESSAGE_MAX {
        e.fail(&format!("packet of {len} bytes exceeds the limit"));
    }
    e.patch_u32(0, len as u32);
    e.finish()
}

/// A whole packet: header and raw payload bytes.
pub fn encode(header: &Header, payload: &[u8]) -> Result<Vec<u8>> {
    let mut e = header.start();
    e.opaque_fixed_raw(payload);
    finish_packet(e)
}

/// The number of bytes that follow a length word, validated.
pub fn body_len(word: [u8; 4]) -> Result<usize> {
    let len = u32::from_be_bytes(word) as usize;
    // libvirt's wording; it only demands the length word itself, a short
    // header then fails to decode.
    if len < LEN_SIZE + HEADER_SIZE {
        let want = if len < LEN_SIZE {
            LEN_SIZE
        } else {
            LEN_SIZE + HEADER_SIZE
        };
        return Err(Error::new(
            VIR_FROM_RPC,
            VIR_ERR_RPC,
            Some(&format!(
                "packet {len} bytes received from server too small, want {want}"
            )),
        ));
    }
    if len - LEN_SIZE > MESSAGE_MAX {
        return Err(Error::new(
            VIR_FROM_RPC,
            VIR_ERR_RPC,
            Some(&format!(
                "packet {} bytes received from server too large, want {MESSAGE_MAX}",
                len - LEN_SIZE
            )),
        ));
    }
    Ok(len - LEN_SIZE)
}

/// Splits a whole packet (length word included) into header and payload.
pub fn decode(packet: &[u8]) -> Result<(Header, &[u8])> {
    if packet.len() < LEN_SIZE {
        return Err(decode_error("packet shorter than its length word"));
    }
    let body = body_len([packet[0], packet[1], packet[2], packet[3]])?;
    if body != packet.len() - LEN_SIZE {
        return Err(decode_error(&format!(
            "length word says {} bytes, packet has {}",
            body + LEN_SIZE,
            packet.len()
        )));
    }
    decode_body(&packet[LEN_SIZE..])
}

/// Splits the bytes after the length word into header and payload.
pub fn decode_body(body: &[u8]) -> Result<(Header, &[u8])> {
    let mut d = Decoder::new(body);
    let h = Header::decode(&mut d)?;
    Ok((h, &body[HEADER_SIZE..]))
}

/// `remote_nonnull_domain` as the error carries it (always NULL in practice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireDomain {
    /// Name.
    pub name: String,
    /// UUID bytes.
    pub uuid: [u8; 16],
    /// Id, -1 when inactive.
    pub id: i32,
}

impl Xdr for WireDomain {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        e.opaque_fixed(&self.uuid);
        e.i32(self.id);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let name = String::decode(d)?;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(d.opaque_fixed(16)?);
        Ok(WireDomain {
            name,
            uuid,
            id: d.i32()?,
        })
    }
}

/// `remote_nonnull_network` (also pools).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireNetwork {
    /// Name.
    pub name: String,
    /// UUID bytes.
    pub uuid: [u8; 16],
}

impl Xdr for WireNetwork {
    fn encode(&self, e: &mut Encoder) {
        self.name.encode(e);
        e.opaque_fixed(&self.uuid);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        let name = String::decode(d)?;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(d.opaque_fixed(16)?);
        Ok(WireNetwork { name, uuid })
    }
}

/// `remote_error` / `virNetMessageError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// `virErrorNumber`.
    pub code: i32,
    /// `virErrorDomain`.
    pub domain: i32,
    /// The message.
    pub message: Option<String>,
    /// `virErrorLevel`.
    pub level: i32,
    /// The domain concerned (servers send NULL).
    pub dom: Option<WireDomain>,
    /// Extra string.
    pub str1: Option<String>,
    /// Extra string.
    pub str2: Option<String>,
    /// Extra string.
    pub str3: Option<String>,
    /// Extra number.
    pub int1: i32,
    /// Extra number.
    pub int2: i32,
    /// The network concerned (servers send NULL).
    pub net: Option<WireNetwork>,
}

crate::xdr_struct!(RemoteError {
    code,
    domain,
    message,
    level,
    dom,
    str1,
    str2,
    str3,
    int1,
    int2,
    net
});

impl From<RemoteError> for Error {
    fn from(r: RemoteError) -> Error {
        Error {
            code: r.code,
            domain: r.domain,
            level: r.level,
            // libvirt's client substitutes this when the server sent none.
            message: r.message.unwrap_or_else(|| "Unknown error".to_string()),
            str1: r.str1,
            str2: r.str2,
            str3: r.str3,
            int1: r.int1,
            int2: r.int2,
        }
    }
}

impl From<&Error> for RemoteError {
    fn from(e: &Error) -> RemoteError {
        RemoteError {
            code: e.code,
            domain: e.domain,
            message: Some(e.message.clone()),
            level: e.level,
            dom: None,
            str1: e.str1.clone(),
            str2: e.str2.clone(),
            str3: e.str3.clone(),
            int1: e.int1,
            int2: e.int2,
            net: None,
        }
    }
}
