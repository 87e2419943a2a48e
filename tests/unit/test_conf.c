/* test_conf.c -- dnsd.conf: the example file, every kind of setting,
 * errors with file:line, BIND key files, addresses and access lists
 * (by bytes and by socket address), zone-dir, the settings table */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "testzone.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define SECRET "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

/* ---- fixture: a temporary folder for configuration files ---- */

struct fx {
	char dir[64];
	struct conf c;
	char err[16384]; /* what the last load_capture logged */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	if (testdir_make(f->dir, sizeof(f->dir), "dnsd-test-conf") != 0) {
		free(f);
		return -1;
	}
	conf_init(&f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	conf_free(&f->c);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

/* Write `text` to `name` in the fixture folder; returns the path (static). */
static const char *
put_file(struct fx *f, const char *name, const char *text)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, 256, "%s/%s", f->dir, name);
	assert_int_equal(testfile_write(p, text), 0);
	return p;
}

enum loader { L_CONF, L_KEYS, L_FINISH };

/* Run a loader with stderr (where errors are logged) captured in f->err. */
static int
load_capture(struct fx *f, enum loader what, const char *path)
{
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	assert_true(saved >= 0);
	dup2(fileno(tmp), 2);
	int rc = what == L_CONF ? conf_load(&f->c, path)
	       : what == L_KEYS ? conf_load_keys(&f->c, path)
	                        : conf_finish(&f->c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(f->err, 1, sizeof(f->err) - 1, tmp);
	f->err[n] = '\0';
	fclose(tmp);
	return rc;
}

/* Load `text` as a configuration file; expect failure, with the message
 * naming "file:line". */
static void
expect_error(struct fx *f, const char *text, unsigned line, const char *what)
{
	conf_free(&f->c);
	conf_init(&f->c);
	const char *path = put_file(f, "bad.conf", text);
	assert_int_equal(load_capture(f, L_CONF, path), DNSD_ECONF);
	char want[300];
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (strstr(f->err, want) == NULL || (what != NULL && strstr(f->err, what) == NULL))
		fail_msg("want \"%s\" ... \"%s\" in: %s", want, what ? what : "", f->err);
}

static const char *
srcdir(void)
{
	const char *s = getenv("SRCDIR");
	return s != NULL ? s : ".";
}

/* The same for an error that the final check finds (conf_finish): the
 * file loads, and the check names "file:line" of the statement. */
static void
expect_finish_error(struct fx *f, const char *text, unsigned line, const char *what)
{
	conf_free(&f->c);
	conf_init(&f->c);
	const char *path = put_file(f, "bad.conf", text);
	assert_int_equal(load_capture(f, L_CONF, path), 0);
	assert_int_equal(load_capture(f, L_FINISH, NULL), DNSD_ECONF);
	char want[300];
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (strstr(f->err, want) == NULL || strstr(f->err, what) == NULL)
		fail_msg("want \"%s\" ... \"%s\" in: %s", want, what, f->err);
}

/* ---- tests ---- */

static void
test_example_conf(void **state)
{
	struct fx *f = *state;
	char path[1024];
	snprintf(path, sizeof(path), "%s/zones/dnsd.conf", srcdir());
	if (access(path, R_OK) != 0)
		skip();
	assert_int_equal(load_capture(f, L_CONF, path), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->c.nlisten, 1);
	assert_int_equal(f->c.listen[0].family, AF_INET);
	assert_memory_equal(f->c.listen[0].addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(f->c.listen[0].port, 5300);
	/* The store, like the zone files, is relative to the file's folder. */
	char store[1100];
	snprintf(store, sizeof(store), "%s/zones/state", srcdir());
	assert_string_equal(f->c.store_dir, store);
	assert_int_equal(f->c.workers, 2);
	/* The README's registration needs the key and a grant for it. */
	assert_int_equal(f->c.nkeys, 1);
	assert_string_equal(f->c.keys[0].name, "registrar");
	assert_int_equal(f->c.zones[0].ngrants, 1);
	assert_string_equal(f->c.zones[0].grants[0].key, "registrar");
	assert_int_equal(f->c.log_level, LOG_LVL_INFO);
	assert_int_equal(f->c.nzones, 2);
	uint8_t apex[WIRE_NAME_MAX];
	wire_name_from_str("svc.example.test", apex);
	assert_true(wire_name_equal(f->c.zones[0].apex, apex));
	/* Zone files are relative to the configuration file's folder. */
	char want[1100];
	snprintf(want, sizeof(want), "%s/zones/svc.example.test.zone", srcdir());
	assert_string_equal(f->c.zones[0].file, want);
	snprintf(want, sizeof(want), "%s/zones/example.test.zone", srcdir());
	assert_string_equal(f->c.zones[1].file, want);
	/* It is complete: conf_finish accepts it. */
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	assert_true(f->c.store_dir[0] == '/');
	assert_true(f->c.zones[0].file[0] == '/');
}

static void
test_full_conf(void **state)
{
	struct fx *f = *state;
	put_file(f, "a.zone", "@ SOA ns hm 1 1 1 1 1\n");
	const char *path = put_file(f, "dnsd.conf",
	    "# every kind of setting\n"
	    "listen 127.0.0.1@5300 [::1]:5301 ::1@5302\n"
	    "listen 192.0.2.1            // a second line adds\n"
	    "store /var/tmp/x; store-size 1G\n"
	    "workers 4\n"
	    "log-level debug\n"
	    "edns-max 1400\n"
	    "tcp-idle-timeout 2m\n"
	    "tcp-max-connections 100\n"
	    "udp-coalesce 0 5000\n"
	    "user nobody\n"
	    "forward 9.9.9.9 2001:db8::53@5353\n"
	    "forward-allow 10.0.0.0/8 ::1\n"
	    "key \"k1.\" { algorithm hmac-sha256; secret \"" SECRET "\"; max-records 5; };\n"
	    "/* a comment\n"
	    "   over lines */\n"
	    "zone a.test {\n"
	    "    file a.zone\n"
	    "    default-lease 1h; min-lease 60; max-lease 1d\n"
	    "    allow-transfer 192.0.2.0/24 key k1\n"
	    "    allow-update-unsigned localhost\n"
	    "    grant k1 subdomain svc.a.test SRV TXT TYPE65280\n"
	    "    grant * self-sub\n"
	    "    notify 192.0.2.7 [2001:db8::7]:5353 key k1\n"
	    "    journal-size 50\n"
	    "}\n"
	    "zone b.test\n"
	    "zone c.test { allow-transfer 127.0.0.1; }\n"
	    "zone d.test { journal-size 7 }\n");
	assert_int_equal(load_capture(f, L_CONF, path), 0);
	struct conf *c = &f->c;
	assert_int_equal(c->nlisten, 4);
	assert_int_equal(c->listen[0].port, 5300);
	assert_int_equal(c->listen[1].family, AF_INET6);
	assert_int_equal(c->listen[1].port, 5301);
	assert_int_equal(c->listen[2].family, AF_INET6);
	assert_int_equal(c->listen[2].port, 5302);
	assert_int_equal(c->listen[3].port, 53);
	assert_string_equal(c->store_dir, "/var/tmp/x");
	assert_true(c->store_size == 1ULL << 30);
	assert_int_equal(c->workers, 4);
	assert_int_equal(c->log_level, LOG_LVL_DEBUG);
	assert_int_equal(c->edns_max, 1400);
	assert_int_equal(c->tcp_idle_ms, 120000);
	assert_int_equal(c->tcp_max, 100);
	assert_int_equal(c->udp_coalesce_us, 0);
	assert_int_equal(c->udp_coalesce_rate, 5000);
	assert_string_equal(c->user, "nobody");
	assert_int_equal(c->nforward, 2);
	assert_int_equal(c->forward[0].port, 53);
	assert_int_equal(c->forward[1].port, 5353);
	assert_int_equal(c->forward_allow.naddrs, 2);
	assert_int_equal(c->nkeys, 1);
	assert_string_equal(c->keys[0].algorithm, "hmac-sha256");
	assert_string_equal(c->keys[0].secret, SECRET);
	assert_int_equal(c->keys[0].max_records, 5);

	assert_int_equal(c->nzones, 4);
	const struct conf_zone *z = &c->zones[0];
	assert_string_equal(z->name, "a.test");
	assert_non_null(strstr(z->file, "/a.zone"));
	assert_int_equal(z->default_lease, 3600);
	assert_int_equal(z->min_lease, 60);
	assert_int_equal(z->max_lease, 86400);
	assert_int_equal(z->allow_transfer.naddrs, 1);
	assert_int_equal(z->allow_transfer.nkeys, 1);
	assert_string_equal(z->allow_transfer.keys[0], "k1");
	assert_int_equal(z->allow_update_unsigned.naddrs, 2); /* 127/8 and ::1 */
	assert_int_equal(z->ngrants, 2);
	assert_string_equal(z->grants[0].key, "k1");
	assert_int_equal(z->grants[0].match, MATCH_SUBDOMAIN);
	assert_int_equal(z->grants[0].ntypes, 3);
	assert_int_equal(z->grants[0].types[0], RR_SRV);
	assert_int_equal(z->grants[0].types[2], 65280);
	uint8_t n[WIRE_NAME_MAX];
	wire_name_from_str("svc.a.test", n);
	assert_true(wire_name_equal(z->grants[0].name, n));
	assert_null(z->grants[1].key);
	assert_int_equal(z->grants[1].match, MATCH_SELF_SUB);
	assert_int_equal(z->nnotify, 2);
	assert_int_equal(z->notify[0].port, 53);
	assert_int_equal(z->notify[1].port, 5353);
	assert_string_equal(z->notify_key, "k1");
	assert_int_equal(z->journal_max, 50);
	/* A zone with no block: defaults, no file, and no journal, since no one
	 * may transfer it; one that allows transfers keeps 1000 changes; an
	 * explicit journal-size counts either way. */
	assert_null(c->zones[1].file);
	assert_int_equal(c->zones[1].journal_max, 0);
	assert_int_equal(c->zones[1].default_lease, 0);
	assert_int_equal(c->zones[2].journal_max, CONF_JOURNAL_DEFAULT);
	assert_int_equal(CONF_JOURNAL_DEFAULT, 1000);
	assert_int_equal(c->zones[3].journal_max, 7);

	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	/* Keys are found by name, case-insensitively, with or without dot. */
	wire_name_from_str("K1", n);
	assert_non_null(conf_key_find(c, n));
	wire_name_from_str("k2", n);
	assert_null(conf_key_find(c, n));
}

static void
test_errors_name_file_line(void **state)
{
	struct fx *f = *state;
	expect_error(f, "workers 2\n\nfrobnicate 1\n", 3, "unknown setting");
	expect_error(f, "# c\nzone a.test {\n  file x\n\n  colour blue\n}\n", 5, "unknown zone setting");
	expect_error(f, "listen 127.0.0.1@99999\n", 1, "bad address");
	expect_error(f, "\nlisten host.example\n", 2, "bad address");
	expect_error(f, "workers 1\nstore \"unterminated\n", 2, "unterminated");
	expect_error(f, "zone a.test {\n  file x\n", 3, "missing '}'");
	expect_error(f, "workers 1\n}\n", 2, "unexpected '}'");
	expect_error(f, "workers 1000\n", 1, "workers");
	expect_error(f, "workers\n", 1, "workers");
	expect_error(f, "workers 1 2\n", 1, "workers");
	expect_error(f, "workers 0\n", 1, "workers");
	expect_error(f, "workers -1\n", 1, "workers");
	expect_error(f, "edns-max 511\n", 1, "edns-max");
	expect_error(f, "log-level chatty\n", 1, "log-level");
	expect_error(f, "zone a.test\nzone A.TEST.\n", 2, "twice");
	expect_error(f, "zone a..test\n", 1, "bad domain name");
	expect_error(f, "\n\nkey k { algorithm hmac-sha256; }\n", 3, "secret");
	expect_error(f, "key k {\n algorithm hmac-sha256\n secret \"" SECRET "\"\n colour red\n}\n", 4,
	    "unknown key setting");
	expect_error(f, "key k { algorithm hmac-sha256; secret \"" SECRET "\"; }\n"
	                "key K. { algorithm hmac-sha256; secret \"" SECRET "\"; }\n",
	    2, "twice");
	/* A bad secret is named as such, not as an unknown algorithm. */
	expect_error(f, "\nkey k {\n algorithm hmac-sha256\n secret \"not base64 !!\"\n}\n", 2,
	    "key: k: the secret is not valid base64");
	expect_error(f, "key k { algorithm hmac-whirlpool; secret \"" SECRET "\"; }\n", 1,
	    "key: k: unknown algorithm");
	expect_error(f, "key k { algorithm hmac-sha256; secret \"" SECRET "\"; min-lease 1h; max-lease 1m }\n",
	    1, "k: min-lease is above max-lease");
	/* Names of keys that do not exist: where they are named. */
	expect_finish_error(f, "zone a.test {\n grant nokey name a.test\n}\n", 2,
	    "grant: no key nokey is defined");
	expect_finish_error(f, "zone a.test {\n\n allow-transfer 10.0.0.1 key nokey\n}\n", 3,
	    "allow-transfer: no key nokey is defined");
	expect_finish_error(f, "zone a.test {\n allow-update-unsigned key nokey\n}\n", 2,
	    "allow-update-unsigned: no key nokey is defined");
	expect_finish_error(f, "zone a.test {\n notify 192.0.2.1 key nokey\n}\n", 2,
	    "notify: no key nokey is defined");
	/* An include that cannot be read: the statement that names it. */
	expect_error(f, "workers 1\ninclude \"no-such.conf\"\n", 2, "cannot read");
	expect_error(f, "zone a.test {\n default-lease 10x\n}\n", 2, "duration");
	expect_error(f, "zone a.test {\n min-lease 100; max-lease 10\n}\n", 1, "min-lease");
	expect_error(f, "zone a.test {\n grant k1 nearby a.test\n}\n", 2, "match");
	expect_error(f, "zone a.test {\n grant k1 name a.test BOGUS\n}\n", 2, "type");
	expect_error(f, "zone a.test {\n allow-transfer 10.0.0.0/33\n}\n", 2, "bad address");
	expect_error(f, "zone a.test {\n allow-transfer 10.0.0.0/\n}\n", 2, "bad address");
	expect_error(f, "forward-allow 10.0.0.0/8 nonsense\n", 1, "bad address");
	expect_error(f, "store-size 10q\n", 1, "size");
	expect_error(f, "{\n", 1, "unexpected '{'");
	expect_error(f, "workers 1\n/* never closed\n\n", 2, "unterminated");

	/* An error in an included file names that file and its line. */
	put_file(f, "inc.conf", "workers 2\nbogus-setting yes\n");
	conf_free(&f->c);
	conf_init(&f->c);
	const char *main_conf = put_file(f, "main.conf", "log-level info\ninclude \"inc.conf\"\n");
	assert_int_equal(load_capture(f, L_CONF, main_conf), DNSD_ECONF);
	char want[300];
	snprintf(want, sizeof(want), "%s/inc.conf:2: ", f->dir);
	if (strstr(f->err, want) == NULL)
		fail_msg("want %s in %s", want, f->err);

	/* A missing file names the file. */
	conf_free(&f->c);
	conf_init(&f->c);
	snprintf(want, sizeof(want), "%s/none.conf", f->dir);
	assert_true(load_capture(f, L_CONF, want) < 0);
	assert_non_null(strstr(f->err, want));

	/* An include loop ends with an error, not a crash. */
	conf_free(&f->c);
	conf_init(&f->c);
	const char *loop = put_file(f, "loop.conf", "include loop.conf\n");
	assert_int_equal(load_capture(f, L_CONF, loop), DNSD_ECONF);
}

static void
test_comments_and_lines(void **state)
{
	struct fx *f = *state;
	/* Line numbers stay right after multi-line comments, ';' and blocks. */
	expect_error(f,
	    "/* one\n two\n three */ workers 2\n"
	    "zone a.test { file x; }; # trailing\n"
	    "// a comment line\n"
	    "zone b.test {\n"
	    "   file \"y # not a comment\"\n"
	    "}\n"
	    "oops\n",
	    9, "unknown setting");
	/* And the good parts before the error were read. */
	assert_int_equal(f->c.workers, 2);
	assert_int_equal(f->c.nzones, 2);
	assert_non_null(strstr(f->c.zones[1].file, "y # not a comment"));
	/* A '#' ends a word. */
	conf_free(&f->c);
	conf_init(&f->c);
	const char *p = put_file(f, "c.conf", "workers 3#comment\nuser a;user b\n");
	assert_int_equal(load_capture(f, L_CONF, p), 0);
	assert_int_equal(f->c.workers, 3);
	assert_string_equal(f->c.user, "b"); /* the last one wins */
}

static void
test_bind_key_file(void **state)
{
	struct fx *f = *state;
	/* As tsig-keygen writes it, plus a second key in the other layout. */
	char keys[256];
	snprintf(keys, sizeof(keys), "%s", put_file(f, "keys.conf",
	    "key \"registrar\" {\n"
	    "\talgorithm hmac-sha256;\n"
	    "\tsecret \"" SECRET "\";\n"
	    "};\n"
	    "// a second key, brace on its own line\n"
	    "key \"Other.Key.\"\n"
	    "{\n"
	    "\talgorithm hmac-sha512; secret \"" SECRET "\";\n"
	    "\tmin-lease 5m; max-lease 2h;\n"
	    "};\n"));
	assert_int_equal(load_capture(f, L_KEYS, keys), 0);
	assert_int_equal(f->c.nkeys, 2);
	uint8_t n[WIRE_NAME_MAX];
	wire_name_from_str("REGISTRAR.", n);
	const struct conf_key *k = conf_key_find(&f->c, n);
	assert_non_null(k);
	assert_string_equal(k->name, "registrar");
	assert_string_equal(k->algorithm, "hmac-sha256");
	assert_string_equal(k->secret, SECRET);
	wire_name_from_str("other.key", n);
	k = conf_key_find(&f->c, n);
	assert_non_null(k);
	assert_string_equal(k->algorithm, "hmac-sha512");
	assert_int_equal(k->min_lease, 300);
	assert_int_equal(k->max_lease, 7200);

	/* Only key statements belong in a key file. */
	conf_free(&f->c);
	conf_init(&f->c);
	const char *bad = put_file(f, "badkeys.conf",
	    "key a { algorithm hmac-sha256; secret \"" SECRET "\"; };\n\nworkers 2\n");
	assert_int_equal(load_capture(f, L_KEYS, bad), DNSD_ECONF);
	char want[300];
	snprintf(want, sizeof(want), "%s:3: ", bad);
	assert_non_null(strstr(f->err, want));

	/* keys-file from dnsd.conf, relative to it. */
	conf_free(&f->c);
	conf_init(&f->c);
	const char *conf = put_file(f, "k.conf", "keys-file \"keys.conf\"\nzone a.test\n");
	assert_int_equal(load_capture(f, L_CONF, conf), 0);
	assert_int_equal(f->c.nkeys, 2);
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);

	/* A key whose secret is not base64 or whose algorithm is unknown is
	 * refused as it is read, naming the file and line of its statement. */
	conf_free(&f->c);
	conf_init(&f->c);
	conf = put_file(f, "k2.conf",
	    "zone a.test\nkey x { algorithm hmac-sha256; secret \"not base64 !!\"; }\n");
	assert_int_equal(load_capture(f, L_CONF, conf), DNSD_ECONF);
	char want2[300];
	snprintf(want2, sizeof(want2), "%s:2: key: x: the secret is not valid base64", conf);
	if (strstr(f->err, want2) == NULL)
		fail_msg("want %s in %s", want2, f->err);
	conf_free(&f->c);
	conf_init(&f->c);
	conf = put_file(f, "k3.conf",
	    "key x { algorithm hmac-whirlpool; secret \"" SECRET "\"; }\nzone a.test\n");
	assert_int_equal(load_capture(f, L_CONF, conf), DNSD_ECONF);
	assert_non_null(strstr(f->err, "k3.conf:1: key: x: unknown algorithm"));

	/* conf_add_key (the command line) and duplicates; a bad key there is
	 * named by its -y. */
	conf_free(&f->c);
	conf_init(&f->c);
	fflush(stderr);
	assert_int_not_equal(conf_add_key(&f->c, "cli.key", "hmac-sha256", "!!"), 0);
	assert_int_not_equal(conf_add_key(&f->c, "cli.key", "md4", SECRET), 0);
	assert_int_equal(f->c.nkeys, 0);
	assert_int_equal(conf_add_key(&f->c, "cli.key", "hmac-sha256", SECRET), 0);
	assert_string_equal(f->c.keys[0].where, "-y cli.key");
	assert_int_equal(load_capture(f, L_KEYS, keys), 0);
	assert_int_equal(f->c.nkeys, 3);
	assert_int_not_equal(conf_add_key(&f->c, "CLI.KEY.", "hmac-sha256", SECRET), 0);
	assert_int_equal(load_capture(f, L_KEYS, keys), DNSD_ECONF); /* defined twice */
}

static void
test_addresses(void **state)
{
	(void)state;
	struct conf_addr a;
	uint8_t v6[16];

	assert_int_equal(conf_addr_parse("127.0.0.1@5300", 53, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(a.port, 5300);
	assert_int_equal(a.prefix, 32);

	assert_int_equal(conf_addr_parse("[::1]:5300", 53, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	inet_pton(AF_INET6, "::1", v6);
	assert_memory_equal(a.addr, v6, 16);
	assert_int_equal(a.port, 5300);
	assert_int_equal(a.prefix, 128);

	assert_int_equal(conf_addr_parse("::1@53", 0, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.addr, v6, 16);
	assert_int_equal(a.port, 53);

	assert_int_equal(conf_addr_parse("[::1]@54", 0, &a), 0);
	assert_int_equal(a.port, 54);
	assert_int_equal(conf_addr_parse("[::1]", 77, &a), 0);
	assert_int_equal(a.port, 77);
	assert_int_equal(conf_addr_parse("192.0.2.1", 53, &a), 0);
	assert_int_equal(a.port, 53); /* the default */
	assert_int_equal(conf_addr_parse("2001:db8::1", 53, &a), 0);
	assert_int_equal(a.family, AF_INET6);

	/* Networks. */
	assert_int_equal(conf_addr_parse("10.0.0.0/8", 0, &a), 0);
	assert_int_equal(a.prefix, 8);
	assert_int_equal(conf_addr_parse("0.0.0.0/0", 0, &a), 0);
	assert_int_equal(a.prefix, 0);
	assert_int_equal(conf_addr_parse("2001:db8::/32", 0, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.prefix, 32);

	/* Not addresses. */
	const char *bad[] = {
		"", "localhost", "host.example", "1.2.3", "1.2.3.4.5", "256.0.0.1",
		"1.2.3.4@0", "1.2.3.4@65536", "1.2.3.4@", "1.2.3.4@53x", "1.2.3.4@-1",
		"[::1", "[::1]x", "[::1]:", "[1.2.3.4.5]", "::1::2",
		"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_addr_parse(bad[i], 53, &a) == 0)
			fail_msg("\"%s\" accepted", bad[i]);

	/* Listen addresses are hosts, not networks. */
	struct conf c;
	conf_init(&c);
	assert_int_equal(conf_add_listen(&c, "127.0.0.1@5300"), 0);
	assert_int_equal(conf_add_listen(&c, "[::1]:5300"), 0);
	assert_int_equal(conf_add_listen(&c, "::1@53"), 0);
	assert_int_not_equal(conf_add_listen(&c, "10.0.0.0/8"), 0);
	assert_int_not_equal(conf_add_listen(&c, "nowhere"), 0);
	assert_int_equal(c.nlisten, 3);
	assert_int_equal(c.listen[2].port, 53);
	conf_free(&c);
}

static bool
match4(const struct conf_acl *acl, const char *s)
{
	uint8_t a[4];
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
	return conf_acl_match_addr(acl, AF_INET, a);
}

static bool
match6(const struct conf_acl *acl, const char *s)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return conf_acl_match_addr(acl, AF_INET6, a);
}

static void
test_acl_match(void **state)
{
	struct fx *f = *state;
	const char *p = put_file(f, "acl.conf",
	    "zone a.test {\n"
	    "  allow-transfer 10.0.0.0/8 172.16.0.0/12 192.0.2.7 2001:db8::/32 fe80::1\n"
	    "  allow-update-unsigned localhost\n"
	    "}\n"
	    "zone b.test {\n"
	    "  allow-transfer any\n"
	    "  allow-update-unsigned none\n"
	    "}\n"
	    "zone c.test { allow-transfer 192.0.2.128/25 10.1.2.3/0 }\n");
	assert_int_equal(load_capture(f, L_CONF, p), 0);
	const struct conf_acl *t = &f->c.zones[0].allow_transfer;
	assert_true(match4(t, "10.0.0.1"));
	assert_true(match4(t, "10.255.255.255"));
	assert_false(match4(t, "11.0.0.1"));
	assert_false(match4(t, "9.255.255.255"));
	/* /12: a prefix that ends inside a byte. */
	assert_true(match4(t, "172.16.0.1"));
	assert_true(match4(t, "172.31.255.255"));
	assert_false(match4(t, "172.32.0.0"));
	assert_false(match4(t, "172.15.255.255"));
	/* A host. */
	assert_true(match4(t, "192.0.2.7"));
	assert_false(match4(t, "192.0.2.8"));
	assert_true(match6(t, "2001:db8:ffff::1"));
	assert_false(match6(t, "2001:db9::1"));
	assert_true(match6(t, "fe80::1"));
	assert_false(match6(t, "fe80::2"));
	/* IPv4 entries never match IPv6 clients, nor the other way round. */
	assert_false(match6(t, "::ffff:10.0.0.1"));

	const struct conf_acl *u = &f->c.zones[0].allow_update_unsigned;
	assert_true(match4(u, "127.0.0.1"));
	assert_true(match4(u, "127.8.9.10"));
	assert_true(match6(u, "::1"));
	assert_false(match4(u, "128.0.0.1"));
	assert_false(match6(u, "::2"));

	assert_true(match4(&f->c.zones[1].allow_transfer, "203.0.113.9"));
	assert_true(match6(&f->c.zones[1].allow_transfer, "2001:db8::9"));
	assert_false(match4(&f->c.zones[1].allow_update_unsigned, "127.0.0.1"));
	assert_false(match6(&f->c.zones[1].allow_update_unsigned, "::1"));

	/* /25: the upper half; /0 with host bits set still matches all. */
	const struct conf_acl *c = &f->c.zones[2].allow_transfer;
	assert_true(match4(c, "1.2.3.4"));
	struct conf_acl only25 = { .naddrs = 1, .addrs = c->addrs };
	assert_true(match4(&only25, "192.0.2.200"));
	assert_false(match4(&only25, "192.0.2.127"));

	/* An empty list matches nobody. */
	struct conf_acl empty = { 0 };
	assert_false(match4(&empty, "127.0.0.1"));
}

/* A peer as accept or recvfrom gives it: text address and port. */
static struct sockaddr_storage
peer(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return ss;
}

static bool
match_peer(const struct conf_acl *acl, const char *text)
{
	struct sockaddr_storage ss = peer(text, 5353);
	return conf_acl_match_sockaddr(acl, (const struct sockaddr *)&ss);
}

static void
test_acl_match_sockaddr(void **state)
{
	struct fx *f = *state;
	const char *p = put_file(f, "sa.conf",
	    "zone a.test {\n"
	    "  allow-transfer 10.0.0.0/8 2001:db8::/32 ::ffff:192.0.2.0/120 key k\n"
	    "  allow-update-unsigned localhost\n"
	    "}\n"
	    "zone b.test { allow-transfer any; allow-update-unsigned none }\n");
	assert_int_equal(load_capture(f, L_CONF, p), 0);
	const struct conf_acl *t = &f->c.zones[0].allow_transfer;
	const struct conf_acl *lo = &f->c.zones[0].allow_update_unsigned;
	const struct conf_acl *any = &f->c.zones[1].allow_transfer;
	const struct conf_acl *none = &f->c.zones[1].allow_update_unsigned;

	assert_true(match_peer(t, "10.1.2.3"));
	assert_false(match_peer(t, "11.1.2.3"));
	assert_true(match_peer(t, "2001:db8::53"));
	assert_false(match_peer(t, "2001:db9::53"));
	assert_true(match_peer(lo, "127.0.0.1"));
	assert_true(match_peer(lo, "::1"));
	assert_false(match_peer(lo, "192.0.2.1"));
	assert_true(match_peer(any, "203.0.113.1"));
	assert_true(match_peer(any, "2001:db8::1"));
	assert_false(match_peer(none, "127.0.0.1"));
	assert_false(match_peer(none, "::1"));

	/* An IPv4-mapped IPv6 peer is an IPv6 client: it never meets the IPv4
	 * entries (an IPv6 UDP packet may carry ::ffff:127.0.0.1 as its
	 * source), only IPv6 ones that cover it as written. */
	assert_false(match_peer(lo, "::ffff:127.0.0.1"));
	assert_false(match_peer(t, "::ffff:10.1.2.3"));
	assert_true(match_peer(t, "::ffff:192.0.2.9"));
	assert_true(match_peer(any, "::ffff:127.0.0.1")); /* by ::/0 */

	/* The same answers as the byte-level matcher, address by address. */
	const char *addrs[] = { "10.0.0.0", "10.255.255.255", "9.255.255.255", "127.0.0.1",
		"0.0.0.0", "255.255.255.255", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
		"2001:db7:ffff::", "::", "::1", "::ffff:10.0.0.1", "::ffff:192.0.2.255", "fe80::1" };
	const struct conf_acl *acls[] = { t, lo, any, none };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		for (size_t j = 0; j < sizeof(acls) / sizeof(acls[0]); j++) {
			struct sockaddr_storage ss = peer(addrs[i], 53);
			const uint8_t *bytes = ss.ss_family == AF_INET
			    ? (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr
			    : ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
			if (conf_acl_match_sockaddr(acls[j], (const struct sockaddr *)&ss) !=
			    conf_acl_match_addr(acls[j], ss.ss_family, bytes))
				fail_msg("%s, list %zu: the two matchers differ", addrs[i], j);
		}

	/* The port plays no part; other families and NULL match nothing, not
	 * even "any"; key entries are not addresses. */
	struct sockaddr_storage ss = peer("10.1.2.3", 0);
	assert_true(conf_acl_match_sockaddr(t, (const struct sockaddr *)&ss));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(conf_acl_match_sockaddr(any, (const struct sockaddr *)&ss));
	assert_false(conf_acl_match_sockaddr(any, NULL));
	struct conf_acl keys_only = { .nkeys = t->nkeys, .keys = t->keys };
	assert_false(match_peer(&keys_only, "10.1.2.3"));

	/* A struct sockaddr_in6 of its own, not inside a sockaddr_storage. */
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	assert_true(conf_acl_match_sockaddr(lo, (const struct sockaddr *)&s6));
}

static void
test_zone_dir(void **state)
{
	struct fx *f = *state;
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/zd", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	const char *files[] = { "zd/b.test.zone", "zd/a.test.zone", "zd/.hidden.zone", "zd/notes.txt",
		"zd/.zone" };
	for (size_t i = 0; i < 5; i++)
		put_file(f, files[i], "; empty\n");

	assert_int_equal(conf_add_zone_dir(&f->c, sub), 0);
	assert_int_equal(f->c.nzones, 2);
	/* Sorted by file name. */
	assert_string_equal(f->c.zones[0].name, "a.test");
	assert_string_equal(f->c.zones[1].name, "b.test");
	char want[256];
	snprintf(want, sizeof(want), "%s/a.test.zone", sub);
	assert_string_equal(f->c.zones[0].file, want);
	uint8_t apex[WIRE_NAME_MAX];
	wire_name_from_str("b.test", apex);
	assert_true(wire_name_equal(f->c.zones[1].apex, apex));

	/* The same through the configuration file. */
	conf_free(&f->c);
	conf_init(&f->c);
	char text[300];
	snprintf(text, sizeof(text), "zone-dir %s\nzone c.test\n", sub);
	const char *p = put_file(f, "zd.conf", text);
	assert_int_equal(load_capture(f, L_CONF, p), 0);
	assert_int_equal(f->c.nzones, 3);
	assert_string_equal(f->c.zone_dir, sub);
	/* A zone both in the folder and in a statement is an error. */
	conf_free(&f->c);
	conf_init(&f->c);
	snprintf(text, sizeof(text), "zone a.test\nzone-dir %s\n", sub);
	p = put_file(f, "zd2.conf", text);
	assert_int_equal(load_capture(f, L_CONF, p), DNSD_ECONF);
	/* A folder that is not there. */
	conf_free(&f->c);
	conf_init(&f->c);
	snprintf(text, sizeof(text), "%s/missing", f->dir);
	assert_int_equal(conf_add_zone_dir(&f->c, text), DNSD_ECONF);
}

static void
test_add_zone(void **state)
{
	struct fx *f = *state;
	struct conf *c = &f->c;
	assert_int_equal(conf_add_zone(c, "svc.example.test:/tmp/svc.zone"), 0);
	assert_int_equal(conf_add_zone(c, "Other.Test."), 0);
	assert_int_equal(c->nzones, 2);
	assert_string_equal(c->zones[0].file, "/tmp/svc.zone");
	assert_null(c->zones[1].file);
	/* The apex is stored lower case. */
	assert_memory_equal(c->zones[1].apex, "\x05" "other" "\x04" "test", 12);
	assert_int_not_equal(conf_add_zone(c, "OTHER.test"), 0); /* twice */
	assert_int_not_equal(conf_add_zone(c, "a..b"), 0);
	assert_int_not_equal(conf_add_zone(c, ":/tmp/x"), 0);
	assert_int_equal(c->nzones, 2);
}

static void
test_finish(void **state)
{
	struct fx *f = *state;
	/* No zone: nothing to serve. */
	assert_int_equal(load_capture(f, L_FINISH, NULL), DNSD_ECONF);
	assert_non_null(strstr(f->err, "no zones"));

	/* Defaults filled in. */
	unsetenv("STATE_DIRECTORY");
	conf_free(&f->c);
	conf_init(&f->c);
	assert_int_equal(f->c.edns_max, 1232);
	assert_int_equal(f->c.udp_coalesce_us, 50);
	assert_int_equal(f->c.udp_coalesce_rate, 100000);
	assert_true(f->c.workers >= 1);
	assert_int_equal(conf_add_zone(&f->c, "a.test"), 0);
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	assert_int_equal(f->c.nlisten, 1);
	assert_int_equal(f->c.listen[0].port, 53);
	assert_memory_equal(f->c.listen[0].addr, "\x7f\x00\x00\x01", 4);
	/* The store: $localstatedir/lib/dnsd, or systemd's StateDirectory. */
	assert_string_equal(f->c.store_dir, conf_default_store());
	assert_non_null(strstr(conf_default_store(), "/lib/dnsd"));
	/* The pid file: in the store. */
	char pid[4200];
	snprintf(pid, sizeof(pid), "%s/dnsd.pid", f->c.store_dir);
	assert_string_equal(f->c.pid_file, pid);
	assert_true(match4(&f->c.forward_allow, "127.0.0.1"));
	assert_false(match4(&f->c.forward_allow, "192.0.2.1"));
	conf_free(&f->c);
	conf_init(&f->c);
	setenv("STATE_DIRECTORY", "/var/lib/dnsd-unit:/var/lib/other", 1);
	assert_string_equal(conf_default_store(), "/var/lib/dnsd-unit");
	assert_int_equal(conf_add_zone(&f->c, "a.test"), 0);
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	assert_string_equal(f->c.store_dir, "/var/lib/dnsd-unit");
	assert_string_equal(f->c.pid_file, "/var/lib/dnsd-unit/dnsd.pid");
	unsetenv("STATE_DIRECTORY");

	/* Names of keys that do not exist; a zone file that cannot be read. */
	const char *cases[] = {
		"zone a.test { grant nokey name a.test }\n",
		"zone a.test { allow-transfer key nokey }\n",
		"zone a.test { notify 192.0.2.1 key nokey }\n",
		"zone a.test { file does-not-exist.zone }\n",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_free(&f->c);
		conf_init(&f->c);
		const char *p = put_file(f, "fin.conf", cases[i]);
		assert_int_equal(load_capture(f, L_CONF, p), 0);
		if (load_capture(f, L_FINISH, NULL) != DNSD_ECONF)
			fail_msg("accepted: %s", cases[i]);
		assert_true(strlen(f->err) > 0);
	}
}

/* Every path of a configuration file is relative to that file's folder,
 * whatever the current folder; command-line paths are made absolute
 * against the current folder. */
static void
test_relative_paths(void **state)
{
	struct fx *f = *state;
	char sub[128], want[512];
	snprintf(sub, sizeof(sub), "%s/etc", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(want, sizeof(want), "%s/etc/zd", f->dir);
	assert_int_equal(mkdir(want, 0700), 0);
	put_file(f, "etc/zd/d.test.zone", "; empty\n");
	put_file(f, "etc/a.zone", "; empty\n");
	put_file(f, "etc/inc.conf", "zone b.test { file a.zone }\n");
	const char *p = put_file(f, "etc/dnsd.conf",
	    "store \"db\"\npid-file run/dnsd.pid\nzone a.test { file a.zone }\n"
	    "include inc.conf\nzone-dir zd\n");
	/* From another folder, by a relative name of the file. */
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	int rc = load_capture(f, L_CONF, "etc/dnsd.conf");
	int rc2 = rc == 0 ? load_capture(f, L_FINISH, NULL) : -1;
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(rc2, 0);
	(void)p;
	snprintf(want, sizeof(want), "%s/etc/db", f->dir);
	assert_string_equal(f->c.store_dir, want);
	snprintf(want, sizeof(want), "%s/etc/run/dnsd.pid", f->dir);
	assert_string_equal(f->c.pid_file, want);
	assert_int_equal(f->c.nzones, 3);
	snprintf(want, sizeof(want), "%s/etc/a.zone", f->dir);
	assert_string_equal(f->c.zones[0].file, want);
	assert_string_equal(f->c.zones[1].file, want); /* from the included file */
	snprintf(want, sizeof(want), "%s/etc/zd/d.test.zone", f->dir);
	assert_string_equal(f->c.zones[2].file, want);

	/* conf_abspath: against the current folder. */
	char *a = conf_abspath("x/y");
	snprintf(want, sizeof(want), "%s/x/y", cwd);
	assert_string_equal(a, want);
	free(a);
	a = conf_abspath("./z");
	snprintf(want, sizeof(want), "%s/z", cwd);
	assert_string_equal(a, want);
	free(a);
	a = conf_abspath("/abs");
	assert_string_equal(a, "/abs");
	free(a);
	/* The default file is $sysconfdir/dnsd/dnsd.conf. */
	assert_non_null(strstr(conf_default_path(), "/dnsd/dnsd.conf"));
	assert_true(conf_default_path()[0] == '/');
}

/* conf_restart_changes names exactly the restart-only settings that moved. */
static void
test_restart_changes(void **state)
{
	struct fx *f = *state;
	struct conf b;
	const char *names[16];
	conf_init(&b);
	assert_int_equal(conf_add_zone(&f->c, "a.test"), 0);
	assert_int_equal(conf_add_zone(&b, "a.test"), 0);
	assert_int_equal(conf_add_listen(&f->c, "127.0.0.1@5300"), 0);
	assert_int_equal(conf_add_listen(&b, "127.0.0.1@5300"), 0);
	f->c.store_dir = strdup("/s");
	b.store_dir = strdup("/s");
	b.workers = f->c.workers;
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	assert_int_equal(conf_finish(&b), 0);
	assert_int_equal(conf_restart_changes(&f->c, &b, names, 16), 0);
	/* Live settings do not count. */
	b.edns_max = 4096;
	b.tcp_max = 7;
	b.log_level = LOG_LVL_DEBUG;
	assert_int_equal(conf_restart_changes(&f->c, &b, names, 16), 0);
	/* Restart-only ones do. */
	b.workers = f->c.workers + 1;
	b.listen[0].port = 5301;
	free(b.store_dir);
	b.store_dir = strdup("/t");
	assert_int_equal(conf_restart_changes(&f->c, &b, names, 16), 3);
	assert_string_equal(names[0], "listen");
	assert_string_equal(names[1], "workers");
	assert_string_equal(names[2], "store");
	assert_int_equal(conf_restart_changes(&f->c, &b, names, 1), 3); /* counts past max */
	conf_free(&b);
}

static void
test_numbers(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *text;
		uint64_t want;
		int what; /* 0 default-lease, 1 store-size, 2 tcp-idle (ms) */
	} ok[] = {
		{ "zone a.test { default-lease 90 }", 90, 0 },
		{ "zone a.test { default-lease 90s }", 90, 0 },
		{ "zone a.test { default-lease 2m }", 120, 0 },
		{ "zone a.test { default-lease 3h }", 10800, 0 },
		{ "zone a.test { default-lease 2d }", 172800, 0 },
		{ "zone a.test { default-lease 1w }", 604800, 0 },
		{ "zone a.test { default-lease 4294967295 }", 4294967295u, 0 },
		{ "store-size 512k", 524288, 1 },
		{ "store-size 64M", 64ULL << 20, 1 },
		{ "store-size 2g", 2ULL << 30, 1 },
		{ "store-size 1000", 1000, 1 },
		{ "tcp-idle-timeout 30", 30000, 2 },
		{ "tcp-idle-timeout 1m", 60000, 2 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		conf_free(&f->c);
		conf_init(&f->c);
		const char *p = put_file(f, "n.conf", ok[i].text);
		if (load_capture(f, L_CONF, p) != 0)
			fail_msg("%s: %s", ok[i].text, f->err);
		uint64_t got = ok[i].what == 0 ? f->c.zones[0].default_lease
		             : ok[i].what == 1 ? f->c.store_size
		                               : f->c.tcp_idle_ms;
		if (got != ok[i].want)
			fail_msg("%s: got %llu", ok[i].text, (unsigned long long)got);
	}
	const char *bad[] = {
		"zone a.test { default-lease 4294967296 }",
		"zone a.test { default-lease 5000000000d }",
		"zone a.test { default-lease -5 }",
		"zone a.test { default-lease 5k }", /* a size is not a duration */
		"zone a.test { default-lease 1.5h }",
		"zone a.test { default-lease h }",
		"zone a.test { default-lease 10hh }",
		"store-size 1w",
		"store-size 18446744073709551616",
		"workers 257",
		"tcp-idle-timeout 2d",
		"tcp-idle-timeout 0",
		"tcp-max-connections 0",
		"udp-coalesce 1001",
		"udp-coalesce 5ms",
		"udp-coalesce 50 0",
		"udp-coalesce 50 1000 2",
		"edns-max 65536",
		"zone a.test { journal-size x }",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_free(&f->c);
		conf_init(&f->c);
		const char *p = put_file(f, "n.conf", bad[i]);
		if (load_capture(f, L_CONF, p) != DNSD_ECONF)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(f->err, "n.conf:1: "));
	}
}

/* Each keyword belongs to one or more levels; elsewhere it is unknown, with
 * the message of the level it was found at. */
static void
test_levels(void **state)
{
	struct fx *f = *state;
	expect_error(f, "zone a.test {\n workers 2\n}\n", 2, "workers: unknown zone setting");
	expect_error(f, "key k {\n algorithm hmac-sha256; secret x\n grant * zone\n}\n", 3,
	    "grant: unknown key setting");
	expect_error(f, "\nalgorithm hmac-sha256\n", 2, "algorithm: unknown setting");
	expect_error(f, "journal-size 5\n", 1, "journal-size: unknown setting");
	expect_error(f, "zone a.test { zone b.test }\n", 1, "zone: unknown zone setting");
	expect_error(f, "zone a.test {\n include x.conf\n}\n", 2, "include: unknown zone setting");
	expect_error(f, "key k { algorithm a; secret s; max-records 1; file x; }\n", 1,
	    "file: unknown key setting");
	/* Keywords are lower case. */
	expect_error(f, "Workers 2\n", 1, "Workers: unknown setting");

	/* min-lease and max-lease are both zone and key settings. */
	conf_free(&f->c);
	conf_init(&f->c);
	const char *p = put_file(f, "lv.conf",
	    "key k { algorithm hmac-sha256; secret \"" SECRET "\"; min-lease 1m; max-lease 2m }\n"
	    "zone a.test { min-lease 3m; max-lease 4m }\n"
	    "edns-buffer-size 4096\n");
	assert_int_equal(load_capture(f, L_CONF, p), 0);
	assert_int_equal(f->c.keys[0].min_lease, 60);
	assert_int_equal(f->c.keys[0].max_lease, 120);
	assert_int_equal(f->c.zones[0].min_lease, 180);
	assert_int_equal(f->c.zones[0].max_lease, 240);
	/* A synonym sets the same field. */
	assert_int_equal(f->c.edns_max, 4096);
}

/* Where a number has a floor, the value below it is refused with its own
 * message, and the floor itself is taken. */
static void
test_number_floors(void **state)
{
	struct fx *f = *state;
	expect_error(f, "answer-cache 4095\n", 1, "answer-cache: must be 0 (off) or at least 4k");
	expect_error(f, "answer-cache 2T\n", 1, "answer-cache: not a size");
	expect_error(f, "answer-cache 1025G\n", 1, "answer-cache: not a number in range");
	expect_error(f, "workers 0\n", 1, "workers: must be 1 to 256");
	expect_error(f, "edns-buffer-size 511\n", 1, "edns-buffer-size: must be at least 512");
	expect_error(f, "tcp-idle-timeout 0s\n", 1, "tcp-idle-timeout: must be at least 1 second");
	expect_error(f, "tcp-max-connections 0\n", 1, "tcp-max-connections: must be at least 1");
	expect_error(f, "udp-coalesce 50 0\n", 1, "the rate must be at least 1 query per second");
	expect_error(f, "store\n", 1, "store: needs one value");
	expect_error(f, "udp-coalesce\n", 1, "udp-coalesce: wrong number of values");

	const struct {
		const char *text;
		uint64_t want;
		int what; /* 0 answer-cache, 1 workers, 2 edns-max, 3 tcp-idle (ms), 4 tcp-max */
	} ok[] = {
		{ "answer-cache 0", 0, 0 },
		{ "answer-cache 4k", 4096, 0 },
		{ "answer-cache 1024G", 1ULL << 40, 0 },
		{ "workers 1", 1, 1 },
		{ "workers 256", 256, 1 },
		{ "edns-max 512", 512, 2 },
		{ "edns-max 65535", 65535, 2 },
		{ "tcp-idle-timeout 1d", 86400000, 3 },
		{ "tcp-max-connections 1000000", 1000000, 4 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		conf_free(&f->c);
		conf_init(&f->c);
		const char *p = put_file(f, "fl.conf", ok[i].text);
		if (load_capture(f, L_CONF, p) != 0)
			fail_msg("%s: %s", ok[i].text, f->err);
		uint64_t got = ok[i].what == 0 ? f->c.answer_cache
		             : ok[i].what == 1 ? f->c.workers
		             : ok[i].what == 2 ? f->c.edns_max
		             : ok[i].what == 3 ? f->c.tcp_idle_ms
		                               : f->c.tcp_max;
		if (got != ok[i].want)
			fail_msg("%s: got %llu", ok[i].text, (unsigned long long)got);
	}
}

struct rows {
	size_t n, top, zone, key, token, cluster;
	bool seen_workers, seen_zone_min, seen_key_min;
	const char *bad_man;
};

static int
count_row(const char *kw, const char *level, const char *man, void *arg)
{
	struct rows *r = arg;
	r->n++;
	if (strcmp(level, "top") == 0)
		r->top++;
	else if (strcmp(level, "zone") == 0)
		r->zone++;
	else if (strcmp(level, "key") == 0)
		r->key++;
	else if (strcmp(level, "token") == 0)
		r->token++;
	else if (strcmp(level, "cluster") == 0)
		r->cluster++;
	r->seen_workers |= strcmp(level, "top") == 0 && strcmp(kw, "workers") == 0;
	r->seen_zone_min |= strcmp(level, "zone") == 0 && strcmp(kw, "min-lease") == 0;
	r->seen_key_min |= strcmp(level, "key") == 0 && strcmp(kw, "min-lease") == 0;
	if (man == NULL || strcmp(man, "dnsd.conf(5)") != 0)
		r->bad_man = kw;
	return 0;
}

static int
stop_at_third(const char *kw, const char *level, const char *man, void *arg)
{
	(void)kw, (void)level, (void)man;
	return ++*(int *)arg == 3 ? 42 : 0;
}

/* Every row the table walk reports is a keyword the parser knows at that
 * level: given no value, it fails for its own reason, never as unknown. */
static int
row_is_known(const char *kw, const char *level, const char *man, void *arg)
{
	struct fx *f = arg;
	(void)man;
	char text[256];
	if (strcmp(level, "top") == 0)
		snprintf(text, sizeof(text), "%s\n", kw);
	else if (strcmp(level, "cluster") == 0)
		snprintf(text, sizeof(text), "cluster {\n %s\n}\n", kw);
	else
		snprintf(text, sizeof(text), "%s x.test {\n %s\n}\n", level, kw);
	conf_free(&f->c);
	conf_init(&f->c);
	const char *p = put_file(f, "row.conf", text);
	load_capture(f, L_CONF, p);
	if (strstr(f->err, "unknown") != NULL)
		fail_msg("%s at level %s: %s", kw, level, f->err);
	return 0;
}

/* The cluster block: its settings, its defaults, and what it refuses. */
static void
test_cluster_block(void **state)
{
	struct fx *f = *state;
	put_file(f, "ca.pem", "not checked here\n");
	const char *path = put_file(f, "dnsd.conf",
	    "zone a.test\n"
	    "cluster {\n"
	    "    etcd http://127.0.0.1:2379 https://[::1]:2379\n"
	    "    etcd http://192.0.2.1:2379\n"
	    "    node n1\n"
	    "    user dnsd; password \"s3cret\"\n"
	    "}\n");
	assert_int_equal(load_capture(f, L_CONF, path), 0);
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	const struct conf_cluster *cl = &f->c.cluster;
	assert_true(cl->on);
	assert_int_equal(cl->netcd, 3);
	assert_string_equal(cl->etcd[1], "https://[::1]:2379");
	assert_string_equal(cl->node, "n1");
	assert_string_equal(cl->prefix, "/dnsd/"); /* the default */
	assert_string_equal(cl->password, "s3cret");

	/* Without a block: single-node mode. */
	conf_free(&f->c);
	conf_init(&f->c);
	path = put_file(f, "dnsd.conf", "zone a.test\n");
	assert_int_equal(load_capture(f, L_CONF, path), 0);
	assert_int_equal(load_capture(f, L_FINISH, NULL), 0);
	assert_false(f->c.cluster.on);

	expect_error(f, "cluster {\n etcd 127.0.0.1:2379\n}\n", 2, "http://");
	expect_error(f, "cluster {\n etcd\n}\n", 2, "URL");
	expect_error(f, "cluster {\n bogus 1\n}\n", 2, "unknown cluster setting");
	expect_error(f, "cluster x { etcd http://a:1 }\n", 1, "expects");
	expect_error(f, "cluster { etcd http://a:1 }\ncluster { etcd http://b:1 }\n", 2,
	    "only one");
	/* checked once the whole file is read */
	static const char *const unfinished[][2] = {
		{ "zone a.test\ncluster { prefix /x/ }\n", "no etcd members" },
		{ "zone a.test\ncluster { etcd http://a:1; user u }\n", "user and password" },
		{ "zone a.test\ncluster { etcd http://a:1; ca-file /nonexistent/ca.pem }\n",
		    "cannot read" },
		{ "zone a.test\ncluster { etcd http://a:1; cert-file /etc/hostname }\n",
		    "cert-file and key-file" },
	};
	for (size_t i = 0; i < sizeof(unfinished) / sizeof(unfinished[0]); i++) {
		conf_free(&f->c);
		conf_init(&f->c);
		path = put_file(f, "dnsd.conf", unfinished[i][0]);
		assert_int_equal(load_capture(f, L_CONF, path), 0);
		assert_int_equal(load_capture(f, L_FINISH, NULL), DNSD_ECONF);
		if (strstr(f->err, unfinished[i][1]) == NULL)
			fail_msg("want \"%s\" in: %s", unfinished[i][1], f->err);
	}
}

static void
test_settings_foreach(void **state)
{
	struct rows r = { 0 };
	assert_int_equal(conf_settings_foreach(count_row, &r), 0);
	assert_true(r.n >= 30);
	assert_int_equal(r.n, r.top + r.zone + r.key + r.token + r.cluster);
	assert_int_equal(r.token, 2); /* token NAME { secret; key; } */
	assert_int_equal(r.cluster, 8);
	assert_true(r.seen_workers && r.seen_zone_min && r.seen_key_min);
	if (r.bad_man != NULL)
		fail_msg("%s: not documented in dnsd.conf(5)", r.bad_man);
	int calls = 0;
	assert_int_equal(conf_settings_foreach(stop_at_third, &calls), 42);
	assert_int_equal(calls, 3);
	assert_int_equal(conf_settings_foreach(row_is_known, *state), 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_example_conf),
		T(test_full_conf),
		T(test_errors_name_file_line),
		T(test_comments_and_lines),
		T(test_bind_key_file),
		T(test_cluster_block),
		cmocka_unit_test(test_addresses),
		T(test_acl_match),
		T(test_acl_match_sockaddr),
		T(test_zone_dir),
		T(test_add_zone),
		T(test_finish),
		T(test_relative_paths),
		T(test_restart_changes),
		T(test_numbers),
		T(test_levels),
		T(test_number_floors),
		T(test_settings_foreach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
