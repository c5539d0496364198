#!/usr/bin/env python3
"""Browser tests of ticketd's web page (web/index.html, app.css, app.js).

Starts the real built ticketd on a free loopback port with a temporary config
(SQLite in a temporary directory, the shipped rules of rules/, three API
tokens: alice admin, bob write, carol read), posts events with urllib and
drives the page in headless Chromium through Debian's chromedriver.

    python3 tests/web/browser_test.py --bin build [-k resolve] [--keep]

Exits 77 (ctest: skipped) when chromium, chromedriver or the selenium module
is missing. What each test covers: tests/web/README.md.
"""

import argparse
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SKIPPED = 77
SYSTEM_PYTHON = "/usr/bin/python3"
CHROMEDRIVER = "/usr/bin/chromedriver"
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def selenium_missing():
    """None when selenium imports; else what to install. Debian's
    python3-selenium lives in the system interpreter: when python3 on PATH is
    another one (pyenv, a venv), run this file again with /usr/bin/python3."""
    try:
        import selenium  # noqa: F401
        return None
    except ImportError:
        pass
    if (os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)
            and os.access(SYSTEM_PYTHON, os.X_OK)
            and subprocess.run([SYSTEM_PYTHON, "-c", "import selenium"],
                               capture_output=True).returncode == 0):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    return "the Python module selenium (Debian package python3-selenium)"


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def missing_tools():
    missing = []
    if not chromium_binary():
        missing.append("chromium (Debian package chromium)")
    if not os.access(CHROMEDRIVER, os.X_OK):
        missing.append(CHROMEDRIVER + " (Debian package chromium-driver)")
    sel = selenium_missing()
    if sel:
        missing.append(sel)
    return missing


# ---- the daemon -----------------------------------------------------------------

TOKENS = {  # name: (role, secret)
    "alice": ("admin", "alice-admin-token-0001"),
    "bob": ("write", "bob-write-token-000001"),
    "carol": ("read", "carol-read-token-00001"),
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """The real ticketd, on a free loopback port, with a store of its own."""

    def __init__(self, bin_dir, keep=False):
        self.exe = os.path.join(os.path.abspath(bin_dir), "ticketd")
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix="ticketd-web-")
        self.port = free_port()
        self.proc = None
        self.logfile = os.path.join(self.dir, "ticketd.log")

    def start(self):
        if not os.access(self.exe, os.X_OK):
            raise RuntimeError("no ticketd at %s (build it, then pass --bin BUILD_DIR)" % self.exe)
        cfg = os.path.join(self.dir, "ticketd.yaml")
        tokens = "".join('    - { name: %s, role: %s, token: "%s" }\n' % (n, r, s)
                         for n, (r, s) in TOKENS.items())
        with open(cfg, "w") as f:
            f.write("listen:\n  http: 127.0.0.1:%d\n  syslog_udp: \"off\"\n  syslog_tcp: \"off\"\n"
                    "  syslog_tls: \"off\"\n  snmp: \"off\"\n"
                    "rules_dir: %s\n"
                    "store:\n  path: var/ticketd.db\n  sync: normal\n"
                    "log:\n  level: warn\n"
                    "api:\n  tokens:\n%s" % (self.port, os.path.join(SOURCE_DIR, "rules"), tokens))
        with open(self.logfile, "w") as log:
            self.proc = subprocess.Popen([self.exe, "--config", cfg], cwd=self.dir,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ticketd exited at start:\n" + self.log())
            try:
                with urllib.request.urlopen(self.url("/readyz"), timeout=1) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise RuntimeError("ticketd did not become ready in 20 s:\n" + self.log())

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.keep:
            print("kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def call(self, method, path, body=None, token="alice"):
        """(HTTP status, parsed JSON body) of one API call."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + TOKENS[token][1])
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw or b"{}")
            except ValueError:
                return e.code, {"raw": raw.decode(errors="replace")}

    def ok(self, method, path, body=None, token="alice"):
        status, j = self.call(method, path, body, token)
        if status >= 300:
            raise AssertionError("%s %s answered %d: %s" % (method, path, status, j))
        return j


# ---- the browser -----------------------------------------------------------------

DAEMON = None
DRIVER = None
CONSOLE = []  # browser console entries seen so far (get_log drains them)
_unique = itertools.count(1)


def setUpModule():  # noqa: N802 (unittest's name)
    global DAEMON, DRIVER
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    DAEMON = Daemon(ARGS.bin, ARGS.keep)
    DAEMON.start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium_binary()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--lang=en-US", "--no-first-run",
              "--disable-background-networking", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        DRIVER = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    except Exception:
        DAEMON.stop()
        raise
    DRIVER.set_script_timeout(10)


def tearDownModule():  # noqa: N802
    if DRIVER:
        DRIVER.quit()
    if DAEMON:
        DAEMON.stop()


def drain_console():
    """Browser console entries since the last call (None when the driver
    does not offer the log)."""
    try:
        entries = DRIVER.get_log("browser")
    except Exception:
        return None
    CONSOLE.extend(entries)
    return entries


def csp_violations(entries):
    return [e["message"] for e in entries or []
            if "Content Security Policy" in e.get("message", "")
            or "Refused to" in e.get("message", "")]


# WCAG 2 contrast of every visible text element against the first opaque
# background behind it; returns [[priority, ratio, ...]] for the badges and
# the failures (ratio < 4.5) for all text.
CONTRAST_JS = r"""
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const lum = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
};
const ratio = (el) => {
  const bg = background(el);
  let fg = parse(getComputedStyle(el).color);
  if (fg.a < 1) fg = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
  const l1 = lum(fg), l2 = lum(bg);
  return [(Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), getComputedStyle(el).color, 'rgb(' + [bg.r, bg.g, bg.b] + ')'];
};
const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const badges = Array.from(document.querySelectorAll('.prio')).map((el) =>
  [el.textContent.trim(), ...ratio(el), el.closest('tr.fresh') ? 'fresh row' : '']);
const failures = [];
for (const el of document.querySelectorAll('body, body *')) {
  if (!el.getClientRects().length || el.closest('.sr-only, svg') || el.disabled) continue;
  const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim()) ||
    (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && el.value);
  if (!text) continue;
  const [r, fg, bg] = ratio(el);
  if (r < 4.5) failures.push([describe(el), el.textContent.trim().slice(0, 40), r, fg, bg]);
}
return [badges, ratio(document.body), failures];
"""

HOSTILE_IMG = '<img src=x onerror="window.__xss=1">'
HOSTILE_SCRIPT = "<script>window.__xss=1</script>"


class PageTest(unittest.TestCase):
    """Helpers shared by the tests; one daemon and one browser for all."""

    def setUp(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        self.By, self.Keys = By, Keys
        self.d = DRIVER
        self.api = DAEMON
        drain_console()

    def tearDown(self):
        # No test may make the page break its own CSP.
        violations = csp_violations(drain_console())
        self.assertEqual(violations, [], "CSP violations in the browser console")

    # -- navigation ---------------------------------------------------------------
    def open(self, route, token="alice"):
        """Loads the page afresh at #ROUTE with TOKEN in sessionStorage."""
        self.d.get(DAEMON.url("/healthz"))  # same origin, without the app
        self.d.execute_script(
            "arguments[0] ? sessionStorage.setItem('ticketd-token', arguments[0])"
            " : sessionStorage.removeItem('ticketd-token')", TOKENS[token][1] if token else None)
        self.d.get(DAEMON.url("/#" + route))

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def state(self):
        """Where the page is, for failure messages."""
        try:
            return self.js("return JSON.stringify({hash: location.hash,"
                           " h1: (document.querySelector('h1') || {}).textContent,"
                           " status: document.getElementById('status').textContent,"
                           " title: document.title})")
        except Exception as e:  # the page itself may be the problem
            return "(no state: %s)" % e

    def wait(self, cond, timeout=10, what="condition"):
        """Polls COND (a function of nothing) until truthy; returns its value."""
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def attempt(_):
            try:
                return cond()
            except StaleElementReferenceException:  # the view redrew; ask again
                return False
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(attempt)
        except TimeoutException:
            self.fail("timed out after %s s waiting for %s; page: %s" % (timeout, what, self.state()))

    def css(self, selector, timeout=10):
        """The first element matching SELECTOR once there is one."""
        return self.wait(lambda: (self.d.find_elements(self.By.CSS_SELECTOR, selector) or [None])[0],
                         timeout, selector)

    def text(self, selector):
        els = self.d.find_elements(self.By.CSS_SELECTOR, selector)
        return els[0].text if els else ""

    def h1(self):
        return self.text("h1")

    def hash(self):
        return self.js("return decodeURIComponent(location.hash)")

    def press(self, *keys, modifier=None):
        """Keys sent to whatever has the focus, as a person would type them."""
        from selenium.webdriver.common.action_chains import ActionChains
        chain = ActionChains(self.d)
        if modifier:
            chain.key_down(modifier)
        chain.send_keys(*keys)
        if modifier:
            chain.key_up(modifier)
        chain.perform()

    def tab_to(self, selector, limit=80):
        """Moves the focus with Tab (or Shift+Tab, when the target comes
        earlier in the document) until the element matching SELECTOR has it."""
        self.css(selector)
        for _ in range(limit):
            where = self.js(
                "const t = document.querySelector(arguments[0]), a = document.activeElement;"
                "if (!t) return 'gone'; if (a === t) return 'here';"
                "if (!a || a === document.body) return 'after';"
                "const after = a.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING;"
                "return after ? 'after' : 'before';",
                selector)
            if where == "here":
                return
            if where == "gone":
                self.css(selector)
                continue
            self.press(self.Keys.TAB, modifier=None if where == "after" else self.Keys.SHIFT)
        self.fail("Tab never reached %s; focus on %s" % (
            selector, self.js("return document.activeElement.outerHTML.slice(0, 120)")))

    # -- data ----------------------------------------------------------------------
    def unique(self, prefix):
        return "%s-%d-%d" % (prefix, os.getpid() % 10000, next(_unique))

    def post_event(self, event):
        status, j = self.api.call("POST", "/api/v1/events", event)
        self.assertEqual(status, 202, j)

    def ticket_by_fingerprint(self, fingerprint):
        for t in self.api.ok("GET", "/api/v1/tickets?limit=200")["tickets"]:
            if t.get("fingerprint") == fingerprint:
                return t
        self.fail("no ticket with fingerprint %r" % fingerprint)

    def new_incident(self, prefix="host"):
        """A new P1 (rule host-unreachable) on a host of its own; its key."""
        host = self.unique(prefix)
        self.post_event({"host": host, "app": "ping", "severity": "critical",
                         "message": "%s unreachable: 100%% packet loss" % host})
        return self.ticket_by_fingerprint(host)["key"], host

    def ticket(self, key):
        return self.api.ok("GET", "/api/v1/tickets/" + key)

    def timeline(self, key):
        return self.api.ok("GET", "/api/v1/tickets/%s/timeline" % key)["timeline"]

    def total(self, query):
        """How many tickets the API lists for QUERY (its total, else counted)."""
        j = self.api.ok("GET", "/api/v1/tickets?%s&limit=1000" % query)
        return j["total"] if "total" in j else len(j["tickets"])

    def open_ticket(self, key, token="alice"):
        self.open("/tickets/" + key, token)
        self.wait(lambda: self.h1().startswith(key), what="the ticket %s to render" % key)

    def select(self, element, value):
        from selenium.webdriver.support.ui import Select
        Select(element).select_by_value(value)


class TicketActions(PageTest):
    def test_resolve_with_code_and_note_by_enter(self):
        key, _ = self.new_incident("resolve")
        self.open_ticket(key)
        form = self.css("#status-form")
        status = form.find_element(self.By.NAME, "status")
        self.assertNotIn("closed", [o.get_attribute("value") for o in
                                    status.find_elements(self.By.TAG_NAME, "option")],
                         "a new ticket cannot go to closed; the select offers only valid transitions")
        self.select(status, "resolved")
        self.select(form.find_element(self.By.NAME, "code"), "workaround")
        note = "Rebooted the uplink switch %s" % key
        form.find_element(self.By.NAME, "note").send_keys(note, self.Keys.ENTER)

        t = self.wait(lambda: (lambda t: t if t["status"] == "resolved" else None)(self.ticket(key)),
                      what="the API to show %s resolved" % key)
        self.assertEqual(t["resolution"], {"code": "workaround", "note": note})
        self.wait(lambda: note in self.text("#timeline"), what="the note in the page's timeline")
        self.assertEqual(self.text("#status-form .form-error"), "")

    def test_note_ctrl_enter_and_assign_enter_does_not_ack(self):
        key, _ = self.new_incident("note")
        self.open_ticket(key)
        area = self.css("#note-form textarea")
        area.click()
        # Enter alone is a new line in the note; Ctrl+Enter adds it.
        self.press("first line", self.Keys.ENTER, "second line")
        self.press(self.Keys.ENTER, modifier=self.Keys.CONTROL)
        notes = self.wait(lambda: [e for e in self.timeline(key) if e["kind"] == "note"],
                          what="the note in the API timeline")
        self.assertEqual([e["message"] for e in notes], ["first line\nsecond line"])
        self.wait(lambda: "second line" in self.text("#timeline"), what="the note on the page")

        self.open_ticket(key)
        field = self.css("#assign-form input[name=assignee]")
        field.clear()
        field.send_keys("bob", self.Keys.ENTER)
        t = self.wait(lambda: (lambda t: t if t["assignee"] == "bob" else None)(self.ticket(key)),
                      what="the API to show %s assigned to bob" % key)
        self.assertIsNone(t["acknowledged_at"], "Enter in the assign field acknowledged the ticket")
        self.assertFalse([e for e in self.timeline(key) if e["kind"] in ("ack", "acknowledged")])
        self.wait(lambda: "bob" in self.text("#view dl.fields"), what="the assignee on the page")


class Navigation(PageTest):
    def test_keyboard_only_views_back_and_deep_link(self):
        key, _ = self.new_incident("keys")
        self.open("/tickets")
        self.css('#queue tr[data-key="%s"]' % key)
        for href, heading in (("#/silences", "Silences"), ("#/rules", "Rules"),
                              ("#/trends", "Trends"), ("#/tickets", "Queue")):
            self.tab_to('header nav a[href="%s"]' % href)
            self.press(self.Keys.ENTER)
            self.wait(lambda: self.hash() == href, what="location.hash " + href)
            self.wait(lambda: self.h1() == heading, what="the %s view" % heading)
            self.wait(lambda: self.js("return document.activeElement.tagName") == "H1",
                      what="the new view's heading to take the focus")
            self.assertEqual(self.text("#status"), "")
        self.tab_to('#queue tr[data-key="%s"] a[href="#/tickets/%s"]' % (key, key))
        self.press(self.Keys.ENTER)
        self.wait(lambda: self.hash() == "#/tickets/" + key, what="the ticket's hash")
        self.wait(lambda: self.h1().startswith(key), what="the ticket view")

        self.d.back()
        self.wait(lambda: self.hash() == "#/tickets", what="back to the queue's hash")
        self.css('#queue tr[data-key="%s"]' % key)
        self.assertEqual(self.h1(), "Queue")
        self.d.back()
        self.wait(lambda: self.hash() == "#/trends" and self.h1() == "Trends", what="back to Trends")
        self.d.back()
        self.wait(lambda: self.hash() == "#/rules" and self.h1() == "Rules", what="back to Rules")

        # A link to a ticket, opened in a new page load.
        self.d.get("about:blank")
        self.d.get(DAEMON.url("/#/tickets/" + key))
        self.wait(lambda: self.h1().startswith(key), what="the deep-linked ticket")
        self.css("#timeline")
        self.assertEqual(self.text("#status"), "")

    def test_narrow_layout_has_no_horizontal_scroll(self):
        long_word = "x" * 80
        host = self.unique("narrow")
        self.post_event({"host": host, "app": "ping", "severity": "critical",
                         "message": "%s unreachable %s" % (host, long_word),
                         "labels": {"path": "/" + long_word, "team": "network-ops"}})
        key = self.ticket_by_fingerprint(host)["key"]
        self.d.set_window_size(400, 900)
        self.addCleanup(self.d.set_window_size, 1280, 900)
        self.open("/tickets")
        self.css('#queue tr[data-key="%s"]' % key)
        self.assertLessEqual(self.js("return window.innerWidth"), 400)
        views = [("/tickets", '#queue tr[data-key="%s"]' % key), ("/tickets/" + key, "#timeline"),
                 ("/silences", "#silence-form"), ("/rules", "table"), ("/trends", "svg.chart")]
        for route, ready in views:
            self.open(route)
            self.css(ready)
            widths = self.js("return [document.documentElement.scrollWidth, window.innerWidth]")
            self.assertLessEqual(widths[0], widths[1],
                                 "#%s scrolls sideways at 400 px: scrollWidth %d > innerWidth %d"
                                 % (route, widths[0], widths[1]))


class Live(PageTest):
    def test_live_refresh_marks_new_row_and_title(self):
        self.open("/tickets")
        self.css("#queue caption")
        self.js("window.__sameDocument = true")
        key, _ = self.new_incident("live")
        row = '#queue tr[data-key="%s"].fresh' % key
        self.css(row, timeout=15)  # the page polls every 5 s
        self.assertTrue(self.js("return window.__sameDocument === true"), "the page reloaded")
        p1 = self.total("status=open&priority=P1")
        self.wait(lambda: self.d.title.startswith("(%d P1" % p1), timeout=15,
                  what="document.title to show %d P1 (it is %r)" % (p1, self.d.title))
        self.assertRegex(self.d.title, r"^\(\d+ P1(, \d+ P2)?\) ticketd$")
        opened = self.total("status=open")
        self.assertTrue(self.text("#queue caption").startswith("%d ticket" % opened),
                        "caption %r, API total %d" % (self.text("#queue caption"), opened))


class Hostile(PageTest):
    def test_ticket_detail_folds_engine_entries_and_trends_draws_charts(self):
        key, host = self.new_incident("detail")
        for _ in range(2):  # more events of the same alert: engine entries
            self.post_event({"host": host, "app": "ping", "severity": "critical",
                             "message": "%s unreachable: 100%% packet loss" % host})
        self.api.ok("POST", "/api/v1/tickets/%s/notes" % key, {"text": "checked the uplink"})
        self.wait(lambda: self.ticket(key)["event_count"] == 3, what="three events on " + key)
        self.open_ticket(key)
        # The host and the events list; the engine's per-event entries folded,
        # the person's note standing out.
        self.assertIn(host, self.text(".fields"))
        self.assertEqual(len(self.d.find_elements(self.By.CSS_SELECTOR, "#events tbody tr")), 3)
        summary = self.css("#timeline details summary").text
        self.assertRegex(summary, r"^\d+ events? recorded by the engine")
        self.assertIn("checked the uplink", self.text("#timeline li.person"))
        # Times: relative text, the instant in datetime, local time with a zone on hover.
        t = self.css("dd time[datetime]")
        self.assertRegex(t.text, r"(ago|in \d+)")
        self.assertRegex(t.get_attribute("title"), r"[A-Z]{2,}|GMT|UTC")
        # Trends: the per-day chart has a bar for today's tickets.
        self.open("/trends")
        self.css("svg.chart rect.opened")
        self.assertTrue(self.js(
            "return Array.from(document.querySelectorAll('svg.chart rect.opened'))"
            ".some((r) => parseFloat(r.getAttribute('height')) > 0)"), "no opened bar drawn")

    def test_hostile_text_is_shown_literally(self):
        app = self.unique("xss")
        self.post_event({"host": HOSTILE_IMG, "app": app, "severity": "error",
                         "message": "%s %s" % (HOSTILE_IMG, HOSTILE_SCRIPT),
                         "labels": {"note": HOSTILE_SCRIPT, "html": HOSTILE_IMG}})
        t = self.ticket_by_fingerprint("unclassified/%s/%s" % (HOSTILE_IMG, app))
        key = t["key"]
        injected = ("return [window.__xss, document.querySelectorAll('#view img, #view script').length,"
                    " document.querySelectorAll('[onerror]').length]")

        self.open("/tickets")
        row = self.css('#queue tr[data-key="%s"]' % key)
        self.assertIn(HOSTILE_IMG, row.text)
        self.assertEqual(self.js(injected), [None, 0, 0])

        self.open_ticket(key)
        self.assertIn(HOSTILE_IMG, self.h1())
        self.wait(lambda: HOSTILE_SCRIPT in self.text("#events"), what="the event message")
        fields = self.text("#view dl.fields")
        self.assertIn("note=" + HOSTILE_SCRIPT, fields)
        self.assertIn("html=" + HOSTILE_IMG, fields)
        self.assertEqual(self.js(injected), [None, 0, 0])

        # The hostile host travels on into the silence form's matchers.
        self.css("a.silence-this").click()
        field = self.css("#silence-form input[name=matchers]")
        self.assertEqual(field.get_attribute("value"),
                         'host="<img src=x onerror=\\"window.__xss=1\\">" app=' + app)
        self.assertEqual(self.js(injected), [None, 0, 0])


class Security(PageTest):
    def test_headers_csp_and_token_in_session_storage(self):
        for path in ("/", "/app.js", "/app.css"):
            with urllib.request.urlopen(DAEMON.url(path), timeout=10) as r:
                csp = r.headers.get("Content-Security-Policy", "")
                self.assertIn("frame-ancestors 'none'", csp, path)
                self.assertNotIn("unsafe-inline", csp, path)
                self.assertNotIn("unsafe-eval", csp, path)
                self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff", path)

        # The token typed at the top right lives in this tab's sessionStorage only.
        self.open("/rules", token=None)
        self.js("localStorage.clear()")
        self.wait(lambda: "API token" in self.text("#status"), what="the 401 hint")
        secret = TOKENS["bob"][1]
        self.css("#token").send_keys(secret, self.Keys.TAB)
        self.wait(lambda: self.h1() == "Rules" and self.text("#status") == "",
                  what="the rules after the token")
        self.assertEqual(self.js("return sessionStorage.getItem('ticketd-token')"), secret)
        in_local = self.js("return Object.values(localStorage).filter((v) => v.includes(arguments[0])).length",
                           secret)
        self.assertEqual(in_local, 0, "the token is in localStorage")
        self.assertNotIn(secret, self.js("return document.cookie"))
        self.d.refresh()
        self.wait(lambda: self.h1() == "Rules", what="the rules after a reload")
        self.assertEqual(self.css("#token").get_attribute("value"), secret)

        # Every view renders without a CSP violation in the console.
        key, _ = self.new_incident("csp")
        for route, ready in (("/tickets", "#queue"), ("/tickets/" + key, "#timeline"),
                             ("/silences", "#silences"), ("/rules", "table"), ("/trends", "svg.chart")):
            self.open(route)
            self.css(ready)
        entries = drain_console()
        if entries is None:
            print("browser_test: this chromedriver gives no console log; CSP violations not checked",
                  file=sys.stderr)
        self.assertEqual(csp_violations(CONSOLE), [])


class Search(PageTest):
    def test_refused_search_shows_error_and_recovers(self):
        key, _ = self.new_incident("search")
        self.open("/tickets")
        self.css('#queue tr[data-key="%s"]' % key)
        q = self.css("#filters input[name=q]")
        q.send_keys(")(", self.Keys.ENTER)  # punctuation alone: the API refuses it
        self.wait(lambda: "q:" in self.text("#filters-error"), what="the refusal in #filters-error")
        self.assertEqual(self.css("#filters-error").get_attribute("role"), "alert")
        self.assertEqual(self.d.find_elements(self.By.CSS_SELECTOR, "#queue"), [])
        q = self.css("#filters input[name=q]")
        self.assertTrue(q.is_displayed() and q.is_enabled())
        self.assertEqual(q.get_attribute("value"), ")(", "what was typed stays")
        q.clear()
        q.send_keys("unreachable", self.Keys.ENTER)
        self.css('#queue tr[data-key="%s"]' % key)
        self.assertEqual(self.text("#filters-error"), "")

        # A bad filter in the URL: the same, and the form fixes it.
        self.open("/tickets?priority=P9")
        self.wait(lambda: "P9" in self.text("#filters-error"), what="the refused priority")
        form = self.css("#filters")
        self.select(form.find_element(self.By.NAME, "priority"), "P1")
        form.find_element(self.By.CSS_SELECTOR, "button.primary").click()
        self.css('#queue tr[data-key="%s"]' % key)
        self.assertEqual(self.text("#filters-error"), "")
        self.assertIn("priority=P1", self.hash())


class Silences(PageTest):
    def silence(self, sid):
        for s in self.api.ok("GET", "/api/v1/silences")["silences"]:
            if s["id"] == sid:
                return s
        return None

    def test_silence_from_ticket_preview_create_expire(self):
        key, host = self.new_incident("silence")
        self.open_ticket(key)
        self.tab_to("a.silence-this")
        self.press(self.Keys.ENTER)
        self.wait(lambda: self.hash().startswith("#/silences/new?"), what="the silence form's hash")
        field = self.css("#silence-form input[name=matchers]")
        self.assertEqual(field.get_attribute("value"), "host=%s app=ping" % host)
        self.assertIn(key, self.css("#silence-form input[name=comment]").get_attribute("value"))
        self.css("#silence-preview-btn").click()
        self.css('#silence-preview a[href="#/tickets/%s"]' % key)
        self.assertEqual(self.text("#silence-form .form-error"), "")

        field.send_keys(' labels.site="rack 4"')
        self.css("#silence-form button.primary").click()
        self.wait(lambda: self.hash() == "#/silences", what="back to the silences list")
        want = {"host": host, "app": "ping", "labels.site": "rack 4"}
        created = self.wait(lambda: [s for s in self.api.ok("GET", "/api/v1/silences")["silences"]
                                     if s["matchers"] == want], what="the silence in the API")
        s = created[0]
        self.assertEqual(s["created_by"], "alice")
        self.assertEqual(s["state"], "active")
        row = '#silences tr[data-id="%s"]' % s["id"]
        self.assertIn('labels.site="rack 4"', self.css(row).text)

        # Expire asks first; Keep cancels.
        self.css(row + " .expire-btn").click()
        self.css(row + " .confirm")
        self.assertEqual(self.js("return document.activeElement.textContent"), "Confirm expire")
        self.css(row + " .keep").click()
        self.css(row + " .expire-btn")
        self.assertEqual(self.silence(s["id"])["state"], "active")
        self.css(row + " .expire-btn").click()
        self.css(row + " .confirm").click()
        self.wait(lambda: self.silence(s["id"])["state"] == "expired", what="the API to show it expired")
        self.wait(lambda: self.text(row).startswith("expired"), what="the row to show it expired")

    def test_read_token_errors_shown_in_place(self):
        sid = self.api.ok("POST", "/api/v1/silences", {"matchers": {"host": self.unique("carol")},
                                                      "duration": "1h", "comment": "kept"})["id"]
        key, _ = self.new_incident("carol")
        self.open("/silences", token="alice")
        self.css('#silences tr[data-id="%s"]' % sid)
        # carol's token, typed at the top right, redraws the view.
        self.js("document.getElementById('silence-form').classList.add('before-token')")
        token = self.css("#token")
        token.clear()
        token.send_keys(TOKENS["carol"][1], self.Keys.TAB)
        self.css("#silence-form:not(.before-token)")
        self.assertEqual(self.js("return sessionStorage.getItem('ticketd-token')"), TOKENS["carol"][1])
        field = self.css("#silence-form input[name=matchers]")
        field.send_keys("host=anything")
        self.css("#silence-form button.primary").click()
        self.wait(lambda: "role cannot" in self.text("#silence-form .form-error"),
                  what="the 403 under the silence form")
        self.assertEqual(self.css("#silence-form .form-error").get_attribute("role"), "alert")
        self.assertEqual(self.css("#silence-form input[name=matchers]").get_attribute("value"),
                         "host=anything", "what was typed stays")

        row = '#silences tr[data-id="%s"]' % sid
        self.css(row + " .expire-btn").click()
        self.css(row + " .confirm").click()
        self.wait(lambda: "role cannot" in self.text(row + " .form-error"), what="the 403 in the row")
        self.assertEqual(self.css(row + " .form-error").get_attribute("role"), "alert")
        self.assertEqual(self.silence(sid)["state"], "active")

        self.open_ticket(key, token="carol")
        self.css("#ack-form button.primary").click()
        self.wait(lambda: "role cannot" in self.text("#ack-form .form-error"),
                  what="the 403 under Acknowledge")
        self.css("#note-form textarea").send_keys("not allowed")
        self.press(self.Keys.ENTER, modifier=self.Keys.CONTROL)
        self.wait(lambda: "role cannot" in self.text("#note-form .form-error"), what="the 403 under Note")
        self.assertEqual(self.css("#note-form textarea").get_attribute("value"), "not allowed")
        self.assertIsNone(self.ticket(key)["acknowledged_at"])


class Contrast(PageTest):
    def test_priority_badges_and_text_contrast(self):
        keys = {}
        for prio, impact, urgency in (("P1", "high", "high"), ("P2", "high", "medium"),
                                      ("P3", "medium", "medium"), ("P4", "medium", "low"),
                                      ("P5", "low", "low")):
            t = self.api.ok("POST", "/api/v1/tickets", {"title": "contrast " + prio, "impact": impact,
                                                        "urgency": urgency, "team": "web"})
            self.assertEqual(t["priority"], prio)
            keys[prio] = t["key"]
        self.open("/tickets?team=web")
        for k in keys.values():
            self.css('#queue tr[data-key="%s"]' % k)
        # Once as drawn, once with every row marked as new (its yellow background).
        for fresh in (False, True):
            if fresh:
                self.js("document.querySelectorAll('#queue tbody tr')"
                        ".forEach((r) => r.classList.add('fresh'))")
            badges, body, failures = self.js(CONTRAST_JS)
            seen = {b[0] for b in badges}
            self.assertTrue({"P1", "P2", "P3", "P4", "P5"} <= seen, badges)
            for b in badges:
                self.assertGreaterEqual(b[1], 4.5, "badge %s: %s on %s %s" % (b[0], b[2], b[3], b[4]))
            self.assertGreaterEqual(body[0], 4.5, "body text %s on %s" % (body[1], body[2]))
            self.assertEqual(failures, [], "text below 4.5:1 on the queue (fresh rows: %s)" % fresh)
        for route, ready in (("/tickets/" + keys["P1"], "#timeline"), ("/silences", "#silences"),
                             ("/rules", "table"), ("/trends", "svg.chart")):
            self.open(route)
            self.css(ready)
            badges, body, failures = self.js(CONTRAST_JS)
            for b in badges:
                self.assertGreaterEqual(b[1], 4.5, "%s badge %s: %s on %s" % (route, b[0], b[2], b[3]))
            self.assertEqual(failures, [], "text below 4.5:1 on #%s" % route)


def main():
    global ARGS
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s --bin BUILD_DIR [--keep] [unittest options, e.g. -k resolve]")
    parser.add_argument("--bin", required=True, help="the build directory holding ticketd")
    parser.add_argument("--keep", action="store_true", help="keep the daemon's work directory")
    ARGS, rest = parser.parse_known_args()
    missing = missing_tools()
    if missing:
        print("browser_test: skipped: missing %s; scripts/install-deps.sh installs them"
              % ", ".join(missing))
        sys.exit(SKIPPED)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


ARGS = None

if __name__ == "__main__":
    main()
