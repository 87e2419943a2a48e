/* fuzz_common.h -- the zone every fuzz harness serves */
#ifndef DNSD_FUZZ_COMMON_H
#define DNSD_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

static const char fuzz_zone[] =
    "$ORIGIN svc.example.test.\n"
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 1 3600 600 1209600 60\n"
    "@ NS ns1\n"
    "ns1 A 127.0.0.1\n"
    "web-1 A 10.0.0.5\n"
    "web-1 AAAA 2001:db8::5\n"
    "_http._tcp SRV 10 60 8080 web-1\n"
    "_http._tcp PTR web-1._http._tcp\n"
    "web-1._http._tcp SRV 0 0 8080 web-1\n"
    "web-1._http._tcp TXT \"path=/\"\n"
    "www CNAME web-1\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "*.wild A 10.9.9.9\n"
    "lab NS ns.lab\n"
    "ns.lab A 192.0.2.53\n"
    "mx MX 10 web-1\n";

/* The driver (or libFuzzer) calls this once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
