/* update.h -- internals shared by the dnsd-update sources (not installed) */
#ifndef DNSD_TOOLS_UPDATE_H
#define DNSD_TOOLS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

/* Exit statuses of dnsd-update; the functions below return them too. */
enum upd_status {
	UPD_OK = 0,
	UPD_EDNS = 1,   /* the server said no, timed out or could not be reached */
	UPD_EUSAGE = 2, /* bad arguments, bad key file: nothing was sent */
};

#define UPD_ERRLEN 512

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
 * _services PTR if this was the service's last instance. Returns an exit
 * status (of the first UPDATE). */
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
 * Lease option when the client asks for one. Returns UPD_OK, or UPD_EDNS
 * with a message in err. Free with upd_msg_clear(). */
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
 * prerequisite and update sections, adding the Update Lease option when
 * the client asks for one. Verifies the response's TSIG. The lists stay
 * the caller's. Returns UPD_OK, or UPD_EDNS with one line in err
 * ("REFUSED (TSIG error BADKEY)"). res may be NULL. */
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
