//! Running one test process: spawn it in its own process group with stdin null and stdout and
//! stderr on one pipe, drain the pipe while it runs, enforce the per-test timeout (TERM to the
//! group, a grace period, then KILL), notice when a grandchild keeps the pipe open after the test
//! exited (leak), and classify how it ended.

use crate::runner::output::CapturedOutput;
pub(crate) use crate::status::{describe_status, signal_name};
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Everything needed to start one test process.
#[derive(Debug)]
pub(crate) struct ProcessSpec<'a> {
    /// The executable: the test binary, or its target runner.
    pub(crate) program: &'a std::path::Path,
    /// Its arguments (e.g. `--exact NAME --nocapture`).
    pub(crate) args: Vec<OsString>,
    /// Working directory of the process (the package root for tests).
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
    /// A second flag that stops the test as `cancel` does (`--max-fail N:immediate`).
    pub(crate) halt: Option<&'a AtomicBool>,
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
    /// What the test printed, stdout and stderr interleaved, capped (see `ProcessSpec`).
    pub(crate) output: CapturedOutput,
    /// Wall time from spawn to reaping.
    pub(crate) duration: Duration,
}

/// A pidfd for `pid` (readable once it exits), or `None` where the kernel has none (before
/// Linux 5.3): the exit is then polled for.
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

/// Sends `sig` to process group `pgid`; errors (the group is gone) are ignored.
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
    /// Called on every turn of the supervision loop while the process runs (at least every
    /// 100 ms), e.g. to say that a test is slow.
    fn tick(&mut self, _now: Instant) {}
}

/// A [`Watch`] that does nothing (process-per-test mode).
pub(crate) struct NoWatch;

impl Watch for NoWatch {
    fn data(&mut self, _: &[u8]) {}
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

/// `--no-capture`: each line goes to the live sink as it arrives (process-per-test mode).
impl Watch for crate::runner::output::LiveLines<'_> {
    fn data(&mut self, bytes: &[u8]) {
        self.push(bytes);
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

/// Two watches of one process: both see every chunk and tick; the earlier deadline wins
/// (`--no-capture` lines and the SLOW/timeout watch of process-per-test mode).
pub(crate) struct Both<'w>(pub(crate) &'w mut dyn Watch, pub(crate) &'w mut dyn Watch);

impl Watch for Both<'_> {
    fn data(&mut self, bytes: &[u8]) {
        self.0.data(bytes);
        self.1.data(bytes);
    }
    fn deadline(&self) -> Option<Instant> {
        match (self.0.deadline(), self.1.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
    fn tick(&mut self, now: Instant) {
        self.0.tick(now);
        self.1.tick(now);
    }
}

/// Runs one test process to completion and returns how it ended. Errors only when the process
/// cannot be started (e.g. the binary vanished).
pub(crate) fn run(spec: &ProcessSpec<'_>, watch: &mut dyn Watch) -> io::Result<ProcessResult> {
    // std::io::pipe creates both ends close-on-exec atomically, so a test started concurrently
    // by another worker never inherits this pipe (which would make this test look leaky).
    let (reader, writer) = io::pipe()?;
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
    let mut s = Supervision::new(spec, pid, reader, start);
    while !s.step(watch) {}
    // Clean up whatever the test left running in its group, then reap it. The pid is not
    // reaped yet, so the group id cannot have been reused.
    killpg(pid, libc::SIGKILL);
    spec.watchdog.unregister(pid);
    let status = child.wait()?;
    Ok(ProcessResult {
        status,
        timed_out: s.timed_out,
        leaked: s.leaked,
        interrupted: s.interrupted,
        output: s.output,
        duration: start.elapsed(),
    })
}

/// The state of one running process while [`run`] follows it: its pipe, whether and when it
/// exited, the signals sent to it and why. The child is never reaped here (see
/// [`has_exited`]).
struct Supervision<'s> {
    /// What was started, with its limits.
    spec: &'s ProcessSpec<'s>,
    /// The child's pid, also its process group id.
    pid: u32,
    /// Becomes readable when the child exits; `None` on kernels without pidfds, where the exit
    /// is noticed by polling every `tick`.
    pidfd: Option<OwnedFd>,
    /// Our end of the pipe holding the child's stdout and stderr.
    reader: io::PipeReader,
    /// What was read so far, capped.
    output: CapturedOutput,
    /// The output pipe has not reached end of file yet.
    pipe_open: bool,
    /// When the child was seen to have exited.
    exited_at: Option<Instant>,
    /// When TERM was sent (timeout or interrupt); KILL follows `grace` later.
    term_sent_at: Option<Instant>,
    /// TERM was sent because the deadline passed.
    timed_out: bool,
    /// Something the child started held the pipe `leak_timeout` after it exited.
    leaked: bool,
    /// TERM was sent because the run was interrupted.
    interrupted: bool,
    /// The spec's timeout as an instant; a [`Watch`] deadline takes precedence.
    fixed_deadline: Option<Instant>,
    /// Longest sleep while the child runs: to notice an interrupt, and without a pidfd also its
    /// exit.
    tick: Duration,
    /// Whether the child may have exited since we last looked (always, without a pidfd).
    check_exit: bool,
    /// Reads so far that returned data, to spot a chatty test (see [`Supervision::read`]).
    reads: u32,
}

impl<'s> Supervision<'s> {
    /// The state right after spawning `pid` (at `start`), with `reader` on its output pipe.
    fn new(
        spec: &'s ProcessSpec<'s>,
        pid: u32,
        reader: io::PipeReader,
        start: Instant,
    ) -> Supervision<'s> {
        let pidfd = pidfd_open(pid);
        Supervision {
            spec,
            pid,
            tick: Duration::from_millis(if pidfd.is_some() { 100 } else { 10 }),
            check_exit: pidfd.is_none(),
            pidfd,
            reader,
            output: CapturedOutput::new(spec.head_cap, spec.tail_cap),
            pipe_open: true,
            exited_at: None,
            term_sent_at: None,
            timed_out: false,
            leaked: false,
            interrupted: false,
            fixed_deadline: spec.timeout.map(|t| start + t),
            reads: 0,
        }
    }

    /// One turn of the loop: notice an exit, stop if done, send the signals that are due, then
    /// wait for output or the exit (at most until the next thing is due). True when done.
    fn step(&mut self, watch: &mut dyn Watch) -> bool {
        let deadline = watch.deadline().or(self.fixed_deadline);
        if self.exited_at.is_none() && (self.check_exit || !self.pipe_open) && has_exited(self.pid)
        {
            self.exited_at = Some(Instant::now());
        }
        let now = Instant::now();
        if self.finished(now) {
            return true;
        }
        if self.exited_at.is_none() {
            watch.tick(now);
            self.send_due_signals(now, deadline);
        }
        let wait = self.wait_time(now, deadline);
        self.wait_and_read(wait, watch);
        false
    }

    /// The child exited and its pipe closed, or something it started still holds the pipe
    /// `leak_timeout` after it exited (then it leaked).
    fn finished(&mut self, now: Instant) -> bool {
        let Some(exited_at) = self.exited_at else {
            return false;
        };
        if !self.pipe_open {
            return true;
        }
        // Test is gone but something still holds its output pipe.
        if now >= exited_at + self.spec.leak_timeout {
            self.leaked = true;
            return true;
        }
        false
    }

    /// TERM to the group on an interrupt or at the deadline (once, whichever comes first), KILL
    /// `grace` after TERM.
    fn send_due_signals(&mut self, now: Instant, deadline: Option<Instant>) {
        let stop = self.spec.cancel.load(Ordering::SeqCst)
            || self.spec.halt.is_some_and(|h| h.load(Ordering::SeqCst));
        if self.term_sent_at.is_none() && stop {
            self.interrupted = true;
            self.term_sent_at = Some(now);
            killpg(self.pid, libc::SIGTERM);
        }
        if let Some(d) = deadline
            && now >= d
            && self.term_sent_at.is_none()
        {
            self.timed_out = true;
            self.term_sent_at = Some(now);
            killpg(self.pid, libc::SIGTERM);
        }
        if let Some(t) = self.term_sent_at
            && now >= t + self.spec.grace
        {
            killpg(self.pid, libc::SIGKILL);
        }
    }

    /// How long to wait from `now`: until the next thing is due (end of the leak wait, KILL
    /// after TERM, the deadline), and at most a `tick` while the child runs.
    fn wait_time(&self, now: Instant, deadline: Option<Instant>) -> Option<Duration> {
        let due = if let Some(e) = self.exited_at {
            Some(e + self.spec.leak_timeout)
        } else if let Some(t) = self.term_sent_at {
            Some(t + self.spec.grace)
        } else {
            deadline
        };
        let wait = due.map(|d| d.saturating_duration_since(now));
        if self.exited_at.is_none() {
            Some(wait.map_or(self.tick, |w| w.min(self.tick)))
        } else {
            wait
        }
    }

    /// Waits up to `wait` for output (while the pipe is open) or the exit (while the child runs,
    /// with a pidfd), and reads what arrived.
    fn wait_and_read(&mut self, wait: Option<Duration>, watch: &mut dyn Watch) {
        let exited = self.exited_at.is_some();
        let mut fds = Vec::with_capacity(2);
        if self.pipe_open {
            fds.push(self.reader.as_raw_fd());
        }
        if let (Some(p), false) = (&self.pidfd, exited) {
            fds.push(p.as_raw_fd());
        }
        if fds.is_empty() {
            // Only waiting for the child to exit after the pipe closed: sleep a little.
            std::thread::sleep(
                wait.unwrap_or(Duration::from_millis(5))
                    .min(Duration::from_millis(5)),
            );
            return;
        }
        let ready = poll_fds(&fds, wait);
        self.check_exit = self.pidfd.is_none() || ready.last() == Some(&true) && !exited;
        if self.pipe_open && ready[0] {
            self.read(watch);
        }
    }

    /// Reads one chunk from the pipe into the captured output and `watch`; end of file or an
    /// error closes it.
    fn read(&mut self, watch: &mut dyn Watch) {
        let (reader, output) = (&mut self.reader, &mut self.output);
        let read = READ_BUF.with_borrow_mut(|buf| {
            let r = reader.read(buf);
            if let Ok(n) = r {
                output.push(&buf[..n]);
                watch.data(&buf[..n]);
            }
            r.map(|n| (n, n < buf.len() / 4))
        });
        match read {
            Ok((0, _)) => self.pipe_open = false,
            Ok((_, small)) => {
                self.reads += 1;
                if self.reads == 16 {
                    // A chatty test: a bigger pipe lets it write while we batch.
                    // SAFETY: fcntl on a pipe fd we own; failure is harmless.
                    unsafe { libc::fcntl(self.reader.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
                }
                // A test printing line by line would otherwise wake us per line (hundreds
                // of thousands of wake-ups for a few MB); after a few reads, let small
                // writes pile up for a millisecond before reading again.
                if self.reads > 16 && small && self.exited_at.is_none() {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => self.pipe_open = false,
        }
    }
}
