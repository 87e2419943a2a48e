/* update.h -- internals shared by the dnsd-update sources (not installed) */
#ifndef DNSD_TOOLS_UPDATE_H
#define DNSD_TOOLS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ldns/ldns.h>

/* Exit statuses of dnsd-update; the functions below return them too. */
enum upd_status {
	UPD_OK = 0,
	UPD_EDNS = 1,   /* the server said no, timed out or could not be reached */
	UPD_EUSAGE = 2, /* bad arguments, bad key file: nothing was sent */
};

#define UPD_ERRLEN 512

/* Health as Consul has it, with the values the DNSD-HEALTH option
 * carries (update-health.c): warning instances stay in answers, critical
 * ones leave them. */
enum upd_health { UPD_PASSING = 0, UPD_WARNING = 1, UPD_CRITICAL = 2 };

/* DNSD-HEALTH: EDNS option code (private use, RFC 6891 section 9) and the
 * longest text it carries after the state byte. */
#define UPD_EDNS_HEALTH 65401
#define UPD_HEALTH_TEXT_MAX 255

/* A TSIG key in the form ldns_pkt_tsig_sign() takes. */
struct upd_key {
	char *name;   /* absolute, "registrar.key." */
	char *alg;    /* ldns spelling, "hmac-sha256." */
	char *secret; /* base64, as in the key file */
};

/* Where UPDATEs and look-ups go, and how. */
struct upd_client {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char server[128];    /* "127.0.0.1@5300", for messages */
	struct upd_key key;  /* key.name == NULL: send unsigned */
	int timeout_ms;      /* whole exchange, retries and TCP included */
	bool tcp;            /* skip UDP */
	bool lease_set;      /* send the Update Lease option (RFC 9664) */
	uint32_t lease;      /* LEASE, seconds */
	bool key_lease_set;  /* send the 8-byte form */
	uint32_t key_lease;  /* KEY-LEASE, seconds */
	bool health_set;     /* send DNSD-HEALTH (keepalive, run) */
	enum upd_health health;
	char health_text[UPD_HEALTH_TEXT_MAX + 1]; /* cleaned: upd_health_text() */
	int verbose;
	int debug;           /* print messages as sent and received */
};

/* What a successful UPDATE brought back. */
struct upd_result {
	bool lease_granted;      /* the response carried an Update Lease */
	uint32_t lease;
	bool key_lease_granted;
	uint32_t key_lease;
	uint64_t latency_us;     /* request sent to response read */
};

/* A service instance as `register` describes it (RFC 6763, RFC 2782). */
struct upd_instance {
	const char *service;   /* "web": the label under "_web._tcp" */
	const char *instance;  /* "web-1": instance label and host label */
	ldns_rdf *domain;      /* where the names live (owned) */
	bool udp;              /* _udp instead of _tcp */
	uint16_t port, priority, weight;
	uint32_t ttl;
	ldns_rdf **addrs;      /* A and AAAA rdfs (owned) */
	size_t naddrs;
	const char **txt;      /* TXT strings; none: one empty string */
	size_t ntxt;
	const char **subtypes; /* "v2" for _v2._sub._web._tcp */
	size_t nsubtypes;
};

/* The subcommands; UPD_CMD_BATCH (no subcommand) reads stdin. */
enum upd_cmd { UPD_CMD_BATCH, UPD_CMD_REGISTER, UPD_CMD_RENEW,
	UPD_CMD_DEREGISTER, UPD_CMD_KEEPALIVE, UPD_CMD_RUN, UPD_CMD_BENCH };

/* A check that keepalive and run perform next to the instance. */
enum upd_check_kind {
	UPD_CHECK_HTTP,  /* GET URL: 2xx passing, 429 warning, else critical */
	UPD_CHECK_TCP,   /* connect to HOST:PORT: passing if it succeeds */
	UPD_CHECK_EXEC,  /* sh -c CMD: exit 0 passing, 1 warning, else critical */
	UPD_CHECK_CHILD, /* run's command: running passing, stopped critical */
};

struct upd_check_spec {
	enum upd_check_kind kind;
	const char *target; /* URL, HOST:PORT or CMD (argv's) */
};

/* The command line, as upd_args_parse() leaves it. */
struct upd_opts {
	struct upd_client c;
	enum upd_cmd cmd;
	const char *zone;
	unsigned long ttl;
	bool ttl_set;
	bool udp;
	unsigned long priority, weight;
	const char **txt, **subtypes, **aaaa;
	size_t ntxt, nsubtypes, naaaa;
	unsigned long bench_n, bench_c;
	bool bench_opts;
	struct upd_check_spec *checks; /* --check-http, --check-tcp, --check-exec */
	size_t nchecks;
	uint64_t check_interval_ms, check_timeout_ms, grace_ms;
	bool interval_set, timeout_set, grace_set;
	char **pos;       /* positional arguments after the subcommand */
	int npos;
	char **command;   /* run: the command after -- */
	char **pos_alloc; /* what pos points into (freed by upd_opts_free) */
};

/* update-args.c */

/* Parses argv into o (zeroed by the caller). Options may come before or
 * after the subcommand's arguments; for run, everything after the first
 * "--" is the command. Returns UPD_OK, UPD_EUSAGE (after printing the
 * error), or -1 when --help/--version was handled. Free o with
 * upd_opts_free() in every case. */
int upd_args_parse(struct upd_opts *o, int argc, char **argv);
void upd_opts_free(struct upd_opts *o);

/* Prints "dnsd-update: " fmt (with arg) and the --help hint to stderr;
 * returns UPD_EUSAGE. */
int upd_usage_error(const char *fmt, const char *arg);

/* Fills in from SERVICE INSTANCE [ADDRESS PORT] in o->pos (addr_needed:
 * the last two are required) and the reg-options, and finds the zone: -z,
 * else the SOA of the qualified service's name, asked of the server.
 * Returns UPD_OK with *in and *zone set (free them with
 * upd_instance_free() and ldns_rdf_deep_free()), UPD_EUSAGE or UPD_EDNS
 * with the error printed. */
int upd_instance_from_args(const struct upd_opts *o, struct upd_instance *in,
    ldns_rdf **zone, bool addr_needed);
void upd_instance_free(struct upd_instance *in);

/* update-register.c */

/* register and renew: sends the instance's records (one UPDATE) and
 * prints the granted lease to out (stdout for register; NULL for a
 * renewal: stderr and only with -v). Returns an exit status. */
int upd_register(const struct upd_client *c, const struct upd_instance *in,
    const ldns_rdf *zone, struct upd_result *res, FILE *out);

/* deregister: with ADDRESS PORT, deletes exactly what register with the
 * same arguments added; without, first reads the instance's SRV and its
 * host's A and AAAA from the server (into in->addrs). Then removes the
 * _services PTR if this was the service's last instance. No DNSD-HEALTH
 * goes with it. Returns an exit status (of the first UPDATE). */
int upd_deregister(const struct upd_client *c, struct upd_instance *in,
    const ldns_rdf *zone);

/* update-loop.c */

/* keepalive: registers (with a 30 s lease unless --lease), renews at 80%
 * of the granted lease until SIGTERM, SIGINT or SIGHUP, then deregisters.
 * Returns an exit status. */
int upd_keepalive(struct upd_opts *o, struct upd_instance *in,
    const ldns_rdf *zone);

/* run: registers as keepalive does, then runs o->command, renewing while
 * it runs and passing it the signals we get; deregisters when it exits.
 * Returns its exit status (128+N if signal N killed it). */
int upd_run(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone);

/* update-health.c -- pure: no sockets, no processes, no clock */

const char *upd_health_name(enum upd_health h);
enum upd_health upd_health_worst(enum upd_health a, enum upd_health b);

/* An HTTP check's status code (0: no response): 2xx passing, 429 warning,
 * anything else critical (Consul's HTTP check). */
enum upd_health upd_health_from_http(long status);

/* An exec check's end: exited with code (exited), or killed / timed out
 * (!exited): 0 passing, 1 warning, anything else critical (Consul's
 * script check). */
enum upd_health upd_health_from_exit(bool exited, int code);

/* The state letter of a /proc/PID/stat line ('R', 'S', 'T' ...), or -1
 * if the line is not one. */
int upd_proc_stat_state(const char *line, size_t len);

/* A process state letter (-1: gone): stopped (T, t), zombie or dead
 * (Z, X) is critical, anything else passing. */
enum upd_health upd_health_from_proc_state(int state);

/* Copies check output src[0..srclen) into dst (cap bytes) as the text
 * of the option: valid UTF-8 only (other bytes become '?'), control
 * characters as spaces, no leading or trailing blanks, at most
 * UPD_HEALTH_TEXT_MAX bytes, cut between characters. Returns its length
 * (dst is NUL-terminated). */
size_t upd_health_text(char *dst, size_t cap, const char *src, size_t srclen);

/* Writes the DNSD-HEALTH option data (state byte, then text, which the
 * caller has cleaned) to out; returns its length. */
size_t upd_health_option(uint8_t out[1 + UPD_HEALTH_TEXT_MAX],
    enum upd_health h, const char *text);

/* Parses a duration as Consul writes them ("10s", "1m30s", "1.5s",
 * "250ms", "2h"; a bare number is seconds) into milliseconds. Returns 0,
 * or -1 if s is not one. */
int upd_duration_parse(const char *s, uint64_t *ms);

/* Splits "host:port" or "[v6addr]:port" (port 1-65535). Returns 0, or -1
 * if s is not of that form or a part does not fit. */
int upd_hostport_split(const char *s, char *host, size_t hostlen,
    char *port, size_t portlen);

/* When keepalive and run renew, report and stop renewing. Times are
 * milliseconds on one monotonic clock, passed in. */
struct upd_hm {
	enum upd_health state;   /* the last result */
	bool known;              /* a result has come in */
	bool ever_ok;            /* some result was passing or warning */
	bool suspended;          /* renewals stopped: critical past the grace */
	uint64_t critical_since; /* when state became critical */
	uint64_t grace_ms;       /* --critical-grace */
};

enum upd_hm_action {
	UPD_HM_NONE,    /* nothing to send */
	UPD_HM_RENEW,   /* send the registration (with the state) now */
	UPD_HM_SUSPEND, /* stop renewing: let the lease run out */
};

/* Checks run this often until one has passed, if the interval is longer. */
#define UPD_HM_START_EVERY_MS 1000

void upd_hm_init(struct upd_hm *m, uint64_t grace_ms);

/* A new result h at now. RENEW when it must be reported at once: the
 * first result, a change of state, or a critical instance whose renewals
 * had stopped passing again (they resume). */
enum upd_hm_action upd_hm_result(struct upd_hm *m, enum upd_health h,
    uint64_t now);

/* A scheduled renewal is due at now: RENEW, SUSPEND once the state has
 * been critical for longer than the grace (then NONE until a result
 * that is not critical). */
enum upd_hm_action upd_hm_renewal_due(struct upd_hm *m, uint64_t now);

/* How long from one round of checks to the next. */
uint64_t upd_hm_check_every(const struct upd_hm *m, uint64_t interval_ms);

/* update-check.c -- running checks: processes, sockets, libcurl */

struct upd_checks;

/* A round's outcome: the worst state, and the output of the check that
 * gave it (cleaned for the option). */
struct upd_check_outcome {
	enum upd_health state;
	char text[UPD_HEALTH_TEXT_MAX + 1];
};

/* Sets up the checks (specs are copied; the strings stay argv's), each
 * round bounded by timeout_ms; resolves TCP targets and validates URLs.
 * Returns UPD_OK, or UPD_EUSAGE with a message in err. */
int upd_checks_new(struct upd_checks **out, const struct upd_check_spec *specs,
    size_t n, uint64_t timeout_ms, char *err);

/* Kills what still runs (SIGKILL to each exec check's process group),
 * reaps it (bounded) and frees. NULL is fine. */
void upd_checks_free(struct upd_checks *cs);

/* run: the command's pid for UPD_CHECK_CHILD. */
void upd_checks_set_child(struct upd_checks *cs, pid_t pid);

/* Starts a round of every check at now. */
void upd_checks_start(struct upd_checks *cs, uint64_t now);
bool upd_checks_running(const struct upd_checks *cs);

/* Waits until one of extra[] (the caller's descriptors, revents set on
 * return), a check's descriptor or deadline (ms), then moves the checks
 * on: output read, connects finished, transfers done, processes reaped,
 * overdue ones stopped. Returns poll()'s sign: -1 EINTR, 0, 1. */
int upd_checks_wait(struct upd_checks *cs, struct pollfd *extra, size_t nextra,
    uint64_t deadline);

/* True once, when the round just finished, with its outcome. */
bool upd_checks_done(struct upd_checks *cs, struct upd_check_outcome *o);

/* The state of process pid now, from /proc/PID/stat, and a line saying
 * so ("process 42 is stopped (T)"). */
enum upd_health upd_child_health(pid_t pid, char *text, size_t len);

/* update-key.c */

/* Reads a BIND-style key file (`key "n" { algorithm a; secret "s"; };`)
 * into *key. Returns UPD_OK or UPD_EUSAGE with a message in err. */
int upd_key_read_file(struct upd_key *key, const char *path, char *err);

/* Sets *key from "[alg:]name" and a base64 secret (the parts of -y and of
 * the batch `key` line); alg defaults to hmac-sha256. Returns UPD_OK or
 * UPD_EUSAGE with a message in err. */
int upd_key_parse(struct upd_key *key, const char *name_part,
    const char *secret, char *err);

/* Frees what a key holds and clears it. */
void upd_key_clear(struct upd_key *key);

/* update-net.c */

/* Parses "ADDR[@PORT]" (IPv4, IPv6 or a host name; default port 53) into
 * the client's address. Returns UPD_OK or UPD_EUSAGE. */
int upd_server_parse(struct upd_client *c, const char *spec, char *err);

/* Sends the message q and returns the first matching response in *resp
 * (caller frees): over UDP, then over TCP if it came back truncated
 * (RFC 1035 section 4.2.1), or straight over TCP when c->tcp is set or q
 * is too big for UDP; all within c->timeout_ms. Returns UPD_OK, or
 * UPD_EDNS with a message in err (the caller adds where). */
int upd_exchange(const struct upd_client *c, const uint8_t *q, size_t qlen,
    uint8_t **resp, size_t *rlen, char *err);

/* Microseconds on a monotonic clock: the one clock the tool reads. */
uint64_t upd_now_us(void);

/* update-send.c */

/* One UPDATE message ready to send: its bytes, and the request MAC that
 * the response's TSIG covers (NULL when unsigned). */
struct upd_msg {
	uint8_t *wire;
	size_t len;
	ldns_rdf *mac;
};

/* Builds and signs (if a key is set) one UPDATE for zone, with the Update
 * Lease option and DNSD-HEALTH when the client asks for them. Returns
 * UPD_OK, or UPD_EDNS with a message in err. Free with upd_msg_clear(). */
int upd_build_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_msg *m, char *err);
void upd_msg_clear(struct upd_msg *m);

/* Checks the response to m: an UPDATE response with RCODE NOERROR whose
 * TSIG (when m was signed) verifies. Fills res's lease fields (res may be
 * NULL). Returns UPD_OK, or UPD_EDNS with one line in err that ends with
 * "(where)". */
int upd_check_response(const struct upd_client *c, const struct upd_msg *m,
    const uint8_t *rwire, size_t rlen, const char *where,
    struct upd_result *res, char *err);

/* Signs (if a key is set) and sends one UPDATE for zone with the given
 * prerequisite and update sections, adding the Update Lease option and
 * DNSD-HEALTH when the client asks for them. Verifies the response's
 * TSIG. The lists stay the caller's. Returns UPD_OK, or UPD_EDNS with one
 * line in err ("REFUSED (TSIG error BADKEY)"). res may be NULL. */
int upd_send_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_result *res, char *err);

/* Sends one unsigned query and returns the response in *resp (caller
 * frees) whatever its RCODE. Returns UPD_OK or UPD_EDNS. */
int upd_query(const struct upd_client *c, const ldns_rdf *name,
    ldns_rr_type type, ldns_pkt **resp, char *err);

/* Finds the zone that holds name by asking the server for its SOA
 * (RFC 2136 section 4: the owner of the SOA in the answer or authority
 * section). Returns UPD_OK with *zone (caller frees) or UPD_EDNS. */
int upd_find_zone(const struct upd_client *c, const ldns_rdf *name,
    ldns_rdf **zone, char *err);

/* Name of an RCODE, extended RCODEs included ("NOTAUTH", "BADVERS"). */
const char *upd_rcode_name(unsigned rcode, char *buf, size_t len);

/* update-msg.c */

/* The records `register` and `renew` add, in one list (caller frees with
 * ldns_rr_list_deep_free). NULL when out of memory. */
ldns_rr_list *upd_register_rrs(const struct upd_instance *in);

/* The deletions `deregister` sends. srvs holds the SRV RRs the instance
 * has (their RDATA names the shared _svc._proto SRV RRs to delete);
 * in->addrs the host's addresses. */
ldns_rr_list *upd_deregister_rrs(const struct upd_instance *in,
    const ldns_rr_list *srvs);

/* The second UPDATE of `deregister`: delete the _services._dns-sd._udp
 * PTR of the service type, on condition (prerequisite "RRset does not
 * exist") that no browse PTR is left at _web._tcp.D, so that it goes
 * with the last instance and never before. Returns 0 with both lists
 * set (caller frees), or -1 when out of memory. */
int upd_deregister_type_rrs(const struct upd_instance *in,
    ldns_rr_list **prereq, ldns_rr_list **updates);

/* Owner names of an instance; the caller frees them. */
ldns_rdf *upd_name_service(const struct upd_instance *in);  /* _web._tcp.D */
ldns_rdf *upd_name_instance(const struct upd_instance *in); /* web-1._web._tcp.D */
ldns_rdf *upd_name_host(const struct upd_instance *in);     /* web-1.D */

/* True if s is a usable single label of 1..63 letters, digits, '-' and
 * (if underscore) '_'. */
bool upd_label_ok(const char *s, bool underscore);

/* update-batch.c */

/* Reads nsupdate-like commands from f until EOF or quit and sends each
 * batch. c is the starting configuration (from the command line) and zone
 * the -z zone or NULL. Returns an exit status. */
int upd_batch_run(struct upd_client *c, const ldns_rdf *zone, FILE *f,
    const char *fname);

/* update-bench.c */

/* Sends n UPDATEs, each adding an SRV and an A RR for a fresh instance of
 * `service`, from `conc` threads; prints updates/s and latency. */
int upd_bench_run(const struct upd_client *c, const ldns_rdf *zone,
    const struct upd_instance *tmpl, unsigned long n, unsigned conc);

#endif /* DNSD_TOOLS_UPDATE_H */
