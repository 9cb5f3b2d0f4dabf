//! Xen's native configurations: the xm and xl tools' config files
//! (`xen-xm`, `xen-xl`, libvirt's config-file syntax) and XenD's
//! s-expressions (`xen-sxpr`), to and from the domain model.

pub mod sexpr;
pub mod sxpr;
pub mod xl;
pub mod xm;
