"""Write README.md from nbs/index.ipynb as stored (nbdev_readme needs Quarto, which these machines lack).

Markdown cells are copied as they are; code cells become ```python blocks; cells marked `#| hide` are left out;
cells marked `#| echo: false` contribute their stored markdown output only (that is how the headline results,
read from the benchmark notebooks' stored outputs, reach the README). Links to notebooks get the `nbs/` folder.
`python .ci/readme.py --check` exits 1 if README.md differs from what the notebook gives."""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def flag(src: str, name: str) -> bool: return re.search(rf'^#\|\s*{name}\s*$', src, re.M) is not None

def cell_text(c: dict) -> str|None:
    src = ''.join(c['source']).strip()
    if not src or flag(src, 'hide'): return None
    if c['cell_type'] == 'markdown': return src
    if flag(src, 'echo: false'):
        md = [''.join(o['data']['text/markdown']) for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
        return '\n\n'.join(md).strip() or None
    return f'```python\n{src}\n```'

def readme() -> str:
    nb = json.loads((root/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    text = '\n\n'.join(t for t in map(cell_text, nb['cells']) if t) + '\n'
    return re.sub(r'\]\((?!https?:|/|#)([^)]+?\.ipynb(?:#[^)]*)?)\)', r'](nbs/\1)', text)

if __name__ == '__main__':
    text,path = readme(),root/'README.md'
    if '--check' in sys.argv:
        if path.read_text(encoding='utf-8') != text: sys.exit('README.md is out of date with nbs/index.ipynb: run python .ci/readme.py')
    else: path.write_text(text, encoding='utf-8')
