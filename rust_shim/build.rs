//! Gives every binary and test that embeds Python an rpath to the libpython PyO3 linked against.
//!
//! Without it the loader picks whatever `libpython3.x.so` its cache knows first (on Debian-based
//! images the system one), which may be a different build than the virtualenv's interpreter and
//! lacks its packages. The extension module maturin builds does not link libpython, so the rpath
//! is only added when PyO3 links it.

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=PYO3_BUILD_EXTENSION_MODULE");
    if std::env::var_os("PYO3_BUILD_EXTENSION_MODULE").is_some() {
        return;
    }
    let config = pyo3_build_config::get();
    if !config.shared {
        return;
    }
    if let Some(lib_dir) = &config.lib_dir {
        // Every linked target: binaries and tests start an interpreter, and on the cdylib of a
        // plain cargo build (which links libpython too) the rpath is harmless.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib_dir}");
    }
}
