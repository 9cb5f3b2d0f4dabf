//! One RPC connection shared by every thread: calls are matched to replies
//! by serial, a reader thread hands each reply to the caller waiting for it,
//! answers keepalive pings and passes events on.  No lock is held while a
//! caller waits for its reply.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// What the reader hands an open stream: one of its packets, or why no
/// more will come.
pub enum StreamEvent {
    /// A STREAM packet's status and raw payload.
    Packet(Status, Vec<u8>),
    /// A STREAM_HOLE packet's payload (`virNetStreamHole`: hyper length,
    /// unsigned flags).
    Hole(Vec<u8>),
    /// The connection is gone.
    Lost(Error),
}

/// Called for every server-sent MESSAGE packet of the REMOTE program:
/// procedure and payload.
pub type EventSink = Box<dyn Fn(i32, &[u8]) + Send + Sync>;
/// Called once when the connection is lost (not on an orderly close), with
/// the `VIR_CONNECT_CLOSE_REASON_*`.
pub type CloseSink = Box<dyn Fn(i32) + Send + Sync>;

/// `VIR_CONNECT_CLOSE_REASON_ERROR`.
const CLOSE_ERROR: i32 = 0;
/// `VIR_CONNECT_CLOSE_REASON_EOF`.
const CLOSE_EOF: i32 = 1;
/// `VIR_CONNECT_CLOSE_REASON_KEEPALIVE`.
const CLOSE_KEEPALIVE: i32 = 2;

struct Shared {
    writer: Mutex<Box<dyn Write + Send>>,
    pending: Mutex<HashMap<u32, SyncSender<Reply>>>,
    /// Open streams by the serial of the call that opened them.
    streams: Mutex<HashMap<u32, Sender<StreamEvent>>>,
    dead: AtomicBool,
    closing: AtomicBool,
    events: Mutex<Option<EventSink>>,
    on_close: Mutex<Option<CloseSink>>,
    shutdown: Box<dyn Fn() + Send + Sync>,
    /// When the last packet arrived, in milliseconds since `epoch`.
    last_rx: AtomicU64,
    epoch: Instant,
    /// Keepalive interval (seconds, 0 = off) and unanswered-ping limit.
    keepalive: Mutex<(u32, u32)>,
}

/// A multiplexed RPC client.
pub struct Client {
    shared: Arc<Shared>,
    serial: AtomicU32,
    reader: Mutex<Option<std::thread::JoinHandle<()>>>,
    pinger: Mutex<Option<std::thread::JoinHandle<()>>>,
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
            streams: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            events: Mutex::new(None),
            on_close: Mutex::new(None),
            shutdown,
            last_rx: AtomicU64::new(0),
            epoch: Instant::now(),
            keepalive: Mutex::new((0, 0)),
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
            pinger: Mutex::new(None),
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
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        self.round_trip(proc_, serial, args)
    }

    /// Calls `proc_`, whose success opens a stream on the call's serial:
    /// the undecoded reply and the stream's port.  The stream is listened
    /// for before the call goes out, as its data may follow the reply at once.
    pub fn call_stream<A: Xdr>(&self, proc_: i32, args: &A) -> Result<(Vec<u8>, StreamPort)> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = channel();
        self.shared.streams.lock().insert(serial, tx);
        let port = StreamPort {
            shared: self.shared.clone(),
            proc_,
            serial,
            rx,
        };
        let reply = self.round_trip(proc_, serial, args)?;
        Ok((reply, port))
    }

    fn round_trip<A: Xdr>(&self, proc_: i32, serial: u32, args: &A) -> Result<Vec<u8>> {
        if !self.is_alive() {
            return Err(closed_error());
        }
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

    /// Sends a ping every `interval` seconds of silence from the server and
    /// gives the connection up after `count` of them go unanswered
    /// (`interval <= 0` stops pinging; the server's pings are always answered).
    pub fn set_keepalive(&self, interval: i32, count: u32) -> Result<()> {
        *self.shared.keepalive.lock() = (interval.max(0) as u32, count);
        let mut pinger = self.pinger.lock();
        if interval > 0 && pinger.is_none() {
            let s = self.shared.clone();
            *pinger = Some(
                std::thread::Builder::new()
                    .name("virt-rpc-keepalive".into())
                    .spawn(move || keepalive_loop(&s))
                    .map_err(|e| {
                        Error::internal(VIR_FROM_RPC, format!("cannot start the keepalive thread: {e}"))
                    })?,
            );
        }
        Ok(())
    }

    /// Stops the reader and releases the transport; later calls fail.
    pub fn shutdown(&self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.shared.dead.store(true, Ordering::SeqCst);
        (self.shared.shutdown)();
        for slot in [&self.reader, &self.pinger] {
            if let Some(h) = slot.lock().take() {
                if h.thread().id() != std::thread::current().id() {
                    let _ = h.join();
                }
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

    /// Milliseconds since the client started.
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Marks the connection dead and fails every waiting caller with `err`;
    /// the close callback learns `reason`.
    fn die(&self, err: Error, reason: i32) {
        if self.dead.swap(true, Ordering::SeqCst) && self.pending.lock().is_empty() {
            return;
        }
        let waiting: Vec<_> = self.pending.lock().drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(Err(err.clone()));
        }
        // Streams learn only that the socket is gone, as libvirt's do.
        let streams: Vec<_> = self.streams.lock().drain().collect();
        for (_, tx) in streams {
            let _ = tx.send(StreamEvent::Lost(closed_error()));
        }
        if !self.closing.load(Ordering::SeqCst) {
            let cb = self.on_close.lock().take();
            if let Some(cb) = cb {
                cb(reason);
            }
        }
    }
}

/// One open stream's link to the connection: its packets arrive on `rx`.
pub struct StreamPort {
    shared: Arc<Shared>,
    proc_: i32,
    serial: u32,
    /// The stream's packets, in the order the server sent them.
    pub rx: Receiver<StreamEvent>,
}

impl StreamPort {
    /// Sends a STREAM packet of the stream with `status` and raw `data`.
    pub fn send(&self, status: Status, data: &[u8]) -> Result<()> {
        self.send_kind(MessageType::Stream, status, data)
    }

    /// Sends a STREAM_HOLE packet: a hole of `length` bytes.
    pub fn send_hole(&self, length: i64, flags: u32) -> Result<()> {
        let hole = xdr::to_bytes(&(length, flags))?;
        self.send_kind(MessageType::StreamHole, Status::Continue, &hole)
    }

    fn send_kind(&self, kind: MessageType, status: Status, data: &[u8]) -> Result<()> {
        if self.shared.dead.load(Ordering::SeqCst) {
            return Err(closed_error());
        }
        let header = Header {
            kind,
            status,
            ..Header::call(self.proc_, self.serial)
        };
        self.shared.write(&packet::encode(&header, data)?)
    }
}

impl Drop for StreamPort {
    fn drop(&mut self) {
        self.shared.streams.lock().remove(&self.serial);
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

fn read_loop(shared: &Shared, reader: Box<dyn Read + Send>) {
    // Buffered: one read usually brings a whole packet, or several.
    let mut reader = std::io::BufReader::with_capacity(65536, reader);
    let (err, reason) = loop {
        match read_one(shared, &mut reader) {
            Ok(()) => shared.last_rx.store(shared.now(), Ordering::SeqCst),
            Err(e) => {
                // libvirt reports any socket failure as the peer's end.
                let reason = if e.code == VIR_ERR_SYSTEM_ERROR {
                    CLOSE_EOF
                } else {
                    CLOSE_ERROR
                };
                break (e, reason);
            }
        }
    };
    // Shutting the socket down lets the transport's child (ssh, ext) go too.
    if !shared.closing.load(Ordering::SeqCst) {
        (shared.shutdown)();
    }
    shared.die(err, reason);
}

/// Pings a silent server every interval; after `count` unanswered pings the
/// connection is given up, as libvirt's keepalive does.
fn keepalive_loop(shared: &Shared) {
    let mut sent = 0u32;
    let mut last_ping = shared.now();
    while !shared.dead.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        let (interval, count) = *shared.keepalive.lock();
        let now = shared.now();
        let last_rx = shared.last_rx.load(Ordering::SeqCst);
        if interval == 0 || last_rx > last_ping {
            // Off, or the server spoke since the last ping: it is alive.
            sent = 0;
        }
        if interval == 0 || now.saturating_sub(last_rx.max(last_ping)) < interval as u64 * 1000 {
            continue;
        }
        if sent >= count {
            // Fail the callers first so they see this error, not the
            // end-of-file the shutdown makes the reader see.
            shared.die(
                Error::internal(VIR_FROM_RPC, "connection closed due to keepalive timeout"),
                CLOSE_KEEPALIVE,
            );
            (shared.shutdown)();
            return;
        }
        let ping = packet::encode(&Header::keepalive(packet::KEEPALIVE_PING), &[]);
        if ping.and_then(|p| shared.write(&p)).is_err() {
            return;
        }
        sent += 1;
        last_ping = now;
    }
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
    let word = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
    let (prog, vers, proc_, kind) = (word(0), word(4), word(8) as i32, word(12) as i32);
    let rpc_error = |msg: String| Error::with(VIR_FROM_RPC, VIR_ERR_RPC, msg);
    // libvirt dispatches on the type before it looks at anything else.
    if ![
        MessageType::Reply,
        MessageType::Message,
        MessageType::Stream,
        MessageType::StreamHole,
    ]
    .iter()
    .any(|k| *k as i32 == kind)
    {
        return Err(rpc_error(format!(
            "got unexpected RPC call prog {prog} vers {vers} proc {proc_} type {kind}"
        )));
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
                    return Err(rpc_error(format!(
                        "no call waiting for reply with prog {prog} vers {vers} serial {}",
                        h.serial
                    )))
                }
            }
        }
        (_, MessageType::Reply) => {
            return Err(rpc_error(format!(
                "no call waiting for reply with prog {prog} vers {vers} serial {}",
                h.serial
            )))
        }
        // Data of a stream nobody reads any more is dropped, as libvirt's
        // client drops it.
        (REMOTE_PROGRAM, MessageType::Stream) => {
            if let Some(tx) = shared.streams.lock().get(&h.serial) {
                let _ = tx.send(StreamEvent::Packet(h.status, payload.to_vec()));
            }
        }
        (REMOTE_PROGRAM, MessageType::StreamHole) => {
            if let Some(tx) = shared.streams.lock().get(&h.serial) {
                let _ = tx.send(StreamEvent::Hole(payload.to_vec()));
            }
        }
        (REMOTE_PROGRAM, MessageType::Message) => {
            if let Some(sink) = shared.events.lock().as_ref() {
                sink(h.proc_, payload);
            }
        }
        (KEEPALIVE_PROGRAM, MessageType::Message) if h.proc_ == packet::KEEPALIVE_PING => {
            shared.write(&packet::encode(&Header::keepalive(packet::KEEPALIVE_PONG), &[])?)?;
        }
        // Events of programs this client does not speak are dropped, as
        // libvirt's client drops them.
        _ => {}
    }
    Ok(())
}
