//! The hypervisor drivers.

pub mod test;
