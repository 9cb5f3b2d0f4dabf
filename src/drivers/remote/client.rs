//! One RPC connection shared by every thread: calls are matched to replies
//! by serial, a reader thread hands each reply to the caller waiting for it,
//! answers keepalive pings and passes events on.  No lock is held while a
//! caller waits for its reply.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::rpc::packet::{self, Header, MessageType, RemoteError, Status, KEEPALIVE_PROGRAM, REMOTE_PROGRAM};
use crate::rpc::xdr::{self, Xdr};

/// What the reader hands a waiting caller: the reply's status and payload,
/// or why no reply will come.
type Reply = Result<(Status, Vec<u8>)>;

/// A bidirectional byte stream split into its halves, and how to unblock the
/// reader when the client goes away.
pub struct Channel {
    /// Where replies come from.
    pub reader: Box<dyn Read + Send>,
    /// Where calls go.
    pub writer: Box<dyn Write + Send>,
    /// Interrupts a blocked read (socket shutdown, killing a child process).
    pub shutdown: Box<dyn Fn() + Send + Sync>,
}

/// Called for every server-sent MESSAGE packet of the REMOTE program:
/// procedure and payload.
pub type EventSink = Box<dyn Fn(i32, &[u8]) + Send + Sync>;
/// Called once when the connection is lost (not on an orderly close).
pub type CloseSink = Box<dyn Fn(i32) + Send + Sync>;

struct Shared {
    writer: Mutex<Box<dyn Write + Send>>,
    pending: Mutex<HashMap<u32, SyncSender<Reply>>>,
    dead: AtomicBool,
    closing: AtomicBool,
    events: Mutex<Option<EventSink>>,
    on_close: Mutex<Option<CloseSink>>,
    shutdown: Box<dyn Fn() + Send + Sync>,
}

/// A multiplexed RPC client.
pub struct Client {
    shared: Arc<Shared>,
    serial: AtomicU32,
    reader: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// "client socket is closed", as libvirt reports calls on a dead connection.
pub fn closed_error() -> Error {
    Error::internal(VIR_FROM_RPC, "client socket is closed")
}

impl Client {
    /// Starts the reader thread on `channel`.
    pub fn new(channel: Channel) -> Result<Client> {
        let Channel {
            reader,
            writer,
            shutdown,
        } = channel;
        let shared = Arc::new(Shared {
            writer: Mutex::new(writer),
            pending: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            events: Mutex::new(None),
            on_close: Mutex::new(None),
            shutdown,
        });
        let s = shared.clone();
        let handle = std::thread::Builder::new()
            .name("virt-rpc-reader".into())
            .spawn(move || read_loop(&s, reader))
            .map_err(|e| Error::internal(VIR_FROM_RPC, format!("cannot start the reader thread: {e}")))?;
        Ok(Client {
            shared,
            serial: AtomicU32::new(0),
            reader: Mutex::new(Some(handle)),
        })
    }

    /// Sets where server events go.
    pub fn set_event_sink(&self, sink: EventSink) {
        *self.shared.events.lock() = Some(sink);
    }

    /// Sets what runs when the connection breaks.
    pub fn set_close_sink(&self, sink: Option<CloseSink>) {
        *self.shared.on_close.lock() = sink;
    }

    /// Whether the connection still works.
    pub fn is_alive(&self) -> bool {
        !self.shared.dead.load(Ordering::SeqCst)
    }

    /// Calls `proc_` of the REMOTE program with `args`; the server's error
    /// comes back as the same `Error`.
    pub fn call<A: Xdr, R: Xdr>(&self, proc_: i32, args: &A) -> Result<R> {
        let payload = self.call_raw(proc_, args)?;
        xdr::from_bytes(&payload)
    }

    /// [`Client::call`] returning the undecoded reply payload.
    pub fn call_raw<A: Xdr>(&self, proc_: i32, args: &A) -> Result<Vec<u8>> {
        if !self.is_alive() {
            return Err(closed_error());
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut e = Header::call(proc_, serial).start();
        args.encode(&mut e);
        let bytes = packet::finish_packet(e)?;
        let (tx, rx) = sync_channel(1);
        self.shared.pending.lock().insert(serial, tx);
        // The reader may have died between the check above and the insert;
        // it fails everything pending when it does, so re-check after.
        if !self.is_alive() {
            self.shared.pending.lock().remove(&serial);
            return Err(closed_error());
        }
        if let Err(e) = self.shared.write(&bytes) {
            self.shared.pending.lock().remove(&serial);
            return Err(e);
        }
        match rx.recv() {
            Ok(Ok((Status::Ok, payload))) => Ok(payload),
            Ok(Ok((_, payload))) => {
                let err: RemoteError = xdr::from_bytes(&payload)?;
                Err(err.into())
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(closed_error()),
        }
    }

    /// Sends a keepalive ping (the reader answers the server's own pings).
    pub fn ping(&self) -> Result<()> {
        self.shared
            .write(&packet::encode(&Header::keepalive(packet::KEEPALIVE_PING), &[])?)
    }

    /// Stops the reader and releases the transport; later calls fail.
    pub fn shutdown(&self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.shared.dead.store(true, Ordering::SeqCst);
        (self.shared.shutdown)();
        if let Some(h) = self.reader.lock().take() {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    fn write(&self, bytes: &[u8]) -> Result<()> {
        let mut w = self.writer.lock();
        w.write_all(bytes).and_then(|_| w.flush()).map_err(|e| {
            Error::system(
                VIR_FROM_RPC,
                e.raw_os_error().unwrap_or(libc::EIO),
                "Cannot write data",
            )
        })
    }

    /// Marks the connection dead and fails every waiting caller with `err`.
    fn die(&self, err: Error) {
        self.dead.store(true, Ordering::SeqCst);
        let waiting: Vec<_> = self.pending.lock().drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(Err(err.clone()));
        }
        if !self.closing.load(Ordering::SeqCst) {
            if let Some(cb) = self.on_close.lock().take() {
                // VIR_CONNECT_CLOSE_REASON_EOF or _ERROR.
                let reason = if err.code == VIR_ERR_SYSTEM_ERROR { 0 } else { 1 };
                cb(reason);
            }
        }
    }
}

/// The error a transport put inside an I/O error (a child's stderr in it,
/// say), which says more than the errno alone.
fn transport_error(e: &std::io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().cloned()
}

fn read_exact(r: &mut dyn Read, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if let Some(err) = transport_error(&e) {
            err
        } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::system(VIR_FROM_RPC, libc::EIO, "End of file while reading data")
        } else {
            Error::system(
                VIR_FROM_RPC,
                e.raw_os_error().unwrap_or(libc::EIO),
                "Cannot recv data",
            )
        }
    })
}

fn read_loop(shared: &Shared, mut reader: Box<dyn Read + Send>) {
    let err = loop {
        if let Err(e) = read_one(shared, &mut *reader) {
            break e;
        }
    };
    shared.die(err);
}

fn read_one(shared: &Shared, reader: &mut dyn Read) -> Result<()> {
    let mut word = [0u8; 4];
    read_exact(reader, &mut word)?;
    let len = packet::body_len(word)?;
    // Grow the buffer as bytes actually arrive: a lying length costs at most
    // what the peer really sends.
    let mut body = Vec::with_capacity(len.min(65536));
    let got = reader.take(len as u64).read_to_end(&mut body).map_err(|e| {
        transport_error(&e).unwrap_or_else(|| {
            Error::system(
                VIR_FROM_RPC,
                e.raw_os_error().unwrap_or(libc::EIO),
                "Cannot recv data",
            )
        })
    })?;
    if got != len {
        return Err(Error::system(
            VIR_FROM_RPC,
            libc::EIO,
            "End of file while reading data",
        ));
    }
    let (h, payload) = packet::decode_body(&body)?;
    match (h.prog, h.kind) {
        (REMOTE_PROGRAM, MessageType::Reply) => {
            let waiter = shared.pending.lock().remove(&h.serial);
            match waiter {
                Some(tx) => {
                    let _ = tx.send(Ok((h.status, payload.to_vec())));
                }
                None => {
                    return Err(Error::internal(
                        VIR_FROM_RPC,
                        format!("Unexpected reply with serial {}", h.serial),
                    ))
                }
            }
        }
        (REMOTE_PROGRAM, MessageType::Message) => {
            if let Some(sink) = shared.events.lock().as_ref() {
                sink(h.proc_, payload);
            }
        }
        (KEEPALIVE_PROGRAM, MessageType::Message) => {
            if h.proc_ == packet::KEEPALIVE_PING {
                shared.write(&packet::encode(&Header::keepalive(packet::KEEPALIVE_PONG), &[])?)?;
            }
        }
        (prog, kind) => {
            return Err(Error::internal(
                VIR_FROM_RPC,
                format!("Unexpected message type {kind:?} for program {prog:#x}"),
            ))
        }
    }
    Ok(())
}
