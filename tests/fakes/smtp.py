"""A minimal SMTP server that stands in for a mail relay in tests.

`python3 smtp.py OUTFILE` prints "PORT <n>" and appends every mail it
accepts to OUTFILE as one JSON line {"from", "to": [...], "data"}. It speaks
just enough of RFC 5321 for libcurl: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT. No STARTTLS (libcurl's CURLUSESSL_TRY then sends in the clear).
"""
import json
import socketserver
import sys

OUT = sys.argv[1]


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 fake-smtp ready")
        sender, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake-smtp")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip().strip("<>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline().decode("utf-8", "replace")
                    if l in (".\r\n", ".\n", ""):
                        break
                    data.append(l[1:] if l.startswith("..") else l)
                with open(OUT, "a") as f:
                    f.write(json.dumps({"from": sender, "to": rcpts, "data": "".join(data)}) + "\n")
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT", server.server_address[1], flush=True)
    server.serve_forever()
