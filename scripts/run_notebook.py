#!/usr/bin/python3
"""Execute one Jupyter notebook headlessly and write the executed copy.

Usage:
    /usr/bin/python3 scripts/run_notebook.py IN.ipynb OUT.ipynb [--kernel deno]
        [--timeout 600] [--startup-timeout 60] [--grace 0.5] [--allow-errors]

Why not `jupyter nbconvert --execute`: the Deno kernel sometimes publishes `status: idle`
on IOPub *before* a cell's `execute_result` / `display_data` messages. Stock nbclient stops
collecting a cell's outputs at `idle`, so about 40% of runs lose outputs (plots vanish,
checks on them fail at random). This runner keeps collecting the cell's messages for a short
grace period after `idle`, which removed every loss in repeated runs.

The kernel runs in the notebook's own directory, so cells import the project with paths
relative to `notebooks/` (e.g. `../lib/config/mod.ts`).

Exit status: 0 when every cell ran without error; 1 when a cell failed (the executed copy is
still written, up to and including the failing cell, and the cell and its error are printed);
2 for bad arguments, an unreadable notebook or a kernel that does not start.

Needs only Debian packages: python3-nbclient, python3-nbformat, python3-jupyter-client.
"""
import argparse
import asyncio
import os
import queue
import re
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import (
    CellExecutionComplete,
    CellExecutionError,
    CellTimeoutError,
    DeadKernelError,
)
from nbclient.util import ensure_async

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class LenientClient(NotebookClient):
    """NotebookClient that tolerates IOPub messages arriving after `status: idle`."""

    #: Seconds to keep collecting a cell's outputs after its `idle` (reset by each message).
    grace = 0.5

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        idle = False
        while True:
            try:
                msg = await ensure_async(
                    self.kc.iopub_channel.get_msg(timeout=self.grace if idle else None)
                )
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True


def first_error(nb):
    """Return (cell index, output) of the first `error` output in `nb`, or None."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output
    return None


def describe_cell(nb, index):
    """`cell 4 (code cell 3 of 7): first line of its source` for messages."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first_line = next((l for l in nb.cells[index].source.splitlines() if l.strip()), "")
    position = f"code cell {code.index(index) + 1} of {len(code)}" if index in code else "cell"
    return f"cell {index + 1} ({position}): {first_line.strip()[:100]}"


def write_atomic(nb, path):
    """Write `nb` to `path` through a temporary file in the same directory."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".run_notebook.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            nbformat.write(nb, handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Execute a notebook headlessly (tolerating the Deno kernel's late outputs).",
    )
    parser.add_argument("input", help="notebook to execute")
    parser.add_argument("output", help="where to write the executed notebook")
    parser.add_argument("--kernel", default="deno", help="kernel name (default: deno)")
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds allowed per cell (default: 600)"
    )
    parser.add_argument(
        "--startup-timeout",
        type=int,
        default=60,
        help="seconds allowed for the kernel to start (default: 60)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=0.5,
        help="seconds to keep collecting a cell's outputs after the kernel reports idle "
        "(default: 0.5)",
    )
    parser.add_argument(
        "--allow-errors",
        action="store_true",
        help="run every cell even after an error (the exit status is still 1)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        nb = nbformat.read(args.input, as_version=4)
    except (OSError, ValueError) as err:
        print(f"run_notebook: cannot read {args.input}: {err}", file=sys.stderr)
        return 2

    LenientClient.grace = args.grace
    client = LenientClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=args.allow_errors,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.input))}},
    )
    status = 0
    try:
        client.execute()
    except CellTimeoutError as err:
        print(f"run_notebook: {args.input}: a cell ran past --timeout {args.timeout}s:\n"
              f"{ANSI.sub('', str(err))}", file=sys.stderr)
        status = 1
    except CellExecutionError:
        status = 1  # the failing cell's error output is in `nb`, reported below
    except DeadKernelError as err:
        print(f"run_notebook: {args.input}: the kernel died: {err}", file=sys.stderr)
        status = 1
    except Exception as err:
        if client.code_cells_executed == 0:
            print(f"run_notebook: {args.input}: kernel {args.kernel!r} did not start: "
                  f"{type(err).__name__}: {err}", file=sys.stderr)
            return 2
        # e.g. nbclient's own clean-up failing after a SIGTERM stopped the run
        print(f"run_notebook: {args.input}: execution stopped: {type(err).__name__}: {err}",
              file=sys.stderr)
        status = 1

    failure = first_error(nb)
    if failure is not None:
        index, output = failure
        headline = f"{output.get('ename', 'Error')}: {ANSI.sub('', output.get('evalue', ''))}"
        trace = ANSI.sub("", "\n".join(output.get("traceback", []))).splitlines()
        if trace and trace[0].strip() == headline.strip():
            trace = trace[1:]  # the Deno kernel repeats the headline as the trace's first line
        print(
            f"run_notebook: {args.input}: {describe_cell(nb, index)}\n  {headline}\n"
            + "\n".join("  " + line for line in trace),
            file=sys.stderr,
        )
        status = 1
    write_atomic(nb, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
