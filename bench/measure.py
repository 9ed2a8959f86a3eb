#!/usr/bin/env python3
"""Run a command and measure it, like /usr/bin/time plus the command's own peak RSS.

Usage: measure.py OUT_FILE CMD [ARG...]

Writes one line to OUT_FILE: "wall_s cpu_s tree_maxrss_kb own_maxrss_kb"
  wall_s          wall-clock time
  cpu_s           user+sys of the command and all its waited-for descendants (wait4),
                  the same figure as /usr/bin/time's %U+%S
  tree_maxrss_kb  ru_maxrss from wait4: the peak RSS of the LARGEST SINGLE process of
                  the tree (the command or any descendant, e.g. cargo), = /usr/bin/time %M
  own_maxrss_kb   VmHWM of the command's own process, polled every 10 ms (the last value
                  seen before it exited), i.e. the runner's own memory, not cargo's
The command's stdin/stdout/stderr are inherited; exits with the command's exit code.
"""
import os
import subprocess
import sys
import time


def vmhwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd)
    own = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        h = vmhwm(p.pid)
        if h:
            own = max(own, h)
        time.sleep(0.01)
    wall = time.monotonic() - t0
    with open(out, "w") as f:
        f.write(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.2f} {ru.ru_maxrss} {own or '-'}\n")
    code = os.waitstatus_to_exitcode(status)
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
