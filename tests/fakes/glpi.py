"""Fake GLPI legacy REST API (apirest.php) for kind: glpi connector tests.

Follows GLPI's apirest.md and src/Api/API.php:
  - GET /apirest.php/initSession with "Authorization: user_token <t>" (and
    App-Token when the API client has one) -> 200 {"session_token": ...};
    a wrong user token -> 401 ["ERROR_GLPI_LOGIN_USER_TOKEN", ...]; a
    missing or wrong App-Token -> 400 ERROR_APP_TOKEN_PARAMETERS_MISSING /
    ERROR_WRONG_APP_TOKEN_PARAMETER
  - every other call needs Session-Token: missing -> 400
    ["ERROR_SESSION_TOKEN_MISSING", ...], unknown -> 401
    ["ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid"]
  - a GET with a body -> 400 ERROR_JSON_PAYLOAD_FORBIDDEN
  - POST /Ticket {"input":{...}} -> 201 {"id":n,"message":""} + Location
  - GET /Ticket/{id} -> the ticket's fields; 404 ["ERROR_ITEM_NOT_FOUND",...]
  - PUT /Ticket/{id} -> 200 [{"<id>":true,"message":""}]; a status the
    profile's life cycle refuses is dropped quietly (still true)
  - GET /search/Ticket?criteria[0][field]=1&criteria[0][searchtype]=contains
    &criteria[0][value]=...&forcedisplay[0]=2 -> {"totalcount","count",
    "data":[{"1": name, "2": id}, ...]} (SQL LIKE '%value%', any case)
  - POST /ITILFollowup -> 201; refused on a closed ticket; like GLPI, a
    followup on a solved ticket from its requester (the API user, who is the
    requester of what it creates) reopens the ticket
  - POST /ITILSolution -> 201; the ticket becomes solved (closed at once
    when "auto_close" is set); refused when solved or closed already
  - GET /Ticket/{id}/Group_Ticket, POST /Group_Ticket, DELETE /Group_Ticket/{id}

State (POST /_fake/state):
  {"tickets": {"<id>": {...}}}  merge into (or create) tickets
  {"expire_sessions": true}      forget every session token
  {"app_token": "..."}           require this App-Token
  {"refuse_status": [6]}         statuses the life cycle drops quietly
  {"auto_close": true}           a solution closes the ticket at once
  {"reject_sessions": true}      every session token is refused, even new ones
"""
import re
import secrets

from fakelib import Fake, serve

USER_TOKEN = "glpi-user-token"
API_USER = 7


def err(status, code, message):
    return status, {}, [code, message]


class GlpiFake(Fake):
    def __init__(self):
        super().__init__()
        self.sessions = set()
        self.data = {"tickets": {}, "next": 1, "followups": [], "solutions": [],
                     "group_tickets": [], "app_token": "", "refuse_status": [],
                     "auto_close": False, "reject_sessions": False, "sessions_opened": 0}

    def apply_state(self, patch):
        for tid, fields in patch.get("tickets", {}).items():
            t = self.data["tickets"].setdefault(str(tid), self.blank(int(tid)))
            t.update(fields)
            self.data["next"] = max(self.data["next"], int(tid) + 1)
        if patch.get("expire_sessions"):
            self.sessions.clear()
        for k in ("app_token", "refuse_status", "auto_close", "reject_sessions"):
            if k in patch:
                self.data[k] = patch[k]

    def blank(self, tid):
        return {"id": tid, "name": "planted", "content": "", "status": 1, "urgency": 3,
                "impact": 3, "priority": 3, "type": 1, "entities_id": 0,
                "itilcategories_id": 0, "users_id_recipient": API_USER}

    def check_app_token(self, req):
        want = self.data["app_token"]
        got = req.headers.get("app-token", "")
        if want and not got:
            return err(400, "ERROR_APP_TOKEN_PARAMETERS_MISSING",
                       "missing parameter app_token")
        if want and got != want:
            return err(400, "ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token seems wrong")
        return None

    def route(self, req):
        if not req.path.startswith("/apirest.php/"):
            return 404, {}, "not found"
        p = req.path[len("/apirest.php"):].rstrip("/")
        bad = self.check_app_token(req)
        if bad:
            return bad
        if req.method == "GET" and req.body:
            return err(400, "ERROR_JSON_PAYLOAD_FORBIDDEN",
                       "GET Request should not have json payload (http body)")

        if p == "/initSession":
            auth = req.headers.get("authorization", "")
            if not auth.startswith("user_token "):
                return err(400, "ERROR_LOGIN_PARAMETERS_MISSING",
                           "parameter(s) login, password or user_token are missing")
            if auth[len("user_token "):] != USER_TOKEN:
                return err(401, "ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid")
            tok = secrets.token_hex(20)
            self.sessions.add(tok)
            self.data["sessions_opened"] += 1
            return 200, {}, {"session_token": tok}

        tok = req.headers.get("session-token", "")
        if not tok:
            return err(400, "ERROR_SESSION_TOKEN_MISSING",
                       "parameter session_token is missing or empty")
        if tok not in self.sessions or self.data["reject_sessions"]:
            return err(401, "ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid")
        if p == "/killSession":
            self.sessions.discard(tok)
            return 200, {"Content-Type": "application/json"}, "true"

        body = req.json() or {}
        inp = body.get("input") if isinstance(body, dict) else None
        tickets = self.data["tickets"]

        if p == "/Ticket" and req.method == "POST":
            if not isinstance(inp, dict):
                return err(400, "ERROR_BAD_ARRAY", "input parameter must be an array of objects")
            if not inp.get("content"):
                return err(400, "ERROR_GLPI_ADD", [{"id": False,
                                                    "message": "Mandatory field: Description"}])
            tid = self.data["next"]
            t = self.blank(tid)
            for k in ("name", "content", "urgency", "impact", "priority", "type", "entities_id",
                      "itilcategories_id"):
                if k in inp:
                    t[k] = inp[k]
            if inp.get("_groups_id_assign"):
                self.add_group(tid, inp["_groups_id_assign"], 2)
            tickets[str(tid)] = t
            self.data["next"] = tid + 1
            return 201, {"Location": "http://glpi.example/apirest.php/Ticket/%d" % tid}, \
                {"id": tid, "message": ""}

        m = re.match(r"^/Ticket/(\d+)$", p)
        if m:
            t = tickets.get(m.group(1))
            if not t:
                return err(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            if req.method == "GET":
                return 200, {}, t
            if req.method == "PUT":
                if not isinstance(inp, dict):
                    return err(400, "ERROR_BAD_ARRAY", "input parameter must be an array of objects")
                for k, v in inp.items():
                    if k == "status" and v in self.data["refuse_status"]:
                        continue  # the life cycle matrix says no; GLPI drops the field
                    if k in t and k != "id":
                        t[k] = v
                return 200, {}, [{m.group(1): True, "message": ""}]

        m = re.match(r"^/Ticket/(\d+)/Group_Ticket$", p)
        if m and req.method == "GET":
            return 200, {}, [g for g in self.data["group_tickets"]
                             if g["tickets_id"] == int(m.group(1))]

        if p == "/Group_Ticket" and req.method == "POST":
            gid = self.add_group(inp.get("tickets_id"), inp.get("groups_id"), inp.get("type"))
            return 201, {}, {"id": gid, "message": ""}

        m = re.match(r"^/Group_Ticket/(\d+)$", p)
        if m and req.method == "DELETE":
            before = len(self.data["group_tickets"])
            self.data["group_tickets"] = [g for g in self.data["group_tickets"]
                                          if g["id"] != int(m.group(1))]
            if len(self.data["group_tickets"]) == before:
                return err(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            return 200, {}, [{m.group(1): True, "message": ""}]

        if p == "/search/Ticket" and req.method == "GET":
            field = req.arg("criteria[0][field]")
            stype = req.arg("criteria[0][searchtype]")
            value = req.arg("criteria[0][value]").lower()
            rows = sorted(tickets.values(), key=lambda x: x["id"])
            if field == "1" and stype == "contains":
                rows = [t for t in rows if value in t["name"].lower()]
            lo, hi = (int(x) for x in req.arg("range", "0-49").split("-"))
            page = rows[lo:hi + 1]
            data = [{"1": t["name"], "2": t["id"], "80": "Root entity"} for t in page]
            status = 206 if len(page) < len(rows) else 200
            return status, {"Content-Range": "%d-%d/%d" % (lo, hi, len(rows))}, \
                {"totalcount": len(rows), "count": len(page), "sort": [2], "order": ["ASC"],
                 "data": data}

        if p == "/ITILFollowup" and req.method == "POST":
            t = tickets.get(str(inp.get("items_id"))) if isinstance(inp, dict) else None
            if not t or inp.get("itemtype") != "Ticket":
                return err(400, "ERROR_GLPI_ADD", [{"id": False, "message": "Item not found"}])
            if t["status"] == 6:
                return err(400, "ERROR_GLPI_ADD", [{"id": False, "message":
                           "You don't have permission to perform this action."}])
            if not inp.get("content"):
                return err(400, "ERROR_GLPI_ADD", [{"id": False, "message":
                           "You can't add a followup without description"}])
            if t["status"] == 5 and t["users_id_recipient"] == API_USER:
                t["status"] = 2  # ParentStatus: a requester's followup reopens
            self.data["followups"].append(dict(inp))
            return 201, {}, {"id": len(self.data["followups"]), "message": ""}

        if p == "/ITILSolution" and req.method == "POST":
            t = tickets.get(str(inp.get("items_id"))) if isinstance(inp, dict) else None
            if not t or inp.get("itemtype") != "Ticket":
                return err(400, "ERROR_GLPI_ADD", [{"id": False, "message": "Item not found"}])
            if t["status"] in (5, 6):
                return err(400, "ERROR_GLPI_ADD", [{"id": False, "message":
                           "The item is already solved, did anyone pushed a solution before you?"}])
            t["status"] = 6 if self.data["auto_close"] else 5
            self.data["solutions"].append(dict(inp))
            return 201, {}, {"id": len(self.data["solutions"]), "message": ""}

        return err(400, "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
                   "resource not found or not an instance of CommonDBTM")

    def add_group(self, tid, gid, gtype):
        n = len(self.data["group_tickets"]) + 100
        while any(g["id"] == n for g in self.data["group_tickets"]):
            n += 1
        self.data["group_tickets"].append({"id": n, "tickets_id": int(tid), "groups_id": int(gid),
                                           "type": int(gtype)})
        return n


if __name__ == "__main__":
    serve(GlpiFake())
