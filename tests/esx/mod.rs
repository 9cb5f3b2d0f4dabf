//! Helpers of the ESX driver tests.
pub mod oracle;
pub mod sim;
