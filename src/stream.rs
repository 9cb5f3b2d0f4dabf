//! Data streams (`virStream`): what a driver attaches to a stream, and how
//! the caller reads it.  Drivers hand over whole payloads (a screenshot is
//! small), so a stream here is a buffer read in order.

use parking_lot::Mutex;

use crate::abi::*;
use crate::error::{Error, Result};

/// A stream as the caller holds it.
#[derive(Default)]
pub struct Stream {
    state: Mutex<State>,
}

#[derive(Default)]
enum State {
    /// Nothing attached yet: every call but abort is unsupported.
    #[default]
    Unattached,
    /// A payload being read.
    Reading { data: Vec<u8>, pos: usize },
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

    /// Attaches a payload to read (a new one replaces an unread one, as a
    /// driver reopening the stream does).
    pub fn attach(&self, data: Vec<u8>) {
        *self.state.lock() = State::Reading { data, pos: 0 };
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
        }
    }

    /// Writes to the stream: the payloads attached here are read-only.
    pub fn send(&self) -> Result<()> {
        match &*self.state.lock() {
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamSend")),
            State::Closed => Err(not_open()),
            State::Reading { .. } => Err(Error::system(
                VIR_FROM_STREAMS,
                libc::EBADF,
                "cannot write to stream",
            )),
        }
    }

    /// Ends the transfer.
    pub fn finish(&self) -> Result<()> {
        let mut state = self.state.lock();
        match *state {
            State::Unattached => Err(Error::no_support(VIR_FROM_STREAMS, "virStreamFinish")),
            _ => {
                *state = State::Closed;
                Ok(())
            }
        }
    }

    /// Cancels the transfer (fine on a stream that never started).
    pub fn abort(&self) {
        let mut state = self.state.lock();
        if !matches!(*state, State::Unattached) {
            *state = State::Closed;
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
        s.attach(b"abcdef".to_vec());
        assert_eq!(s.recv(4).unwrap(), b"abcd");
        assert_eq!(s.recv(4).unwrap(), b"ef");
        assert!(s.recv(4).unwrap().is_empty());
        assert_eq!(s.send().unwrap_err().code, VIR_ERR_SYSTEM_ERROR);
        s.finish().unwrap();
        assert_eq!(
            s.recv(1).unwrap_err().message,
            "internal error: stream is not open"
        );
        s.abort();
        s.finish().unwrap();
    }
}
