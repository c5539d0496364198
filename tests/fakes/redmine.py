"""Fake Redmine REST API for kind: redmine connector tests.

Follows redmine.org's Rest_Issues / Rest_api pages and Redmine's
controllers:
  - auth: X-Redmine-API-Key (or ?key=); a missing or unknown key -> 401 with
    an empty body and WWW-Authenticate: Basic realm="Redmine API"
  - POST /issues.json {"issue":{project_id (id or identifier), subject,
    description, tracker_id, priority_id, category_id, custom_fields}}
    -> 201 {"issue":{...}}; 422 {"errors":[...]} for a blank subject or an
    unknown project
  - GET /issues/{id}.json -> {"issue":{... "status":{"id","name","is_closed"}}}
  - PUT /issues/{id}.json -> 204 with an empty body. notes are journaled;
    a status_id the workflow does not allow is dropped without an error
    (Issue#safe_attributes=), exactly as Redmine does
  - GET /issues.json?project_id=&status_id=&cf_N=&limit= -> {"issues":[...],
    "total_count":n,"offset":0,"limit":n}. status_id defaults to open
    issues; cf_N compares case-insensitively (MySQL's collation), and is
    dropped silently when the field is not "used as a filter"
  - GET /issue_statuses.json -> {"issue_statuses":[...]}

State (POST /_fake/state):
  {"issues": {"<id>": {...}}}     merge into (or create) issues
  {"deny": [[from, to], ...]}     status changes the workflow refuses
  {"cf_filter": false}            custom field 4 is not used as a filter
"""
import re

from fakelib import Fake, serve

API_KEY = "redmine-test-key"
KEY_FIELD = 4
PROJECTS = {"ops": 1, "dba": 2}
STATUSES = [
    {"id": 1, "name": "New", "is_closed": False},
    {"id": 2, "name": "In Progress", "is_closed": False},
    {"id": 3, "name": "Resolved", "is_closed": False},
    {"id": 4, "name": "Feedback", "is_closed": False},
    {"id": 5, "name": "Closed", "is_closed": True},
    {"id": 6, "name": "Rejected", "is_closed": True},
]
PRIORITIES = {1: "Low", 2: "Normal", 3: "High", 4: "Urgent", 5: "Immediate"}


def status(sid):
    return next((s for s in STATUSES if s["id"] == sid), None)


def project_id(v):
    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
        v = int(v)
        return v if v in PROJECTS.values() else None
    return PROJECTS.get(v)


class RedmineFake(Fake):
    def __init__(self):
        super().__init__()
        self.data = {"issues": {}, "next": 1, "deny": [], "cf_filter": True}

    def apply_state(self, patch):
        for iid, fields in patch.get("issues", {}).items():
            i = self.data["issues"].setdefault(str(iid), self.blank(int(iid), 1))
            i.update(fields)
            self.data["next"] = max(self.data["next"], int(iid) + 1)
        for k in ("deny", "cf_filter"):
            if k in patch:
                self.data[k] = patch[k]

    def blank(self, iid, pid):
        return {"id": iid, "project_id": pid, "tracker_id": 1, "status_id": 1, "priority_id": 2,
                "subject": "planted", "description": "", "category_id": None, "key": "",
                "journals": []}

    def out(self, i):
        name = next(k for k, v in PROJECTS.items() if v == i["project_id"])
        o = {"id": i["id"], "project": {"id": i["project_id"], "name": name.upper()},
             "tracker": {"id": i["tracker_id"], "name": "Bug"},
             "status": dict(status(i["status_id"])),
             "priority": {"id": i["priority_id"], "name": PRIORITIES[i["priority_id"]]},
             "subject": i["subject"], "description": i["description"],
             "custom_fields": [{"id": KEY_FIELD, "name": "ticketd key", "value": i["key"]}],
             "created_on": "2026-01-01T00:00:00Z", "updated_on": "2026-01-01T00:00:00Z"}
        if i.get("category_id"):
            o["category"] = {"id": i["category_id"], "name": "cat"}
        return o

    def apply(self, i, issue, creating):
        """Issue#safe_attributes=: what may not be set is dropped quietly."""
        errors = []
        if "project_id" in issue:
            pid = project_id(issue["project_id"])
            if pid is None and creating:
                errors.append("Project cannot be blank")
            elif pid is not None:
                i["project_id"] = pid
        if "subject" in issue:
            if not str(issue["subject"]).strip():
                errors.append("Subject cannot be blank")
            i["subject"] = issue["subject"]
        elif creating:
            errors.append("Subject cannot be blank")
        if "priority_id" in issue:
            if issue["priority_id"] not in PRIORITIES:
                errors.append("Priority cannot be blank")
            else:
                i["priority_id"] = issue["priority_id"]
        for k in ("description", "tracker_id", "category_id"):
            if k in issue:
                i[k] = issue[k]
        for cf in issue.get("custom_fields", []):
            if cf.get("id") == KEY_FIELD:
                i["key"] = cf.get("value", "")
        if "status_id" in issue:
            to = issue["status_id"]
            if status(to) and [i["status_id"], to] not in self.data["deny"]:
                i["status_id"] = to
        if issue.get("notes"):
            i["journals"].append({"notes": issue["notes"],
                                  "private_notes": bool(issue.get("private_notes", False))})
        return errors

    def route(self, req):
        key = req.headers.get("x-redmine-api-key") or req.arg("key")
        if key != API_KEY:
            return 401, {"WWW-Authenticate": 'Basic realm="Redmine API"'}, ""
        p, body = req.path, req.json() or {}
        issues = self.data["issues"]

        if p == "/issue_statuses.json" and req.method == "GET":
            return 200, {}, {"issue_statuses": STATUSES}

        if p == "/issues.json" and req.method == "POST":
            issue = body.get("issue")
            if not isinstance(issue, dict):
                return 422, {}, {"errors": ["Subject cannot be blank"]}
            i = self.blank(self.data["next"], 0)
            errors = self.apply(i, issue, True)
            if errors:
                return 422, {}, {"errors": errors}
            self.data["next"] += 1
            issues[str(i["id"])] = i
            return 201, {}, {"issue": self.out(i)}

        if p == "/issues.json" and req.method == "GET":
            rows = sorted(issues.values(), key=lambda x: x["id"])
            if req.arg("project_id"):
                pid = project_id(req.arg("project_id"))
                if pid is None:
                    return 404, {}, ""
                rows = [i for i in rows if i["project_id"] == pid]
            sid = req.arg("status_id", "open")
            if sid == "open":
                rows = [i for i in rows if not status(i["status_id"])["is_closed"]]
            elif sid == "closed":
                rows = [i for i in rows if status(i["status_id"])["is_closed"]]
            elif sid != "*":
                rows = [i for i in rows if str(i["status_id"]) == sid]
            cf = req.arg("cf_%d" % KEY_FIELD)
            if cf and self.data["cf_filter"]:
                rows = [i for i in rows if i["key"].lower() == cf.lower()]
            limit = int(req.arg("limit", "25"))
            return 200, {}, {"issues": [self.out(i) for i in rows[:limit]],
                             "total_count": len(rows), "offset": 0, "limit": limit}

        m = re.match(r"^/issues/(\d+)\.json$", p)
        if m:
            i = issues.get(m.group(1))
            if not i:
                return 404, {}, ""
            if req.method == "GET":
                return 200, {}, {"issue": self.out(i)}
            if req.method == "PUT":
                errors = self.apply(i, body.get("issue") or {}, False)
                if errors:
                    return 422, {}, {"errors": errors}
                return 204, {}, ""

        return 404, {}, ""


if __name__ == "__main__":
    serve(RedmineFake())
