//! libvirt's RPC wire format without any I/O: the XDR codec, the packet
//! header and the protocol's shared structures (errors, keepalive).

pub mod packet;
pub mod xdr;
