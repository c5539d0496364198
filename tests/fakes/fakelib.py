"""A recording HTTP server that stands in for a backend's public API in tests.

Each fake (jira.py, servicenow.py, ...) subclasses Fake and implements
route(req) -> (status, headers, body). Start it with `python3 FAKE.py`; it
prints "PORT <n>" on its first line and serves on 127.0.0.1 until killed.

Control endpoints, under /_fake/ (never recorded):
  GET  /_fake/requests   every recorded request, oldest first, as JSON (with
                         "status": the answer's status, once it was given)
  POST /_fake/fail       {"status":503,"count":2,"retry_after":"1","body":"..."}:
                         the next `count` requests get this answer instead
  POST /_fake/delay      {"ms":2000}: every later request waits this long first
  POST /_fake/reset      forget requests, failures and delay (not the data)
  GET  /_fake/state      the fake's own data (tickets it holds), as JSON
  POST /_fake/state      a JSON patch the fake applies to its data (e.g. close a ticket)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query  # dict name -> [values]
        self.headers = headers  # dict lower-case name -> value
        self.body = body  # str

    def json(self):
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def arg(self, name, default=""):
        v = self.query.get(name)
        return v[0] if v else default

    def record(self):
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": self.body, "json": self.json()}


class Fake:
    """Subclass and implement route(); keep data in self.data (a dict)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.failures = []  # (status, headers, body) answers still to give
        self.delay_ms = 0
        self.data = {}

    def route(self, req):  # -> (status, headers dict, body str|dict|list|None)
        return 404, {}, {"error": "not found"}

    def apply_state(self, patch):  # POST /_fake/state
        self.data.update(patch)

    def handle(self, req):
        if req.path.startswith("/_fake/"):
            return self.control(req)
        record = req.record()
        with self.lock:
            self.requests.append(record)
            failure = self.failures.pop(0) if self.failures else None
            delay = self.delay_ms
        if delay:
            time.sleep(delay / 1000.0)
        if failure:
            answer = failure
        else:
            with self.lock:
                answer = self.route(req)
        with self.lock:
            record["status"] = answer[0]  # what the fake answered (the client may be gone)
        return answer

    def control(self, req):
        what = req.path[len("/_fake/"):]
        body = req.json() or {}
        with self.lock:
            if what == "requests":
                return 200, {}, self.requests
            if what == "fail":
                headers = {}
                if body.get("retry_after") is not None:
                    headers["Retry-After"] = str(body["retry_after"])
                answer = (int(body.get("status", 503)), headers, body.get("body", ""))
                self.failures.extend([answer] * int(body.get("count", 1)))
                return 200, {}, {"ok": True}
            if what == "delay":
                self.delay_ms = int(body.get("ms", 0))
                return 200, {}, {"ok": True}
            if what == "reset":
                self.requests, self.failures, self.delay_ms = [], [], 0
                return 200, {}, {"ok": True}
            if what == "state":
                if req.method == "POST":
                    self.apply_state(body)
                return 200, {}, self.data
        return 404, {}, {"error": "unknown control " + what}


def serve(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Request(self.command, parts.path, parse_qs(parts.query), headers, body)
            try:
                status, extra, payload = fake.handle(req)
            except Exception as e:  # a bug in the fake: say so loudly
                status, extra, payload = 500, {}, {"fake_error": repr(e)}
            if isinstance(payload, (dict, list)):
                out = json.dumps(payload).encode()
                ctype = "application/json"
            else:
                out = (payload or "").encode()
                ctype = "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", extra.pop("Content-Type", ctype))
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT", server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit("run a fake (jira.py, ...), not fakelib.py")
