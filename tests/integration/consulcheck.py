#!/usr/bin/python3
"""consulcheck.py -- dnsd's HTTP API through Debian's Consul client library

  consulcheck.py HTTP_PORT DNS_PORT TOKEN

Registers a service with a TTL check, passes it, watches it with a blocking
query, lets the TTL lapse and sees it leave the health endpoint and DNS,
deregisters, and has a bad token refused -- all with python3-consul
(run with /usr/bin/python3, where Debian's modules are). Prints "ok - ..."
and "not ok - ..." lines for lib.sh's relay_checks; every wait is bounded.
"""
import sys
import threading
import time

import consul
import dns.message
import dns.query
import dns.rdatatype

HPORT, DPORT, TOKEN = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def check(cond, msg):
    print(("ok - " if cond else "not ok - ") + msg, flush=True)
    return cond


def srv(name):
    q = dns.message.make_query(name, dns.rdatatype.SRV)
    r = dns.query.udp(q, "127.0.0.1", port=DPORT, timeout=3)
    return [str(rr) for rrset in r.answer for rr in rrset]


def until(limit, fn):
    end = time.time() + limit
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.1)
    return False


c = consul.Consul(host="127.0.0.1", port=HPORT, token=TOKEN)

check(c.agent.service.register("fn", service_id="fn-1", port=9000, tags=["v1"],
                               check=consul.Check.ttl("3s")),
      "agent.service.register with Check.ttl('3s')")
index, nodes = c.health.service("fn", passing=True)
check(nodes == [], "health.service(passing=True) is empty while the check is critical")
check(srv("fn.service.consul.") == [], "and DNS has no fn")

check(c.agent.check.ttl_pass("service:fn-1", "up"), "agent.check.ttl_pass (sent as GET)")
index, nodes = c.health.service("fn", passing=True)
check(len(nodes) == 1 and nodes[0]["Service"]["ID"] == "fn-1" and
      nodes[0]["Checks"][0]["Output"] == "up",
      "health.service(passing=True) has fn-1 with its note")
check(any(" 9000 " in r for r in srv("fn.service.consul.")), "dig: fn.service.consul SRV port 9000")
index2, services = c.catalog.services()
check("fn" in services and services["fn"] == ["v1"], "catalog.services has fn with tag v1")

# A watcher: a blocking query from the last index.
result = {}


def watch():
    result["answer"] = c.health.service("fn", index=index, wait="60s")


t = threading.Thread(target=watch, daemon=True)
t.start()
time.sleep(1)
check(t.is_alive(), "health.service(index=%s, wait='60s') waits while nothing changes" % index)
c.agent.check.ttl_warn("service:fn-1", "slow")
t.join(20)
check(not t.is_alive(), "the watch returned after a change (well before 60 s)")
if "answer" in result:
    nindex, nodes = result["answer"]
    check(int(nindex) > int(index) and nodes[0]["Checks"][0]["Status"] == "warning",
          "with a newer index (%s > %s) and the warning" % (nindex, index))
else:
    check(False, "the watch got no answer")

# Keep it alive a while, then stop: the lease lapses.
for _ in range(3):
    c.agent.check.ttl_pass("service:fn-1")
    time.sleep(1)
check(len(c.health.service("fn", passing=True)[1]) == 1, "passing every second keeps it")
check(until(15, lambda: c.health.service("fn")[1] == []),
      "after the passes stop, health.service('fn') forgets it")
check(until(5, lambda: srv("fn.service.consul.") == []), "and DNS too")

check(c.agent.service.register("tmp", port=1), "register tmp")
check(c.agent.service.deregister("tmp"), "agent.service.deregister (sent as GET)")
check("tmp" not in c.agent.services(), "tmp is gone from agent.services")

bad = consul.Consul(host="127.0.0.1", port=HPORT, token="not-the-token-at-all")
try:
    bad.agent.service.register("evil", port=1)
    check(False, "a bad token was refused")
except consul.ACLPermissionDenied:
    check(True, "a bad token is refused (ACLPermissionDenied)")
check("evil" not in c.agent.services(), "and nothing was registered")
