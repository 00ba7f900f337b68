"""The one-line progress display: plain lines for logs, one rewritten line for terminals."""

import io

from minigrad.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = Progress(total=3, file=out, interval=0.0)
    for loss in [0.5, 0.25, 0.125]:
        progress.update(loss=loss)
    progress.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 4  # three updates and the final line
    assert lines[0].startswith("step 1/3 | loss 0.5000 | ")
    assert lines[2].startswith("step 3/3 | loss 0.1250 | ")
    assert lines[-1].endswith("steps/s")


def test_plain_lines_are_rate_limited():
    out = io.StringIO()
    progress = Progress(file=out, interval=3600.0)
    for step in range(100):
        progress.update(loss=1.0 / (step + 1))
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first update, then close()
    assert lines[-1].startswith("step 100 | loss 0.0100")


def test_terminal_line_is_rewritten_in_place():
    out = FakeTerminal()
    progress = Progress(total=10, file=out)
    progress.update(loss=123.456789, note="warm-up")
    progress.close()
    text = out.getvalue()
    assert text.startswith("\rstep 1/10 | loss 123.4568 | note warm-up")
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1


def test_line_counts_several_steps_at_once():
    progress = Progress(file=io.StringIO())
    progress.update(n=32, accuracy=0.5)
    assert progress.step == 32
    assert progress.line().startswith("step 32 | accuracy 0.5000")
