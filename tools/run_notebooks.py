"""Execute notebooks with nbclient, bounded in time (`make notebooks`; the Binder test).

    python tools/run_notebooks.py [--inplace] [--cell-timeout S] [--timeout S] NOTEBOOK...

Runs each notebook in a fresh kernel in the notebook's folder, as ``jupyter execute`` does
(same client, same options), with two bounds: every cell must reply within --cell-timeout
seconds, and the whole run must end within --timeout seconds. When a bound is hit, or a cell
fails, it says which notebook and which cell, and exits non-zero (124 for a timeout, 1 for a
failed cell, a dead kernel or one that does not start). With --inplace each notebook is
written back once it has run without error (a failed or timed-out one is left as it was);
without it nothing is written.

It applies _ext/nbclient_wakeup.py first: without it, nbclient 0.11 / jupyter_client 8.10 can
miss a widget cell's reply and wait for the whole cell timeout (or forever, without one).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_EXIT = 124
#: After the whole-run deadline, how long the cell-level timeout may take to fire before a
#: watchdog ends the process (kernel start-up and shutdown are not bounded by cell timeouts).
GRACE = 60


def apply_nbclient_wakeup() -> None:
    """The workaround of _ext/nbclient_wakeup.py (_ext is a folder of modules, not a package)."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import nbclient_wakeup

    nbclient_wakeup.apply()


def describe(nb, index: int | None) -> str:
    """'cell 21 (In [9]: widgets.state_explorer())': the index in the notebook, the execution
    count and the first non-blank line."""
    if index is None:
        return "before its first cell (kernel start-up)"
    cell = nb.cells[index]
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(first) > 70:
        first = first[:67] + "..."
    count = cell.get("execution_count")
    return f"cell {index} ({f'In [{count}]: ' if count else ''}{first})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--inplace", action="store_true", help="write each executed notebook back")
    ap.add_argument("--cell-timeout", type=float, default=180,
                    help="seconds one cell may take (default 180, as the book build)")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="seconds the whole run may take (default 1800)")
    ap.add_argument("--startup-timeout", type=float, default=60,
                    help="seconds a kernel may take to start (default 60)")
    args = ap.parse_args(argv)

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    apply_nbclient_wakeup()
    start = time.monotonic()
    deadline = start + args.timeout
    now = {"path": None, "nb": None, "cell": None, "client": None}

    def watchdog():
        where = (f"{now['path']}, {describe(now['nb'], now['cell'])}" if now["path"]
                 else "between notebooks")
        print(f"run_notebooks: TIMEOUT: the whole run exceeded {args.timeout:g} s (+{GRACE} s "
              f"grace) in {where}; stopping.", file=sys.stderr, flush=True)
        try:                                          # do not leave the kernel running
            now["client"].km.provisioner.process.kill()
        except Exception:
            pass
        os._exit(TIMEOUT_EXIT)

    dog = threading.Timer(args.timeout + GRACE, watchdog)
    dog.daemon = True
    dog.start()

    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        now.update(path=path, nb=nb, cell=None, limit=args.cell_timeout, whole=False)

        def cell_timeout(cell):
            # the per-cell timeout, or what is left of the whole run if that is shorter
            left = deadline - time.monotonic()
            now.update(limit=max(1, int(min(args.cell_timeout, left))),
                       whole=left < args.cell_timeout, t_cell=time.monotonic())
            return now["limit"]

        def on_cell_start(cell, cell_index):
            now["cell"] = cell_index

        def on_cell_executed(cell, cell_index, execute_reply):
            # a reply that came only as the timeout ran out was probably missed by the client
            if time.monotonic() - now["t_cell"] >= 0.95 * now["limit"]:
                print(f"run_notebooks: WARNING: {path}, {describe(nb, cell_index)}: its reply "
                      f"came only as its {now['limit']} s timeout ran out", file=sys.stderr,
                      flush=True)

        # No widget state is stored: the website shows no live widget, and in JupyterLab a
        # saved state would draw explorers whose controls move without changing the picture.
        client = NotebookClient(nb, timeout=int(args.cell_timeout), timeout_func=cell_timeout,
                                startup_timeout=int(args.startup_timeout), kernel_name="",
                                store_widget_state=False,
                                on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
                                resources={"metadata": {"path": str(path.resolve().parent)}})
        now["client"] = client
        t0 = time.monotonic()
        if t0 >= deadline:
            print(f"run_notebooks: TIMEOUT: the whole run exceeded its {args.timeout:g} s "
                  f"(--timeout) before {path}.", file=sys.stderr, flush=True)
            return TIMEOUT_EXIT
        try:
            client.execute()
        except CellTimeoutError:
            if now["cell"] is None:
                why = f"the kernel did not answer within {args.cell_timeout:g} s"
            elif now["whole"]:
                why = f"the whole run exceeded its {args.timeout:g} s (--timeout)"
            else:
                why = f"no reply within {now['limit']} s (--cell-timeout)"
            print(f"run_notebooks: TIMEOUT: {path}, {describe(nb, now['cell'])}: {why}.",
                  file=sys.stderr, flush=True)
            return TIMEOUT_EXIT
        except Exception as err:   # CellExecutionError, DeadKernelError, no kernel start
            print(f"run_notebooks: FAILED: {path}, {describe(nb, now['cell'])}: "
                  f"{type(err).__name__}:\n{str(err)[-3000:]}", file=sys.stderr, flush=True)
            return 1
        dt = time.monotonic() - t0
        if args.inplace:
            nb.metadata.pop("widgets", None)      # an older run's state
            nbformat.write(nb, path)
        print(f"{path}: {len(nb.cells)} cells, {dt:.1f} s{' (written)' if args.inplace else ''}",
              flush=True)
    print(f"run_notebooks: {len(args.notebooks)} notebook(s) in {time.monotonic() - start:.1f} s",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
