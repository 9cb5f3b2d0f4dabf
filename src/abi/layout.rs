//! Compile-time checks that libvirt's public structs have libvirt's layout.
