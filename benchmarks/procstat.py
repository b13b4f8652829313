"""Memory and CPU from /proc: a process's VmRSS and CPU time, the machine's busy time.

The machine is shared (2 cores, other people's tests), so every step records how busy
the whole machine was next to what the server and the load generators used: the
difference is other people's work, and it explains a noisy step.
"""

from __future__ import annotations

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int | str = "self") -> int:
    """VmRSS of process ``pid`` in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ProcessLookupError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int | str = "self") -> float:
    """CPU time process ``pid``'s live threads have used so far (ns resolution)."""
    return schedstat(pid)[0]


def schedstat(pid: int | str = "self") -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for a CPU), summed over threads.

    The wait is what other processes (other people's tests) cost this one."""
    on_cpu = waiting = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                run, wait, _ = f.read().split()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # the thread ended meanwhile
        on_cpu += int(run)
        waiting += int(wait)
    return on_cpu / 1e9, waiting / 1e9


def machine_busy_seconds() -> float:
    """CPU time all cores have spent not idle since boot (summed over cores)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
