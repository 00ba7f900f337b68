"""Each port program, run under PyTorch and under minigrad from the same numbers, compared.

What is compared (see conftest.py for the idea):
  * every value a program returns: tensors (as NumPy arrays: shape, dtype and values), Python
    numbers, booleans and strings, lists and dicts of them; a returned value's Python type must
    match too (`.item()` of an int64 tensor is an int in both);
  * what the program prints: the text must match, numbers in it within the tolerance below (or
    one unit in the last printed digit, for numbers PyTorch rounds when it prints);
  * keys starting with `sample_` hold random draws: never compared with PyTorch, only between two
    runs of the same framework (test_port_program_is_reproducible);
  * keys starting with `stat_` hold statistics of random draws, compared within `stat_atol`.

Tolerances (why these):
  * float64 programs: rtol 1e-9, atol 1e-12. Two implementations of the same formulas differ in
    the order of their sums (BLAS blocking), a few units of float64's 1.1e-16 per op; after tens
    of steps of a small network that stays below 1e-12 relative. A wrong formula is off by far
    more than 1e-9.
  * float32 programs: rtol 1e-4, atol 1e-5 (float32's epsilon is 1.2e-7). A matmul over K terms
    or a sum in a different order changes a result by about sqrt(K) * 1e-7 relative; tens of
    optimizer steps amplify that to ~1e-6..1e-5 on losses and weights of order 1 (measured: see
    the report). A real mistake (a missing bias correction, a biased instead of unbiased
    variance, a wrong epsilon) moves the numbers by 1e-3 or more.
  * Some programs need a looser float32 tolerance (Adam's first steps divide a gradient by its
    own magnitude, so a rounding-level gradient becomes a full learning-rate step): stated
    where they are listed.

PORT_SUBJECT=torch runs PyTorch in minigrad's place: the suite's own check (PyTorch must match
itself), used when writing a program.
"""

import contextlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import programs_gpt as gpt
import programs_makemore as mm
import programs_tutorials as tut
import pytest

import minigrad

torch = pytest.importorskip("torch")

F64 = {"rtol": 1e-9, "atol": 1e-12}
F32 = {"rtol": 1e-4, "atol": 1e-5}
SEED = 2026


@dataclass
class Case:
    program: object
    tol: dict
    stat_atol: float = 0.0  # for `stat_` keys; 0 where a program has none


CASES = [
    Case(mm.micrograd_neuron, F64),
    Case(mm.micrograd_mlp, F64),
    Case(mm.micrograd_demo, F64),
    # 20,000 draws: each frequency is within 4 standard deviations, sqrt(p(1-p)/20000) <= 0.0036,
    # of its probability, and of PyTorch's frequency within twice that.
    Case(mm.bigram_counts, F32, stat_atol=0.015),
    Case(mm.bigram_nn, F32),
    Case(mm.makemore_mlp, F32),
    Case(mm.backprop_ninja, F32),
    Case(mm.batchnorm_by_hand, F32),
    Case(gpt.gpt_dev_batches, F32),
    Case(gpt.attention_trick, F32),
    Case(gpt.nanogpt, F32),
    Case(gpt.mingpt, F32),
    Case(tut.quickstart, F32),
    Case(tut.autograd_tutorial, F32),
    Case(tut.lstm_tagger, F32),
    Case(tut.gru_classifier, F32),
    Case(tut.save_load_checkpoint, F32),
    Case(tut.schedulers_and_clipping, F32),
    # Module.apply with nn.init: ratios of statistics to their targets, from 73,728 to 131,072
    # draws (a sample std's relative error is 1/sqrt(2n) <= 0.0026, two frameworks' differ by
    # at most ~0.004); a wrong gain or fan mode moves a ratio by 0.3 or more.
    Case(tut.init_weights, F32, stat_atol=0.02),
    Case(tut.forward_hooks, F32),
    Case(tut.max_and_metrics, F32),
    Case(tut.stack_cat_einsum, F64),
    # means and standard deviations of 100,000 draws: within 0.02 of each other.
    Case(tut.random_seeds, F32, stat_atol=0.02),
]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """PyTorch's thread pool on a small shared machine makes these tiny programs 10-30x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def case_id(case):
    return case.program.__name__


def subject():
    """The framework checked against PyTorch: minigrad, or PyTorch itself (PORT_SUBJECT=torch)."""
    return torch if os.environ.get("PORT_SUBJECT") == "torch" else minigrad


def run(program, framework, workdir, monkeypatch):
    """Run one program under `framework` in its own directory; its result, plain, and its output."""
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # programs that save checkpoints write here
    framework.manual_seed(0)
    rng = np.random.default_rng(SEED)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = program(framework, rng)
    result = plain(result)
    result["stdout"] = printed.getvalue()
    return result


def plain(value):
    """A program's result with every tensor turned into a NumPy array (either framework)."""
    if isinstance(value, dict):
        return {key: plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):  # also torch.Size and named tuples
        return [plain(v) for v in value]
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.array(value.detach().numpy())
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"a port program returned a {type(value).__name__}: return tensors or numbers")


# ------------------------------------------------------------------------------------------
# comparing two results


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def last_digit(text):
    """The value of one unit in the last printed digit of a number: '2.4544' -> 1e-4."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def compare_text(expected, actual, tol, where):
    """Printed text: the words must match exactly, the numbers within the tolerance."""
    expected_words, actual_words = NUMBER.split(expected), NUMBER.split(actual)
    expected_numbers, actual_numbers = NUMBER.findall(expected), NUMBER.findall(actual)
    if expected_words != actual_words or len(expected_numbers) != len(actual_numbers):
        diff = [(e, a) for e, a in zip(expected.splitlines(), actual.splitlines()) if e != a] or [
            (expected[-300:], actual[-300:])
        ]
        raise AssertionError(f"{where}: printed text differs; first differing line:\n"
                    f"  PyTorch : {diff[0][0]!r}\n  minigrad: {diff[0][1]!r}")  # fmt: skip
    for e, a in zip(expected_numbers, actual_numbers):
        if "." not in e + a and "e" not in (e + a).lower():  # integers: exactly
            assert e == a, f"{where}: printed integer {a}, PyTorch printed {e}"
            continue
        allowed = max(tol["atol"] + tol["rtol"] * abs(float(e)), 1.01 * last_digit(e))
        assert abs(float(e) - float(a)) <= allowed, (
            f"{where}: printed {a}, PyTorch printed {e} (allowed difference {allowed:.2g})"
        )


def compare(expected, actual, case, where, tol):
    """Compare a value from the PyTorch run with the same value from the other run."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: a {type(actual).__name__}, PyTorch a dict"
        assert expected.keys() == actual.keys(), (
            f"{where}: keys {actual.keys()} vs {expected.keys()}"
        )
        for key in expected:
            if key.startswith("sample_") and tol is not None:
                continue  # random draws: only compared with the same framework's
            key_tol = tol
            if key.startswith("stat_") and tol is not None:
                key_tol = {"rtol": 0.0, "atol": case.stat_atol}
            compare(expected[key], actual[key], case, f"{where}[{key!r}]", key_tol)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: a {type(actual).__name__}, PyTorch a list"
        assert len(expected) == len(actual), (
            f"{where}: length {len(actual)}, PyTorch {len(expected)}"
        )
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, case, f"{where}[{i}]", tol)
    elif isinstance(expected, np.ndarray):
        compare_arrays(expected, actual, where, tol)
    elif isinstance(expected, str) and where.endswith("['stdout']") and tol is not None:
        compare_text(expected, actual, tol, where)
    elif isinstance(expected, float) and tol is not None:
        assert type(actual) is float, f"{where}: a {type(actual).__name__}, PyTorch a float"
        assert abs(actual - expected) <= tol["atol"] + tol["rtol"] * abs(expected), (
            f"{where}: {actual!r}, PyTorch {expected!r}"
        )
    else:  # bool, int, str, None, and everything when comparing a framework with itself
        assert type(actual) is type(expected), (
            f"{where}: a {type(actual).__name__}, PyTorch a {type(expected).__name__}"
        )
        assert actual == expected, f"{where}: {actual!r}, expected {expected!r}"


def compare_arrays(expected, actual, where, tol):
    assert isinstance(actual, np.ndarray), f"{where}: a {type(actual).__name__}, PyTorch a tensor"
    assert actual.shape == expected.shape, (
        f"{where}: shape {actual.shape}, PyTorch {expected.shape}"
    )
    assert actual.dtype == expected.dtype, (
        f"{where}: dtype {actual.dtype}, PyTorch {expected.dtype}"
    )
    if tol is None or expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    else:
        np.testing.assert_allclose(actual, expected, err_msg=where, **tol)


# ------------------------------------------------------------------------------------------
# the tests


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_port_program_matches_pytorch(case, tmp_path, monkeypatch):
    expected = run(case.program, torch, tmp_path / "torch", monkeypatch)
    actual = run(case.program, subject(), tmp_path / "subject", monkeypatch)
    compare(expected, actual, case, case.program.__name__, case.tol)


@pytest.mark.parametrize("framework", ["torch", "minigrad"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_port_program_is_reproducible(case, framework, tmp_path, monkeypatch):
    """The same seed gives the same result, random draws included (exact comparison)."""
    module = torch if framework == "torch" else subject()
    first = run(case.program, module, tmp_path / "first", monkeypatch)
    second = run(case.program, module, tmp_path / "second", monkeypatch)
    compare(first, second, case, case.program.__name__, tol=None)


def test_port_comparison_catches_differences():
    """The comparison itself can fail: a loss off by 1e-3, a printed number off by 1e-3, a
    float64 array where PyTorch gave float32, a float where PyTorch gave an int, a changed word."""
    case = Case(mm.micrograd_neuron, F32)
    result = {
        "losses": [2.5, 1.25],
        "w": np.ones(3, dtype=np.float32),
        "n": 3,
        "stdout": "step 0: loss 2.500000\ntensor([1, 2])\n",
    }
    compare(result, dict(result), case, "ok", F32)
    changes = [
        {"losses": [2.5, 1.25 * (1 + 1e-3)]},
        {"w": np.ones(3, dtype=np.float64)},
        {"w": np.array([1.0, 1.0, 1.001], dtype=np.float32)},
        {"n": 3.0},
        {"stdout": "step 0: loss 2.502500\ntensor([1, 2])\n"},
        {"stdout": "step 0: loss 2.500000\ntensor([1, 3])\n"},
        {"stdout": "step 0: loss 2.500000\nminigrad.tensor([1, 2])\n"},
    ]
    for change in changes:
        with pytest.raises(AssertionError):
            compare(result, {**result, **change}, case, "changed", F32)


def test_port_readme_tour_runs_under_both_frameworks():
    """The README's PyTorch-style example (`import minigrad as torch`) runs as written, and the
    same lines run under PyTorch: the same structure (random draws differ by design)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("import minigrad as torch\n")
    code = readme[start : readme.index("```", start)]
    results = {}
    for name, source in (("minigrad", code), ("torch", code.replace("minigrad", "torch"))):
        namespace = {}
        exec(compile(source, f"README ({name})", "exec"), namespace)
        results[name] = (namespace["idx"].tolist(), list(namespace["attend"].state_dict()))
    for idx, buffers in results.values():
        assert len(idx[0]) == 8 and all(0 <= i < 27 for i in idx[0]) and buffers == ["tril"]
