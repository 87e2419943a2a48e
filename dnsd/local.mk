# dnsd/local.mk -- the server: everything but main() is in libdnsd, which
# the tools and tests link.
noinst_LTLIBRARIES += dnsd/libdnsd.la
dnsd_libdnsd_la_SOURCES = \
	dnsd/util/err.c dnsd/util/err.h \
	dnsd/util/log.c dnsd/util/log.h \
	dnsd/util/clock.c dnsd/util/clock.h \
	dnsd/util/sdnotify.c dnsd/util/sdnotify.h \
	dnsd/util/dynlib.c dnsd/util/dynlib.h dnsd/util/dyncurl.h dnsd/util/dynmhd.h \
	dnsd/wire/wire.c dnsd/wire/wire.h \
	dnsd/node/node.c dnsd/node/edit.c dnsd/node/node.h \
	dnsd/svc/svc.c dnsd/svc/svc.h \
	dnsd/stats/stats.c dnsd/stats/stats.h \
	dnsd/cookie/cookie.c dnsd/cookie/cookie.h \
	dnsd/rrl/rrl.c dnsd/rrl/rrl.h \
	dnsd/store/store.c dnsd/store/store-key.c dnsd/store/store-zone.c \
	dnsd/store/store-node.c dnsd/store/store-journal.c dnsd/store/store-walk.c \
	dnsd/store/store-svc.c dnsd/store/store-cluster.c \
	dnsd/store/store-int.h dnsd/store/store.h \
	dnsd/conf/conf.c dnsd/conf/conf.h dnsd/conf/lex.c dnsd/conf/lex.h \
	dnsd/conf/acl.c dnsd/conf/settings.c dnsd/conf/cluster.c dnsd/conf/answers.c dnsd/conf/internal.h \
	dnsd/etcd/etcd.c dnsd/etcd/etcd.h \
	dnsd/etcd/conn.c dnsd/etcd/conn.h \
	dnsd/etcd/msg.c dnsd/etcd/msg.h \
	dnsd/etcd/watch.c \
	dnsd/keyring/keyring.c dnsd/keyring/keyring.h \
	dnsd/reply/reply.c dnsd/reply/reply.h \
	dnsd/zone/zone.c dnsd/zone/import.c dnsd/zone/zone.h \
	dnsd/query/qcache.c dnsd/query/qcache.h \
	dnsd/query/query.c dnsd/query/query.h \
	dnsd/query/parse.c dnsd/query/finish.c dnsd/query/chaos.c \
	dnsd/query/respond.c dnsd/query/respond.h \
	dnsd/svc/catalog.c dnsd/svc/view.c dnsd/svc/catalog.h \
	dnsd/update/update.c dnsd/update/policy.c dnsd/update/update.h \
	dnsd/update/services.c dnsd/update/services.h \
	dnsd/cluster/layout.c dnsd/cluster/layout.h \
	dnsd/cluster/mirror.c dnsd/cluster/mirror.h \
	dnsd/cluster/ops.c dnsd/cluster/ops.h \
	dnsd/writer/writer.c dnsd/writer/batch.c dnsd/writer/writer-int.h \
	dnsd/writer/writer.h dnsd/writer/cluster.c dnsd/writer/cluster.h \
	dnsd/tsig/tsig.c dnsd/tsig/tsig.h \
	dnsd/xfr/xfr.c dnsd/xfr/xfr.h \
	dnsd/runtime/runtime.c dnsd/runtime/runtime.h \
	dnsd/net/peer.c dnsd/net/peer.h \
	dnsd/net/sock.c dnsd/net/sock.h \
	dnsd/notify/notify.c dnsd/notify/notify.h \
	dnsd/forward/forward.c dnsd/forward/forward.h \
	dnsd/check/check.c dnsd/check/probe.c dnsd/check/table.c dnsd/check/check.h dnsd/check/internal.h \
	dnsd/cluster/follower.c dnsd/cluster/follower.h \
	dnsd/net/udp.c dnsd/net/udp.h \
	dnsd/net/tcp.c dnsd/net/tcp-xfr.c dnsd/net/tcp-int.h dnsd/net/tcp.h \
	dnsd/net/admit.c dnsd/net/admit.h \
	dnsd/http/http.c dnsd/http/http.h dnsd/http/internal.h \
	dnsd/http/consul.c dnsd/http/def.c dnsd/http/hcl.c dnsd/http/files.c \
	dnsd/http/metrics.c dnsd/http/ui.c \
	dnsd/net/server.c dnsd/net/server.h
# Where dnsd and dnsdctl look when told nothing (conf.h, "Paths"): from
# configure's --sysconfdir and --localstatedir.
dnsd_libdnsd_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DDNSD_CONF_FILE='"$(sysconfdir)/dnsd/dnsd.conf"' \
	-DDNSD_STATE_DIR='"$(localstatedir)/lib/dnsd"'
dnsd_libdnsd_la_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(LMDB_CFLAGS) $(CARES_CFLAGS) $(CRYPTO_CFLAGS) \
	$(CURL_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
# libcurl and libmicrohttpd: headers only; dnsd loads them when needed
# (dnsd/util/dynlib.h), and dlopen comes with LIBS.
dnsd_libdnsd_la_LIBADD = $(LDNS_LIBS) $(LMDB_LIBS) $(CARES_LIBS) $(CRYPTO_LIBS) \
	$(JANSSON_LIBS) $(PTHREAD_LIBS)

sbin_PROGRAMS += dnsd/dnsd
dnsd_dnsd_SOURCES = dnsd/main.c
dnsd_dnsd_LDADD = dnsd/libdnsd.la
