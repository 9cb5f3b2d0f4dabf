//! Links the cdylib as libvirt does: soname `libvirt.so.0` and libvirt's symbol
//! version nodes from `libvirt.map` (see `tools/link-cc` for why a wrapper is needed).
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=libvirt.map");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/libvirt.map");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvirt.so.0");
}
