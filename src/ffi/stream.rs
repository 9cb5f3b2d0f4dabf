//! `libvirt-stream.h`: streams carry the data a driver attaches (a
//! screenshot, a volume's bytes) to or from the caller.

use std::sync::Arc;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, with_conn};
use crate::ffi::objects::{new_obj, obj_free, obj_ref, with_obj, StreamHandle, BAD_STREAM, STREAMS};
use crate::stream::Stream;

const FROM: i32 = VIR_FROM_STREAMS;

fn with_stream<R: crate::ffi::boundary::Failure>(
    stream: virStreamPtr,
    func: &str,
    f: impl FnOnce(&Arc<StreamHandle>) -> Result<R>,
) -> R {
    with_obj(&STREAMS, stream.cast(), &BAD_STREAM, func, f)
}

/// A new stream on the connection (`VIR_STREAM_NONBLOCK`: reads that
/// would wait return -2).
#[no_mangle]
pub extern "C" fn virStreamNew(conn: virConnectPtr, flags: c_uint) -> virStreamPtr {
    with_conn(conn, "virStreamNew", FROM, |c| {
        let stream = if flags & VIR_STREAM_NONBLOCK as c_uint != 0 {
            Stream::nonblocking()
        } else {
            Stream::new()
        };
        Ok(new_obj(&STREAMS, c, conn as usize, stream, "", "").cast())
    })
}

/// Adds a reference to a stream.
#[no_mangle]
pub extern "C" fn virStreamRef(stream: virStreamPtr) -> c_int {
    obj_ref(&STREAMS, stream.cast(), &BAD_STREAM, "virStreamRef")
}

/// Drops a reference to a stream.
#[no_mangle]
pub extern "C" fn virStreamFree(stream: virStreamPtr) -> c_int {
    obj_free(&STREAMS, stream.cast(), &BAD_STREAM, "virStreamFree")
}

/// Reads up to `nbytes` into `data`: how many, 0 at the end.
///
/// # Safety
/// `data` must be NULL or have room for `nbytes` bytes.
#[no_mangle]
pub unsafe extern "C" fn virStreamRecv(stream: virStreamPtr, data: *mut c_char, nbytes: usize) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { recv(stream, data, nbytes, "virStreamRecv") }
}

/// [`virStreamRecv`] with flags (`VIR_STREAM_RECV_STOP_AT_HOLE`: -3 where
/// the data goes on with a hole).
///
/// # Safety
/// `data` must be NULL or have room for `nbytes` bytes.
#[no_mangle]
pub unsafe extern "C" fn virStreamRecvFlags(
    stream: virStreamPtr,
    data: *mut c_char,
    nbytes: usize,
    flags: c_uint,
) -> c_int {
    if flags & !(VIR_STREAM_RECV_STOP_AT_HOLE as c_uint) != 0 {
        return entry(|ctx| {
            let s = ctx.obj(&STREAMS, stream.cast(), &BAD_STREAM, "virStreamRecvFlags")?;
            Err(s.obj.bad_flags("RecvFlags", flags))
        });
    }
    if flags & VIR_STREAM_RECV_STOP_AT_HOLE as c_uint != 0 {
        let func = "virStreamRecvFlags";
        let hole = with_stream(stream, func, |s| {
            if data.is_null() {
                return Err(Error::null_arg(FROM, func, "data"));
            }
            if s.obj.is_nonblocking() && s.obj.would_block() {
                return Ok(-2);
            }
            Ok(if s.obj.at_hole()? { -3 } else { 0 })
        });
        if hole != 0 {
            return hole;
        }
    }
    // SAFETY: forwarded contract.
    unsafe { recv(stream, data, nbytes, "virStreamRecvFlags") }
}

/// The length of the hole the data goes on with, into `length` (0: none).
///
/// # Safety
/// `length` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virStreamRecvHole(
    stream: virStreamPtr,
    length: *mut c_longlong,
    flags: c_uint,
) -> c_int {
    let func = "virStreamRecvHole";
    with_stream(stream, func, |s| {
        if length.is_null() {
            return Err(Error::null_arg(FROM, func, "length"));
        }
        if flags != 0 {
            return Err(s.obj.bad_flags("RecvHole", flags));
        }
        let hole = s.obj.recv_hole()?;
        // SAFETY: writable by the caller's contract.
        unsafe { length.write(hole) };
        Ok(0)
    })
}

/// Sends a hole of `length` bytes (a sparse upload).
#[no_mangle]
pub extern "C" fn virStreamSendHole(stream: virStreamPtr, length: c_longlong, flags: c_uint) -> c_int {
    let func = "virStreamSendHole";
    with_stream(stream, func, |s| s.obj.send_hole(length, flags).map(|_| 0))
}

/// # Safety
/// `data` must be NULL or have room for `nbytes` bytes.
unsafe fn recv(stream: virStreamPtr, data: *mut c_char, nbytes: usize, func: &str) -> c_int {
    with_stream(stream, func, |s| {
        if data.is_null() {
            return Err(Error::null_arg(FROM, func, "data"));
        }
        if s.obj.is_nonblocking() && s.obj.would_block() {
            return Ok(-2);
        }
        let room = nbytes.min(c_int::MAX as usize);
        let got = s.obj.recv(room)?;
        // SAFETY: `data` has room for `nbytes` >= got.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(got.as_ptr(), data.cast::<u8>(), got.len()) };
        Ok(got.len() as c_int)
    })
}

/// Writes `nbytes` of `data` to a stream: how many were sent.
///
/// # Safety
/// `data` must be NULL or hold `nbytes` bytes.
#[no_mangle]
pub unsafe extern "C" fn virStreamSend(stream: virStreamPtr, data: *const c_char, nbytes: usize) -> c_int {
    with_stream(stream, "virStreamSend", |s| {
        if data.is_null() {
            return Err(Error::null_arg(FROM, "virStreamSend", "data"));
        }
        // SAFETY: the caller's contract: `data` holds `nbytes` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), nbytes) };
        s.obj
            .send(bytes)
            .map(|_| nbytes.min(c_int::MAX as usize) as c_int)
    })
}

/// Reads the whole stream, handing each piece to `handler` (holes come as
/// zeros).
///
/// # Safety
/// `handler` must be a valid sink function for `opaque`.
#[no_mangle]
pub unsafe extern "C" fn virStreamRecvAll(
    stream: virStreamPtr,
    handler: virStreamSinkFunc,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { recv_all(stream, handler, None, opaque, "virStreamRecvAll") }
}

/// Reads the whole stream, data to `handler` and holes to `holeHandler`.
///
/// # Safety
/// The handlers must be valid sink functions for `opaque`.
#[no_mangle]
#[allow(non_snake_case)]
pub unsafe extern "C" fn virStreamSparseRecvAll(
    stream: virStreamPtr,
    handler: virStreamSinkFunc,
    holeHandler: virStreamSinkHoleFunc,
    opaque: *mut c_void,
) -> c_int {
    let func = "virStreamSparseRecvAll";
    if holeHandler.is_none() {
        return entry(|ctx| {
            ctx.obj(&STREAMS, stream.cast(), &BAD_STREAM, func)?;
            Err(Error::null_arg(FROM, func, "holeHandler"))
        });
    }
    // SAFETY: forwarded contract.
    unsafe { recv_all(stream, handler, holeHandler, opaque, func) }
}

/// The receiving loop of the `*RecvAll` calls; a failing handler aborts.
///
/// # Safety
/// The handlers must be valid sink functions for `opaque`.
unsafe fn recv_all(
    stream: virStreamPtr,
    handler: virStreamSinkFunc,
    hole_handler: virStreamSinkHoleFunc,
    opaque: *mut c_void,
    func: &str,
) -> c_int {
    with_stream(stream, func, |s| {
        // Any failure aborts the stream, as libvirt's *All calls do.
        aborting(&s.obj, || {
            let handler = usable(&s.obj, handler, func, "data sinks")?;
            loop {
                if let Some(hole_handler) = hole_handler {
                    if s.obj.at_hole()? {
                        let length = s.obj.recv_hole()?;
                        // SAFETY: the caller's hole sink.
                        if unsafe { hole_handler(stream, length, opaque) } < 0 {
                            return Err(handler_failed("recv"));
                        }
                        continue;
                    }
                }
                let piece = s.obj.recv(CHUNK)?;
                if piece.is_empty() {
                    return Ok(0);
                }
                // The sink says how much it took; the rest is offered again.
                let mut offset = 0;
                while offset < piece.len() {
                    let rest = &piece[offset..];
                    // SAFETY: the caller's sink, called with a live buffer.
                    let took = unsafe { handler(stream, rest.as_ptr().cast(), rest.len(), opaque) };
                    if took < 0 {
                        return Err(handler_failed("recv"));
                    }
                    offset += (took as usize).min(rest.len());
                }
            }
        })
    })
}

/// Sends everything `handler` produces (until it returns 0), then the
/// caller finishes the stream.
///
/// # Safety
/// `handler` must be a valid source function for `opaque`.
#[no_mangle]
pub unsafe extern "C" fn virStreamSendAll(
    stream: virStreamPtr,
    handler: virStreamSourceFunc,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { send_all(stream, handler, None, opaque, "virStreamSendAll") }
}

/// Sends what `handler` produces, with the holes `hole_handler` finds
/// (skipped over in the source by `skip_handler`).
///
/// # Safety
/// The handlers must be valid source functions for `opaque`.
#[no_mangle]
#[allow(non_snake_case)]
pub unsafe extern "C" fn virStreamSparseSendAll(
    stream: virStreamPtr,
    handler: virStreamSourceFunc,
    holeHandler: virStreamSourceHoleFunc,
    skipHandler: virStreamSourceSkipFunc,
    opaque: *mut c_void,
) -> c_int {
    let func = "virStreamSparseSendAll";
    let (Some(hole), Some(skip)) = (holeHandler, skipHandler) else {
        let arg = if holeHandler.is_none() {
            "holeHandler"
        } else {
            "skipHandler"
        };
        return entry(|ctx| {
            ctx.obj(&STREAMS, stream.cast(), &BAD_STREAM, func)?;
            Err(Error::null_arg(FROM, func, arg))
        });
    };
    // SAFETY: forwarded contract.
    unsafe { send_all(stream, handler, Some((hole, skip)), opaque, func) }
}

/// The hole and skip callbacks of a sparse send.
type SparseSource = (
    unsafe extern "C" fn(virStreamPtr, *mut c_int, *mut c_longlong, *mut c_void) -> c_int,
    unsafe extern "C" fn(virStreamPtr, c_longlong, *mut c_void) -> c_int,
);

/// The sending loop of the `*SendAll` calls; a failing handler aborts.
///
/// # Safety
/// The handlers must be valid source functions for `opaque`.
unsafe fn send_all(
    stream: virStreamPtr,
    handler: virStreamSourceFunc,
    sparse: Option<SparseSource>,
    opaque: *mut c_void,
    func: &str,
) -> c_int {
    with_stream(stream, func, |s| {
        aborting(&s.obj, || {
            let handler = usable(&s.obj, handler, func, "data sources")?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let mut want = buf.len();
                if let Some((hole, skip)) = sparse {
                    let (mut in_data, mut length) = (0 as c_int, 0 as c_longlong);
                    // SAFETY: the caller's hole finder, given two live outputs.
                    if unsafe { hole(stream, &mut in_data, &mut length, opaque) } < 0 {
                        return Err(handler_failed("send"));
                    }
                    if in_data == 0 && length > 0 {
                        s.obj.send_hole(length, 0)?;
                        // SAFETY: the caller's skipper.
                        if unsafe { skip(stream, length, opaque) } < 0 {
                            return Err(handler_failed("send"));
                        }
                        continue;
                    }
                    want = want.min(length.max(0) as usize);
                }
                // SAFETY: the caller's source, given a live buffer of `want` bytes.
                let got = unsafe { handler(stream, buf.as_mut_ptr().cast(), want, opaque) };
                if got == 0 {
                    return Ok(0);
                }
                if got < 0 || got as usize > want {
                    return Err(handler_failed("send"));
                }
                s.obj.send(&buf[..got as usize])?;
            }
        })
    })
}

/// What the `*All` calls read or write at a time: the largest stream packet
/// (`VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`), as libvirt's do.
const CHUNK: usize = 262_144;

/// Runs one of the `*All` calls' bodies; a failure aborts the stream and
/// reports the body's error, not the abort's.
fn aborting(stream: &Stream, body: impl FnOnce() -> Result<c_int>) -> Result<c_int> {
    body().inspect_err(|_| {
        let _ = stream.abort();
    })
}

/// The `*All` calls' checks: a handler given, a blocking stream.
fn usable<H>(stream: &Stream, handler: Option<H>, func: &str, what: &str) -> Result<H> {
    let handler = handler.ok_or_else(|| Error::null_arg(FROM, func, "handler"))?;
    if stream.is_nonblocking() {
        return Err(Error::with(
            FROM,
            VIR_ERR_OPERATION_INVALID,
            format!("{what} cannot be used for non-blocking streams"),
        ));
    }
    Ok(handler)
}

/// A caller's handler failed: libvirt reports it as an I/O error.
fn handler_failed(direction: &str) -> Error {
    Error::system(FROM, libc::EIO, format!("{direction} handler failed"))
}

/// Ends a transfer.
#[no_mangle]
pub extern "C" fn virStreamFinish(stream: virStreamPtr) -> c_int {
    with_stream(stream, "virStreamFinish", |s| s.obj.finish().map(|_| 0))
}

/// Cancels a transfer.
#[no_mangle]
pub extern "C" fn virStreamAbort(stream: virStreamPtr) -> c_int {
    with_stream(stream, "virStreamAbort", |s| s.obj.abort().map(|_| 0))
}
