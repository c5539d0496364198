"""Fake Jira: Cloud's REST v3 and Server / Data Center's REST v2 side by side.

Follows the public API closely enough to catch what real instances refuse:
- Auth: Basic "ops@example.com:<CLOUD_TOKEN>" (Cloud: email + API token),
  Basic "svc-ticketd:<SERVER_PASSWORD>" or Bearer <SERVER_PAT> (Server / DC).
  Anything else: 401 {"errorMessages":[...],"errors":{}} with
  X-Seraph-LoginReason: AUTHENTICATED_FAILED, as Server sends it.
- v3 takes descriptions and comment bodies only as ADF documents, v2 only as
  strings (400 otherwise); a summary with a line break, a label with a space,
  an unknown project, issue type, priority or component: 400 with Jira's
  {"errorMessages":[],"errors":{"field":"..."}}.
- Search: GET /rest/api/3/search/jql (Cloud; nextPageToken paging) and
  GET /rest/api/2/search (Server; startAt paging); /rest/api/3/search is gone
  (410), as on Cloud. JQL understood: `labels = "x"`, `project in ("A", ...)`,
  `statusCategory = Done`, `updated >= <epoch ms>`, joined by AND, with an
  optional ORDER BY; anything else is a 400 JQL error. Deliberately sloppy:
  `labels = "x"` also matches labels that merely start with x, newest first,
  so that a client must check every hit for equality.
- Workflow (ids as strings): To Do / In Progress (not done) -> "Won't Do"
  (21, to Won't Do), "Resolve Issue" (31, to Done; screen with a required
  resolution), "Close Issue" (41, to Closed; no screen, sets resolution Done);
  Done -> "Close Issue", "Reopen Issue" (51, to To Do; clears the
  resolution); Closed / Won't Do -> "Reopen Issue". Fields sent to a
  transition without that field on its screen: 400.
- Comments may carry properties (kept with the comment).

Control (see fakelib.py): GET /_fake/state shows {"issues": {id: issue}, ...};
POST /_fake/state {"set_status": {"issue": "OPS-1", "status": "Done",
"resolution": "Done"}} moves an issue as a person would (updated = now).
"""
import base64
import re
import time
from datetime import datetime, timezone

from fakelib import Fake, serve

CLOUD_USER = "ops@example.com"
CLOUD_TOKEN = "cloud-token-0123456789"
SERVER_USER = "svc-ticketd"
SERVER_PASSWORD = "server-password-0123456789"
SERVER_PAT = "server-pat-0123456789"

STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done",
            "Closed": "done", "Won't Do": "done"}
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
RESOLUTIONS = ["Done", "Won't Do", "Duplicate"]
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
ISSUE_TYPES = ["Incident", "Task", "Problem", "Change", "Service Request"]
PROJECTS = {"OPS": ["Database", "Network"], "DBA": ["Oracle"]}
TRANSITIONS = [
    {"id": "11", "name": "Start Progress", "to": "In Progress", "from": ["To Do"]},
    {"id": "21", "name": "Won't Do", "to": "Won't Do", "from": ["To Do", "In Progress"]},
    {"id": "31", "name": "Resolve Issue", "to": "Done", "from": ["To Do", "In Progress"],
     "resolution_screen": True},
    {"id": "41", "name": "Close Issue", "to": "Closed", "from": ["To Do", "In Progress", "Done"]},
    {"id": "51", "name": "Reopen Issue", "to": "To Do", "from": ["Done", "Closed", "Won't Do"]},
]


def jira_time(ms):
    t = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (ms % 1000)


def status_json(name):
    cat = STATUSES[name]
    return {"name": name, "statusCategory": {"key": cat, "name": CATEGORY_NAMES[cat]}}


def error(status, field=None, message=None, messages=None):
    body = {"errorMessages": messages or [], "errors": {}}
    if field:
        body["errors"][field] = message
    return status, {}, body


def valid_adf(doc):
    """A doc node whose every text node has non-empty text."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return False

    def ok(node):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            return False
        if node["type"] == "text" and not (isinstance(node.get("text"), str) and node["text"]):
            return False
        return all(ok(c) for c in node.get("content", []))

    return isinstance(doc.get("content"), list) and all(ok(c) for c in doc["content"])


class JiraFake(Fake):
    def __init__(self):
        super().__init__()
        self.data = {"issues": {}, "next_id": 10000, "next_seq": {}}

    # --- auth ---

    def authorized(self, req):
        h = req.headers.get("authorization", "")
        if h.startswith("Bearer "):
            return h[7:] == SERVER_PAT
        if h.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            except Exception:
                return False
            return (user, pw) in [(CLOUD_USER, CLOUD_TOKEN), (SERVER_USER, SERVER_PASSWORD)]
        return False

    # --- helpers ---

    def issue(self, id_or_key):
        for i in self.data["issues"].values():
            if i["id"] == id_or_key or i["key"] == id_or_key:
                return i
        return None

    def touch(self, issue):
        issue["updated_ms"] = int(time.time() * 1000)
        issue["fields"]["updated"] = jira_time(issue["updated_ms"])

    def view(self, issue, fields):
        out = {"id": issue["id"], "key": issue["key"],
               "self": "http://jira.example/rest/api/2/issue/" + issue["id"], "fields": {}}
        wanted = [f for f in fields.split(",") if f] if fields else list(issue["fields"])
        for f in wanted:
            if f in issue["fields"]:
                out["fields"][f] = issue["fields"][f]
        return out

    def check_fields(self, fields, version, project):
        """400 answer for fields Jira would refuse, else None."""
        if "summary" in fields:
            s = fields["summary"]
            if not isinstance(s, str) or not s.strip():
                return error(400, "summary", "You must specify a summary of the issue.")
            if "\n" in s or "\r" in s:
                return error(400, "summary",
                             "The summary is invalid because it contains newline characters.")
            if len(s) > 255:
                return error(400, "summary", "Summary must be less than 255 characters.")
        if "description" in fields:
            d = fields["description"]
            if version == "3" and not valid_adf(d):
                return error(400, "description", "Operation value must be an Atlassian Document "
                             "(see the Atlassian Document Format)")
            if version == "2" and not isinstance(d, str):
                return error(400, "description", "Operation value must be a string")
        if "labels" in fields:
            for label in fields["labels"]:
                if not isinstance(label, str) or " " in label or not label:
                    return error(400, "labels",
                                 "The label '%s' contains spaces which is invalid." % label)
        if "priority" in fields:
            p = (fields["priority"] or {}).get("name")
            if p not in PRIORITIES:
                return error(400, "priority", "Specify the Priority (name) in the string format")
        if "components" in fields:
            for c in fields["components"]:
                if c.get("name") not in PROJECTS.get(project, []):
                    return error(400, "components",
                                 "Component name '%s' is not valid" % c.get("name"))
        return None

    # --- JQL ---

    def jql_filter(self, jql):
        """(predicate, order) or an error string."""
        order = None
        m = re.match(r"^(.*?)\s+ORDER BY\s+(\w+)\s*(ASC|DESC)?\s*$", jql, re.I)
        if m:
            jql, order = m.group(1), (m.group(2), (m.group(3) or "ASC").upper())
        preds = []
        for clause in re.split(r"\s+AND\s+", jql.strip()):
            m = re.match(r'^labels\s*=\s*"((?:[^"\\]|\\.)*)"$', clause)
            if m:
                want = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
                preds.append(lambda i, w=want: any(l.startswith(w) for l in i["fields"]["labels"]))
                continue
            m = re.match(r"^project\s+in\s*\((.*)\)$", clause, re.I)
            if m:
                keys = re.findall(r'"([^"]*)"', m.group(1))
                preds.append(lambda i, k=keys: i["project"] in k)
                continue
            m = re.match(r"^statusCategory\s*=\s*(\w+)$", clause)
            if m:
                cat = {"done": "done", "to do": "new", "in progress": "indeterminate"}.get(
                    m.group(1).lower())
                if not cat:
                    return "The value '%s' does not exist for the field 'statusCategory'." % m.group(1)
                preds.append(lambda i, c=cat: STATUSES[i["fields"]["status"]["name"]] == c)
                continue
            m = re.match(r"^updated\s*>=\s*(\d+)$", clause)
            if m:
                preds.append(lambda i, t=int(m.group(1)): i["updated_ms"] >= t)
                continue
            return "Error in the JQL Query: the fake does not understand '%s'." % clause
        return (lambda i: all(p(i) for p in preds)), order

    def search(self, req, cloud):
        parsed = self.jql_filter(req.arg("jql"))
        if isinstance(parsed, str):
            return error(400, messages=[parsed])
        pred, order = parsed
        hits = [i for i in self.data["issues"].values() if pred(i)]
        if order and order[0] == "updated":
            hits.sort(key=lambda i: i["updated_ms"], reverse=order[1] == "DESC")
        else:
            hits.sort(key=lambda i: int(i["id"]), reverse=True)  # newest first
        size = int(req.arg("maxResults", "50"))
        fields = req.arg("fields", "")
        if cloud:
            start = int(req.arg("nextPageToken", "0") or 0)
            page = hits[start:start + size]
            body = {"issues": [self.view(i, fields) for i in page],
                    "isLast": start + size >= len(hits)}
            if not body["isLast"]:
                body["nextPageToken"] = str(start + size)
            return 200, {}, body
        start = int(req.arg("startAt", "0"))
        page = hits[start:start + size]
        return 200, {}, {"startAt": start, "maxResults": size, "total": len(hits),
                         "issues": [self.view(i, fields) for i in page]}

    # --- routes ---

    def route(self, req):
        if not self.authorized(req):
            return 401, {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                         "WWW-Authenticate": "Basic realm=\"protected-area\""}, {
                "errorMessages": ["You are not authenticated. Authentication required to "
                                  "perform this operation."], "errors": {}}
        m = re.match(r"^/rest/api/(2|3)(/.*)$", req.path)
        if not m:
            return 404, {}, {"errorMessages": ["Not found"], "errors": {}}
        version, path = m.group(1), m.group(2)
        body = req.json() or {}

        if path == "/search/jql" and version == "3" and req.method == "GET":
            return self.search(req, cloud=True)
        if path == "/search" and req.method == "GET":
            if version == "3":
                return 410, {}, {"errorMessages": [
                    "The requested API has been removed. Please migrate to the "
                    "/rest/api/3/search/jql API."], "errors": {}}
            return self.search(req, cloud=False)

        if path == "/issue" and req.method == "POST":
            return self.create(body, version)

        m = re.match(r"^/issue/([^/]+)(/comment|/transitions)?$", path)
        if not m:
            return 404, {}, {"errorMessages": ["Not found"], "errors": {}}
        issue = self.issue(m.group(1))
        if issue is None:
            return error(404, messages=["Issue does not exist or you do not have permission "
                                        "to see it."])
        sub = m.group(2)
        if sub is None and req.method == "GET":
            return 200, {}, self.view(issue, req.arg("fields", ""))
        if sub is None and req.method == "PUT":
            fields = body.get("fields", {})
            bad = self.check_fields(fields, version, issue["project"])
            if bad:
                return bad
            for k in ("summary", "priority", "components", "labels", "description"):
                if k in fields:
                    issue["fields"][k] = fields[k]
            self.touch(issue)
            return 204, {}, None
        if sub == "/comment" and req.method == "POST":
            b = body.get("body")
            if version == "3" and not valid_adf(b):
                return error(400, "comment", "Comment body is not valid! (ADF expected)")
            if version == "2" and (not isinstance(b, str) or not b):
                return error(400, "comment", "Comment body can not be empty!")
            c = {"id": str(20000 + len(issue["comments"])), "body": b,
                 "properties": body.get("properties", [])}
            issue["comments"].append(c)
            self.touch(issue)
            return 201, {}, c
        if sub == "/transitions" and req.method == "GET":
            return 200, {}, {"transitions": self.transitions(
                issue, "transitions.fields" in req.arg("expand", ""))}
        if sub == "/transitions" and req.method == "POST":
            return self.do_transition(issue, body)
        return 405, {}, {"errorMessages": ["Method not allowed"], "errors": {}}

    def create(self, body, version):
        fields = body.get("fields") or {}
        project = (fields.get("project") or {}).get("key")
        if project not in PROJECTS:
            return error(400, "project", "Specify a valid project ID or key")
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            return error(400, "issuetype", "Specify a valid issue type")
        if "summary" not in fields:
            return error(400, "summary", "You must specify a summary of the issue.")
        bad = self.check_fields(fields, version, project)
        if bad:
            return bad
        n = self.data["next_id"]
        self.data["next_id"] = n + 1
        seq = self.data["next_seq"].get(project, 0) + 1
        self.data["next_seq"][project] = seq
        issue = {"id": str(n), "key": "%s-%d" % (project, seq), "project": project,
                 "api": version, "comments": [],
                 "fields": {"summary": fields["summary"], "labels": fields.get("labels", []),
                            "description": fields.get("description"),
                            "issuetype": fields["issuetype"],
                            "priority": fields.get("priority", {"name": "Medium"}),
                            "components": fields.get("components", []),
                            "status": status_json("To Do"), "resolution": None}}
        self.touch(issue)
        self.data["issues"][issue["id"]] = issue
        return 201, {}, {"id": issue["id"], "key": issue["key"],
                         "self": "http://jira.example/rest/api/%s/issue/%s" % (version, issue["id"])}

    def transitions(self, issue, with_fields):
        out = []
        current = issue["fields"]["status"]["name"]
        for t in TRANSITIONS:
            if current not in t["from"]:
                continue
            e = {"id": t["id"], "name": t["name"], "to": status_json(t["to"])}
            if with_fields:
                e["fields"] = {}
                if t.get("resolution_screen"):
                    e["fields"]["resolution"] = {
                        "required": True, "name": "Resolution",
                        "allowedValues": [{"id": str(10000 + i), "name": r}
                                          for i, r in enumerate(RESOLUTIONS)]}
            out.append(e)
        return out

    def do_transition(self, issue, body):
        tid = (body.get("transition") or {}).get("id")
        t = next((t for t in TRANSITIONS if t["id"] == tid), None)
        if t is None or issue["fields"]["status"]["name"] not in t["from"]:
            return error(400, messages=["Transition id '%s' is not valid for this issue." % tid])
        fields = body.get("fields") or {}
        for f in fields:
            if f != "resolution" or not t.get("resolution_screen"):
                return error(400, f, "Field '%s' cannot be set. It is not on the appropriate "
                             "screen, or unknown." % f)
        resolution = issue["fields"]["resolution"]
        if t.get("resolution_screen"):
            name = (fields.get("resolution") or {}).get("name")
            if not name:
                return error(400, "resolution", "Resolution is required.")
            if name not in RESOLUTIONS:
                return error(400, "resolution", "Resolution '%s' is not valid." % name)
            resolution = {"name": name}
        elif t["to"] == "Closed" and resolution is None:
            resolution = {"name": "Done"}  # the Close transition's post-function
        elif t["to"] == "Won't Do":
            resolution = {"name": "Won't Do"}
        elif STATUSES[t["to"]] != "done":
            resolution = None  # reopen clears it
        issue["fields"]["status"] = status_json(t["to"])
        issue["fields"]["resolution"] = resolution
        self.touch(issue)
        return 204, {}, None

    def apply_state(self, patch):
        s = patch.pop("set_status", None)
        if s:
            issue = self.issue(s["issue"])
            issue["fields"]["status"] = status_json(s["status"])
            r = s.get("resolution")
            issue["fields"]["resolution"] = {"name": r} if r else None
            self.touch(issue)
        self.data.update(patch)


if __name__ == "__main__":
    serve(JiraFake())
