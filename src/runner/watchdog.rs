//! The watchdog: a small helper process (this same executable, run as `cargo-shuffle
//! __watchdog`) that outlives the runner if the runner is killed with SIGKILL and then kills the
//! process groups of the tests that were still running.
//!
//! Why not `PR_SET_PDEATHSIG`: setting it needs code in the child between fork and exec, which
//! forces std to fork the whole runner for every test instead of using `posix_spawn`; measured
//! on glam (3,575 tests) that tripled the runner's CPU per test. The watchdog costs two small
//! pipe writes per test, also catches grandchildren in the test's group, and is portable to any
//! Unix.
//!
//! Protocol on its stdin: `+PGID\n` when a test's group starts, `-PGID\n` before it is reaped.
//! On end of input (the runner exited, however it exited) it sends SIGKILL to every group still
//! registered, then exits. It runs in its own process group and ignores SIGINT, SIGTERM and
//! SIGHUP so that it survives whatever stopped the runner.

use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// The hidden argument that turns this executable into the watchdog.
pub(crate) const ARG: &str = "__watchdog";

/// The runner's handle on its watchdog. Registering is best effort: if the watchdog could not
/// be started or died, tests still run, only without the kill-on-runner-death guarantee.
#[derive(Debug)]
pub(crate) struct Watchdog {
    /// The pipe to the watchdog; `None` once it is gone (or never started).
    stdin: Mutex<Option<ChildStdin>>,
    /// The watchdog process, reaped on drop.
    child: Option<Child>,
}

impl Watchdog {
    /// Starts the watchdog; never fails (a watchdog that cannot start is reported on stderr
    /// once and replaced by a no-op).
    pub(crate) fn start() -> Watchdog {
        let spawned = std::env::current_exe().and_then(|exe| {
            Command::new(exe)
                .arg(ARG)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
        });
        match spawned {
            Ok(mut child) => Watchdog {
                stdin: Mutex::new(child.stdin.take()),
                child: Some(child),
            },
            Err(e) => {
                say!(
                    "cargo-shuffle: warning: no watchdog ({e}); if the runner is killed with SIGKILL, running tests may be left behind"
                );
                Watchdog {
                    stdin: Mutex::new(None),
                    child: None,
                }
            }
        }
    }

    /// Writes one protocol line; the first failed write stops all further ones.
    fn send(&self, line: String) {
        let mut guard = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = guard.as_mut()
            && w.write_all(line.as_bytes()).is_err()
        {
            *guard = None; // the watchdog is gone; stop trying
        }
    }

    /// Tells the watchdog that process group `pgid` is running a test.
    pub(crate) fn register(&self, pgid: u32) {
        self.send(format!("+{pgid}\n"));
    }

    /// Tells the watchdog that process group `pgid` is being reaped.
    pub(crate) fn unregister(&self, pgid: u32) {
        self.send(format!("-{pgid}\n"));
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Closing its stdin lets it exit; reap it so it does not linger as a zombie.
        self.stdin.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

/// The watchdog process's main loop (see the module docs). Returns its exit code.
pub(crate) fn main() -> i32 {
    // SAFETY: setting signal dispositions to SIG_IGN is always sound.
    unsafe {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE] {
            libc::signal(sig, libc::SIG_IGN);
        }
    }
    let mut live = std::collections::BTreeSet::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (op, pid) = line.split_at(line.len().min(1));
        let Ok(pid) = pid.trim().parse::<i32>() else {
            continue;
        };
        match op {
            "+" => {
                live.insert(pid);
            }
            "-" => {
                live.remove(&pid);
            }
            _ => {}
        }
    }
    for pid in live {
        // SAFETY: sending a signal has no memory-safety preconditions.
        unsafe { libc::killpg(pid, libc::SIGKILL) };
    }
    0
}
