"""Fake receiver for kind: webhook backends and webhook notification targets.

Answers 200 {"id": "WH-<n>", "url": "http://.../tickets/WH-<n>"} to a create
(a body whose "action" is "create") and 200 {} to anything else; every
request is recorded (GET /_fake/requests).
"""
from fakelib import Fake, serve


class WebhookFake(Fake):
    def route(self, req):
        body = req.json() or {}
        if isinstance(body, dict) and body.get("action") == "create":
            n = self.data.get("next", 1)
            self.data["next"] = n + 1
            return 200, {}, {"id": "WH-%d" % n, "url": "http://webhook.example/tickets/WH-%d" % n}
        return 200, {}, {}


if __name__ == "__main__":
    serve(WebhookFake())
