"""Fake Zammad REST API (/api/v1) for kind: zammad connector tests.

Follows Zammad's public API as documented (docs.zammad.org, api/ticket/*)
and as its controllers answer:
  - auth: "Authorization: Token token=<token>" (or Bearer); no credentials
    -> 403 {"error":"Authentication required"}; an unknown token -> 401
    {"error":"Can't find User for Token","error_human":...}
  - POST /api/v1/tickets: title, group (by name), customer_id (id or
    "guess:<email>"), priority (by name), tags ("a,b"), article, custom
    attributes -> 201 with the ticket's attributes (ids, not names);
    ?expand=true answers names (state, group, priority)
  - GET/PUT /api/v1/tickets/{id}: the ticket; PUT may carry an "article"
  - GET /api/v1/tickets/search?query=&limit=: {"tickets":[ids],
    "tickets_count":n,"assets":{"Ticket":{"<id>":{...}}}}. Like
    Elasticsearch, field:"value" matches on the words of the value, so
    tickets whose tag shares the key's leading words are hits too
  - GET /api/v1/tags?object=Ticket&o_id=, POST /api/v1/tags/add
  - POST /api/v1/ticket_articles -> 201
  - errors: {"error":"...","error_human":"..."} with 4xx

State (POST /_fake/state): {"tickets": {"<id>": {...fields to set...}}}
merges into (or creates) tickets, e.g. to close one or plant a near miss.
"""
import re

from fakelib import Fake, serve

TOKEN = "zammad-test-token"
GROUPS = {"Ops": 1, "DBA": 2, "Users": 3}
STATES = {"new": 1, "open": 2, "pending reminder": 3, "closed": 4, "merged": 5,
          "pending close": 6}
PRIORITIES = {"1 low": 1, "2 normal": 2, "3 high": 3}
CORE = {"id", "number", "title", "group", "state", "priority", "customer_id", "tags",
        "articles", "created_at", "updated_at"}


def err(status, message):
    return status, {}, {"error": message, "error_human": message}


def words(s):
    return [w for w in re.split(r"[^a-z0-9]+", str(s).lower()) if w]


class ZammadFake(Fake):
    def __init__(self):
        super().__init__()
        self.data = {"tickets": {}, "next": 1}

    def apply_state(self, patch):
        for tid, fields in patch.get("tickets", {}).items():
            t = self.data["tickets"].setdefault(str(tid), {
                "id": int(tid), "number": str(31000 + int(tid)), "title": "planted",
                "group": "Ops", "state": "new", "priority": "2 normal", "customer_id": 9,
                "tags": [], "articles": []})
            t.update(fields)
            self.data["next"] = max(self.data["next"], int(tid) + 1)

    def auth(self, req):
        h = req.headers.get("authorization", "")
        if not h:
            return err(403, "Authentication required")
        m = re.match(r"^(?:Token token=|Bearer )(.+)$", h)
        if not m or m.group(1) != TOKEN:
            return err(401, "Can't find User for Token")
        return None

    def out(self, t, expand):
        o = {k: v for k, v in t.items() if k not in ("tags", "articles")}
        o["article_ids"] = [a["id"] for a in t["articles"]]
        if expand:
            return o
        o["group_id"] = GROUPS.get(o.pop("group"), 0)
        o["state_id"] = STATES.get(o.pop("state"), 0)
        o["priority_id"] = PRIORITIES.get(o.pop("priority"), 0)
        return o

    def set_fields(self, t, body):
        """Applies names the way Ticket.association_name_to_id_convert does;
        an unknown name is a 422."""
        if "group" in body:
            if body["group"] not in GROUPS:
                return err(422, "No lookup value found for 'group': %r" % body["group"])
            t["group"] = body["group"]
        if "state" in body:
            if body["state"] not in STATES:
                return err(422, "No lookup value found for 'state': %r" % body["state"])
            t["state"] = body["state"]
        if "priority" in body:
            if body["priority"] not in PRIORITIES:
                return err(422, "No lookup value found for 'priority': %r" % body["priority"])
            t["priority"] = body["priority"]
        if "title" in body:
            t["title"] = body["title"]
        for k, v in body.items():
            if k not in CORE and k not in ("article", "customer", "group_id", "state_id"):
                t[k] = v
        return None

    def add_article(self, t, a):
        if not isinstance(a, dict) or not a.get("body"):
            return err(422, "Need at least an 'body' for article")
        n = sum(len(x["articles"]) for x in self.data["tickets"].values()) + 1
        art = {"id": n, "ticket_id": t["id"], "body": a["body"], "type": a.get("type", "note"),
               "internal": bool(a.get("internal", False)),
               "content_type": a.get("content_type", "text/html"),
               "subject": a.get("subject", "")}
        t["articles"].append(art)
        return art

    def route(self, req):
        denied = self.auth(req)
        if denied:
            return denied
        p, body = req.path, req.json() or {}
        expand = req.arg("expand") == "true"
        tickets = self.data["tickets"]

        if p == "/api/v1/tickets" and req.method == "POST":
            if not body.get("title"):
                return err(422, "Attribute 'title' required!")
            if "group" not in body and "group_id" not in body:
                return err(422, "Attribute 'group_id' required!")
            cust = body.get("customer_id")
            if isinstance(cust, str) and cust.startswith("guess:"):
                if "@" not in cust:
                    return err(422, "Invalid email '%s' of customer" % cust[6:])
                cust = 9
            if not isinstance(cust, int):
                return err(422, "Attribute 'customer_id' required!")
            tid = self.data["next"]
            t = {"id": tid, "number": str(31000 + tid), "title": "", "group": "Ops",
                 "state": "new", "priority": "2 normal", "customer_id": cust, "tags": [],
                 "articles": [], "created_at": "2026-01-01T00:00:%02dZ" % (tid % 60)}
            bad = self.set_fields(t, body)
            if bad:
                return bad
            if body.get("tags"):
                t["tags"] = [x.strip() for x in str(body["tags"]).split(",") if x.strip()]
            if "article" in body:
                a = self.add_article(t, body["article"])
                if isinstance(a, tuple):
                    return a
            self.data["next"] = tid + 1
            tickets[str(tid)] = t
            return 201, {}, self.out(t, expand)

        if p == "/api/v1/tickets/search" and req.method == "GET":
            q = req.arg("query")
            m = re.match(r'^(\w+):"?([^"]*)"?$', q)
            if not m:
                return 200, {}, {"tickets": [], "tickets_count": 0, "assets": {}}
            field, want = m.group(1), words(m.group(2))
            hits = []
            for t in sorted(tickets.values(), key=lambda x: x["id"]):
                values = t["tags"] if field == "tags" else [t.get(field, "")]
                # Full text: a hit when the leading words agree, as an
                # analyzed phrase query on Elasticsearch scores near misses.
                if any(words(v)[:2] == want[:2] for v in values if v):
                    hits.append(t)
            hits = hits[:int(req.arg("limit", "50"))]
            if expand:
                return 200, {}, [self.out(t, True) for t in hits]
            return 200, {}, {"tickets": [t["id"] for t in hits], "tickets_count": len(hits),
                             "assets": {"Ticket": {str(t["id"]): self.out(t, False)
                                                   for t in hits}}}

        m = re.match(r"^/api/v1/tickets/(\d+)$", p)
        if m:
            t = tickets.get(m.group(1))
            if not t:
                return err(404, "Couldn't find Ticket with 'id'=%s" % m.group(1))
            if req.method == "GET":
                return 200, {}, self.out(t, expand)
            if req.method == "PUT":
                bad = self.set_fields(t, body)
                if bad:
                    return bad
                if body.get("article"):
                    a = self.add_article(t, body["article"])
                    if isinstance(a, tuple):
                        return a
                return 200, {}, self.out(t, expand)

        if p == "/api/v1/tags" and req.method == "GET":
            t = tickets.get(req.arg("o_id"))
            if req.arg("object") != "Ticket" or not t:
                return err(404, "Couldn't find Ticket with 'id'=%s" % req.arg("o_id"))
            return 200, {}, {"tags": list(t["tags"])}

        if p == "/api/v1/tags/add" and req.method == "POST":
            t = tickets.get(str(body.get("o_id")))
            if body.get("object") != "Ticket" or not t:
                return err(404, "Couldn't find Ticket with 'id'=%s" % body.get("o_id"))
            if body.get("item") not in t["tags"]:
                t["tags"].append(body.get("item"))
            return 201, {"Content-Type": "application/json"}, "true"

        if p == "/api/v1/ticket_articles" and req.method == "POST":
            t = tickets.get(str(body.get("ticket_id")))
            if not t:
                return err(422, "Couldn't find Ticket with 'id'=%s" % body.get("ticket_id"))
            a = self.add_article(t, body)
            if isinstance(a, tuple):
                return a
            return 201, {}, a

        return err(404, "No route matches [%s] %r" % (req.method, p))


if __name__ == "__main__":
    serve(ZammadFake())
