//! Xen's native configurations: the xm and xl tools' config files
//! (`xen-xm`, `xen-xl`, libvirt's config-file syntax) and XenD's
//! s-expressions (`xen-sxpr`), to and from the domain model.

mod chardev;
pub mod common;
mod format;
mod parse;
pub mod sexpr;
pub mod sxpr;
mod vif;
pub mod xl;
mod xl_disk;
pub mod xm;
