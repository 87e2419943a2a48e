#!/usr/bin/env python3
"""checkserver.py -- the target of dnsd's HTTP and TCP checks in t_checks.sh

    checkserver.py MODEFILE LOGFILE PORTFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens).
Each request reads MODEFILE-NAME, for a path that ends in /NAME, or else
MODEFILE: a status code ("200", "500", "429", ...) to answer with, or
"hang" to answer nothing (the connection stays open until the client gives
up). Each request is logged to LOGFILE as
"METHOD PATH USER-AGENT" on one line, flushed at once. A plain TCP connect
(dnsd's TCP check) is accepted and closed by the same server. Runs until
killed.
"""
import http.server
import os
import socketserver
import sys
import threading
import time

MODEFILE, LOGFILE, PORTFILE = sys.argv[1:4]
log_lock = threading.Lock()


def mode(path):
    """MODEFILE-NAME for a path ending in /NAME if there is one, else MODEFILE."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    for fn in (MODEFILE + "-" + name, MODEFILE):
        try:
            with open(fn) as f:
                return f.read().strip() or "200"
        except OSError:
            continue
    return "200"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.answer()

    def do_HEAD(self):
        self.answer()

    def answer(self):
        with log_lock, open(LOGFILE, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path,
                                    self.headers.get("User-Agent", "-")))
        m = mode(self.path)
        if m == "hang":
            time.sleep(30)
            return
        code = int(m)
        body = b"status %d\n" % code
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:  # renamed: it appears whole
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
