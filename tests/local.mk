# tests/local.mk -- unit tests (cmocka), integration tests (shell), fuzzers
#
# `make check` runs them all; `make check TESTS=tests/integration/t_query.sh`
# runs one. Integration tests start a real dnsd on a free loopback port.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	BUILDDIR='$(abs_top_builddir)' SRCDIR='$(abs_top_srcdir)'; export top_srcdir top_builddir BUILDDIR SRCDIR;

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LDNS_CFLAGS) $(LMDB_CFLAGS)
UNIT_LDADD = dnsd/libdnsd.la $(CMOCKA_LIBS)

if HAVE_CMOCKA
UNIT_TESTS = \
	tests/unit/test_wire \
	tests/unit/test_node \
	tests/unit/test_store \
	tests/unit/test_query \
	tests/unit/test_qcache \
	tests/unit/test_cookie \
	tests/unit/test_rrl \
	tests/unit/test_respond \
	tests/unit/test_conf \
	tests/unit/test_tsig \
	tests/unit/test_keyring \
	tests/unit/test_notify \
	tests/unit/test_stats \
	tests/unit/test_update \
	tests/unit/test_xfr \
	tests/unit/test_etcd \
	tests/unit/test_check \
	tests/unit/test_http \
	tests/unit/test_cluster
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c
tests_unit_test_wire_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
tests_unit_test_node_SOURCES = tests/unit/test_node.c
tests_unit_test_node_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_node_LDADD = $(UNIT_LDADD)
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
tests_unit_test_query_SOURCES = tests/unit/test_query.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_query_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_query_LDADD = $(UNIT_LDADD)
tests_unit_test_qcache_SOURCES = tests/unit/test_qcache.c
tests_unit_test_qcache_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qcache_LDADD = $(UNIT_LDADD)
tests_unit_test_cookie_SOURCES = tests/unit/test_cookie.c tests/unit/testaddr.h
tests_unit_test_cookie_CFLAGS = $(UNIT_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_cookie_LDADD = $(UNIT_LDADD) $(CRYPTO_LIBS)
tests_unit_test_rrl_SOURCES = tests/unit/test_rrl.c tests/unit/testaddr.h
tests_unit_test_rrl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rrl_LDADD = $(UNIT_LDADD)
tests_unit_test_respond_SOURCES = tests/unit/test_respond.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_respond_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_respond_LDADD = $(UNIT_LDADD) $(LDNS_LIBS)
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)
tests_unit_test_tsig_SOURCES = tests/unit/test_tsig.c
tests_unit_test_tsig_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tsig_LDADD = $(UNIT_LDADD) $(LDNS_LIBS) $(CRYPTO_LIBS)
tests_unit_test_keyring_SOURCES = tests/unit/test_keyring.c
tests_unit_test_keyring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_keyring_LDADD = $(UNIT_LDADD)
tests_unit_test_notify_SOURCES = tests/unit/test_notify.c
tests_unit_test_notify_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_notify_LDADD = $(UNIT_LDADD)
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c
tests_unit_test_stats_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_LDADD = $(UNIT_LDADD)
tests_unit_test_update_SOURCES = tests/unit/test_update.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_update_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_update_LDADD = $(UNIT_LDADD) $(LDNS_LIBS)
tests_unit_test_xfr_SOURCES = tests/unit/test_xfr.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_xfr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_xfr_LDADD = $(UNIT_LDADD) $(LDNS_LIBS)
tests_unit_test_etcd_SOURCES = tests/unit/test_etcd.c
tests_unit_test_etcd_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_etcd_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS) $(LDNS_LIBS)
tests_unit_test_check_SOURCES = tests/unit/test_check.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_check_CFLAGS = $(UNIT_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_check_LDADD = $(UNIT_LDADD) $(LDNS_LIBS)
tests_unit_test_http_SOURCES = tests/unit/test_http.c
tests_unit_test_http_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_http_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)
tests_unit_test_cluster_SOURCES = tests/unit/test_cluster.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_test_cluster_CFLAGS = $(UNIT_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cluster_LDADD = $(UNIT_LDADD) $(LDNS_LIBS)
endif

INTEGRATION_TESTS = \
	tests/integration/t_lint.sh \
	tests/integration/t_input_limits.sh \
	tests/integration/t_flood.sh \
	tests/integration/t_stalled_xfr.sh \
	tests/integration/t_store_full.sh \
	tests/integration/t_slowloris.sh \
	tests/integration/t_conf_doc.sh \
	tests/integration/t_man.sh \
	tests/integration/t_query.sh \
	tests/integration/t_truncation.sh \
	tests/integration/t_cookies_rrl.sh \
	tests/integration/t_large_rrset.sh \
	tests/integration/t_tcp.sh \
	tests/integration/t_storm.sh \
	tests/integration/t_answer_cache.sh \
	tests/integration/t_reload.sh \
	tests/integration/t_reload_conf.sh \
	tests/integration/t_systemd.sh \
	tests/integration/t_install.sh \
	tests/integration/t_logs.sh \
	tests/integration/t_readme.sh \
	tests/integration/t_coalesce.sh \
	tests/integration/t_listen_any.sh \
	tests/integration/t_glibc.sh \
	tests/integration/t_forward.sh \
	tests/integration/t_acl_mapped.sh \
	tests/integration/t_update.sh \
	tests/integration/t_lease.sh \
	tests/integration/t_services.sh \
	tests/integration/t_concurrent.sh \
	tests/integration/t_update_tool.sh \
	tests/integration/t_update_health.sh \
	tests/integration/t_health_client.sh \
	tests/integration/t_durability.sh \
	tests/integration/t_axfr.sh \
	tests/integration/t_secondary_nsd.sh \
	tests/integration/t_secondary_knot.sh \
	tests/integration/t_etcd.sh \
	tests/integration/t_checks.sh \
	tests/integration/t_http_api.sh \
	tests/integration/t_http_limits.sh \
	tests/integration/t_http_client.sh \
	tests/integration/t_http_files.sh \
	tests/integration/t_http_metrics.sh \
	tests/integration/t_http_ui.sh \
	tests/integration/t_http_quickstart.sh \
	tests/integration/t_cluster.sh
TESTS += $(INTEGRATION_TESTS)
# t_conf_doc.sh: the settings table, as the binary has it.
check_PROGRAMS += tests/integration/list_settings
tests_integration_list_settings_SOURCES = tests/integration/list_settings.c
tests_integration_list_settings_LDADD = dnsd/libdnsd.la
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh tests/integration/lib_update.sh tests/integration/lib_secondary.sh \
	tests/integration/lib_http.sh tests/integration/httpslow.py tests/integration/consulcheck.py \
	tests/integration/lib_cluster.sh \
	tests/integration/dnswire.py tests/integration/tcptest.py \
	tests/integration/storm.py tests/integration/qloop.py \
	tests/integration/udpflood.py tests/integration/svcq.py tests/integration/notifylisten.py tests/integration/overload.py \
	tests/integration/xfrcheck.py tests/integration/xfrzones.py \
	tests/integration/checkserver.py \
	tests/integration/updsink.py tests/integration/httpcheck.py

# The query path in process, for callgrind instruction counts per query
# (see the top of qpath_bench.c). Built, never run by `make check`.
noinst_PROGRAMS += tests/unit/qpath_bench
tests_unit_qpath_bench_SOURCES = tests/unit/qpath_bench.c tests/unit/testzone.c tests/unit/testzone.h
tests_unit_qpath_bench_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_unit_qpath_bench_LDADD = dnsd/libdnsd.la

# Instances with checks, written into the store (t_checks.sh): the HTTP
# API that registers them comes later.
check_PROGRAMS += tests/integration/svcput
tests_integration_svcput_SOURCES = tests/integration/svcput.c
tests_integration_svcput_LDADD = dnsd/libdnsd.la

# The etcd client against real etcd members (t_etcd.sh drives it).
check_PROGRAMS += tests/integration/etcdcheck
tests_integration_etcdcheck_SOURCES = tests/integration/etcdcheck.c
tests_integration_etcdcheck_CFLAGS = $(AM_CFLAGS)
tests_integration_etcdcheck_LDADD = dnsd/libdnsd.la

# Fuzz harnesses: built with a deterministic driver for `make check`
# (a smoke test), or with libFuzzer by --enable-fuzzers (clang).
FUZZ_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/fuzz
if HAVE_CMOCKA
FUZZ_SMOKE = tests/fuzz/fuzz_query tests/fuzz/fuzz_update tests/fuzz/fuzz_conf tests/fuzz/fuzz_zone
check_PROGRAMS += $(FUZZ_SMOKE)
TESTS += $(FUZZ_SMOKE)
tests_fuzz_fuzz_query_SOURCES = tests/fuzz/fuzz_query.c tests/fuzz/driver.c tests/fuzz/fuzz_common.h tests/unit/testzone.c
tests_fuzz_fuzz_query_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_query_LDADD = dnsd/libdnsd.la
tests_fuzz_fuzz_update_SOURCES = tests/fuzz/fuzz_update.c tests/fuzz/driver.c tests/fuzz/fuzz_common.h tests/unit/testzone.c
tests_fuzz_fuzz_update_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_update_LDADD = dnsd/libdnsd.la
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/fuzz_text.h tests/fuzz/driver.c
tests_fuzz_fuzz_conf_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_conf_LDADD = dnsd/libdnsd.la
tests_fuzz_fuzz_zone_SOURCES = tests/fuzz/fuzz_zone.c tests/fuzz/fuzz_text.h tests/fuzz/driver.c
tests_fuzz_fuzz_zone_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_zone_LDADD = dnsd/libdnsd.la
endif
if FUZZERS
# ./configure CC=clang --enable-fuzzers && make tests/fuzz/lf_query
#   tests/fuzz/lf_query -max_total_time=60 CORPUS_DIR
noinst_PROGRAMS += tests/fuzz/lf_query tests/fuzz/lf_update tests/fuzz/lf_conf tests/fuzz/lf_zone
tests_fuzz_lf_query_SOURCES = tests/fuzz/fuzz_query.c tests/unit/testzone.c
tests_fuzz_lf_query_CFLAGS = $(FUZZ_CFLAGS) -fsanitize=fuzzer
tests_fuzz_lf_query_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_lf_query_LDADD = dnsd/libdnsd.la
tests_fuzz_lf_update_SOURCES = tests/fuzz/fuzz_update.c tests/unit/testzone.c
tests_fuzz_lf_update_CFLAGS = $(FUZZ_CFLAGS) -fsanitize=fuzzer
tests_fuzz_lf_update_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_lf_update_LDADD = dnsd/libdnsd.la
tests_fuzz_lf_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/fuzz_text.h
tests_fuzz_lf_conf_CFLAGS = $(FUZZ_CFLAGS) -fsanitize=fuzzer
tests_fuzz_lf_conf_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_lf_conf_LDADD = dnsd/libdnsd.la
tests_fuzz_lf_zone_SOURCES = tests/fuzz/fuzz_zone.c tests/fuzz/fuzz_text.h
tests_fuzz_lf_zone_CFLAGS = $(FUZZ_CFLAGS) -fsanitize=fuzzer
tests_fuzz_lf_zone_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_lf_zone_LDADD = dnsd/libdnsd.la
endif
