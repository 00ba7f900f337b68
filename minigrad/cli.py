"""The `minigrad` command (also `python -m minigrad`).

Commands:

    minigrad lessons               list the lessons, with the formulas each covers
    minigrad lesson 3 [--fast]     run lesson 3 (its figures go to lessons/output/)
    minigrad check sigmoid [FILE]  grade an exercise (default: lessons/exercises/sigmoid.py)
    minigrad check --list          list the exercises
    minigrad gradcheck             check the backward of every registered op, as a table
    minigrad demo                  train a small character-level GPT for about a minute
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad import exercises, viz
from minigrad.backend import keep_freed_memory
from minigrad.creation import tensor
from minigrad.data.text import CharDataset, load_text_corpus
from minigrad.models.gpt import GPT
from minigrad.opcheck import gradcheck_table
from minigrad.optim.adam import Adam
from minigrad.random import manual_seed

# The folder above the minigrad package: the repository, when minigrad runs from a checkout.
_REPOSITORY = Path(__file__).resolve().parent.parent

# ============================================================================================
# Lessons
# ============================================================================================


def lessons_dir():
    """The lessons folder: ./lessons if it exists, else the one next to the minigrad package."""
    for candidate in (Path.cwd() / "lessons", _REPOSITORY / "lessons"):
        if candidate.is_dir() and any(candidate.glob("[0-9][0-9]_*.py")):
            return candidate
    raise FileNotFoundError(
        "cannot find the lessons folder: run this command from the minigrad repository (the "
        "lessons are not part of the installed package)"
    )


def find_lessons(folder=None):
    """[(number, path, title, formula ids)] for every lessons/NN_name.py, in order.

    The title is the first markdown heading; the formula ids (F1, S4, ...) are read from the
    "**Formulas:**" paragraph, in the order the lesson names them.
    """
    folder = Path(folder) if folder else lessons_dir()
    lessons = []
    for path in sorted(folder.glob("[0-9][0-9]_*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        title = next((line[4:].strip() for line in lines if line.startswith("# # ")), path.stem)
        paragraph = []
        for line in lines:
            if paragraph and not line.strip("# "):
                break  # a blank comment line ends the paragraph
            if paragraph or line.startswith("# **Formulas:**"):
                paragraph.append(line)
        ids = []
        for formula_id in re.findall(r"\b[FS]\d+\b", " ".join(paragraph)):
            if formula_id not in ids:
                ids.append(formula_id)
        lessons.append((int(path.name[:2]), path, title, ", ".join(ids)))
    return lessons


def cmd_lessons(args):
    lessons = find_lessons(args.dir)
    print(f"{len(lessons)} lessons in {lessons[0][1].parent if lessons else args.dir}:\n")
    for number, path, title, formulas in lessons:
        print(f"  {number:2d}  {title}")
        print(f"      {path.name}" + (f"   formulas: {formulas}" if formulas else ""))
    print("\nRun one with `minigrad lesson N` (add --fast for a quick run).")
    return 0


def cmd_lesson(args):
    lessons = {number: path for number, path, _, _ in find_lessons(args.dir)}
    if args.number not in lessons:
        print(
            f"there is no lesson {args.number}; the lessons are {sorted(lessons)}", file=sys.stderr
        )
        return 2
    env = dict(os.environ)
    if args.fast:
        env["MINIGRAD_FAST"] = "1"
    path = lessons[args.number]
    print(f"running {path}" + (" (fast mode)" if args.fast else ""), flush=True)
    return subprocess.call([sys.executable, str(path)], env=env, cwd=path.parent.parent)


# ============================================================================================
# Exercises
# ============================================================================================


def cmd_check(args):
    if args.list or not args.exercise:
        print("Exercises (stubs in lessons/exercises/):")
        for name, exercise in exercises.EXERCISES.items():
            print(f"  {name:<14} {exercise.title}   ({exercise.formula_ids})")
        print("\nGrade one with `minigrad check NAME [FILE]`.")
        return 0
    try:
        result = exercises.check(
            args.exercise, args.file, max_examples=args.examples, reveal=args.reveal
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(result)
    return 0 if result.passed else 1


# ============================================================================================
# gradcheck of every registered op
# ============================================================================================


def cmd_gradcheck(args):
    rows = gradcheck_table()
    print(
        f"gradcheck of every registered op ({len(rows)}): float64, random upstream gradient "
        "and direction, then element by element on failure\n"
    )
    width = max(len(row[0]) for row in rows) + 2  # the longest op name, and a gap
    print(f"{'op':<{width}}{'case':<26}{'result':<8}{'ms':>7}   formula")
    print("-" * (width + 100))
    for name, formula, description, status, ms in rows:
        short = formula if len(formula) <= 60 else formula[:57] + "..."
        print(f"{name:<{width}}{description:<26}{status:<8}{ms:>7.1f}   {short}")
    failed = [r for r in rows if r[3] != "ok"]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} ops pass.")
    for name, _, _, status, _ in failed:
        print(f"  {name}: {status}")
    return 1 if failed else 0


# ============================================================================================
# The demo
# ============================================================================================


def cmd_demo(args):
    # The command is a whole process of its own, so it may use the process-wide speed switch.
    keep_freed_memory()
    return gpt_demo(seconds=args.seconds, output=args.output, fast=args.fast)


def gpt_demo(seconds=60.0, output=None, fast=False):
    """Train a small character-level GPT on the built-in corpus for `seconds`; print samples
    before and after, save the loss curve and the attention maps. Returns 0."""
    if fast:
        seconds = min(seconds, 5.0)
    folder = Path(output) if output else None
    if folder is None:
        folder = viz.lesson_output_dir("demo")
    else:
        folder.mkdir(parents=True, exist_ok=True)
    manual_seed(0)
    rng = np.random.default_rng(0)
    data = CharDataset(load_text_corpus(), block_size=64)
    model = GPT(vocab_size=data.vocab_size, block_size=64, n_layer=2, n_head=4, d_model=64)
    optimizer = Adam(model.parameters(), lr=3e-3)
    prompt = tensor([data.encode("def ")])

    def sample():
        manual_seed(1)
        return data.decode(model.generate(prompt, max_new_tokens=160, temperature=0.8)[0])

    print(
        f"minigrad demo: a character-level GPT ({model.num_parameters():,} parameters) learns "
        f"to write Python from {len(data):,} characters of the standard library, for "
        f"{seconds:.0f} seconds on the CPU.\n"
    )
    print("Before training:\n" + sample() + "\n")
    losses = []
    # A live counter of steps (with the latest loss) on stderr. disable=None turns it off when
    # stderr is not a terminal (a log file, CI, a test capturing output): those get only the
    # plain lines that progress.write prints every 50 steps (it prints them above the bar).
    progress = tqdm(desc="training", unit=" steps", file=sys.stderr, disable=None)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        x, y = data.get_batch(rng.integers(0, len(data), 32))
        _, loss = model(x, targets=y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        progress.update(1)
        if len(losses) % 50 == 0:
            progress.write(
                f"step {len(losses):4d}   loss {np.mean(losses[-50:]):.3f}   "
                f"{time.perf_counter() - start:5.1f} s",
                file=sys.stdout,
            )
    progress.close()
    print(f"\n{len(losses)} steps; loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}\n")
    print("After training:\n" + sample() + "\n")

    viz.plot_loss_curves(
        {"training loss": losses},
        folder / "demo_loss.png",
        title="character-level GPT on Python source",
    )
    snippet = "    def __init__(self):"
    weights = model.attention_weights(tensor([data.encode(snippet)]))[-1][0, 0]
    labels = [repr(ch)[1:-1] for ch in snippet]
    viz.plot_attention(
        weights,
        folder / "demo_attention.png",
        x_labels=labels,
        y_labels=labels,
        title="last block, head 1",
        annotate=False,
    )
    print("Next: the lessons (`minigrad lessons`) explain every piece of this.")
    return 0


# ============================================================================================
# Entry point
# ============================================================================================


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: lessons, exercises and tools for learning deep learning.",
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("lessons", help="list the lessons")
    p.add_argument("--dir", default=None, help="the lessons folder (default: ./lessons)")
    p.set_defaults(func=cmd_lessons)

    p = sub.add_parser("lesson", help="run one lesson")
    p.add_argument("number", type=int)
    p.add_argument("--fast", action="store_true", help="fewer steps (MINIGRAD_FAST=1)")
    p.add_argument("--dir", default=None, help="the lessons folder (default: ./lessons)")
    p.set_defaults(func=cmd_lesson)

    p = sub.add_parser("check", help="grade a gradient exercise")
    p.add_argument("exercise", nargs="?", help="sigmoid, tanh, softmax, ... (see --list)")
    p.add_argument(
        "file",
        nargs="?",
        default=None,
        help="your solution (default: lessons/exercises/EXERCISE.py)",
    )
    p.add_argument("--list", action="store_true", help="list the exercises")
    p.add_argument("--examples", type=int, default=25, help="generated cases to try")
    p.add_argument(
        "--reveal",
        action="store_true",
        help="on failure, also show the formula backward must compute",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("gradcheck", help="gradient-check every registered op")
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser("demo", help="train a small character-level GPT (about a minute)")
    p.add_argument("--seconds", type=float, default=60.0, help="training time budget")
    p.add_argument("--output", default=None, help="folder for the plots")
    p.add_argument("--fast", action="store_true", help="a few seconds only")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
