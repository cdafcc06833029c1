# Sphinx configuration for the offline docs build (`.ci/docs`); sources are made by site.py in `_proc/_sphinx/`.
# The project's name, author and repository come from settings.ini, like everything else.
from configparser import ConfigParser
from pathlib import Path

_ini = ConfigParser(delimiters=['='])
_ini.read(Path(__file__).resolve().parents[2]/'settings.ini', encoding='utf-8')
_cfg = _ini['DEFAULT']

project = _cfg['title']
author = _cfg['author']
copyright = _cfg['copyright']
release = version = _cfg['version']

extensions = ['myst_nb']
exclude_patterns = ['_build', '**.ipynb_checkpoints']
root_doc = 'index'

# Notebooks are shown with the outputs they were committed with; nothing runs here.
nb_execution_mode = 'off'
nb_merge_streams = True
# Markdown outputs (show_doc blocks with their parameter tables, tables a cell displays) are read as MyST, whose
# tables CommonMark lacks.
nb_render_markdown_format = 'myst'
# Links were already pointed at the local pages (site.py), so myst passes them through as they are.
myst_all_links_external = True
myst_heading_anchors = 3
myst_enable_extensions = ['dollarmath', 'colon_fence', 'html_image']
# A notebook's H1 titles the page; show_doc headings (###) follow H2s, as in nbdev's Quarto site.
suppress_warnings = ['myst.header']
# No widgets in these notebooks: do not load require.js / widget scripts from a CDN (the site works offline).
nb_ipywidgets_js = {}

html_theme = 'sphinx_book_theme'
html_title = project
html_theme_options = {
    'repository_url': _cfg['git_url'],
    'use_repository_button': True,
    'path_to_docs': _cfg['nbs_path'],
    'show_toc_level': 2,
}
html_static_path = ['_static']
html_css_files = ['nbdev.css']
html_show_sourcelink = False
