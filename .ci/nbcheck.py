"""Check that the notebooks read as a tutorial: `python .ci/nbcheck.py` prints each problem on a line, exits 1 if any.

- every notebook is stored executed: at least one code cell has an output, and every cell that draws
  (matplotlib, `show_batch`, a `plot`) has a stored image;
- no code cell is longer than 40 lines;
- the lesson comes first: in the writer, build and reader notebooks the chapter's class or function is used
  within the first 60 lines of code that is not the module itself (blank lines, `#|` directives, cells that only
  import and exported cells, which define the lesson, do not count), and before any `## Production` heading:
  the machinery a large build needs comes after the chapter's step in use;
- a cell that imports does nothing else (nbdev's docs processing runs every such cell, without the rest);
- nothing outside the repository is referred to;
- no two modules export the same name (each command's `main` and `build_parser` excepted);
- every link to a notebook, in a notebook's markdown (its cells and the markdown its cells output) or in README.md,
  names a notebook that exists, and an `#anchor` in it names a heading of that notebook, by the anchor Quarto
  (Pandoc) makes of it;
- every number in a row of README's Results table appears, rounded as the row writes it, in the stored output
  of the notebook section the row links to (each row links to one section, `NB.ipynb#anchor`)."""
import ast, json, re, sys
from collections import defaultdict
from pathlib import Path

root = Path(__file__).resolve().parent.parent
MAX_CELL, LESSON_WITHIN = 40, 60
LESSONS = {'05_writer': 'HDF5DatasetWriter(', '08_build': 'build(', '10_reader': 'HDF5DatasetGenerator('}
DRAWS = re.compile(r'\bplt\.(?!imread|imsave)|show_batch\(|\bplot\w*\(|\.imshow\(')
OUTSIDE = re.compile(r'PERF_NOTES|\.\./shared|\bthe issue\b|\bissue \d|\b[\w.-]+/[\w.-]+#\d+|\bthis VM\b', re.I)
SKIP = re.compile(r'^#\|\s*eval:\s*false', re.M)
SHARED_NAMES = {'main', 'build_parser'}

def code_lines(src: str) -> list[str]: return [l for l in src.splitlines() if l.strip() and not l.lstrip().startswith('#|')]

def only_imports(src: str) -> bool:
    try: tree = ast.parse(src)
    except SyntaxError: return False
    return bool(tree.body) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body)

def mixes_imports(src: str) -> bool:
    "Whether nbdev's docs processing would run this cell for its imports while it also runs other code."
    if re.search(r'^#\|\s*(export|exports|exporti|exec_doc)\b', src, re.M) or SKIP.search(src): return False
    try: nodes = list(ast.walk(ast.parse(src)))
    except SyntaxError: return False
    has = lambda *types: any(isinstance(n, types) for n in nodes)
    return has(ast.Import, ast.ImportFrom) and has(ast.Expr, ast.Assign)

def check(path: Path) -> list[str]:
    cells,out = json.loads(path.read_text(encoding='utf-8'))['cells'],[]
    code = [c for c in cells if c['cell_type'] == 'code']
    if code and not any(c.get('outputs') for c in code): out.append("no stored output: run it with .ci/execute.py")
    purpose = next((l for l in ''.join(cells[0]['source']).splitlines() if l.startswith('>')), '') if cells else ''
    if '](' in purpose: out.append("the '>' purpose line has a link: nbdev makes it the page's description, where links are not rewritten")
    for i,c in enumerate(cells):
        src = ''.join(c['source'])
        if OUTSIDE.search(src): out.append(f"cell {i} refers to something outside the repository: {OUTSIDE.search(src)[0]!r}")
        if c['cell_type'] != 'code': continue
        lines = code_lines(src)
        if mixes_imports(src): out.append(f"cell {i} mixes imports with other code: put the imports in a cell of their own")
        if len(lines) > MAX_CELL: out.append(f"cell {i} has {len(lines)} lines of code (at most {MAX_CELL})")
        draws = DRAWS.search(src) and not SKIP.search(src) and '#| export' not in src
        if draws and not any('image/png' in o.get('data', {}) or 'image/svg+xml' in o.get('data', {}) for o in c.get('outputs', [])):
            out.append(f"cell {i} draws but has no stored image")
    return out

def anchor(heading: str) -> str:
    "The identifier Pandoc (and so Quarto) gives a heading: formatting dropped, lowercase, punctuation but `_-.` dropped, spaces to `-`."
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link or image: its text
    text = re.sub(r'[`*]', '', text).strip().lower()
    text = ''.join(ch for ch in text if ch.isalnum() or ch in '_-. \n')
    text = re.sub(r'\s', '-', text)
    return re.sub(r'^[^a-z]+', '', text) or 'section'

def headings(cells: list[dict]) -> set[str]:
    "The anchors of the headings in the markdown cells of a notebook, a repeated one numbered as Pandoc numbers it."
    seen,out = {},set()
    for c in cells:
        if c['cell_type'] != 'markdown': continue
        fenced = False
        for line in ''.join(c['source']).splitlines():
            if line.lstrip().startswith('```'): fenced = not fenced
            m = None if fenced else re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
            if not m: continue
            a = anchor(m[2])
            out.add(a if a not in seen else f"{a}-{seen[a]}")
            seen[a] = seen.get(a, 0) + 1
    return out

def markdown_texts(cells: list[dict]) -> list[str]:
    "The markdown a reader sees: markdown cells, and the markdown that code cells output."
    out = []
    for c in cells:
        if c['cell_type'] == 'markdown': out.append(''.join(c['source']))
        else: out += [''.join(o['data']['text/markdown']) for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
    return out

LINK = re.compile(r'\]\(((?:nbs/)?[\w.-]*?\.ipynb)?(?:#([^)\s]+))?\)')

def anchor_problems(texts: list[str], here: str) -> list[str]:
    "A line for every link in `texts` to a notebook or `#anchor` that does not exist; `here` names the notebook they are in."
    out = []
    for t in texts:
        for target,a in LINK.findall(t):
            if not (target or a): continue  # a link to no notebook and no anchor: not ours to check
            nb = root/'nbs'/(Path(target).name if target else here)
            if not nb.exists(): out.append(f"link to {target}: no such notebook"); continue
            if a and a not in headings(json.loads(nb.read_text(encoding='utf-8'))['cells']):
                out.append(f"link to {nb.name}#{a}: no heading of {nb.name} has that anchor")
    return out

NUMBER = re.compile(r'(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\.?\d)')

def numbers(text: str) -> list[str]: return NUMBER.findall(text)

def section_outputs(nb: Path, a: str) -> str:
    "The text of every stored output of the code cells under the heading of anchor `a` in `nb`, up to the next heading as high."
    cells,out,level = json.loads(nb.read_text(encoding='utf-8'))['cells'],[],None
    for c in cells:
        if c['cell_type'] == 'markdown':
            for line in ''.join(c['source']).splitlines():
                m = re.match(r'^(#{1,6})\s+(.*?)\s*$', line)
                if not m: continue
                if level is not None and len(m[1]) <= level: return '\n'.join(out)
                if level is None and anchor(m[2]) == a: level = len(m[1])
        elif level is not None:
            for o in c.get('outputs', []):
                out.append(''.join(o.get('text', '')))
                out += [''.join(v) for k,v in o.get('data', {}).items() if k.startswith('text/')]
    return '\n'.join(out)

def results_problems(readme: str) -> list[str]:
    "A line for every number of README's Results table that the section its row links to does not show in its stored output."
    table = re.search(r'^## Results\s*$(.*?)(?=^## )', readme, re.S | re.M)
    if not table: return ["README.md has no Results section"]
    rows = [l for l in table[1].splitlines() if l.startswith('|')][2:]  # past the header and its rule
    if not rows: return ["README.md's Results section has no table"]
    out = []
    for row in rows:
        links = re.findall(r'\]\(nbs/([\w.-]+\.ipynb)#([^)\s]+)\)', row)
        if len(links) != 1: out.append(f"Results row links to {len(links)} notebook sections, not one: {row[:60]}"); continue
        (name,a), = links
        shown = {n.replace(',', '') for n in numbers(section_outputs(root/'nbs'/name, a))}
        for n in numbers(re.sub(r'\]\([^)]*\)', ']', row)):
            d = len(n.split('.')[1]) if '.' in n else 0
            if not any(round(float(x), d) == float(n.replace(',', '')) for x in shown):
                out.append(f"Results: {n} is not in the stored output of {name}#{a}")
    return out

PRODUCTION = re.compile(r'^##\s+Production\b', re.M)

def lesson_lines(path: Path) -> int|str|None:
    "Lines of code (exported cells aside) before the first use of the notebook's lesson name; 'production' if a Production heading comes first; None if it is never used."
    seen,lesson = 0,LESSONS[path.stem]
    for c in json.loads(path.read_text(encoding='utf-8'))['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code':
            if PRODUCTION.search(src): return 'production'
            continue
        exported = re.search(r'^#\|\s*export', src, re.M)
        if lesson in src and not exported: return seen
        lines = code_lines(src)
        if not exported and not only_imports('\n'.join(lines)): seen += len(lines)
    return None

def exported_names() -> dict[str, list[str]]:
    by = defaultdict(list)
    for p in sorted((root/'hdf5_tut').glob('*.py')):
        m = re.search(r'^__all__\s*=\s*(\[.*?\])', p.read_text(encoding='utf-8'), re.S | re.M)
        for n in (ast.literal_eval(m[1]) if m else []): by[n].append(p.stem)
    return {n: ms for n,ms in by.items() if len(ms) > 1 and n not in SHARED_NAMES}

if __name__ == '__main__':
    problems = []
    for p in sorted((root/'nbs').glob('*.ipynb')):
        problems += [f"{p.name}: {m}" for m in check(p)]
        if p.stem in LESSONS:
            n = lesson_lines(p)
            if n is None: problems.append(f"{p.name}: {LESSONS[p.stem][:-1]} is never used outside an exported cell")
            elif n == 'production': problems.append(f"{p.name}: a Production heading comes before {LESSONS[p.stem][:-1]} is used")
            elif n > LESSON_WITHIN:
                problems.append(f"{p.name}: {LESSONS[p.stem][:-1]} first used after {n} lines of code (at most {LESSON_WITHIN})")
    problems += [f"hdf5_tut: {n} is exported by {', '.join(ms)}" for n,ms in exported_names().items()]
    for p in sorted((root/'nbs').glob('*.ipynb')):
        problems += [f"{p.name}: {m}" for m in anchor_problems(markdown_texts(json.loads(p.read_text(encoding='utf-8'))['cells']), p.name)]
    readme = (root/'README.md').read_text(encoding='utf-8')
    problems += [f"README.md: {m}" for m in anchor_problems([readme], 'index.ipynb') + results_problems(readme)]  # README is index.ipynb's text
    for m in problems: print(m)
    print(f"nbcheck: {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)
