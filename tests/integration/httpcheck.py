#!/usr/bin/env python3
"""httpcheck.py -- a local HTTP server whose answer a test changes, for
dnsd-update's --check-http (t_update_health.sh, t_health_client.sh).

    python3 httpcheck.py PORT STATUSFILE LOG [--ready FILE]

Every GET is answered with the status code written in STATUSFILE (200 if
it is missing or empty) and a body "status N"; "hang" instead of a number
holds the request for 60 s without answering (a hung service). Each request
is logged to LOG as "<monotonic time> <path> <status>". Listens on
127.0.0.1:PORT; standard library only.
"""
import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mode = "200"
        if os.path.exists(self.server.statusfile):
            mode = open(self.server.statusfile).read().strip() or "200"
        with open(self.server.log, "a") as f:
            f.write("%.3f %s %s\n" % (time.monotonic(), self.path, mode))
        if mode == "hang":
            time.sleep(60)
            return
        code = int(mode)
        body = ("status %d\n" % code).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main(argv):
    port, statusfile, log = int(argv[0]), argv[1], argv[2]
    srv = Server(("127.0.0.1", port), Handler)
    srv.statusfile, srv.log = statusfile, log
    if len(argv) > 4 and argv[3] == "--ready":
        open(argv[4], "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
