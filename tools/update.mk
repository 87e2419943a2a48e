# tools/update.mk -- dnsd-update (registration client, ldns)
#
# A plain RFC 2136 client: it links ldns (and libcrypto through it) and
# libcurl (HTTP health checks), never libdnsd, so that it works against
# any server and installs on its own.
bin_PROGRAMS += tools/dnsd-update
tools_dnsd_update_SOURCES = \
	tools/dnsd-update.c \
	tools/update.h \
	tools/update-args.c \
	tools/update-register.c \
	tools/update-loop.c \
	tools/update-key.c \
	tools/update-msg.c \
	tools/update-send.c \
	tools/update-net.c \
	tools/update-batch.c \
	tools/update-bench.c \
	tools/update-health.c \
	tools/update-check.c
tools_dnsd_update_CPPFLAGS = $(AM_CPPFLAGS) -DUPDATE_VERSION='"$(PACKAGE_VERSION)"'
tools_dnsd_update_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(CURL_CFLAGS)
tools_dnsd_update_LDADD = $(LDNS_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)

# The pure parts (update-health.c): option encoding, result mapping,
# durations, the renew/report/stop machine.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_update_health
TESTS += tests/unit/test_update_health
tests_unit_test_update_health_SOURCES = tests/unit/test_update_health.c \
	tools/update-health.c tools/update.h
tests_unit_test_update_health_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tests_unit_test_update_health_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_update_health_LDADD = $(CMOCKA_LIBS)
endif

dist_man_MANS += man/dnsd-update.1

# Against a real Knot DNS (skips with 77 if knotd cannot be installed).
TESTS += tests/integration/t_update_tool_knot.sh
EXTRA_DIST += tests/integration/t_update_tool_knot.sh
