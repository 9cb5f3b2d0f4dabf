//! A drop-in replacement for libvirt's client library.
//!
//! The crate builds `libvirt.so.0` (the C ABI of libvirt 9.0.0, in [`ffi`]) on a
//! safe Rust API: [`connect::Connection`] over the [`driver::Driver`] trait,
//! which each hypervisor driver implements.

pub mod abi;
pub mod auth;
pub mod caps;
pub mod conf;
pub mod connect;
pub mod domain;
pub mod domain_events;
pub mod driver;
pub mod drivers;
pub mod error;
pub mod event;
pub mod ffi;
pub mod host;
pub mod interface;
pub mod migrate;
pub mod native;
pub mod net;
pub mod network;
pub mod rpc;
pub mod stats;
pub mod storage;
pub mod stream;
pub mod typed_params;
pub mod uri;
pub mod xml;

pub use error::{Error, Result};

/// The libvirt API level this library implements (9.0.0), as libvirt packs it.
pub const LIB_VERSION: u64 = abi::LIBVIR_VERSION_NUMBER as u64;
