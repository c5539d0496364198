#!/usr/bin/env python3
"""Runs every fenced code block of README.md and docs/**/*.md as shown.

    tests/docs/run_examples.py --source REPO --bin BUILD_DIR [-v] [--keep] [FILE.md ...]

Registered in ctest as `docs_examples`. The markers are documented for
authors in docs/contributing.md ("Examples in the docs"); in short, an HTML
comment on the line before a fence says what the block is:

    <!-- example: KIND [file=PATH] [with=PATH,PATH] [xfail] [(reason)] -->

KIND is one of
  rules        a rule file: `ticketctl check-rules` (with the `with=` paths)
  rule-test    a rule test file: `ticketctl test-rules`
  config       a ticketd config file: `ticketd --config FILE --check-config`
  run          shell commands, run against a started ticketd (must exit 0)
  event        one JSON event: `ticketctl explain --rules rules/ FILE`
  alertmanager an Alertmanager config: `amtool check-config`
  rsyslog      an rsyslog config snippet: `rsyslogd -N1`
  file         only written to file= (for later blocks), not checked
  output       sample output or a shape, not run
  skip (why)   not run; the reason is required

Without a marker the kind comes from the fence: yaml/yml by the block's
top-level keys (`tests:` → rule-test; rules, inhibit, problems, storm, sla,
escalate → rules; config sections → config), sh/bash/shell/console → run,
json → must parse, jsonl → every line must parse, text/txt → not run.
Anything else (no language, or a language this script cannot check) fails
until it is marked.

Each Markdown file gets its own work directory holding a copy of the
repository's rules/, examples/ and config/, and `build` → the build directory, so
`build/ticketctl check-rules rules/` runs verbatim. `file=PATH` writes the
block there (later blocks of the same file can use it; a rule file written
under rules/ is checked together with the shipped rules). Shell blocks run
there with `set -e -o pipefail`, the build directory on PATH and
TICKETD_SERVER set, against one ticketd per Markdown file (fresh store,
free loopback ports: 8080, 5514 and 1162 in commands are replaced by them).
In config blocks, /etc/ticketd/NAME paths are created in the work directory
(a directory when the key names one, e.g. mib_dirs; else a file holding a
dummy secret of its own, or a URL for NAME.url), and
every `*_env: VAR` is set to a dummy secret. `xfail` expects the check to
fail (a behaviour change in flight); once it passes, the marker must go.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

KINDS = {"rules", "rule-test", "config", "run", "event", "alertmanager", "rsyslog", "file",
         "output", "skip"}
RULE_KEYS = {"rules", "inhibit", "problems", "storm", "sla", "escalate"}
TEST_KEYS = {"tests", "rule_files"}
CONFIG_KEYS = {"listen", "rules_dir", "default_rule", "store", "queue", "http", "syslog", "snmp",
               "api", "webhooks", "backends", "notifications", "outbox", "log", "pagerduty",
               "json_sources"}
SHELL_LANGS = {"sh", "bash", "shell", "console"}
TEXT_LANGS = {"text", "txt"}
# Docs being written on other branches; links to them may dangle until merged.
PENDING_DOCS = set()
DUMMY_SECRET = "docs-example-secret-0123456789abcdef"
BLOCK_TIMEOUT = 30

MARKER = re.compile(r"^\s*<!--\s*example:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


class Block:
    def __init__(self, path, line, lang, text, marker, marker_line):
        self.path, self.line, self.lang, self.text = path, line, lang, text
        self.marker, self.marker_line = marker, marker_line
        self.kind, self.file, self.with_paths, self.xfail, self.reason = None, None, [], False, ""

    def where(self):
        return "%s:%d" % (self.path, self.line)


def parse_marker(block, failures):
    body = block.marker
    if "(" in body and body.rstrip().endswith(")"):
        block.reason = body[body.index("(") + 1:body.rindex(")")].strip()
        body = body[:body.index("(")]
    for tok in body.split():
        if tok in KINDS:
            if block.kind:
                failures.append("%s:%d: marker names two kinds (%s, %s)" %
                                (block.path, block.marker_line, block.kind, tok))
            block.kind = tok
        elif tok == "xfail":
            block.xfail = True
        elif tok.startswith("file="):
            block.file = tok[5:]
        elif tok.startswith("with="):
            block.with_paths = [p for p in tok[5:].split(",") if p]
        elif block.kind == "skip":
            block.reason = (block.reason + " " + tok).strip()  # skip: the rest is the reason
        else:
            failures.append("%s:%d: unknown word \"%s\" in the example marker; expected a kind (%s), "
                            "file=, with=, xfail or (reason)" %
                            (block.path, block.marker_line, tok, ", ".join(sorted(KINDS))))
    if block.kind == "skip" and not block.reason:
        failures.append("%s:%d: \"skip\" needs a reason: <!-- example: skip (needs root) -->" %
                        (block.path, block.marker_line))


def extract(path, rel):
    """Fenced blocks of one Markdown file, with the marker before each."""
    blocks = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    marker, marker_line = None, 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            marker, marker_line = m.group(1), i + 1
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            indent, fence, lang = f.group(1), f.group(2), f.group(3).lower()
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                line = lines[i]
                body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
                i += 1
            blocks.append(Block(rel, start, lang, "\n".join(body) + "\n", marker, marker_line))
            marker = None
            i += 1
            continue
        if lines[i].strip():
            marker = None  # a marker applies to the very next block only
        i += 1
    return blocks


def top_keys(text):
    keys = set()
    for line in text.split("\n"):
        m = re.match(r"^([A-Za-z_][\w.-]*)\s*:", line)
        if m:
            keys.add(m.group(1))
    return keys


def classify(block, failures):
    if block.marker is not None:
        parse_marker(block, failures)
    if block.kind:
        return
    lang = block.lang
    if lang in ("yaml", "yml"):
        keys = top_keys(block.text)
        if keys and keys <= RULE_KEYS:
            block.kind = "rules"
        elif "tests" in keys and keys <= TEST_KEYS:
            block.kind = "rule-test"
        elif keys and keys <= CONFIG_KEYS:
            block.kind = "config"
        else:
            failures.append(
                "%s: cannot tell what this YAML block is (top-level keys: %s); put a marker on "
                "the line before the fence, e.g. <!-- example: rules -->, <!-- example: config -->, "
                "or <!-- example: skip (a fragment of a rule) -->" %
                (block.where(), ", ".join(sorted(keys)) or "none"))
    elif lang in SHELL_LANGS:
        block.kind = "run"
    elif lang == "json":
        block.kind = "json"
    elif lang == "jsonl":
        block.kind = "jsonl"
    elif lang in TEXT_LANGS:
        block.kind = "output"
    else:
        failures.append(
            "%s: a ```%s block this script cannot check; mark it on the line before the fence: "
            "<!-- example: output --> for sample output, <!-- example: skip (reason) --> for "
            "what cannot run here, or give it a language (text, sh, yaml, json)" %
            (block.where(), lang or " (no language)"))


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


class Workspace:
    """One Markdown file's work directory, and its daemon when a block needs one."""

    def __init__(self, args, rel):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="ticketd-docs-")
        for d in ("rules", "examples", "config"):
            src = os.path.join(args.source, d)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(self.dir, d))
        os.symlink(os.path.abspath(args.bin), os.path.join(self.dir, "build"))
        self.daemon = None
        self.ports = None
        self.counter = 0

    def path(self, rel):
        p = os.path.normpath(os.path.join(self.dir, rel))
        if not p.startswith(self.dir + os.sep):
            raise ValueError("file=%s leaves the work directory" % rel)
        return p

    def write(self, block, default_name):
        self.counter += 1
        rel = block.file or "%s-%d-%s" % ("block", block.line, default_name)
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(block.text)
        return p

    def env(self):
        env = dict(os.environ)
        env["PATH"] = os.path.abspath(self.args.bin) + os.pathsep + env.get("PATH", "")
        if self.ports:
            env["TICKETD_SERVER"] = "http://127.0.0.1:%d" % self.ports["http"]
        env.pop("TICKETD_TOKEN", None)
        return env

    def start_daemon(self):
        if self.daemon:
            return None
        self.ports = {"http": free_port(), "syslog": free_port(), "snmp": free_port()}
        os.makedirs(os.path.join(self.dir, "var"), exist_ok=True)
        cfg = os.path.join(self.dir, "ticketd-test.yaml")
        with open(cfg, "w") as f:
            f.write("listen:\n  http: 127.0.0.1:%d\n  syslog_udp: 127.0.0.1:%d\n"
                    "  syslog_tcp: 127.0.0.1:%d\n  syslog_tls: \"off\"\n  snmp: 127.0.0.1:%d\n"
                    "rules_dir: rules\nstore:\n  path: var/ticketd.db\n  sync: normal\n"
                    "log:\n  level: warn\n" %
                    (self.ports["http"], self.ports["syslog"], self.ports["syslog"],
                     self.ports["snmp"]))
        self.log = open(os.path.join(self.dir, "ticketd.log"), "w")
        self.daemon = subprocess.Popen([os.path.join(self.args.bin, "ticketd"), "--config", cfg],
                                       cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        url = "http://127.0.0.1:%d/readyz" % self.ports["http"]
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.daemon.poll() is not None:
                return "ticketd exited at start:\n" + open(self.log.name).read()
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return None
            except Exception:
                time.sleep(0.05)
        return "ticketd did not become ready in 15 s:\n" + open(self.log.name).read()

    def close(self):
        if self.daemon:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
            self.log.close()
        if self.args.keep:
            print("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def run(cmd, ws, **kw):
    try:
        p = subprocess.run(cmd, cwd=ws.dir, env=kw.pop("env", ws.env()), capture_output=True,
                           text=True, timeout=BLOCK_TIMEOUT, **kw)
        return p.returncode, (p.stdout + p.stderr).strip()
    except subprocess.TimeoutExpired:
        return 124, "timed out after %d s" % BLOCK_TIMEOUT


def shell_script(block):
    if block.lang != "console":
        return block.text
    cmds, cont = [], False
    for line in block.text.split("\n"):
        if cont:
            cmds.append(line)
            cont = line.rstrip().endswith("\\")
        elif line.startswith("$ "):
            cmds.append(line[2:])
            cont = line.rstrip().endswith("\\")
    return "\n".join(cmds) + "\n"


def replace_ports(script, ws):
    script = re.sub(r"\b8080\b", str(ws.ports["http"]), script)
    script = re.sub(r"\b5514\b", str(ws.ports["syslog"]), script)
    return re.sub(r"\b1162\b", str(ws.ports["snmp"]), script)


def prepare_config(block, ws):
    """Config blocks: /etc/ticketd paths made real, *_env variables set."""
    text = block.text
    dirs = set()
    for line in text.split("\n"):
        if re.search(r"dir", line.split("/etc/ticketd/")[0]):
            dirs.update(re.findall(r"/etc/ticketd/[\w./-]+", line))
    for path in sorted(set(re.findall(r"/etc/ticketd/[\w./-]+", text))):
        local = ws.path(path.lstrip("/"))
        if path not in dirs:
            os.makedirs(os.path.dirname(local), exist_ok=True)
            if not os.path.exists(local):
                with open(local, "w") as f:
                    f.write("https://hooks.example.com/services/T0/B0/x\n"
                            if path.endswith(".url") else
                            DUMMY_SECRET + "-" + os.path.basename(path) + "\n")
        else:
            os.makedirs(local, exist_ok=True)
        text = text.replace(path, local)
    env = ws.env()
    for var in re.findall(r"_env\s*:\s*\"?([A-Z_][A-Z0-9_]*)", text):
        env[var] = DUMMY_SECRET + "-" + var
    return text, env


def check(block, ws):
    """Runs one block; returns None when it behaved, else the failure text."""
    kind = block.kind
    bin_dir = os.path.abspath(ws.args.bin)
    ticketctl = os.path.join(bin_dir, "ticketctl")
    if kind in ("output", "skip"):
        return None
    if kind == "file":
        ws.write(block, "file")
        return None
    if kind == "json":
        import json
        try:
            json.loads(block.text)
        except ValueError as e:
            return "not valid JSON (%s); if it is a shape with … or comments, mark it " \
                   "<!-- example: output -->" % e
        return None
    if kind == "jsonl":
        import json
        for n, line in enumerate(block.text.split("\n"), 1):
            if line.strip():
                try:
                    json.loads(line)
                except ValueError as e:
                    return "line %d of the block is not valid JSON (%s)" % (n, e)
        return None
    if kind == "rules":
        p = ws.write(block, "rules.yaml")
        paths = [ws.path(w) for w in block.with_paths]
        if not any(p.startswith(w.rstrip("/") + os.sep) for w in paths):
            paths.append(p)
        rc, out = run([ticketctl, "check-rules"] + paths, ws)
        return None if rc == 0 else "ticketctl check-rules failed (exit %d):\n%s" % (rc, out)
    if kind == "rule-test":
        p = ws.write(block, "test.yaml")
        rc, out = run([ticketctl, "test-rules", p], ws)
        return None if rc == 0 else "ticketctl test-rules failed (exit %d):\n%s" % (rc, out)
    if kind == "config":
        text, env = prepare_config(block, ws)
        p = ws.write(block, "config.yaml")
        with open(p, "w") as f:
            f.write(text)
        rc, out = run([os.path.join(bin_dir, "ticketd"), "--config", p, "--check-config"], ws,
                      env=env)
        return None if rc == 0 else "ticketd --check-config failed (exit %d):\n%s" % (rc, out)
    if kind == "event":
        p = ws.write(block, "event.json")
        rc, out = run([ticketctl, "explain", "--rules", "rules/", p], ws)
        return None if rc == 0 else "ticketctl explain failed (exit %d):\n%s" % (rc, out)
    if kind == "alertmanager":
        if not shutil.which("amtool"):
            return "amtool (Debian package prometheus-alertmanager) is not installed"
        p = ws.write(block, "alertmanager.yml")
        rc, out = run(["amtool", "check-config", p], ws)
        return None if rc == 0 else "amtool check-config failed (exit %d):\n%s" % (rc, out)
    if kind == "rsyslog":
        rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
        p = ws.write(block, "rsyslog.conf")
        rc, out = run([rsyslogd, "-N1", "-f", p], ws)
        return None if rc == 0 else "rsyslogd -N1 failed (exit %d):\n%s" % (rc, out)
    if kind == "run":
        err = ws.start_daemon()
        if err:
            return err
        script = replace_ports(shell_script(block), ws)
        if not script.strip():
            return "no commands found (a console block needs lines starting with \"$ \")"
        rc, out = run(["bash", "-e", "-o", "pipefail", "-c", script], ws)
        return None if rc == 0 else "the commands failed (exit %d):\n%s" % (rc, out)
    return "unknown kind %s" % kind


def check_links(path, rel, source, failures):
    base = os.path.dirname(os.path.join(source, rel))
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            target = target.split("#")[0]
            full = os.path.normpath(os.path.join(base, target))
            inside = os.path.relpath(full, source)
            if inside.startswith(".."):
                failures.append("%s:%d: link \"%s\" leaves the repository; readers who clone it "
                                "do not have that file" % (rel, n, target))
            elif not os.path.exists(full) and inside not in PENDING_DOCS:
                failures.append("%s:%d: link \"%s\": no such file" % (rel, n, target))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="the repository")
    ap.add_argument("--bin", required=True, help="directory of ticketd and ticketctl")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    ap.add_argument("files", nargs="*", help="Markdown files (default README.md, docs/**/*.md)")
    args = ap.parse_args()
    args.source = os.path.abspath(args.source)
    files = args.files or (["README.md"] + sorted(
        os.path.relpath(p, args.source)
        for p in glob.glob(os.path.join(args.source, "docs", "**", "*.md"), recursive=True)))
    failures, counts = [], {}
    started = time.time()
    for rel in files:
        path = os.path.join(args.source, rel)
        check_links(path, rel, args.source, failures)
        blocks = extract(path, rel)
        for b in blocks:
            classify(b, failures)
        if not any(b.kind and b.kind not in ("output", "skip") for b in blocks):
            continue
        ws = Workspace(args, rel)
        try:
            for b in blocks:
                if not b.kind:
                    continue
                try:
                    err = check(b, ws)
                except Exception as e:  # a bug here, or file= outside the work directory
                    err = "%s: %s" % (type(e).__name__, e)
                counts[b.kind] = counts.get(b.kind, 0) + 1
                if b.xfail:
                    if err is None:
                        failures.append("%s: this example now passes: remove \"xfail\" from its "
                                        "marker (line %d)" % (b.where(), b.marker_line))
                    elif args.verbose:
                        print("xfail %s %s" % (b.where(), b.kind))
                    continue
                if err:
                    hint = ""
                    if b.kind == "run":
                        hint = ("\n  (fix the example, or mark what cannot run here: "
                                "<!-- example: skip (reason) -->)")
                    failures.append("%s: ```%s block (%s): %s%s" %
                                    (b.where(), b.lang, b.kind, err.replace("\n", "\n    "), hint))
                elif args.verbose:
                    print("ok   %s %s" % (b.where(), b.kind))
        finally:
            ws.close()
    summary = ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()))
    print("%d Markdown files, blocks: %s (%.1f s)" % (len(files), summary or "none",
                                                      time.time() - started))
    for f in failures:
        print("FAIL " + f)
    if failures:
        print("%d failure(s); markers are described in docs/contributing.md" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
