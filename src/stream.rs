//! Data streams (`virStream`): what a driver attaches to a stream, and how
//! the caller reads it.  Local drivers hand over whole payloads (a screenshot
//! is small); the remote driver attaches a live transfer whose data arrives
//! from the daemon as the caller reads.

use parking_lot::Mutex;

use crate::abi::*;
use crate::error::{Error, Result};

/// A transfer that moves data as the caller asks for it.
pub trait Source: Send {
    /// Up to `room` bytes; empty at the end of the data.
    fn recv(&mut self, room: usize) -> Result<Vec<u8>>;
    /// Sends `data` to the other end.
    fn send(&mut self, data: &[u8]) -> Result<()>;
    /// Ends the transfer once the other end confirms it.
    fn finish(&mut self) -> Result<()>;
    /// Cancels the transfer.
    fn abort(&mut self) -> Result<()>;
    /// Whether the next [`Source::recv`] would wait (for non-blocking streams).
    fn would_block(&mut self) -> bool;
    /// Whether the data goes on with a hole (waiting until that is known);
    /// [`Source::recv`] reads a hole as zeros.
    fn at_hole(&mut self) -> Result<bool> {
        Ok(false)
    }
    /// Takes the hole the data goes on with: its length (0: none).
    fn recv_hole(&mut self) -> Result<i64> {
        Ok(0)
    }
    /// The error domain and function prefix of the driver's own checks
    /// (libvirt's remote streams check flags as `remoteStream...`).
    fn origin(&self) -> (i32, &'static str) {
        (VIR_FROM_STREAMS, "virStream")
    }
    /// Sends a hole of `length` bytes.
    fn send_hole(&mut self, length: i64, flags: u32) -> Result<()> {
        let _ = (length, flags);
        Err(Error::no_support(VIR_FROM_STREAMS, "virStreamSendHole"))
    }
}

/// What a driver attaches to a stream.
pub enum Payload {
    /// The whole data, read in order.
    Bytes(Vec<u8>),
    /// A live transfer.
    Live(Box<dyn Source>),
}

impl Payload {
    /// The whole data, when the driver handed it over at once.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Payload::Bytes(data) => Some(data),
            Payload::Live(_) => None,
        }
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Payload::Bytes(data) => write!(f, "Bytes({} bytes)", data.len()),
            Payload::Live(_) => f.write_str("Live"),
        }
    }
}

impl From<Vec<u8>> for Payload {
    fn from(data: Vec<u8>) -> Payload {
        Payload::Bytes(data)
    }
}

/// A stream as the caller holds it.
#[derive(Default)]
pub struct Stream {
    state: Mutex<State>,
    /// `VIR_STREAM_NONBLOCK`: a read that would wait says so instead.
    nonblocking: bool,
}

#[derive(Default)]
enum State {
    /// Nothing attached yet: every call but abort is unsupported.
    #[default]
    Unattached,
    /// A payload being read.
    Reading { data: Vec<u8>, pos: usize },
    /// A live transfer: it keeps its own state to the end, as its errors
    /// after the end are its own.
    Live(Box<dyn Source>),
    /// Finished or aborted: reads fail, finish and abort are no-ops.
    Closed,
}

fn not_open() -> Error {
    Error::internal(VIR_FROM_STREAMS, "stream is not open")
}

impl Stream {
    /// A new stream, attached to nothing.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// A new non-blocking stream (`VIR_STREAM_NONBLOCK`).
    pub fn nonblocking() -> Stream {
        Stream {
            nonblocking: true,
            ..Stream::default()
        }
    }

    /// Whether this stream was made non-blocking.
    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// Attaches a payload to read (a new one replaces an unread one, as a
    /// driver reopening the stream does).
    pub fn attach(&self, payload: Payload) {
        let old = std::mem::replace(
            &mut *self.state.lock(),
            match payload {
                Payload::Bytes(data) => State::Reading { data, pos: 0 },
                Payload::Live(source) => State::Live(source),
            },
        );
        if let State::Live(mut source) = old {
            let _ = source.abort();
        }
    }

    /// Whether a read now would wait for data still on its way.
    pub fn would_block(&self) -> bool {
        match &mut *self.state.lock() {
            State::Live(source) => source.would_block(),
            _ => false,
        }
    }

    /// The error for `flags` that the stream operation `op` (such as
    /// "RecvFlags") does not know, from whoever checks them.
    pub fn bad_flags(&self, op: &str, flags: u32) -> Error {
        let (domain, prefix) = match &*self.state.lock() {
            State::Live(source) => source.origin(),
            _ => (VIR_FROM_STREAMS, "virStream"),
        };
        Error::bad_flags(domain, &format!("{prefix}{op}"), flags)
    }

    /// Whether the data goes on with a hole.
    pub fn at_hole(&self) -> Result<bool> {
        match &mut *self.state.lock() {
            State::Live(source) => source.at_hole(),
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamRecvFlags")),
            State::Closed => Err(not_open()),
            State::Reading { .. } => Ok(false),
        }
    }

    /// Takes the hole the data goes on with (0: none).
    pub fn recv_hole(&self) -> Result<i64> {
        match &mut *self.state.lock() {
            State::Live(source) => source.recv_hole(),
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamRecvHole")),
            State::Closed => Err(not_open()),
            State::Reading { .. } => Ok(0),
        }
    }

    /// Sends a hole of `length` bytes.
    pub fn send_hole(&self, length: i64, flags: u32) -> Result<()> {
        match &mut *self.state.lock() {
            State::Live(source) => source.send_hole(length, flags),
            State::Closed => Err(not_open()),
            _ => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamSendHole")),
        }
    }

    /// Reads up to `room` bytes; an empty result is the end of the data.
    pub fn recv(&self, room: usize) -> Result<Vec<u8>> {
        match &mut *self.state.lock() {
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamRecv")),
            State::Closed => Err(not_open()),
            State::Reading { data, pos } => {
                let n = room.min(data.len() - *pos);
                let out = data[*pos..*pos + n].to_vec();
                *pos += n;
                Ok(out)
            }
            State::Live(source) => source.recv(room),
        }
    }

    /// Writes `data` to the stream (whole payloads are read-only).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        match &mut *self.state.lock() {
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamSend")),
            State::Closed => Err(not_open()),
            State::Reading { .. } => Err(Error::system(
                VIR_FROM_STREAMS,
                libc::EBADF,
                "cannot write to stream",
            )),
            State::Live(source) => source.send(data),
        }
    }

    /// Ends the transfer.
    pub fn finish(&self) -> Result<()> {
        let mut state = self.state.lock();
        match &mut *state {
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamFinish")),
            State::Live(source) => source.finish(),
            _ => {
                *state = State::Closed;
                Ok(())
            }
        }
    }

    /// Cancels the transfer (fine on a stream that never started).
    pub fn abort(&self) -> Result<()> {
        let mut state = self.state.lock();
        match &mut *state {
            State::Unattached => Ok(()),
            State::Live(source) => source.abort(),
            _ => {
                *state = State::Closed;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_order_then_ends() {
        let s = Stream::new();
        assert_eq!(s.recv(4).unwrap_err().code, VIR_ERR_NO_SUPPORT);
        s.attach(b"abcdef".to_vec().into());
        assert_eq!(s.recv(4).unwrap(), b"abcd");
        assert_eq!(s.recv(4).unwrap(), b"ef");
        assert!(s.recv(4).unwrap().is_empty());
        assert_eq!(s.send(b"x").unwrap_err().code, VIR_ERR_SYSTEM_ERROR);
        s.finish().unwrap();
        assert_eq!(
            s.recv(1).unwrap_err().message,
            "internal error: stream is not open"
        );
        s.abort().unwrap();
        s.finish().unwrap();
    }
}
