"""Run one lesson as a Jupyter notebook: `python run_as_notebook.py LESSON.py OUT.ipynb`.

The lesson (a jupytext "percent" script) becomes a notebook, a fresh ipykernel executes its
cells in order (exactly what "Run All" does in Jupyter), and the executed notebook is written to
OUT.ipynb. The exit status is 1 if a cell raised; the error and its cell are printed.
Needs the notebooks tools: jupytext, nbclient, ipykernel (in the test extra).
"""

import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(lesson, output):
    lesson = Path(lesson).resolve()
    notebook = jupytext.read(lesson)
    # Cells run with the lesson's folder's parent as the working directory, as `minigrad lesson`
    # runs the script; the kernel inherits this process's environment (MINIGRAD_FAST, ...).
    # The kernel talks over Unix sockets in a folder of its own: with TCP, two kernels started
    # side by side can pick the same free port ("Address already in use").
    sockets = Path(tempfile.mkdtemp(prefix="minigrad-kernel-")) / "kernel"
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets))
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=600,
        resources={"metadata": {"path": str(lesson.parent.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        nbformat.write(notebook, output)
        print(f"{lesson.name} failed as a notebook:\n{error}", file=sys.stderr)
        return 1
    nbformat.write(notebook, output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
