//! A stream carried over the connection: the STREAM packets of the call that
//! opened it, read as they arrive.  An empty CONTINUE packet is the end of
//! the data; finishing or aborting sends OK or ERROR and waits for the
//! daemon's closing packet, as libvirt's client does.  After that, or after
//! the daemon's error, every call fails the way libvirt's remote streams do.

use std::sync::mpsc::TryRecvError;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::rpc::packet::{RemoteError, Status};
use crate::rpc::xdr;
use crate::stream::Source;

use super::client::{closed_error, StreamEvent, StreamPort};

/// The largest payload of one STREAM packet libvirt sends or accepts
/// (`VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`).
const CHUNK: usize = 262_144;

/// A live remote stream.
pub struct RemoteStream {
    port: StreamPort,
    /// The packet being read, and how far.
    buf: Vec<u8>,
    pos: usize,
    /// The daemon sent the end of the data.
    eof: bool,
    /// The rest of the hole the data goes on with (sparse transfers).
    hole: u64,
    /// The daemon's error (or the connection's end), repeated to later calls.
    failed: Option<Error>,
    /// The daemon has forgotten the stream.
    closed: bool,
    /// Finished or aborted by the caller.
    ended: bool,
    /// A packet taken by [`Source::would_block`]'s look ahead.
    ahead: Option<StreamEvent>,
    /// Opened with a sparse flag: holes may be sent.
    sparse: bool,
}

fn remote_error(payload: &[u8]) -> Error {
    match xdr::from_bytes::<RemoteError>(payload) {
        Ok(e) => e.into(),
        Err(e) => e,
    }
}

impl RemoteStream {
    /// The stream whose packets arrive on `port` (`sparse`: opened with a
    /// sparse-stream flag).
    pub fn new(port: StreamPort, sparse: bool) -> RemoteStream {
        RemoteStream {
            port,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            hole: 0,
            failed: None,
            closed: false,
            ended: false,
            ahead: None,
            sparse,
        }
    }

    /// Why a call cannot go on: the daemon's error, or the caller's end.
    fn check(&self) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.ended {
            return Err(Error::with(
                VIR_FROM_RPC,
                VIR_ERR_OPERATION_FAILED,
                "stream is closed",
            ));
        }
        Ok(())
    }

    /// The next event, waiting for it.
    fn next(&mut self) -> Option<StreamEvent> {
        self.ahead.take().or_else(|| self.port.rx.recv().ok())
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    /// Takes in one event: data goes to the buffer, an error is kept.
    fn take(&mut self, event: Option<StreamEvent>) -> Result<()> {
        match event {
            Some(StreamEvent::Packet(Status::Continue, data)) if data.is_empty() => self.eof = true,
            Some(StreamEvent::Packet(Status::Continue, data)) => {
                self.buf = data;
                self.pos = 0;
            }
            // The daemon closed the stream on its side: nothing more comes.
            Some(StreamEvent::Packet(Status::Ok, _)) => {
                self.eof = true;
                self.closed = true;
            }
            Some(StreamEvent::Packet(Status::Error, payload)) => {
                self.closed = true;
                return Err(self.fail(remote_error(&payload)));
            }
            Some(StreamEvent::Hole(payload)) => {
                let (length, _flags): (i64, u32) = xdr::from_bytes(&payload)?;
                if length < 0 {
                    return Err(self.fail(Error::with(
                        VIR_FROM_RPC,
                        VIR_ERR_RPC,
                        format!("malformed stream hole: length {length}"),
                    )));
                }
                self.hole += length as u64;
            }
            Some(StreamEvent::Lost(e)) => return Err(self.fail(e)),
            None => return Err(self.fail(closed_error())),
        }
        Ok(())
    }

    /// Sends the closing packet and waits for the daemon's: data still in
    /// flight is dropped; the daemon's error is the result, and stays.
    fn close(&mut self, status: Status) -> Result<()> {
        self.check()?;
        if !self.closed && self.failed.is_none() {
            self.port.send(status, &[])?;
            self.closed = true;
            loop {
                let err = match self.next() {
                    Some(StreamEvent::Packet(Status::Continue, _)) | Some(StreamEvent::Hole(_)) => continue,
                    Some(StreamEvent::Packet(Status::Ok, _)) => break,
                    Some(StreamEvent::Packet(Status::Error, payload)) => remote_error(&payload),
                    Some(StreamEvent::Lost(e)) => e,
                    None => closed_error(),
                };
                return Err(self.fail(err));
            }
        }
        self.ended = true;
        Ok(())
    }
}

impl Source for RemoteStream {
    fn recv(&mut self, room: usize) -> Result<Vec<u8>> {
        loop {
            self.check()?;
            if self.pos < self.buf.len() {
                let n = room.min(self.buf.len() - self.pos);
                let out = self.buf[self.pos..self.pos + n].to_vec();
                self.pos += n;
                return Ok(out);
            }
            // A hole read as data is zeros.
            if self.hole > 0 {
                let n = (room as u64).min(self.hole) as usize;
                self.hole -= n as u64;
                return Ok(vec![0; n]);
            }
            if self.eof {
                return Ok(Vec::new());
            }
            let event = self.next();
            self.take(event)?;
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<()> {
        // An error the daemon already sent (say, a full disk) ends the upload.
        while let Some(event) = self.ahead.take().or_else(|| self.port.rx.try_recv().ok()) {
            self.take(Some(event))?;
        }
        self.check()?;
        for piece in data.chunks(CHUNK) {
            self.port.send(Status::Continue, piece)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.close(Status::Ok)
    }

    fn abort(&mut self) -> Result<()> {
        self.close(Status::Error)
    }

    fn at_hole(&mut self) -> Result<bool> {
        loop {
            self.check()?;
            if self.pos < self.buf.len() || self.eof {
                return Ok(false);
            }
            if self.hole > 0 {
                return Ok(true);
            }
            let event = self.next();
            self.take(event)?;
        }
    }

    fn recv_hole(&mut self) -> Result<i64> {
        self.check()?;
        let hole = std::mem::take(&mut self.hole);
        Ok(hole.min(i64::MAX as u64) as i64)
    }

    fn send_hole(&mut self, length: i64, flags: u32) -> Result<()> {
        while let Some(event) = self.ahead.take().or_else(|| self.port.rx.try_recv().ok()) {
            self.take(Some(event))?;
        }
        self.check()?;
        if !self.sparse {
            return Err(Error::with(
                VIR_FROM_RPC,
                VIR_ERR_OPERATION_INVALID,
                "Skipping is not supported with this stream",
            ));
        }
        self.port.send_hole(length, flags)
    }

    fn origin(&self) -> (i32, &'static str) {
        (VIR_FROM_REMOTE, "remoteStream")
    }

    fn would_block(&mut self) -> bool {
        if self.pos < self.buf.len()
            || self.hole > 0
            || self.eof
            || self.failed.is_some()
            || self.ended
            || self.ahead.is_some()
        {
            return false;
        }
        match self.port.rx.try_recv() {
            Ok(event) => {
                self.ahead = Some(event);
                false
            }
            Err(TryRecvError::Empty) => true,
            Err(TryRecvError::Disconnected) => false,
        }
    }
}
