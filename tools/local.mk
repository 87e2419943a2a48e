# tools/local.mk -- admin tools built on libdnsd

# dnsdctl(8): the local admin tool. It reads the store read-only next to a
# running dnsd (through store.h, like the daemon: only dnsd/store/ sees
# LMDB), checks configurations as dnsd -n does, and prints system resolver
# snippets and diagnoses (ctl-resolver.c, ldns for the direct queries).
sbin_PROGRAMS += tools/dnsdctl
tools_dnsdctl_SOURCES = \
	tools/dnsdctl.c \
	tools/ctl.h \
	tools/ctl-print.c \
	tools/ctl-store.c \
	tools/ctl-services.c \
	tools/ctl-resolver.c
tools_dnsdctl_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(JANSSON_CFLAGS)
tools_dnsdctl_LDADD = dnsd/libdnsd.la $(LDNS_LIBS) $(JANSSON_LIBS)

dist_man_MANS += man/dnsdctl.8

TESTS += tests/integration/t_dnsdctl.sh
EXTRA_DIST += tests/integration/t_dnsdctl.sh

# qmeter: query_answer() in-process over a dnsperf query file, for
# instructions per query under callgrind or perf (tools/bench/qpath runs
# it; see tools/bench/README.md). Built with the tools, never installed.
noinst_PROGRAMS += tools/bench/qmeter
tools_bench_qmeter_SOURCES = tools/bench/qmeter.c
tools_bench_qmeter_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tools_bench_qmeter_LDADD = dnsd/libdnsd.la $(LDNS_LIBS)
