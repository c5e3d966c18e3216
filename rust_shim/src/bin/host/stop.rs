//! Ctrl-C and SIGTERM: the first asks the host to stop after the tick in progress, the second
//! ends the process at once.
//!
//! Either way the journal stays consistent: every ledger event commits on its own, and
//! `--resume` finishes whatever a hard stop interrupted.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// The exit status of a run stopped by a signal (128 + SIGINT, as shells report Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Whether a stop was asked for, and by which signal.
#[derive(Clone)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// Installs the handlers of SIGINT and SIGTERM.
    pub fn install() -> std::io::Result<Self> {
        let stop = Stop {
            requested: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        };
        for signal in [SIGINT, SIGTERM] {
            // In this order: the exit is armed only by an earlier signal.
            flag::register_conditional_shutdown(
                signal,
                i32::from(EXIT_INTERRUPTED),
                Arc::clone(&stop.requested),
            )?;
            flag::register_usize(signal, Arc::clone(&stop.signal), signal as usize)?;
            flag::register(signal, Arc::clone(&stop.requested))?;
        }
        Ok(stop)
    }

    /// The name of the signal that asked the host to stop, if one did.
    pub fn requested(&self) -> Option<&'static str> {
        if !self.requested.load(Ordering::SeqCst) {
            return None;
        }
        Some(match self.signal.load(Ordering::SeqCst) as i32 {
            SIGTERM => "SIGTERM",
            _ => "SIGINT",
        })
    }
}
