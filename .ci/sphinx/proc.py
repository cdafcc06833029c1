"""Step 1 of `.ci/docs`: nbdev's notebook processing (what `nbdev_docs` and the Quarto deploy action run first).

Does what `nbdev.serve.proc_nbs(force=True)` does (same file list, same processors, same driver
`nbdev.serve_drv.main`, notebooks written to `_proc/`), but runs each notebook on its own, so that one failing
notebook does not hide the others: each failure is reported as `<notebook>: ... in cell <n> ...: <error>`, and the
script exits 1. (The `nbdev_proc_nbs` command would also try to install Quarto and reinstall the package.)"""
import json, os, re, sys, warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from shutil import rmtree
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.serve import _proc_file
import nbdev.serve_drv

def cell_of(nb_path, source):
    "Name the notebook's cell with `source` (nbdev numbers cells after its processors added and removed some)."
    code = '\n'.join(l for l in source.splitlines() if not l.startswith('#|')).strip()
    cells = json.loads(nb_path.read_text())['cells']
    i = next((i for i, c in enumerate(cells) if code and code in ''.join(c['source'])), None)
    return f"cell {i} (counting from 0), which starts {code.splitlines()[0][:80]!r}" if i is not None else repr(code[:80])

def run(job):
    "Process one file as `proc_nbs` does; return (name, error or None, nbdev warnings)."
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter('always')
        try: nbdev.serve_drv.main(job)
        except Exception as e:
            # nbdev says "Error in notebook: <title> in cell <n> :\n<source>" and chains the cell's own exception
            cause = e.__cause__ or e.__context__
            m = re.match(r'Error.*? in cell \d+ :\n(.*)', str(e), re.S)
            where = f'in {cell_of(job[0], m.group(1))}' if m else ' '.join(str(e).split())[:200]
            err = f'{type(cause).__name__}: {cause}' if cause else type(e).__name__
            return job[0].name, f'{where}: {err}', [str(w.message) for w in ws]
    return job[0].name, None, [str(w.message) for w in ws]

if __name__ == '__main__':
    cfg = get_config()
    cache, path = cfg.config_path/'_proc', cfg.config_path/cfg.nbs_path
    files = nbglob(path, func=Path, file_glob='', file_re='')  # as proc_nbs lists them
    for extra in ('_quarto.yml', '_brand.yml'):
        if (path/extra).exists(): files.append(path/extra)
    if (path/'_extensions').exists():
        files.extend(nbglob(path/'_extensions', func=Path, file_glob='', file_re='', skip_file_re='^[.]'))
    rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    jobs = files.map(_proc_file, cache=cache, path=path).filter()
    # the worker must be found by module name: nbdev's IPython shell replaces `__main__` in each worker
    sys.path.insert(0, str(Path(__file__).parent))
    from proc import run
    with ProcessPoolExecutor(min(4, os.cpu_count() or 1), mp_context=get_context('spawn')) as ex:
        results = list(ex.map(run, jobs))
    failed = 0
    for name, err, ws in sorted(results):
        for w in ws:
            if 'imports and other code' in w:  # nbdev runs such a cell whole: it fails if it uses a notebook's names
                print(f"docs: note: {name}: a cell mixes imports with other code, which nbdev runs: "
                      f"{w.split('---')[1].strip().splitlines()[0][:80]!r}...")
        if err: failed += 1; print(f"docs: FAIL {name}: nbdev processing failed {err}")
    print(f"docs: nbdev processed {len(results) - failed} of {len(results)} notebooks into {cache.relative_to(cfg.config_path)}/")
    sys.exit(1 if failed else 0)
