//! Starting the embedded interpreter inside the named virtualenv.
//!
//! The host names its virtualenv explicitly (an argument, else `WEATHERMAN_VENV`). The interpreter
//! PyO3 linked against keeps its own standard library; the virtualenv contributes its
//! site-packages through `site.addsitedir`, which (unlike `PYTHONPATH`) also runs the `.pth` files
//! an editable install relies on. A missing or mismatched environment fails here, at start, with
//! the command that fixes it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pyo3::prelude::*;

use super::error::ShimError;
use super::logging;

/// The environment variable naming the virtualenv when no path is given.
pub const VENV_ENV: &str = "WEATHERMAN_VENV";

/// The Python environment the shim runs in, as found and checked at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonEnv {
    /// The virtualenv's root directory.
    pub venv: PathBuf,
    /// Its site-packages directory, added with `site.addsitedir`.
    pub site_packages: PathBuf,
    /// The interpreter version, `major.minor.micro`, equal in the venv and the embedded library.
    pub version: String,
}

static STARTED: OnceLock<Result<PythonEnv, ShimError>> = OnceLock::new();

/// Resolves the virtualenv: `explicit` if given, else `$WEATHERMAN_VENV`.
pub fn resolve_venv(explicit: Option<&Path>) -> Result<PathBuf, ShimError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    match std::env::var_os(VENV_ENV) {
        Some(value) if !value.is_empty() => Ok(PathBuf::from(value)),
        _ => Err(ShimError::environment(format!(
            "no virtualenv named: pass --venv PATH or set {VENV_ENV} (the Makefile sets it to \
             the project's .venv)"
        ))),
    }
}

/// Starts the interpreter in the virtualenv (once per process), imports the package and routes
/// its logging to Rust's `log`. Later calls return the first result; naming a different
/// virtualenv then is an error.
pub fn start(explicit_venv: Option<&Path>) -> Result<PythonEnv, ShimError> {
    let venv = resolve_venv(explicit_venv)?;
    // Checked on every call, so a wrong path is reported as such even after a start.
    let version = venv_version(&venv)?;
    let started = STARTED.get_or_init(|| start_once(&venv, version));
    match started {
        Ok(env) if same_path(&env.venv, &venv) => Ok(env.clone()),
        Ok(env) => Err(ShimError::environment(format!(
            "the interpreter already runs in {}, cannot switch to {}",
            env.venv.display(),
            venv.display()
        ))),
        Err(err) => Err(err.clone()),
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The `version` a `python -m venv` wrote into `pyvenv.cfg` (`version_info` on newer Pythons).
fn venv_version(venv: &Path) -> Result<String, ShimError> {
    let cfg_path = venv.join("pyvenv.cfg");
    let text = std::fs::read_to_string(&cfg_path).map_err(|err| {
        ShimError::environment(format!(
            "no virtualenv at {} ({}: {err})",
            venv.display(),
            cfg_path.display()
        ))
    })?;
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(key, _)| matches!(key.trim(), "version" | "version_info"))
        .map(|(_, value)| value.trim().to_owned())
        .ok_or_else(|| {
            ShimError::environment(format!("{} names no Python version", cfg_path.display()))
        })
}

fn start_once(venv: &Path, version: String) -> Result<PythonEnv, ShimError> {
    let mut parts = version.split('.');
    let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let site_packages = venv
        .join("lib")
        .join(format!("python{major}.{minor}"))
        .join("site-packages");
    if !site_packages.is_dir() {
        return Err(ShimError::environment(format!(
            "the virtualenv at {} has no {}",
            venv.display(),
            site_packages.display()
        )));
    }

    Python::initialize();
    Python::attach(|py| -> Result<(), ShimError> {
        let sys = py.import("sys")?;
        let info = sys.getattr("version_info")?;
        let part = |name: &str| -> PyResult<u32> { info.getattr(name)?.extract() };
        let running = format!("{}.{}.{}", part("major")?, part("minor")?, part("micro")?);
        if running != version {
            let libdir = py
                .import("sysconfig")?
                .call_method1("get_config_var", ("LIBDIR",))?
                .to_string();
            return Err(ShimError::Environment {
                message: format!(
                    "this binary embeds Python {running} (libpython in {libdir}) but the \
                     virtualenv at {} is Python {version}; rebuild with \
                     PYO3_PYTHON={}/bin/python",
                    venv.display(),
                    venv.display()
                ),
                fix: "make clean && make demo",
            });
        }
        let site = py.import("site")?;
        site.call_method1("addsitedir", (site_packages.to_string_lossy().as_ref(),))?;
        // `sys.executable` is the host binary; point it at the venv's interpreter so anything
        // that spawns Python (multiprocessing, subprocess helpers) gets the same environment.
        sys.setattr(
            "executable",
            venv.join("bin").join("python").to_string_lossy().as_ref(),
        )?;
        for module in ["weatherman_inventory", "weatherman_inventory.manager"] {
            py.import(module).map_err(|err| {
                let shown = ShimError::from(err);
                ShimError::environment(format!(
                    "cannot import {module} from {}: {shown}",
                    site_packages.display()
                ))
            })?;
        }
        logging::install(py)?;
        Ok(())
    })?;
    Ok(PythonEnv {
        venv: venv.to_path_buf(),
        site_packages,
        version,
    })
}

/// Ok once [`start`] has succeeded in this process; the handles call it before touching Python.
pub(crate) fn require_started() -> Result<(), ShimError> {
    match STARTED.get() {
        Some(Ok(_)) => Ok(()),
        Some(Err(err)) => Err(err.clone()),
        None => Err(ShimError::environment(
            "the interpreter is not started: call shim::start(venv) first",
        )),
    }
}
