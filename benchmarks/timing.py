"""Timing: warm up, then take many samples of each framework's step, interleaved.

The frameworks of one workload are timed in alternating rounds (minigrad, torch, minigrad,
torch, ...) rather than one after the other, so that a slow drift of the machine (another
process, the CPU clock) affects every framework alike and the ratios stay fair.

A framework whose step is slow (tinygrad takes seconds) gets fewer samples: each one gets about
the same time budget, between `min_samples` and `max_samples` samples.
"""

import gc
import os
import statistics
import time


class Skip(Exception):
    """A reference framework cannot run here (not installed, no compiler, ...): say why."""


def summarize(samples):
    """Median, quartiles and extremes of a list of durations (seconds)."""
    ordered = sorted(samples)
    if len(ordered) >= 4:
        q1, _, q3 = statistics.quantiles(ordered, n=4)
    else:
        q1, q3 = ordered[0], ordered[-1]
    return {
        "median": statistics.median(ordered),
        "q1": q1,
        "q3": q3,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def measure(
    steps,
    warmup=3,
    budget_s=2.0,
    min_samples=5,
    max_samples=200,
    rounds=5,
    inner=1,
    before_round=None,
    settle_s=0.15,
):
    """Time each callable in `steps` (name -> step()); return name -> summary (seconds per call).

    warmup: untimed calls first (first-call allocations, caches, lazy compilation).
    inner:  calls per sample, for steps too short to time one by one (W3's microseconds).
    before_round: called before each round (the runner waits there for a quiet machine).
    settle_s: pause before each framework's turn. The BLAS and OpenMP worker threads of the
        framework that ran last keep spinning for a while after their last call (OpenBLAS for
        ~0.1 s); on two cores they would steal the next framework's second core. One untimed
        step follows the pause (its caches are cold).
    """
    per_call = {}  # the fastest warm-up call: a burst of another process must not count
    for name, step in steps.items():
        time.sleep(settle_s)
        durations = []
        for _ in range(max(warmup, 1) + 1):
            start = time.perf_counter()
            step()
            durations.append(time.perf_counter() - start)
        per_call[name] = max(min(durations[1:]), 1e-7)  # the first call may still be compiling

    # Samples per framework from its budget; spread over `rounds` interleaved rounds.
    wanted = {
        name: int(min(max(budget_s / (t * inner), min_samples), max_samples))
        for name, t in per_call.items()
    }
    samples = {name: [] for name in steps}
    gc.collect()
    for round_index in range(rounds):
        if before_round is not None:
            before_round()
        for name, step in steps.items():
            quota = -(-wanted[name] * (round_index + 1) // rounds) - len(samples[name])
            if quota <= 0:
                continue
            time.sleep(settle_s)
            step()  # untimed: the first step after the pause runs on cold caches
            for _ in range(quota):
                start = time.perf_counter()
                for _ in range(inner):
                    step()
                samples[name].append((time.perf_counter() - start) / inner)
    return {name: summarize(values) for name, values in samples.items()}


# --------------------------------------------------------------------------------------------
# Other processes: multi-threaded timings (BLAS, PyTorch) are badly hurt by a busy second core
# --------------------------------------------------------------------------------------------


def _cpu_times():
    """(busy, total) CPU ticks of the whole machine since boot (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


class BackgroundLoad:
    """How busy the machine was, not counting this process, between start() and stop()."""

    def start(self):
        self._machine = _cpu_times()
        self._own = time.process_time()
        self._wall = time.perf_counter()
        return self

    def stop(self):
        """The other processes' CPU use as a fraction of all cores (0 = idle machine), or None."""
        machine = _cpu_times()
        if machine is None or self._machine is None:
            return None
        busy, total = machine[0] - self._machine[0], machine[1] - self._machine[1]
        ticks_per_second = total / max(time.perf_counter() - self._wall, 1e-9)
        own = (time.process_time() - self._own) * ticks_per_second / (os.cpu_count() or 1)
        return max(0.0, (busy - own) / total) if total else None


def wait_until_quiet(max_wait_s, threshold=0.1, probe_s=0.5):
    """Wait (up to max_wait_s) until other processes use < threshold of the CPUs.

    Returns the last measured background load (a fraction of all cores), or None where it cannot
    be measured.
    """
    deadline = time.perf_counter() + max_wait_s
    while True:
        load = BackgroundLoad().start()
        time.sleep(probe_s)
        busy = load.stop()
        if busy is None or busy < threshold or time.perf_counter() > deadline:
            return busy
