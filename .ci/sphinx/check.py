"""Step 3 of `.ci/docs`: check the site in `_docs/` as a reader would get it. One line per failure; exit 1 if any.

- every notebook has its page, and the index's navigation lists them all, in the notebooks' order;
- no page shows a Python traceback, a notebook error output, or a docutils/myst error message;
- every exported name (a module's `__all__` that nbdev's link index knows) has its `show_doc` block on the page the
  index points at;
- every link between the site's pages reaches an existing page (a missing anchor is printed as a note: nbdev links
  backticked private names and methods that have no show_doc block, and the right page still opens);
- in headless Chromium (through the DevTools protocol), every page loads and every `img` on it has loaded
  (`complete && naturalWidth > 0`); screenshots of the index and of the file-size page go to `_docs/screenshots/`."""
import ast, base64, json, os, re, shutil, socket, subprocess, sys, tempfile, threading, time
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse, unquote
from urllib.request import urlopen
import websocket  # websocket-client, from the docs extra
from nbdev.config import get_config
from nbdev.doclinks import NbdevLookup, nbglob, _nbpath2html

cfg = get_config()
root = cfg.config_path
docs, lib = root/cfg.doc_path, root/cfg.lib_path
SHOTS = {'index': 'index.png', 'size': 'size.png'}
# Debian's chromium here; Ubuntu (GitHub's runners) has Google Chrome, which speaks the same protocol
CHROMIUM = os.environ.get('CHROMIUM') or next(
    (b for b in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if b), '/usr/bin/chromium')
failures = []
def fail(msg):
    if msg not in failures: failures.append(msg); print(f'docs: FAIL {msg}', flush=True)

class Page(HTMLParser):
    "The ids, links and images of one HTML page."
    def __init__(self, text):
        super().__init__(); self.ids, self.links, self.imgs = set(), [], []
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img' and a.get('src'): self.imgs.append(a['src'])

# Stored outputs a reader should not meet; a warning printed into an output is only a note
WARNED = re.compile(r'\b\w*Warning: [^<\n]{0,100}')
ERRORS = [('a Python traceback', re.compile(r'Traceback \(most recent call last\)')),
          ('a notebook error output', re.compile(r'class="[^"]*\b(output error|traceback)\b')),
          ('a docutils/myst error message', re.compile(r'class="[^"]*\b(system-message|problematic)\b'))]

def static_checks(pages):
    "Pages exist, no errors shown, show_doc blocks and internal links resolve. Returns the parsed pages."
    parsed = {}
    missing = {f'{p}.html' for p in pages.values() if not (docs/f'{p}.html').exists()}  # reported once, below
    for nb, page in pages.items():
        f = docs/f'{page}.html'
        if not f.exists(): fail(f'{nb}: no page {f.relative_to(root)}'); continue
        text = f.read_text(encoding='utf-8')
        for what, rx in ERRORS:
            m = rx.search(text)
            if m: fail(f'{nb}: page {page}.html shows {what}: ...{text[max(0, m.start()-80):m.end()+40]!r}...')
        for w in sorted(set(WARNED.findall(text))): print(f'docs: note: {nb}: a stored output shows a warning: {w}')
        parsed[page] = Page(text)
    if 'index' in parsed:  # the navigation lists the pages in the notebooks' order
        want = [f'{p}.html' for p in pages.values() if p != 'index' and p in parsed]
        got = list(dict.fromkeys(l for l in parsed['index'].links if l in want))
        if got != want and set(got) == set(want): fail(f'index.html: navigation order {got} is not the notebooks\' order {want}')
    for nb, page in pages.items():
        if page != 'index' and 'index' in parsed and page in parsed and f'{page}.html' not in parsed['index'].links:
            fail(f'{nb}: page {page}.html is not in the navigation of index.html')
    # every exported name's show_doc block, where nbdev's link index says it is
    syms = {}
    modidx = lib/'_modidx.py'
    if modidx.exists():
        ns = {}; exec(modidx.read_text(), ns)
        for mod in ns['d']['syms'].values(): syms.update(mod)
    exporters = {}
    for py in sorted(lib.glob('*.py')):
        tree = ast.parse(py.read_text())
        names = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and any(getattr(t, 'id', '') == '__all__' for t in n.targets)), [])
        for name in names:
            exporters.setdefault(name, []).append(py.stem)
            url = syms.get(f'{cfg.lib_name}.{py.stem}.{name}', [None])[0]
            if not url: continue  # constants and other names nbdev does not index
            page, _, anchor = url.partition('#')
            p = parsed.get(Path(page).stem)
            if page in missing: continue
            if p is None: fail(f'{py.name}: {name}: link index points at {page}, which is not a page')
            elif anchor not in p.ids: fail(f'{py.name}: {name}: no show_doc block (#{anchor}) on {page}')
    # a name two modules export gets one link for both: nbdev's link index keeps the last module it met
    for name, mods in exporters.items():
        linked = [m for m in mods if f'{cfg.lib_name}.{m}.{name}' in syms]
        if len(linked) > 1 and name not in ('main', 'build_parser'):
            fail(f'`{name}` is exported by {" and ".join(m + ".py" for m in linked)}: every backticked `{name}` in the docs '
                 f'links to {(NbdevLookup().doc(name) or "one of them").rsplit("/", 1)[-1]}; rename one')
    # images on disk (whether they load is asked of Chromium) and links between pages
    for page, p in parsed.items():
        for img in p.imgs:
            u = urlparse(img)
            if not (u.scheme or u.netloc) and not (docs/unquote(u.path)).is_file(): fail(f'{page}.html: image {img} is not in {docs.name}/')
        for href in p.links:
            u = urlparse(href)
            if u.scheme or u.netloc or href.startswith(('mailto:', 'javascript:')): continue
            target = (docs/unquote(u.path)).resolve() if u.path else docs/f'{page}.html'
            if u.path in missing: continue
            if u.path and not target.exists(): fail(f'{page}.html: link {href!r} leads to no file'); continue
            if u.fragment and target.suffix == '.html':
                tp = parsed.get(target.stem) if target.parent == docs.resolve() else None
                ids = tp.ids if tp else Page(target.read_text(encoding='utf-8')).ids
                if unquote(u.fragment) not in ids:  # the right page still opens: a note for the notebook's author
                    print(f'docs: note: {page}.html: link {href!r}: no anchor #{u.fragment} on {target.name}')
    return parsed

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class CDP:
    "Just enough of the Chrome DevTools protocol: send a command, wait for its answer or for an event."
    def __init__(self, url): self.ws, self.n, self.events = websocket.create_connection(url, timeout=60), 0, []
    def __call__(self, method, **params):
        self.n += 1; self.ws.send(json.dumps({'id': self.n, 'method': method, 'params': params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get('id') == self.n:
                if 'error' in m: raise RuntimeError(f"{method}: {m['error']}")
                return m['result']
            self.events.append(m)
    def wait(self, event, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            for i, m in enumerate(self.events):
                if m.get('method') == event: return self.events.pop(i)
            self.ws.settimeout(max(0.1, end - time.time()))
            try: self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException: break
        raise TimeoutError(event)

# In the page: make lazy images load, wait until every image has loaded or failed, report the ones that failed.
IMG_JS = '''(async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; setTimeout(r, 20000); })));
  return JSON.stringify({n: imgs.length, bad: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
                         title: document.title, h1: (document.querySelector('h1') || {}).textContent || ''});
})()'''

def browser_checks(pages):
    "Load every page in headless Chromium; check its images; take the screenshots."
    if not Path(CHROMIUM).exists():
        fail(f'no Chromium at {CHROMIUM} (apt-get install -y chromium chromium-driver)'); return
    port = free_port()
    server = ThreadingHTTPServer(('127.0.0.1', port), partial(QuietHandler, directory=str(docs)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix='docs-chromium-')
    chrome = subprocess.Popen([CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                               '--disable-background-networking', '--disable-component-update', '--disable-sync',
                               '--disable-dev-shm-usage', f'--user-data-dir={profile}', '--remote-debugging-port=0',
                               '--window-size=1280,900', 'about:blank'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        active = Path(profile)/'DevToolsActivePort'
        for _ in range(300):
            if active.exists() and len(active.read_text().split()) == 2: break
            time.sleep(0.1)
        else: fail('Chromium did not start (no DevToolsActivePort)'); return
        dport = active.read_text().split()[0]
        target = next(t for t in json.load(urlopen(f'http://127.0.0.1:{dport}/json')) if t['type'] == 'page')
        cdp = CDP(target['webSocketDebuggerUrl'])
        cdp('Page.enable')
        (docs/'screenshots').mkdir(exist_ok=True)
        n_img = n_page = 0
        for nb, page in pages.items():
            if not (docs/f'{page}.html').exists(): continue
            cdp.events.clear()
            nav = cdp('Page.navigate', url=f'http://127.0.0.1:{port}/{page}.html')
            if nav.get('errorText'): fail(f'{nb}: Chromium could not load {page}.html: {nav["errorText"]}'); continue
            cdp.wait('Page.loadEventFired')
            r = cdp('Runtime.evaluate', expression=IMG_JS, awaitPromise=True, returnByValue=True)
            res = json.loads(r['result']['value'])
            n_img += res['n']; n_page += 1
            for src in res['bad']: fail(f'{nb}: image {src} on {page}.html does not load in Chromium')
            if not res['h1'].strip(): fail(f'{nb}: page {page}.html has no title (h1)')
            if page in SHOTS:  # the top of the page, and its first figure when it has one
                shot = cdp('Page.captureScreenshot', format='png')
                (docs/'screenshots'/SHOTS[page]).write_bytes(base64.b64decode(shot['data']))
                if res['n']:
                    cdp('Runtime.evaluate', expression="document.images[0].scrollIntoView({block: 'center'})")
                    time.sleep(0.3)
                    shot = cdp('Page.captureScreenshot', format='png')
                    (docs/'screenshots'/SHOTS[page].replace('.png', '-figure.png')).write_bytes(base64.b64decode(shot['data']))
        print(f'docs: Chromium loaded {n_page} pages with {n_img} images; screenshots in {(docs/"screenshots").relative_to(root)}/')
    finally:
        chrome.terminate()
        try: chrome.wait(10)
        except subprocess.TimeoutExpired: chrome.kill()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

if __name__ == '__main__':
    # the page each notebook should have, under the name nbdev gives it (05_writer.ipynb -> writer.html)
    nbs = sorted(nbglob(cfg.config_path/cfg.nbs_path, func=Path), key=lambda p: (p.stem != 'index', p.name))
    pages = {p.name: _nbpath2html(p).stem for p in nbs}
    static_checks(pages)
    browser_checks(pages)
    print(f'docs: site check: {len(failures)} failure(s)')
    sys.exit(1 if failures else 0)
