//! `libvirt-stream.h`: streams carry data a driver attaches (a screenshot)
//! to the caller, read with virStreamRecv or virStreamRecvAll.

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

/// A new stream on the connection (its flags, such as
/// `VIR_STREAM_NONBLOCK`, change nothing for attached payloads).
#[no_mangle]
pub extern "C" fn virStreamNew(conn: virConnectPtr, flags: c_uint) -> virStreamPtr {
    let _ = flags;
    with_conn(conn, "virStreamNew", FROM, |c| {
        Ok(new_obj(&STREAMS, c, conn as usize, Stream::new(), "", "").cast())
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

/// [`virStreamRecv`] with flags (`VIR_STREAM_RECV_STOP_AT_HOLE`: these
/// payloads have no holes).
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
            ctx.obj(&STREAMS, stream.cast(), &BAD_STREAM, "virStreamRecvFlags")?;
            Err(Error::bad_flags(FROM, "virStreamRecvFlags", flags))
        });
    }
    // SAFETY: forwarded contract.
    unsafe { recv(stream, data, nbytes, "virStreamRecvFlags") }
}

/// # Safety
/// `data` must be NULL or have room for `nbytes` bytes.
unsafe fn recv(stream: virStreamPtr, data: *mut c_char, nbytes: usize, func: &str) -> c_int {
    with_stream(stream, func, |s| {
        if data.is_null() {
            return Err(Error::null_arg(FROM, func, "data"));
        }
        let room = nbytes.min(c_int::MAX as usize);
        let got = s.obj.recv(room)?;
        // SAFETY: `data` has room for `nbytes` >= got.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(got.as_ptr(), data.cast::<u8>(), got.len()) };
        Ok(got.len() as c_int)
    })
}

/// Writes to a stream: the streams here only carry data to the caller.
///
/// # Safety
/// `data` must be NULL or hold `nbytes` bytes.
#[no_mangle]
pub unsafe extern "C" fn virStreamSend(stream: virStreamPtr, data: *const c_char, nbytes: usize) -> c_int {
    let _ = nbytes;
    with_stream(stream, "virStreamSend", |s| {
        if data.is_null() {
            return Err(Error::null_arg(FROM, "virStreamSend", "data"));
        }
        s.obj.send().map(|_| 0)
    })
}

/// Reads the whole stream, handing each piece to `handler`.
///
/// # Safety
/// `handler` must be a valid sink function for `opaque`.
#[no_mangle]
pub unsafe extern "C" fn virStreamRecvAll(
    stream: virStreamPtr,
    handler: virStreamSinkFunc,
    opaque: *mut c_void,
) -> c_int {
    let func = "virStreamRecvAll";
    with_stream(stream, func, |s| {
        let Some(handler) = handler else {
            return Err(Error::null_arg(FROM, func, "handler"));
        };
        loop {
            let piece = s.obj.recv(64 * 1024)?;
            if piece.is_empty() {
                return Ok(0);
            }
            // SAFETY: the caller's sink, called with a live buffer.
            let took = unsafe { handler(stream, piece.as_ptr().cast(), piece.len(), opaque) };
            if took < 0 {
                s.obj.abort();
                return Err(Error::internal(FROM, "stream sink handler failed"));
            }
        }
    })
}

/// Ends a transfer.
#[no_mangle]
pub extern "C" fn virStreamFinish(stream: virStreamPtr) -> c_int {
    with_stream(stream, "virStreamFinish", |s| s.obj.finish().map(|_| 0))
}

/// Cancels a transfer.
#[no_mangle]
pub extern "C" fn virStreamAbort(stream: virStreamPtr) -> c_int {
    with_stream(stream, "virStreamAbort", |s| {
        s.obj.abort();
        Ok(0)
    })
}
