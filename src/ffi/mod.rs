//! The C boundary: the only place with `extern "C"` and raw pointers.
//!
//! Every export is a few lines: check the arguments, call the safe API, convert
//! the result.  [`boundary::entry`] does the common part (error reset, panic
//! catch, failure values, error dispatch) so no export repeats it.  Each file
//! named after a libvirt header (`host.rs` for `libvirt-host.h`, ...) holds the
//! exports of that header that are implemented; `stubs/` holds the rest.

pub mod boundary;
pub mod common;
pub mod cstr;
pub mod dispatch;
pub mod domain;
pub mod domain_checkpoint;
pub mod domain_snapshot;
pub mod event;
pub mod flags;
pub mod handle;
pub mod network;
pub mod objects;
pub mod storage;
pub mod stream;

mod host;
mod stubs;
mod virterror;
