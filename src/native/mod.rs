//! Native configuration formats (VMware VMX, ...) converted to and from the
//! domain model. Pure functions: the caller supplies every host look-up.

pub mod vmx;
