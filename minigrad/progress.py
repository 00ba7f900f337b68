"""A one-line progress display for training loops.

    progress = Progress(total=1000)
    for step in range(1000):
        loss = train_step()
        progress.update(loss=loss.item())
    progress.close()

In a terminal the line is rewritten in place ("\\r" moves the cursor back to the start of the
line), so it reads like a counter:

    step 420/1000 | loss 0.3127 | 57.3 steps/s

When the output is not a terminal (a log file, a notebook capturing output, CI), "\\r" would
just pile up garbage, so plain lines are printed instead -- at most one per `interval` seconds,
to keep logs short -- plus a final one from `close()`.
"""

import sys
import time


class Progress:
    """Show the step count, the latest values passed to `update`, and steps per second.

    Args:
        total: the number of steps expected (shown as step/total), or None.
        file: where to write (default sys.stdout).
        interval: the least number of seconds between two plain lines (non-terminal output).
            In a terminal the line is redrawn at most every 0.05 s for the same reason: printing
            is slow compared to a training step of a small model.
    """

    def __init__(self, total=None, file=None, interval=1.0):
        self.total = total
        self.file = sys.stdout if file is None else file
        self.interval = interval
        self.step = 0
        self.values = {}
        self.start_time = time.perf_counter()
        self._last_shown = None  # time of the last write, None before the first
        self._width = 0  # length of the last line drawn in place, to blank out leftovers
        self._in_place = hasattr(self.file, "isatty") and self.file.isatty()

    def update(self, n=1, **values):
        """Count `n` more steps and remember the given values (e.g. loss=0.31)."""
        self.step += n
        self.values.update(values)
        now = time.perf_counter()
        wait = 0.05 if self._in_place else self.interval
        if self._last_shown is None or now - self._last_shown >= wait:
            self._show(now)

    def line(self, now=None):
        """The text of the display, e.g. 'step 42/100 | loss 0.3127 | 57.3 steps/s'."""
        now = time.perf_counter() if now is None else now
        parts = [f"step {self.step}" + (f"/{self.total}" if self.total is not None else "")]
        for name, value in self.values.items():
            parts.append(f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}")
        elapsed = now - self.start_time
        if elapsed > 0:
            parts.append(f"{self.step / elapsed:.1f} steps/s")
        return " | ".join(parts)

    def _show(self, now):
        text = self.line(now)
        if self._in_place:
            # Pad with spaces: a shorter line would otherwise leave the end of the old one.
            self.file.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.file.write(text + "\n")
        self.file.flush()
        self._last_shown = now

    def close(self):
        """Draw the final state and end the line."""
        self._show(time.perf_counter())
        if self._in_place:
            self.file.write("\n")
            self.file.flush()
