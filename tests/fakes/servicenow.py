"""Fake ServiceNow Table API: /api/now/table/{incident,problem,change_request}.

Follows the public API closely enough to catch what real instances do:
- Auth: Basic "ticketd:<PASSWORD>" or Bearer <TOKEN>; anything else is 401
  {"error":{"message":"User Not Authenticated","detail":"Required to provide
  Auth information"},"status":"failure"}. Another table: 400 "Invalid table".
- Every value is stored and returned as a string. Reference fields
  (assignment_group, caller_id) come back as {"link","value"} unless
  sysparm_exclude_reference_link=true. Unknown fields are ignored silently.
  sysparm_fields trims the answer.
- POST: 201 with a Location header and {"result": record}; sys_id 32 hex,
  number INC0010001 / PRB0040001 / CHG0030001; state "1"; priority derived
  from impact x urgency, as the out-of-the-box lookup does.
- PATCH: 200 {"result": …}. Moving an incident to 6 (Resolved) or 7 (Closed)
  without close_code and close_notes: 403 "Data Policy Exception". A closed
  (7) record is read-only: 403 ACL exception. work_notes and comments are
  journal fields: appended to a list, read back empty.
- GET list: sysparm_query with `=`, `!=`, `STARTSWITH`, `>=`, `IN`, `^`
  (AND), ORDERBY / ORDERBYDESC; `=` and STARTSWITH ignore case, as the
  instance's database does, and an unknown field's term is dropped (every row
  matches it), as glide does by default. sysparm_limit / sysparm_offset. A
  query without match answers 404 "No Record found" (Table API v1), unless
  state {"empty_404": false}.

Control (see fakelib.py): GET /_fake/state shows {"records": {sys_id: record},
...}; POST /_fake/state {"set": {"sys_id": "...", "state": "6", ...}} changes a
record as a person would (sys_updated_on = now, sys_updated_by = "beth.anglin").
"""
import base64
import re
import time
import uuid

from fakelib import Fake, serve

USER = "ticketd"
PASSWORD = "sn-password-0123456789"
TOKEN = "sn-oauth-token-0123456789"

TABLES = {"incident": "INC00%05d", "problem": "PRB00%05d", "change_request": "CHG00%05d"}
FIELDS = {"sys_id", "number", "short_description", "description", "impact", "urgency",
          "priority", "state", "correlation_id", "correlation_display", "assignment_group",
          "caller_id", "category", "close_code", "close_notes", "work_notes", "comments",
          "sys_created_on", "sys_updated_on", "sys_updated_by", "active", "resolution_code"}
REFERENCES = {"assignment_group": "sys_user_group", "caller_id": "sys_user"}
PRIORITY = {("1", "1"): "1", ("1", "2"): "2", ("2", "1"): "2", ("1", "3"): "3", ("2", "2"): "3",
            ("3", "1"): "3", ("2", "3"): "4", ("3", "2"): "4", ("3", "3"): "5"}


def now_glide():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def failure(status, message, detail=None):
    return status, {}, {"error": {"message": message, "detail": detail}, "status": "failure"}


class ServiceNowFake(Fake):
    def __init__(self):
        super().__init__()
        self.data = {"records": {}, "journal": {}, "next_number": 10001, "empty_404": True}

    def authorized(self, req):
        h = req.headers.get("authorization", "")
        if h.startswith("Bearer "):
            return h[7:] == TOKEN
        if h.startswith("Basic "):
            try:
                return base64.b64decode(h[6:]).decode() == USER + ":" + PASSWORD
            except Exception:
                return False
        return False

    def view(self, rec, req):
        fields = [f for f in req.arg("sysparm_fields", "").split(",") if f] or sorted(rec)
        links = req.arg("sysparm_exclude_reference_link", "false") != "true"
        out = {}
        for f in fields:
            if f not in FIELDS:
                continue  # invalid fields are ignored
            v = rec.get(f, "")
            if f in REFERENCES and v and links:
                v = {"link": "https://instance.example/api/now/table/%s/%s" % (REFERENCES[f], v),
                     "value": v}
            out[f] = v
        return out

    def compute(self, rec):
        rec["priority"] = PRIORITY.get((rec.get("impact", "3"), rec.get("urgency", "3")), "5")
        rec["active"] = "false" if rec.get("state") in ("7", "8") else "true"

    # --- encoded queries ---

    def matcher(self, query):
        preds, order = [], []
        for term in re.split(r"\^(?!\^)", query.replace("^^", "\x00")):
            term = term.replace("\x00", "^")
            if not term:
                continue
            m = re.match(r"^ORDERBY(DESC)?(\w+)$", term)
            if m:
                order.append((m.group(2), bool(m.group(1))))
                continue
            m = re.match(r"^(\w+?)(STARTSWITH|>=|!=|=|IN)(.*)$", term)
            if not m or m.group(1) not in FIELDS:
                continue  # an invalid term is dropped: it matches every row
            field, op, value = m.groups()
            if op == "=":
                preds.append(lambda r, f=field, v=value: r.get(f, "").lower() == v.lower())
            elif op == "!=":
                preds.append(lambda r, f=field, v=value: r.get(f, "").lower() != v.lower())
            elif op == "STARTSWITH":
                preds.append(lambda r, f=field, v=value: r.get(f, "").lower().startswith(v.lower()))
            elif op == ">=":
                preds.append(lambda r, f=field, v=value: r.get(f, "") >= v)
            elif op == "IN":
                preds.append(lambda r, f=field, v=value.split(","): r.get(f, "") in v)
        return (lambda r: all(p(r) for p in preds)), order

    # --- routes ---

    def route(self, req):
        if not self.authorized(req):
            return failure(401, "User Not Authenticated", "Required to provide Auth information")
        m = re.match(r"^/api/now/(?:v[12]/)?table/([^/]+)(?:/([^/]+))?$", req.path)
        if not m:
            return failure(400, "Requested URI does not represent any resource", None)
        table, sys_id = m.group(1), m.group(2)
        if table not in TABLES:
            return failure(400, "Invalid table " + table)
        if sys_id is None and req.method == "GET":
            return self.list(table, req)
        if sys_id is None and req.method == "POST":
            return self.create(table, req)
        rec = self.data["records"].get(sys_id)
        if rec is None or rec["table"] != table:
            return failure(404, "No Record found",
                           "Record doesn't exist or ACL restricts the record retrieval")
        if req.method == "GET":
            return 200, {}, {"result": self.view(rec, req)}
        if req.method in ("PATCH", "PUT"):
            return self.update(rec, req)
        return failure(405, "Method not Supported")

    def list(self, table, req):
        pred, order = self.matcher(req.arg("sysparm_query", ""))
        rows = [r for r in self.data["records"].values() if r["table"] == table and pred(r)]
        rows.sort(key=lambda r: r["sys_created_on"] + r["number"])
        # Ties (same second) follow the record number in the same direction,
        # so ORDERBYDESCsys_created_on lists the newer of two records first.
        for field, desc in reversed(order):
            rows.sort(key=lambda r, f=field: (r.get(f, ""), r["number"]), reverse=desc)
        total = len(rows)
        offset = int(req.arg("sysparm_offset", "0"))
        rows = rows[offset:offset + int(req.arg("sysparm_limit", "10000"))]
        if not rows and self.data.get("empty_404", True):
            return failure(404, "No Record found",
                           "Records matching query not found. Check query parameter or offered "
                           "values")
        return 200, {"X-Total-Count": str(total)}, {"result": [self.view(r, req) for r in rows]}

    def create(self, table, req):
        body = req.json()
        if not isinstance(body, dict):
            return failure(400, "Exception while reading request", "The payload is not valid JSON.")
        n = self.data["next_number"]
        self.data["next_number"] = n + 1
        now = now_glide()
        rec = {"table": table, "sys_id": uuid.uuid4().hex, "number": TABLES[table] % n,
               "state": "1", "impact": "3", "urgency": "3", "sys_created_on": now,
               "sys_updated_on": now, "sys_updated_by": USER}
        for k, v in body.items():
            if k in ("work_notes", "comments"):
                self.data["journal"].setdefault(rec["sys_id"], []).append({k: str(v)})
            elif k in FIELDS and k not in ("sys_id", "number", "priority"):
                rec[k] = v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        self.compute(rec)
        self.data["records"][rec["sys_id"]] = rec
        loc = "https://instance.example/api/now/table/%s/%s" % (table, rec["sys_id"])
        return 201, {"Location": loc}, {"result": self.view(rec, req)}

    def update(self, rec, req):
        body = req.json()
        if not isinstance(body, dict):
            return failure(400, "Exception while reading request", "The payload is not valid JSON.")
        if rec.get("state") == "7":
            return failure(403, "Operation Failed",
                           "ACL Exception Update Failed due to security constraints")
        changes = {k: (v if isinstance(v, str) else str(v)) for k, v in body.items()}
        new_state = changes.get("state", rec.get("state"))
        if rec["table"] == "incident" and new_state in ("6", "7") and rec.get("state") != new_state:
            missing = [label for f, label in (("close_code", "Resolution code"),
                                              ("close_notes", "Resolution notes"))
                       if not changes.get(f, rec.get(f))]
            if missing:
                return failure(403, "Operation Failed", "Data Policy Exception: \n\tThe following "
                               "fields are mandatory: " + ", ".join(missing))
        for k, v in changes.items():
            if k in ("work_notes", "comments"):
                self.data["journal"].setdefault(rec["sys_id"], []).append({k: v})
            elif k in FIELDS and k not in ("sys_id", "number", "priority"):
                rec[k] = v
        rec["sys_updated_on"] = now_glide()
        rec["sys_updated_by"] = USER
        self.compute(rec)
        return 200, {}, {"result": self.view(rec, req)}

    def apply_state(self, patch):
        s = patch.pop("set", None)
        if s:
            rec = self.data["records"][s.pop("sys_id")]
            rec.update(s)
            rec["sys_updated_on"] = now_glide()
            rec["sys_updated_by"] = "beth.anglin"
            self.compute(rec)
        self.data.update(patch)


if __name__ == "__main__":
    serve(ServiceNowFake())
