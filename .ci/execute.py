"""Run notebooks top to bottom in a fresh kernel and store their outputs, as a reader should see them.

    python .ci/execute.py nbs/05_writer.ipynb [more.ipynb ...]   # or no argument: every notebook in nbs/
    python .ci/execute.py --keep-slow nbs/13_bench_build.ipynb   # slow cells not run: their stored outputs kept

Every cell runs, `slow` benchmark cells included (they are skipped only by `nbdev_test`), except cells marked
`#| eval: false`, which nbdev never runs either (e.g. a module's `if __name__ == '__main__'` line, which is true
in a kernel). The kernel starts in nbs/, as under `nbdev_test`. Then `nbdev_clean` strips metadata and execution
counts and keeps the outputs. A notebook whose run fails is left as it was, and the command exits 1.

With `--keep-slow`, cells marked `slow` are not run either and keep the outputs of their last full run: for a
change to the other cells of a benchmark notebook, whose full run takes minutes and needs a quiet machine."""
import re, subprocess, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

root = Path(__file__).resolve().parent.parent
SKIP = re.compile(r'^#\|\s*eval:\s*false', re.M)
SLOW = re.compile(r'^#\|\s*slow\s*$', re.M)

def execute(path: Path, keep_slow: bool = False) -> bool:
    nb = nbformat.read(path, as_version=4)
    skipped = {i: c.source for i,c in enumerate(nb.cells) if c.cell_type == 'code' and SKIP.search(c.source)}
    kept = {i: (c.source, c.outputs) for i,c in enumerate(nb.cells) if keep_slow and c.cell_type == 'code' and SLOW.search(c.source)}
    for i in kept: nb.cells[i].source = ''
    for i in skipped: nb.cells[i].source = ''
    t = time.perf_counter()
    try: NotebookClient(nb, timeout=None, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    except CellExecutionError as e:
        print(f"{path.name}: failed\n{str(e)[-3000:]}", file=sys.stderr)
        return False
    for i,src in skipped.items(): nb.cells[i].source,nb.cells[i].outputs = src,[]
    for i,(src,outs) in kept.items(): nb.cells[i].source,nb.cells[i].outputs = src,outs
    nbformat.write(nb, path)
    print(f"{path.name}: {time.perf_counter() - t:.0f} s")
    return True

if __name__ == '__main__':
    keep_slow = '--keep-slow' in sys.argv
    paths = [Path(p).resolve() for p in sys.argv[1:] if p != '--keep-slow'] or sorted((root/'nbs').glob('*.ipynb'))
    ok = all([execute(p, keep_slow) for p in paths])
    subprocess.run(['nbdev_clean'], cwd=root, check=True)
    sys.exit(0 if ok else 1)
