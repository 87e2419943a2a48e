# tools/resolve.mk -- libdnsd-client and dnsd-resolve (c-ares)
#
# libdnsd-client is installed on its own (header, pkg-config file) and
# never includes server code: it sees only client/, not dnsd/ or config.h.
# Only the dnsd_* symbols are exported; the unit test compiles the sources
# itself to reach the internal helpers.
CLIENT_SOURCES = \
	client/client.c \
	client/resolve.c \
	client/browse.c \
	client/srv.c \
	client/wire.c \
	client/client-internal.h

lib_LTLIBRARIES += client/libdnsd-client.la
client_libdnsd_client_la_SOURCES = $(CLIENT_SOURCES) client/dnsd-client.h
client_libdnsd_client_la_CPPFLAGS = -I$(top_srcdir)/client
client_libdnsd_client_la_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
client_libdnsd_client_la_LIBADD = $(CARES_LIBS)
client_libdnsd_client_la_LDFLAGS = -version-info 0:0:0 \
	-export-symbols-regex '^dnsd_'
include_HEADERS += client/dnsd-client.h
pkgconfig_DATA += dnsd-client.pc

bin_PROGRAMS += tools/dnsd-resolve
tools_dnsd_resolve_SOURCES = tools/dnsd-resolve.c
tools_dnsd_resolve_CPPFLAGS = -I$(top_srcdir)/client
tools_dnsd_resolve_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
tools_dnsd_resolve_LDADD = client/libdnsd-client.la $(CARES_LIBS)

dist_man_MANS += man/dnsd-resolve.1

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_client
TESTS += tests/unit/test_client
tests_unit_test_client_SOURCES = tests/unit/test_client.c $(CLIENT_SOURCES) \
	client/dnsd-client.h
tests_unit_test_client_CPPFLAGS = -I$(top_srcdir)/client
tests_unit_test_client_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_client_LDADD = $(CARES_LIBS) $(CMOCKA_LIBS) $(PTHREAD_LIBS)
endif

# Against a real NSD on a loopback port (skips with 77 if nsd cannot be
# installed).
TESTS += tests/integration/t_resolve.sh
EXTRA_DIST += tests/integration/t_resolve.sh
