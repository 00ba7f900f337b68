"""The lessons' wall times, printed at the end of a test session that ran lessons."""

import pytest

# Before the import below: pytest rewrites the asserts of lesson_runner's checks too, so a
# failing check shows its values.
pytest.register_assert_rewrite("lesson_runner")
from lesson_runner import WALL_TIMES  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    if not WALL_TIMES:
        return
    terminalreporter.section("lesson wall times (two lessons side by side, one BLAS thread each)")
    runs = sorted({(kind, mode) for _, kind, mode in WALL_TIMES})
    header = f"{'lesson':32}" + "".join(f"{kind + ' ' + mode:>18}" for kind, mode in runs)
    terminalreporter.write_line(header)
    for stem in sorted({stem for stem, _, _ in WALL_TIMES}):
        cells = "".join(
            f"{WALL_TIMES[(stem, kind, mode)]:>17.1f}s"
            if (stem, kind, mode) in WALL_TIMES
            else " " * 18
            for kind, mode in runs
        )
        terminalreporter.write_line(f"{stem:32}" + cells)
