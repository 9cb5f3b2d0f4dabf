//! A drop-in replacement for libvirt's client library.
//!
//! The crate builds `libvirt.so.0` (the C ABI of libvirt 9.0.0, in [`ffi`]) on a
//! safe Rust API: [`connect::Connection`] over the [`driver::Driver`] trait,
//! which each hypervisor driver implements.

pub mod abi;
pub mod connect;
pub mod driver;
pub mod error;
pub mod event;
pub mod ffi;

pub use error::{Error, Result};
