//! Helpers of the ESX driver tests, shared by several test binaries (each
//! uses a part of them).
#![allow(dead_code)]

pub mod oracle;
pub mod sim;
