#!/usr/bin/env python3
"""httpslow.py -- clients that misbehave, for t_http_limits.sh

  httpslow.py cap PORT N        hold N connections open, then ask on one
                                more: expect 503; then, with the N closed,
                                expect an answer that is not 503
  httpslow.py stall PORT SECS   send half a request line and stop: expect the
                                server to close within SECS (bounded wait)
  httpslow.py trickle PORT SECS send a body a byte every 0.1 s, for longer
                                than SECS (less than twice): expect 408
Prints "ok - ..." / "not ok - ..." lines (lib.sh relay_checks).
"""
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def status_of(s, limit=15):
    s.settimeout(limit)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionError):
        pass
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return line


def req(path="/v1/status/leader"):
    return ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode()


def cap(port, n):
    held = []
    for _ in range(n):
        held.append(connect(port))
    time.sleep(0.3)  # let the server accept them all
    s = connect(port)
    s.sendall(req())
    line = status_of(s)
    s.close()
    print(("ok - " if " 503 " in line else "not ok - ") +
          "connection %d of %d: %s" % (n + 1, n, line or "(closed without a reply)"))
    for h in held:
        h.close()
    time.sleep(0.3)
    s = connect(port)
    s.sendall(req())
    line = status_of(s)
    s.close()
    print(("ok - " if line.startswith("HTTP/1.1 200") else "not ok - ") +
          "after the others closed: %s" % (line or "(no reply)"))


def stall(port, secs):
    s = connect(port)
    s.sendall(b"GET /v1/status/le")
    start = time.time()
    s.settimeout(secs + 10)
    closed = False
    try:
        while time.time() - start < secs + 10:
            if not s.recv(4096):
                closed = True
                break
    except (socket.timeout, ConnectionError):
        closed = not isinstance(sys.exc_info()[1], socket.timeout)
    s.close()
    print(("ok - " if closed else "not ok - ") +
          "a client that stops mid-request is cut (after %.1f s)" % (time.time() - start))


def trickle(port, secs):
    s = connect(port)
    body = b'{"Name":"trickle"}'
    body += b" " * max(0, int(secs * 15) - len(body))
    s.sendall(("PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: %d\r\n\r\n" % len(body)).encode())
    start = time.time()
    line = ""
    s.settimeout(0.1)
    for i in range(len(body)):
        try:
            s.sendall(body[i:i + 1])
        except (BrokenPipeError, ConnectionError):
            break
        try:
            data = s.recv(4096)
            if data:
                line = data.split(b"\r\n", 1)[0].decode(errors="replace")
                break
            break
        except socket.timeout:
            pass
        if time.time() - start > secs + 10:
            break
    if not line:
        line = status_of(s, 5)
    s.close()
    print(("ok - " if " 408 " in line else "not ok - ") +
          "a body that trickles past http-timeout: %s" % (line or "(no reply)"))


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    arg = float(sys.argv[3])
    {"cap": lambda: cap(port, int(arg)), "stall": lambda: stall(port, arg),
     "trickle": lambda: trickle(port, arg)}[mode]()


if __name__ == "__main__":
    main()
