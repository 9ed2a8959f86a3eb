//! Running one test process: spawn it in its own process group with stdin null and stdout and
//! stderr on one pipe, drain the pipe while it runs, enforce the per-test timeout (TERM to the
//! group, a grace period, then KILL), notice when a grandchild keeps the pipe open after the test
//! exited (leak), and classify how it ended.

use crate::runner::output::CapturedOutput;
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Everything needed to start one test process.
#[derive(Debug)]
pub(crate) struct ProcessSpec<'a> {
    /// The executable.
    pub(crate) program: &'a std::path::Path,
    /// Its arguments (e.g. `--exact NAME --nocapture`).
    pub(crate) args: Vec<OsString>,
    /// Working directory.
    pub(crate) cwd: &'a std::path::Path,
    /// Environment added to the runner's own.
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Kill the test after this long (TERM, then KILL after `grace`); `None` = never.
    pub(crate) timeout: Option<Duration>,
    /// Time between TERM and KILL on timeout.
    pub(crate) grace: Duration,
    /// How long to wait for the pipe to close after the test exited before calling it leaky.
    pub(crate) leak_timeout: Duration,
    /// Output bytes kept from the start.
    pub(crate) head_cap: usize,
    /// Output bytes kept from the end.
    pub(crate) tail_cap: usize,
    /// When this becomes true (Ctrl-C), the test's group gets TERM, then KILL after `grace`.
    pub(crate) cancel: &'a AtomicBool,
    /// Told about the test's process group, so it can kill it if the runner dies.
    pub(crate) watchdog: &'a crate::runner::watchdog::Watchdog,
}

/// How a test process ended, before libtest's output is interpreted.
#[derive(Debug)]
pub(crate) struct ProcessResult {
    /// Exit status (code or signal).
    pub(crate) status: ExitStatus,
    /// The timeout fired (the status is then usually a TERM/KILL signal).
    pub(crate) timed_out: bool,
    /// A process the test started kept its output pipe open after the test exited.
    pub(crate) leaked: bool,
    /// The run was interrupted while this test ran, and the runner stopped it.
    pub(crate) interrupted: bool,
    /// What the test printed.
    pub(crate) output: CapturedOutput,
    /// Wall time from spawn to reaping.
    pub(crate) duration: Duration,
}

/// The conventional name of a signal number (`SIGSEGV`), or `signal N`.
pub(crate) fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// `exit code N` or `killed by SIGNAME`, for messages.
pub(crate) fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by {}", signal_name(s)),
        _ => "unknown status".to_string(),
    }
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: plain syscall; a non-negative return is a new fd that we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        None
    } else {
        // SAFETY: the kernel just gave us this fd.
        Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}

/// Whether the child has exited, without reaping it (so its pid, and thus its process group id,
/// stays reserved and `killpg` cannot hit an unrelated group).
fn has_exited(pid: u32) -> bool {
    // SAFETY: zeroed siginfo_t is a valid out-parameter for waitid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, writable siginfo_t; WNOWAIT leaves the child unreaped.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: si_pid is valid to read after waitid fills info (0 when nothing changed).
    r == 0 && unsafe { info.si_pid() } != 0
}

fn killpg(pgid: u32, sig: i32) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe {
        libc::killpg(pgid as libc::pid_t, sig);
    }
}

/// Polls `fds` for readability for at most `timeout`; returns which were readable/hung up.
fn poll_fds(fds: &[i32], timeout: Option<Duration>) -> Vec<bool> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as i32);
    // SAFETY: pfds is a valid array of pollfd for the duration of the call.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if r <= 0 {
        return vec![false; fds.len()];
    }
    pfds.iter().map(|p| p.revents != 0).collect()
}

thread_local! {
    /// One read buffer per worker thread, reused for every test it runs.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 256 * 1024]);
}

/// Follows a process's output as it arrives and may move its deadline (shared-process mode
/// gives each test its own timeout, starting when libtest reports it started).
pub(crate) trait Watch {
    /// Every chunk read from the process's output, in order.
    fn data(&mut self, bytes: &[u8]);
    /// When to stop the process (TERM, grace, KILL); `None` = the spec's own timeout.
    fn deadline(&self) -> Option<Instant>;
}

/// A [`Watch`] that does nothing (process-per-test mode).
pub(crate) struct NoWatch;

impl Watch for NoWatch {
    fn data(&mut self, _: &[u8]) {}
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

/// Runs one test process to completion and returns how it ended. Errors only when the process
/// cannot be started (e.g. the binary vanished).
pub(crate) fn run(spec: &ProcessSpec<'_>, watch: &mut dyn Watch) -> io::Result<ProcessResult> {
    // std::io::pipe creates both ends close-on-exec atomically, so a test started concurrently
    // by another worker never inherits this pipe (which would make this test look leaky).
    let (mut reader, writer) = io::pipe()?;
    let mut cmd = Command::new(spec.program);
    cmd.args(&spec.args)
        .current_dir(spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    drop(cmd); // closes our copies of the pipe's write end
    let pid = child.id();
    spec.watchdog.register(pid);
    let pidfd = pidfd_open(pid);
    let mut output = CapturedOutput::new(spec.head_cap, spec.tail_cap);
    let mut pipe_open = true;
    let mut exited = false;
    let mut exited_at: Option<Instant> = None;
    let mut timed_out = false;
    let mut term_sent_at: Option<Instant> = None;
    let mut leaked = false;
    let mut interrupted = false;
    let fixed_deadline = spec.timeout.map(|t| start + t);
    // Wake up regularly to notice an interrupt; without a pidfd also to notice the exit.
    let tick = Some(if pidfd.is_some() {
        Duration::from_millis(100)
    } else {
        Duration::from_millis(10)
    });

    // Whether the child may have exited since we last looked (always, without a pidfd).
    let mut check_exit = pidfd.is_none();
    let mut reads: u32 = 0;
    loop {
        let deadline = watch.deadline().or(fixed_deadline);
        if !exited && (check_exit || !pipe_open) && has_exited(pid) {
            exited = true;
            exited_at = Some(Instant::now());
        }
        let now = Instant::now();
        if exited && !pipe_open {
            break;
        }
        if exited && pipe_open {
            // Test is gone but something still holds its output pipe.
            if now >= exited_at.unwrap() + spec.leak_timeout {
                leaked = true;
                break;
            }
        }
        if !exited {
            if term_sent_at.is_none() && spec.cancel.load(Ordering::SeqCst) {
                interrupted = true;
                term_sent_at = Some(now);
                killpg(pid, libc::SIGTERM);
            }
            if let Some(d) = deadline
                && now >= d
                && term_sent_at.is_none()
            {
                timed_out = true;
                term_sent_at = Some(now);
                killpg(pid, libc::SIGTERM);
            }
            if let Some(t) = term_sent_at
                && now >= t + spec.grace
            {
                killpg(pid, libc::SIGKILL);
            }
        }
        // Next moment something is due.
        let mut due: Option<Instant> = None;
        let mut consider = |t: Instant| due = Some(due.map_or(t, |d: Instant| d.min(t)));
        if exited {
            consider(exited_at.unwrap() + spec.leak_timeout);
        } else if let Some(t) = term_sent_at {
            consider(t + spec.grace);
        } else if let Some(d) = deadline {
            consider(d);
        }
        let mut wait = due.map(|d| d.saturating_duration_since(now));
        if !exited && let Some(t) = tick {
            wait = Some(wait.map_or(t, |w| w.min(t)));
        }
        let mut fds = Vec::with_capacity(2);
        if pipe_open {
            fds.push(reader.as_raw_fd());
        }
        if let (Some(p), false) = (&pidfd, exited) {
            fds.push(p.as_raw_fd());
        }
        if fds.is_empty() {
            // Only waiting for the child to exit after the pipe closed: sleep a little.
            std::thread::sleep(
                wait.unwrap_or(Duration::from_millis(5))
                    .min(Duration::from_millis(5)),
            );
            continue;
        }
        let ready = poll_fds(&fds, wait);
        check_exit = pidfd.is_none() || ready.last() == Some(&true) && !exited;
        if pipe_open && ready[0] {
            let read = READ_BUF.with_borrow_mut(|buf| {
                let r = reader.read(buf);
                if let Ok(n) = r {
                    output.push(&buf[..n]);
                    watch.data(&buf[..n]);
                }
                r.map(|n| (n, n < buf.len() / 4))
            });
            match read {
                Ok((0, _)) => pipe_open = false,
                Ok((_, small)) => {
                    reads += 1;
                    if reads == 16 {
                        // A chatty test: a bigger pipe lets it write while we batch.
                        // SAFETY: fcntl on a pipe fd we own; failure is harmless.
                        unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
                    }
                    // A test printing line by line would otherwise wake us per line (hundreds
                    // of thousands of wake-ups for a few MB); after a few reads, let small
                    // writes pile up for a millisecond before reading again.
                    if reads > 16 && small && !exited {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => pipe_open = false,
            }
        }
    }
    // Clean up whatever the test left running in its group, then reap it. The pid is not
    // reaped yet, so the group id cannot have been reused.
    killpg(pid, libc::SIGKILL);
    spec.watchdog.unregister(pid);
    let status = child.wait()?;
    Ok(ProcessResult {
        status,
        timed_out,
        leaked,
        interrupted,
        output,
        duration: start.elapsed(),
    })
}
