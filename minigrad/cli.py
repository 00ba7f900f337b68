"""The `minigrad` command (also `python -m minigrad`).

Commands:

    minigrad lessons               list the lessons, with the formulas each covers
    minigrad lessons --copy DIR    copy the lessons and exercises into DIR/lessons to work on
    minigrad lesson 3 [--fast]     run lesson 3 (its figures go to lessons/output/)
    minigrad lesson 3 --notebook   open lesson 3 as a Jupyter notebook (the notebooks extra)
    minigrad check sigmoid [FILE]  grade an exercise (default: lessons/exercises/sigmoid.py)
    minigrad check --list          list the exercises
    minigrad gradcheck             check the backward of every registered op, as a table
    minigrad demo                  train a small character-level GPT for about a minute
"""

import argparse
import os
import re
import shutil
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
# The copy of the lessons inside an installed package (pyproject maps lessons/ to it).
_INSTALLED_LESSONS = Path(__file__).resolve().parent / "_lessons"

# ============================================================================================
# Lessons
# ============================================================================================


def lessons_dir():
    """The lessons folder: ./lessons, else the repository's, else the installed package's."""
    for candidate in (Path.cwd() / "lessons", _REPOSITORY / "lessons", _INSTALLED_LESSONS):
        if candidate.is_dir() and any(candidate.glob("[0-9][0-9]_*.py")):
            return candidate
    raise FileNotFoundError(
        "cannot find the lessons: this minigrad was installed without them. Reinstall it "
        "(pip install minigrad) or run from a clone of the repository."
    )


def copy_lessons(destination):
    """Copy the lessons and the exercise stubs into destination/lessons; returns that folder.

    Files already there are never overwritten: a student's solved exercises are their work.
    """
    source = lessons_dir()
    target = Path(destination).expanduser().resolve() / "lessons"
    copied, kept = 0, 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or path.suffix not in (".py", ".md") or "output" in relative.parts:
            continue
        if "__pycache__" in relative.parts:
            continue
        out = target / relative
        if out.exists():
            kept += 1
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out)
        copied += 1
    print(
        f"copied {copied} files into {target}" + (f" ({kept} already there, kept)" if kept else "")
    )
    return target


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
    if args.copy:
        target = copy_lessons(args.copy)
        print(
            f"\nNext:  cd {target.parent}  then  minigrad lessons,  minigrad lesson 1,  "
            "minigrad check sigmoid  (they use ./lessons)."
        )
        return 0
    try:
        lessons = find_lessons(args.dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
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
    if args.notebook:
        return open_notebook(path, env)
    print(f"running {path}" + (" (fast mode)" if args.fast else ""), flush=True)
    return subprocess.call([sys.executable, str(path)], env=env, cwd=path.parent.parent)


def open_notebook(path, env):
    """Write lesson `path` as a notebook (.ipynb beside it) and open it in Jupyter.

    The .py file stays the lesson's source (jupytext "percent" format); the notebook is made from
    it the first time. After that the notebook is the student's own (their notes, their edits),
    so it is opened as it is, never overwritten: delete it to start again from the lesson.
    """
    try:
        import jupytext
    except ImportError:
        print(
            "opening a lesson as a notebook needs the notebook tools: "
            'pip install "minigrad[notebooks]"',
            file=sys.stderr,
        )
        return 2
    notebook_path = path.with_suffix(".ipynb")
    if notebook_path.exists():
        print(f"opening your notebook {notebook_path} (delete it to start again from the lesson)")
    else:
        jupytext.write(jupytext.read(path), notebook_path)
        print(f"wrote {notebook_path}")
    jupyter = shutil.which("jupyter")
    if jupyter is None:
        print("open it with Jupyter or VS Code (no `jupyter` command found)")
        return 0
    return subprocess.call([jupyter, "notebook", str(notebook_path)], env=env)


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


# A word: an identifier or keyword of 2 characters or more.
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]+")


def known_words(text):
    """The identifiers and keywords of a text (2 letters or more): the words it can spell."""
    return set(_WORD.findall(text))


def real_word_rate(sample, words):
    """The share of the sample's words (runs of letters) that are words of the corpus.

    Random characters almost never spell `return` or `self`; a model that has learnt the
    corpus spells most of its words right even when the code makes no sense. A number to watch
    next to the loss, and one that a student can check by reading the sample.
    """
    found = _WORD.findall(sample)
    return sum(word in words for word in found) / max(len(found), 1)


def gpt_demo(seconds=60.0, output=None, fast=False):
    """Train a small character-level GPT on the built-in corpus for `seconds`; print samples as
    it learns, save the loss curve and the attention maps. Returns 0."""
    if fast:
        seconds = min(seconds, 5.0)
    folder = Path(output) if output else None
    if folder is None:
        folder = viz.lesson_output_dir("demo")
    else:
        folder.mkdir(parents=True, exist_ok=True)
    manual_seed(0)
    rng = np.random.default_rng(0)
    corpus = load_text_corpus()
    data = CharDataset(corpus, block_size=64)
    words = known_words(corpus)
    model = GPT(vocab_size=data.vocab_size, block_size=64, n_layer=2, n_head=4, d_model=64)
    optimizer = Adam(model.parameters(), lr=3e-3)
    prompt = tensor([data.encode("def ")])

    def show_sample(title):
        manual_seed(1)
        text = data.decode(model.generate(prompt, max_new_tokens=200, temperature=0.8)[0])
        rate = real_word_rate(text, words)
        progress.write(f"\n--- {title}: {rate:.0%} of its words are real ---\n{text}\n")
        return rate

    print(
        f"minigrad demo: a character-level GPT ({model.num_parameters():,} parameters) learns "
        f"what Python looks like (indentation, keywords, the standard library's names) from "
        f"{len(data):,} characters of its source, for {seconds:.0f} seconds on the CPU. Watch "
        "the samples: random characters first, then words, then the shape of code.\n"
    )
    losses, rates = [], []
    # A live counter of steps (with the latest loss) on stderr. disable=None turns it off when
    # stderr is not a terminal (a log file, CI, a test capturing output): those get only the
    # plain lines that progress.write prints (it prints them above the bar).
    progress = tqdm(desc="training", unit=" steps", file=sys.stderr, disable=None)
    rates.append(show_sample("Before training"))
    # The clock counts training only, not the time spent writing samples.
    trained = 0.0
    checkpoints = [seconds / 3, 2 * seconds / 3]  # show a sample a third and two thirds in
    while trained < seconds:
        step_start = time.perf_counter()
        x, y = data.get_batch(rng.integers(0, len(data), 32))
        _, loss = model(x, targets=y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        progress.update(1)
        trained += time.perf_counter() - step_start
        if checkpoints and trained >= checkpoints[0]:
            checkpoints.pop(0)
            rates.append(
                show_sample(f"After {len(losses)} steps, loss {np.mean(losses[-20:]):.2f}")
            )
    rates.append(show_sample(f"After training ({len(losses)} steps)"))
    progress.close()
    print(
        f"{len(losses)} steps; loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}; "
        f"real words in the samples: {rates[0]:.0%} -> {rates[-1]:.0%}\n"
    )

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

    p = sub.add_parser("lessons", help="list the lessons (or copy them: --copy DIR)")
    p.add_argument("--dir", default=None, help="the lessons folder (default: ./lessons)")
    p.add_argument(
        "--copy", metavar="DIR", default=None, help="copy lessons and exercises into DIR/lessons"
    )
    p.set_defaults(func=cmd_lessons)

    p = sub.add_parser("lesson", help="run one lesson")
    p.add_argument("number", type=int)
    p.add_argument("--fast", action="store_true", help="fewer steps (MINIGRAD_FAST=1)")
    p.add_argument("--dir", default=None, help="the lessons folder (default: ./lessons)")
    p.add_argument("--notebook", action="store_true", help="open it as a Jupyter notebook instead")
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
