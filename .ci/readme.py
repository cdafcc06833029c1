"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack).

Markdown cells are copied as they are; code cells become ```python blocks; cells marked `#| hide` are left out.
`python .ci/readme.py --check` exits 1 if README.md differs from what the notebook gives."""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
parts = []
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src or src.startswith('#| hide') or src.startswith('#|hide'): continue
    parts.append(src if c['cell_type'] == 'markdown' else f'```python\n{src}\n```')
text = '\n\n'.join(parts) + '\n'
readme = root/'README.md'
if '--check' in sys.argv:
    if readme.read_text(encoding='utf-8') != text:
        sys.exit('README.md is out of date with nbs/index.ipynb: run python .ci/readme.py')
else: readme.write_text(text, encoding='utf-8')
