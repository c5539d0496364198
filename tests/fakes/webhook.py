"""Fake receiver for kind: webhook backends and webhook notification targets.

Answers 200 {"id": "WH-<n>", "url": "http://.../tickets/WH-<n>"} to a create
(a body whose "action" is "create"; a repeated create with the same
correlation_key gets the same id) and 200 {} to anything else; every request
is recorded (GET /_fake/requests).
"""
from fakelib import Fake, serve


class WebhookFake(Fake):
    def route(self, req):
        body = req.json() or {}
        if isinstance(body, dict) and body.get("action") == "create":
            # As webhook receivers are told to: correlation_key is the
            # idempotency key, a repeated create answers the first one's id.
            corr = body.get("correlation_key")
            by_corr = self.data.setdefault("by_corr", {})
            n = by_corr.get(corr) if corr else None
            if n is None:
                n = self.data.get("next", 1)
                self.data["next"] = n + 1
                if corr:
                    by_corr[corr] = n
            return 200, {}, {"id": "WH-%d" % n, "url": "http://webhook.example/tickets/WH-%d" % n}
        return 200, {}, {}


if __name__ == "__main__":
    serve(WebhookFake())
