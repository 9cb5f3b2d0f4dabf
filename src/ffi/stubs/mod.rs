//! Exported stubs for the functions of libvirt's API that nothing implements yet.

mod domain;
mod host;
mod network;
mod nodedev;
mod nwfilter;
mod secret;
mod storage;
mod stream;
