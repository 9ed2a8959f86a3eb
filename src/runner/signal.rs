//! Interrupt handling: SIGINT, SIGTERM and SIGHUP stop the run between tests and make the
//! running tests' process groups terminate (see `process`), so that the summary, the seed and the
//! reports are still written for what ran. A second signal exits at once with
//! [`crate::exit::INTERRUPTED`]; the watchdog (see `watchdog`) then kills the tests' process
//! groups.

use crate::runner::options::CancelFlag;
use std::sync::Arc;

/// Installs the handlers; `cancel` becomes true on the first signal.
/// Errors if the OS refuses a handler (the run then still works, without graceful interrupts).
pub(crate) fn install(cancel: &CancelFlag) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // Registered first, so it sees the flag before this signal sets it: a second signal
        // exits immediately.
        signal_hook::flag::register_conditional_shutdown(
            sig,
            crate::exit::INTERRUPTED,
            Arc::clone(cancel),
        )?;
        signal_hook::flag::register(sig, Arc::clone(cancel))?;
    }
    Ok(())
}
