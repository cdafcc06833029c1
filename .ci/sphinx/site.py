"""Step 2 of `.ci/docs`: turn nbdev's processed notebooks (`_proc/`) into Sphinx sources and render them to `_docs/`.

Quarto, which `nbdev_docs` uses, cannot run here, so this does its part of the job for Sphinx + myst-nb:
- each page gets the name Quarto would give it (nbdev's `output-file`: `05_writer.ipynb` -> `writer.html`), so
  nbdev's link index (`writer.html#hdf5datasetwriter`) and the pages' own links point at real pages;
- the YAML front matter nbdev makes from the H1 and the `>` line becomes the page's title and purpose again;
- Quarto cell options become myst-nb tags (`#| echo: false` -> `remove-input`, ...), and the option lines are
  dropped from the code a reader sees; what an `#| output: asis` cell prints is read as markdown, as Quarto does;
  Quarto callouts (`::: {.callout-note}`) become admonitions;
- links to the project's site (doc_host + doc_baseurl) and to other notebooks (`05_writer.ipynb#x`) become
  links to the local pages; every `show_doc` heading gets the anchor nbdev's links use (`hdf5datasetwriter.add`),
  and every other heading also the id Quarto would give it when Sphinx's differs (`#why-its-31.45-gb`);
- the index page lists every other page, in the notebooks' order, in the navigation.
Notebooks are not executed: their stored outputs are shown (`nb_execution_mode = "off"` in conf.py)."""
import json, re, shutil, subprocess, sys
from pathlib import Path
import yaml
from docutils.nodes import make_id
from nbdev.config import get_config

cfg = get_config()
root = cfg.config_path
proc, src, out = root/'_proc', root/'_proc'/'_sphinx', root/cfg.doc_path
site = (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/')).rstrip('/')
re_site = re.compile(re.escape(site) + r'(/[^\s)"\'<>]*)?')
re_nblink = re.compile(r'(\]\(|href=")([\w.-]+)\.ipynb(#[^\s)"]*)?(?=[)"])')
re_srclink = re.compile(r'^\[source\]\(([^)\s]+)\)\{[^}]*\}\s*$', re.M)
re_heading = re.compile(r'^(#{1,6})\s+(.+?)\s*$', re.M)
# nbdev links every name in _modidx, private ones too; show_doc documents only public names, so such a link
# (`_scan` -> data.html#_scan, `Decoder._start` -> pool.html#decoder._start) would point at no anchor
re_private = re.compile(r'\[(`[^`\n]+`)\]\([\w.-]+\.html#(?:[\w]+\.)?_[\w]*\)')
re_callout = re.compile(r'^:::\s*\{\.callout-(note|tip|warning|important|caution)[^}]*\}', re.M)  # Quarto's callouts
OPTION_TAGS = {('echo', 'false'): 'remove-input', ('output', 'false'): 'remove-output',
               ('include', 'false'): 'remove-cell', ('code-fold', 'true'): 'hide-input'}

def src_text(x): return ''.join(x) if isinstance(x, list) else (x or '')

def pandoc_id(text):
    "The id Quarto (pandoc) gives a heading, which nbdev's link index uses as anchor."
    s = re.sub(r'[^\w\s.-]', '', re.sub(r'`', '', text)).strip().lower()
    return re.sub(r'\s+', '-', s)

def relink(text, pages):
    "Point links to the project's site and to other notebooks at the local pages."
    def site_link(m):
        p = (m.group(1) or '/').lstrip('/')
        return p or 'index.html'
    text = re_private.sub(r'\1', re_site.sub(site_link, text))
    def nb_link(m):
        name = pages.get(m.group(2) + '.ipynb')
        return f'{m.group(1)}{name}.html{m.group(3) or ""}' if name else m.group(0)
    return re_nblink.sub(nb_link, text)

def anchor_headings(md):
    "Give each heading of a `show_doc` output the anchor nbdev links to, and make its [source] link plain HTML."
    md = re_srclink.sub(r'<a class="nbdev-source" href="\1" target="_blank">source</a>', md)
    md = re.sub(r'^---\s*$', '<hr class="nbdev-sep">', md, count=1, flags=re.M)  # a rule docutils takes inside a cell
    return re_heading.sub(lambda m: f'<a id="{pandoc_id(m.group(2))}"></a>\n\n{m.group(0)}', md)

def pandoc_anchors(md):
    "Before each heading whose Sphinx id differs from Quarto's, an anchor with Quarto's id, so both links work."
    out, fence = [], None
    for line in md.splitlines():
        f = re.match(r'\s*(```|~~~)', line)
        if f and (fence is None or f.group(1) == fence): fence = None if fence else f.group(1)
        m = None if fence else re_heading.match(line)
        if m and pandoc_id(m.group(2)) != make_id(m.group(2)): out += [f'<a id="{pandoc_id(m.group(2))}"></a>', '']
        out.append(line)
    return '\n'.join(out)

def unlink_code(md):
    "Undo links nbdev put inside code blocks of an output (it links line by line), which would show as markdown."
    parts = re.split(r'(^```.*?^```)', md, flags=re.M | re.S)
    return ''.join(re.sub(r'\[(`[^`\n]+`)\]\([^)\s]+\)', r'\1', p) if p.startswith('```') else p for p in parts)

def convert_cell(cell, pages):
    "Quarto cell options to myst-nb tags, links to local pages; None for a cell nothing of which is shown."
    source = src_text(cell.get('source'))
    if cell['cell_type'] == 'markdown':
        cell['source'] = pandoc_anchors(re_callout.sub(r':::{\1}', relink(source, pages)))
        return cell
    if cell['cell_type'] != 'code': return cell
    lines = source.splitlines()
    opts = {}
    while lines and lines[0].startswith('#|'):
        k, _, v = lines.pop(0)[2:].partition(':')
        opts[k.strip()] = v.strip().strip('"\'').lower()
    tags = [t for (k, v), t in OPTION_TAGS.items() if opts.get(k) == v]
    if 'remove-cell' in tags: return None
    cell['source'] = '\n'.join(lines)
    cell.setdefault('metadata', {})['tags'] = sorted(set(cell['metadata'].get('tags', []) + tags))
    for o in cell.get('outputs', []):
        if opts.get('output') == 'asis' and o.get('output_type') == 'stream' and o.get('name') == 'stdout':
            # Quarto reads what an `output: asis` cell prints as markdown
            text = src_text(o.get('text'))
            o.clear(); o.update(output_type='display_data', metadata={}, data={'text/markdown': text})
        md = o.get('data', {}).get('text/markdown')
        if md is not None:
            md = unlink_code(relink(src_text(md), pages))
            if opts.get('output') == 'asis': md = anchor_headings(md)
            o['data']['text/markdown'] = md
    return cell

def front_matter(nb):
    "nbdev's YAML front matter (title, description, output-file) from the notebook's first raw cell."
    c = nb['cells'][0] if nb['cells'] else None
    if c and c['cell_type'] == 'raw' and src_text(c['source']).startswith('---'):
        nb['cells'].pop(0)
        return yaml.safe_load(src_text(c['source']).strip().strip('-')) or {}
    return {}

def prepare():
    "Write the Sphinx sources; return the pages as {notebook name: page name}, in the notebooks' order."
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    nbs = sorted(proc.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.name))
    books = {p.name: json.loads(p.read_text()) for p in nbs}
    fms = {n: front_matter(nb) for n, nb in books.items()}
    pages = {n: Path(fm.get('output-file', n)).stem for n, fm in fms.items()}
    for n, nb in books.items():
        fm = fms[n]
        head = f"# {fm.get('title', pages[n])}\n" + (f"\n> {fm['description']}\n" if fm.get('description') else '')
        cells = [{'cell_type': 'markdown', 'metadata': {}, 'source': head}]
        cells += [c for c in (convert_cell(c, pages) for c in nb['cells']) if c is not None]
        if pages[n] == 'index':
            toc = '\n'.join(pages[m] for m in books if pages[m] != 'index')
            cells.append({'cell_type': 'markdown', 'metadata': {},
                          'source': f'```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\n```'})
        for i, c in enumerate(cells): c['id'] = f'cell-{i}'
        nb['cells'] = cells
        # nbdev_clean strips the kernel's language_info, so myst-nb would find no lexer for code cells; IPython's
        # lexer also reads the `!command` cells that show the command line
        nb.setdefault('metadata', {})['language_info'] = {'name': 'python', 'pygments_lexer': 'ipython3'}
        (src/f'{pages[n]}.ipynb').write_text(json.dumps(nb, indent=1))
    for p in proc.iterdir():  # anything else the notebooks refer to (images next to them, folders of them)
        if p.is_file() and p.suffix not in ('.ipynb', '.yml', '.log'): shutil.copy2(p, src/p.name)
        elif p.is_dir() and p.name not in (src.name, 'html', '_doctrees', 'jupyter_execute'): shutil.copytree(p, src/p.name)
    return pages

# Sphinx messages that mean a page is wrong or missing; other warnings are printed but do not fail the build
FATAL = re.compile(r'ERROR|CRITICAL|Exception occurred|document isn\'t included in any toctree|undefined label|'
                   r'unknown document|Unknown interpreted text role|'
                   r'toctree contains reference to nonexisting document|Notebook JSON is invalid|'
                   r'could not read|Could not parse', re.I)

if __name__ == '__main__':
    pages = prepare()
    # Sphinx renders into _proc/html and the site then moves to _docs/: myst-nb keeps a copy of every output
    # next to the output folder (`jupyter_execute/`), which so stays in _proc/ instead of the repository's top level
    html, log = proc/'html', proc/'sphinx.log'
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-c', str(Path(__file__).parent),
                        '-d', str(proc/'_doctrees'), '-w', str(log), str(src), str(html)],
                       stderr=subprocess.PIPE, text=True)  # warnings are in the log; stderr is shown if Sphinx fails
    if r.returncode: print(r.stderr[-3000:], file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    if html.exists(): shutil.move(html, out)
    msgs = [l for l in log.read_text().splitlines() if l.strip()] if log.exists() else []
    fatal = [l for l in msgs if FATAL.search(l)]
    for l in msgs[:30]: print(f'docs: {"FAIL" if FATAL.search(l) else "note"}: sphinx: {l.replace(str(src) + "/", "")}')
    print(f'docs: sphinx rendered {len(pages)} pages to {out.relative_to(root)}/ '
          f'({len(msgs)} warning lines, {len(fatal)} that fail the build; all in {log.relative_to(root)})')
    sys.exit(1 if r.returncode or fatal else 0)
