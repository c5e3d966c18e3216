//! The embedded interpreter starts in the project's virtualenv and imports the package.

use std::path::PathBuf;

use pyo3::prelude::*;
use weatherman_inventory::shim::{self, ShimError};

fn venv() -> PathBuf {
    shim::resolve_venv(None)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")))
}

#[test]
fn starts_in_the_virtualenv_and_imports_the_package() {
    let env = shim::start(Some(&venv())).expect("interpreter start");
    assert!(env.site_packages.ends_with("site-packages"));
    let (file, version) = Python::attach(|py| -> PyResult<(String, String)> {
        let module = py.import("weatherman_inventory")?;
        let file: String = module.getattr("__file__")?.extract()?;
        let version: String = py
            .import("platform")?
            .call_method0("python_version")?
            .extract()?;
        Ok((file, version))
    })
    .expect("import");
    assert!(
        file.ends_with("python/weatherman_inventory/__init__.py"),
        "{file}"
    );
    assert_eq!(version, env.version);
}

#[test]
fn a_missing_virtualenv_names_the_fix() {
    let missing = PathBuf::from("/nonexistent/venv");
    // Either the first start in this process (checks the path) or a switch attempt: both refuse.
    let err = shim::start(Some(&missing)).expect_err("must refuse");
    match &err {
        ShimError::Environment { message, fix } => {
            assert!(message.contains("/nonexistent/venv"), "{message}");
            assert!(!fix.is_empty());
        }
        other => panic!("expected Environment, got {other:?}"),
    }
    assert!(err.to_string().contains("fix: run `make"), "{err}");
}
