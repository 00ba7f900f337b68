"""Run the benchmarks: minigrad against PyTorch (CPU) and the other NumPy autograd libraries.

    python -m benchmarks                 # everything, about 3-5 minutes
    python -m benchmarks --quick         # a ~1 minute smoke run (few samples, no tinygrad)
    python benchmarks/run.py --workloads W1,W2 --frameworks minigrad,torch

Prints the medians, spreads and ratios, checks the targets of the performance issue, and writes
benchmarks/output/results.json, results.md (the tables in Markdown) and results.png (a chart).
Speed is measured here, never by timed assertions in tests.

The workloads are in w1_mlp.py ... w5_matmul.py; peak memory in memory.py; timing in timing.py.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import textwrap
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py`: make `import benchmarks` work
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (  # noqa: E402
    isolated,
    memory,
    w1_mlp,
    w2_gpt,
    w3_overhead,
    w4_attention,
    w5_matmul,
    w6_conv,
)
from benchmarks.common import FRAMEWORKS, to_float  # noqa: E402
from benchmarks.timing import BackgroundLoad, Skip, measure, wait_until_quiet  # noqa: E402

WORKLOADS = {m.NAME: m for m in (w1_mlp, w2_gpt, w3_overhead, w4_attention, w5_matmul, w6_conv)}
OUTPUT = Path(__file__).resolve().parent / "output"
UNIT_SCALE = {"ms": 1e3, "us": 1e6}

# Seconds of timed steps per framework and workload (full run, --quick); W3 repeats its tiny
# step `inner` times per sample so that the timer's own cost does not count.
BUDGET = {"W1": 2.0, "W2": 4.0, "W3": 1.0, "W4": 3.0, "W5": 1.5, "W6": 3.0}
INNER = {"W3": 20}


# ============================================================================================
# The machine
# ============================================================================================


def machine_info():
    """What the numbers were measured on: CPU, cores, NumPy and its BLAS, PyTorch, load."""
    import numpy as np

    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _numpy_blas(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "thread_env": {
            k: os.environ[k]
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if k in os.environ
        },
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _numpy_blas():
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        config = blas.get("openblas configuration", "")
        return f"{blas.get('name')} {blas.get('version')} ({config})"
    except Exception:  # the layout of show_config differs between NumPy versions
        return "unknown"


# ============================================================================================
# Timing one workload
# ============================================================================================


def run_workload(workload, frameworks, quick, max_wait_s=0.0, isolate=True):
    """Build every framework's step from the same inputs, check the losses agree, time them.

    max_wait_s: before each round of timings, wait up to this long for other processes to go
    quiet (on a shared 2-core machine one busy process can double a multi-threaded step).
    isolate: time the frameworks of isolated.ISOLATED (tinygrad) in a child process.
    """
    inputs = workload.make_inputs()
    steps, skipped, first_loss, first_step_s, children = {}, {}, {}, {}, []
    for name in frameworks:
        build = workload.BUILDERS.get(name)
        if build is None:
            continue
        if quick and name == "tinygrad":
            skipped[name] = "left out by --quick (its first steps compile kernels for seconds)"
        elif isolate and name in isolated.ISOLATED:
            children.append(name)
            continue
        else:
            try:
                step = build(inputs)
                start = time.perf_counter()
                first_loss[name] = to_float(step())
                first_step_s[name] = time.perf_counter() - start
                steps[name] = step
            except Skip as reason:
                skipped[name] = str(reason)
            except Exception as error:  # a reference that breaks must not stop the others
                skipped[name] = f"failed: {type(error).__name__}: {error}"
        if name in skipped:
            print(f"    {name}: skipped -- {skipped[name]}")

    background = BackgroundLoad().start()
    stats = measure(
        steps,
        warmup=1 if quick else 3,
        budget_s=0.3 if quick else BUDGET[workload.NAME],
        min_samples=3 if quick else 5,
        rounds=3 if quick else 8,
        inner=INNER.get(workload.NAME, 1),
        before_round=lambda: wait_until_quiet(max_wait_s) if max_wait_s > 0 else None,
    )
    background_load = background.stop()
    for name in children:  # after the others, so that they do not run at the same time
        try:
            stats[name], first_loss[name] = isolated.run_in_child(workload.NAME, name, quick)
            print(f"    {name}: timed in a child process of its own")
        except Skip as reason:
            skipped[name] = str(reason)
        except RuntimeError as error:
            skipped[name] = f"failed in its child process: {error}"
        if name in skipped:
            print(f"    {name}: skipped -- {skipped[name]}")
    return {
        "stats": stats,
        "skipped": skipped,
        "first_loss": first_loss,
        "first_step_s": first_step_s,
        "background_load": background_load,
    }


def loss_mismatches(first_loss, reference="minigrad", tolerance=1e-3):
    """Frameworks whose first loss differs from minigrad's: not the same computation."""
    if reference not in first_loss:
        return {}
    ref = first_loss[reference]
    return {
        name: loss
        for name, loss in first_loss.items()
        if abs(loss - ref) > tolerance * max(abs(ref), 1e-12)
    }


# ============================================================================================
# Reporting
# ============================================================================================


def _fmt(value):
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def time_cell(stat, unit):
    scale = UNIT_SCALE[unit]
    return f"{_fmt(stat['median'] * scale)} [{_fmt(stat['q1'] * scale)}–{_fmt(stat['q3'] * scale)}]"


def ratio(results, workload, framework, reference="torch"):
    stats = results[workload]["stats"]
    if framework not in stats or reference not in stats:
        return None
    return stats[framework]["median"] / stats[reference]["median"]


def tables(results, frameworks, memory_results):
    """The results as Markdown tables (printed, and written to results.md)."""
    names = [f for f in frameworks if any(f in r["stats"] for r in results.values())]
    lines = _time_table(results, names)
    lines += _ratio_table(results, names)
    lines += _gflops_table(results, names)
    lines += _throughput_lines(results)
    lines += _memory_table(memory_results)
    return "\n".join(lines)


def _time_table(results, names):
    lines = [
        "Median time per step [interquartile range]. W5 is the matmul ceiling "
        "(in minigrad's column: NumPy's matmul).",
        "",
        "| workload | unit | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for key, result in results.items():
        workload = WORKLOADS[key]
        cells = [
            time_cell(result["stats"][n], workload.UNIT) if n in result["stats"] else "–"
            for n in names
        ]
        background = result.get("background_load")
        note = (
            ""
            if background is None or background < 0.1
            else (f" (other processes: {100 * background:.0f}% CPU)")
        )
        lines.append(
            f"| {key} {workload.TITLE}{note} | {workload.UNIT} | " + " | ".join(cells) + " |"
        )
    return lines


def _ratio_table(results, names):
    lines = [
        "",
        "Time relative to PyTorch eager CPU (median / median; < 1 is faster):",
        "",
        "| workload | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in results:
        cells = []
        for n in names:
            r = ratio(results, key, n)
            cells.append("–" if r is None else f"{r:.2f}×")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return lines


def _gflops_table(results, names):
    ceiling = _ceiling_gflops(results)
    lines = [
        "",
        "Achieved GFLOP/s (nominal FLOPs / median time; % of NumPy's 1024³ matmul):",
        "",
        "| workload | GFLOP/step | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for key, result in results.items():
        workload = WORKLOADS[key]
        if not workload.FLOPS:
            continue
        cells = []
        for n in names:
            if n not in result["stats"]:
                cells.append("–")
                continue
            gflops = workload.FLOPS / result["stats"][n]["median"] / 1e9
            share = f" ({100 * gflops / ceiling:.0f}%)" if ceiling else ""
            cells.append(f"{gflops:.0f}{share}")
        lines.append(f"| {key} | {workload.FLOPS / 1e9:.2f} | " + " | ".join(cells) + " |")
    return lines


def _throughput_lines(results):
    if "W2" not in results or "minigrad" not in results["W2"]["stats"]:
        return []
    median = results["W2"]["stats"]["minigrad"]["median"]
    line = f"W2 minigrad: {w2_gpt.TOKENS_PER_STEP / median:,.0f} tokens/s"
    if "torch" in results["W2"]["stats"]:
        torch_median = results["W2"]["stats"]["torch"]["median"]
        line += f" (PyTorch: {w2_gpt.TOKENS_PER_STEP / torch_median:,.0f} tokens/s)"
    return ["", line]


def _memory_table(memory_results):
    if not memory_results:
        return []
    lines = [
        "",
        "Peak memory of a training step (growth of the resident set over the loaded "
        "model, in a fresh process; MiB):",
        "",
        "| workload | framework | peak RSS growth | tracemalloc peak (NumPy arrays) |",
        "|---|---|---|---|",
    ]
    for m in memory_results:
        if "error" in m:
            lines.append(f"| {m['workload']} | {m['framework']} | error: {m['error']} | |")
            continue
        traced = m["tracemalloc_peak_mib"]
        lines.append(
            f"| {m['workload']} | {m['framework']} | "
            f"{m['peak_rss_growth_mib']:.1f} | "
            f"{'–' if traced is None else f'{traced:.1f}'} |"
        )
    return lines


def _ceiling_gflops(results):
    if "W5" not in results or "minigrad" not in results["W5"]["stats"]:
        return None
    return w5_matmul.FLOPS / results["W5"]["stats"]["minigrad"]["median"] / 1e9


def targets(results, memory_results):
    """The issue's targets: (description, measured figure, met?) for each that could be checked."""
    checks = []

    def add(text, value, met, fmt="{:.2f}×"):
        if value is not None:
            checks.append((text, fmt.format(value), met(value)))

    for key in ("W1", "W2"):
        if key in results:
            add(
                f"{key} minigrad / PyTorch ≤ 1.3",
                ratio(results, key, "minigrad"),
                lambda r: r <= 1.3,
            )
    if "W3" in results:
        add(
            "W3 minigrad overhead ≤ PyTorch's", ratio(results, "W3", "minigrad"), lambda r: r <= 1.0
        )
    for peer in ("mygrad", "autograd"):
        if "W2" in results:
            add(
                f"W2 {peer} / minigrad ≥ 2.5",
                ratio(results, "W2", peer, "minigrad"),
                lambda r: r >= 2.5,
            )
        if "W1" in results:
            add(
                f"W1 {peer} / minigrad > 1 (minigrad faster)",
                ratio(results, "W1", peer, "minigrad"),
                lambda r: r > 1.0,
            )
    rss = {
        (m["workload"], m["framework"]): m["peak_rss_growth_mib"]
        for m in memory_results
        if "error" not in m
    }
    if ("W2", "minigrad") in rss and ("W2", "torch") in rss:
        add(
            "W2 peak memory minigrad / PyTorch ≤ 1.5",
            rss[("W2", "minigrad")] / rss[("W2", "torch")],
            lambda r: r <= 1.5,
        )
    return checks


def chart(results, frameworks, path):
    """Bars of each framework's time relative to PyTorch, per workload (log scale)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is not installed: no chart")
        return None
    keys = [k for k in results if k != "W5"]
    names = [f for f in frameworks if f != "torch" and any(f in results[k]["stats"] for k in keys)]
    fig, ax = plt.subplots(figsize=(9, 5))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        values = [ratio(results, k, name) or 0.0 for k in keys]
        positions = [j + (i - (len(names) - 1) / 2) * width for j in range(len(keys))]
        bars = ax.bar(positions, values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in values], fontsize=7)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(1.3, color="gray", linewidth=0.8, linestyle="--")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(
        matplotlib.ticker.FixedLocator([0.25, 0.5, 1, 1.3, 2, 3, 5, 10, 20, 50, 100, 200, 500])
    )
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    labels = [k + "\n" + textwrap.fill(WORKLOADS[k].TITLE, 26) for k in keys]
    ax.set_xticks(range(len(keys)), labels, fontsize=7)
    ax.set_ylabel("time / PyTorch eager CPU time (log)")
    ax.set_title("minigrad and peers relative to PyTorch (1 = same; dashed: the 1.3× target)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ============================================================================================
# Main
# ============================================================================================


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated, e.g. W1,W2 (default: all)",
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help="comma-separated, e.g. minigrad,torch (default: all)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=None,
        help="seconds to wait for a quiet machine before each round of timings "
        "(default 30, 5 with --quick; 0 never waits)",
    )
    parser.add_argument("--output", default=str(OUTPUT), help="where results.* are written")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    keys, frameworks = _selection(args)
    if "minigrad" in frameworks:
        # minigrad's documented speed switch (README, "Speed"): glibc keeps freed memory for
        # the next arrays. It is process-wide, so the other frameworks run under it too.
        import minigrad

        minigrad.keep_freed_memory()

    info = machine_info()
    print(
        f"{info['date']}  {info['cpu']}, {info['logical_cpus']} logical CPUs, Python "
        f"{info['python']}, NumPy {info['numpy']} ({info['blas']}), PyTorch {info['torch']} "
        f"({info.get('torch_threads')} threads)"
    )
    max_wait = args.max_wait if args.max_wait is not None else (5.0 if args.quick else 30.0)
    background = wait_until_quiet(max_wait)
    info["background_load_at_start"] = background
    if background is not None and background > 0.1:
        print(
            f"WARNING: other processes use {100 * background:.0f}% of the CPUs: multi-threaded "
            "timings (BLAS, PyTorch) will be noisy"
        )
    started = time.perf_counter()
    results = {key: _run_and_print(key, frameworks, args.quick, max_wait) for key in keys}
    memory_results = [] if args.no_memory else _measure_memory(keys, frameworks)

    text = tables(results, frameworks, memory_results)
    checks = targets(results, memory_results)
    check_text = "\n".join(
        f"- {'MET    ' if met else 'NOT MET'} {what}: {value}" for what, value, met in checks
    )
    print("\n" + text + "\n\nTargets:\n" + check_text)
    print(f"\n(benchmarks took {time.perf_counter() - started:.0f} s)")
    _write(
        Path(args.output),
        info,
        args.quick,
        results,
        memory_results,
        checks,
        text,
        check_text,
        frameworks,
    )


def _selection(args):
    keys = [k.strip().upper() for k in args.workloads.split(",") if k.strip()]
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [k for k in keys if k not in WORKLOADS] + [
        f for f in frameworks if f not in FRAMEWORKS
    ]
    if unknown:
        sys.exit(f"unknown workload(s)/framework(s): {', '.join(unknown)}")
    if args.quick and "--frameworks" not in " ".join(sys.argv):
        frameworks = [f for f in frameworks if f != "tinygrad"]
    return keys, frameworks


def _run_and_print(key, frameworks, quick, max_wait):
    workload = WORKLOADS[key]
    print(f"\n{key}: {workload.TITLE}")
    result = run_workload(workload, frameworks, quick, max_wait)
    background = result["background_load"]
    if background is not None and background > 0.1:
        print(
            f"    WARNING: other processes used {100 * background:.0f}% of the CPUs "
            "meanwhile: these timings are noisy"
        )
    mismatched = loss_mismatches(result["first_loss"])
    if mismatched:
        print(
            f"    WARNING: first losses differ from minigrad's "
            f"({result['first_loss'].get('minigrad')}): {mismatched}"
        )
    for name, stat in result["stats"].items():
        r = ratio({key: result}, key, name)
        print(
            f"    {name:9s} {time_cell(stat, workload.UNIT)} {workload.UNIT}"
            f"  (n={stat['n']}){'' if r is None else f'  {r:.2f}× PyTorch'}"
        )
    return result


def _measure_memory(keys, frameworks):
    print("\npeak memory (one fresh process each)")
    memory_results = []
    for key in ("W1", "W2"):
        if key not in keys:
            continue
        for name in ("minigrad", "torch"):
            if name in frameworks:
                m = memory.measure(key, name)
                m.setdefault("workload", key)
                m.setdefault("framework", name)
                memory_results.append(m)
                print(f"    {key} {name}: {m.get('peak_rss_growth_mib', m.get('error'))}")
    return memory_results


def _write(out, info, quick, results, memory_results, checks, text, check_text, frameworks):
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": info,
        "quick": quick,
        "results": results,
        "memory": memory_results,
        "targets": [{"target": t, "value": v, "met": m} for t, v, m in checks],
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2))
    (out / "results.md").write_text(text + "\n\nTargets:\n\n" + check_text + "\n")
    picture = chart(results, frameworks, out / "results.png")
    print(
        f"wrote {out / 'results.json'}, {out / 'results.md'}" + (f", {picture}" if picture else "")
    )


if __name__ == "__main__":
    main()
