/* serve.c — `anzen serve`: wires storage, PKI, controllers and the HTTPS server together.
 * No logic lives here beyond flag parsing and start-up order. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <h2o.h>
#include "registry/apiserver.h"
#include "registry/binding.h"
#include "registry/eviction.h"
#include "admission/noderestriction.h"
#include "admission/podsecurity.h"
#include "admission/serviceaccount.h"
#include "analyze/served.h"
#include "authn/authn.h"
#include "authn/identity.h"
#include "authz/node.h"
#include "authz/rbac.h"
#include "authn/pki.h"
#include "cmd/cmd.h"
#include "controllers/controllers.h"
#include "controllers/leader.h"
#include "controllers/serviceaccount.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/prefilter.h"
#include "http/server.h"
#include "audit/audit.h"
#include "node/node.h"
#include "store/etcd.h"
#include "node/sandbox.h"
#include "store/store.h"
#include "registry/rest.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The bearer token authenticators, in order (client certificates are tried before them
 * and anonymous after them, as upstream's union authenticator does). */
static const struct token_authenticator *(*const authenticator_table[])(void) = {
    identity_token_authenticator,
};

/* The authorizer chain, in order (upstream --authorization-mode Node,RBAC); system:masters
 * is allowed before any of them (authz/authz.c). */
static const struct authorizer *(*const authorizer_table[])(void) = {
    node_authorizer,
    rbac_authorizer,
};

/* The admission plugins, in upstream's order (AllOrderedPlugins, the ones anzen has):
 * every mutating stage in this order, then every validating stage. NamespaceLifecycle is
 * the registry's own check (registry/rest.c). The RBAC escalation check is upstream's RBAC
 * registry strategy, kept as the last validating stage. */
static const struct admission_plugin *(*const admission_table[])(void) = {
    serviceaccount_admission,
    noderestriction_admission,
    podsecurity_admission,
    rbac_escalation_admission,
};

/* The handlers of the virtual (create-only, unstored) resources and subresources, which the
 * REST layer looks up by group, resource and subresource (registry/apiserver.h). */
static const struct virtual_handler virtual_handler_table[] = {
    {"", "pods", "binding", binding_create},
    {"", "pods", "eviction", eviction_create},
    {"", "serviceaccounts", "token", authn_token_request_create},
    {"authentication.k8s.io", "tokenreviews", NULL, authn_token_review_create},
    {"authentication.k8s.io", "selfsubjectreviews", NULL, authn_self_subject_review_create},
    {"authorization.k8s.io", "localsubjectaccessreviews", NULL, rbac_lsar_create},
    {"authorization.k8s.io", "selfsubjectaccessreviews", NULL, rbac_ssar_create},
    {"authorization.k8s.io", "selfsubjectrulesreviews", NULL, rbac_ssrr_create},
    {"authorization.k8s.io", "subjectaccessreviews", NULL, rbac_sar_create},
};

/* Extra GET routes outside the resource tree. */
static const struct http_route route_table[] = {
    {"/.well-known/openid-configuration", oidc_get_config}, /* spec/11 */
    {"/openid/v1/jwks", oidc_get_jwks},
    {ANALYZE_SERVED_PATH, analyze_served_get}, /* read-only: issue 15 */
};

/* The in-process controllers (each writes as its own identity through client/client.h).
 * start runs once on every replica (subscriptions); leader_only ones are
 * kube-controller-manager's and act only on the replica holding the controller Lease
 * (controllers/leader.h); resync is their full pass over their inputs, run each time this
 * replica takes the Lease (once at start without election). */
static const struct {
    const char *name;
    void (*start)(struct apiserver *srv);
    void (*resync)(struct apiserver *srv); /* NULL: nothing to catch up */
    bool leader_only;
} controller_table[] = {
    {"compactor", compactor_start, NULL, false}, /* every replica; the store lets one compact */
    {"namespace", namespace_controller_start, namespace_controller_resync, true},
    {"garbage-collector", gc_controller_start, gc_controller_resync, true},
    {"job", job_controller_start, job_controller_resync, true},
    {"node-lifecycle", nodetaint_controller_start, nodetaint_controller_resync, true},
    {"serviceaccount+root-ca-cert-publisher", serviceaccount_controllers_watch,
     serviceaccount_controllers_resync, true},
    {"serviceaccount-token", tokens_controller_start, tokens_controller_resync, true},
    {"clusterrole-aggregation", clusterrole_aggregation_start, clusterrole_aggregation_resync, true},
};

static void start_controllers(struct apiserver *srv)
{
    for (size_t i = 0; i < NELEMS(controller_table); i++)
        controller_table[i].start(srv);
}

static void resync_controllers(struct apiserver *srv)
{
    for (size_t i = 0; i < NELEMS(controller_table); i++) {
        if (controller_table[i].leader_only && controller_table[i].resync != NULL) {
            log_debug("controllers: resync %s", controller_table[i].name);
            controller_table[i].resync(srv);
        }
    }
}

struct serve_opts {
    const char *data_dir;
    const char *listen;
    bool anonymous;
    bool http2;
    const char *issuer;
    const char *api_audiences;
    const char *sa_key_file;
    const char *sa_signing_key_file;
    const char *max_token_expiration;
    bool extend_token_expiration;
    long min_token_expiration;
    bool no_node;
    const char *node_name;
    long namespace_deletion_grace;
    struct etcd_config etcd;
    bool leader_elect;
    const char *lease_duration, *renew_deadline, *retry_period;
    const char *pod_cidr;
    const char *container_runtime;
    const char *image_dir;
    struct audit_config audit;
    long max_inflight, max_mutating_inflight;
    long long body_budget;
    long workers;
    long write_threads;
    const char *testing_stall_file;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: anzen serve [flags]\n"
            "  --data-dir DIR                 state, keys and kubeconfig (default .anzen)\n"
            "  --listen ADDR:PORT             HTTPS listen address (default 127.0.0.1:6443)\n"
            "  --anonymous-auth=BOOL          serve requests without credentials as system:anonymous (default false)\n"
            "  --http2=BOOL                   offer HTTP/2 through ALPN (default false; no rapid-reset protection)\n"
            "  --max-requests-inflight N      read-only requests served at once, then 429 (default 400, 0: no limit)\n"
            "  --max-mutating-requests-inflight N\n"
            "                                 mutating requests served at once, then 429 (default 200, 0: no limit)\n"
            "  --max-request-body-budget BYTES\n"
            "                                 request body bytes buffered at once, server-wide, then 429\n"
            "                                 (default 268435456, 0: no limit)\n"
            "  --workers N                    request event loops (default: the number of online CPUs)\n"
            "  --write-threads N              threads that run creates, updates, patches and deletes off the\n"
            "                                 request loops (default 64; 0: on the loops, where admission\n"
            "                                 does not wait for a namespace's new default ServiceAccount)\n"
            "  --testing-stall-file PATH      TESTING ONLY: while PATH exists, the control loop holds the\n"
            "                                 server's lock, as a controller busy that long would\n"
            "  --service-account-issuer URL   (default https://kubernetes.default.svc.cluster.local)\n"
            "  --api-audiences A,B            (default: the issuer)\n"
            "  --service-account-key-file F   extra verification keys (PEM)\n"
            "  --service-account-signing-key-file F\n"
            "  --service-account-max-token-expiration DURATION\n"
            "  --service-account-extend-token-expiration=BOOL (default true)\n"
            "  --testing-min-token-expiration SECONDS\n"
            "                                 TESTING ONLY: lowest expirationSeconds a TokenRequest may ask\n"
            "                                 for (default 600, as upstream); lets tests see expiry in seconds\n"
            "  --testing-namespace-deletion-grace SECONDS\n"
            "                                 TESTING ONLY: wait before a deleted namespace's content is\n"
            "                                 removed (default 5, as upstream's namespace controller)\n"
            "  --testing-clock-offset-file PATH\n"
            "                                 TESTING ONLY: move the server's clock forward by the whole seconds\n"
            "                                 written in PATH (read at every clock reading; default: no offset)\n"
            "  --no-node                      don't run the embedded node agent (pods stay Pending)\n"
            "  --node-name NAME               name of the embedded node (default: the host name)\n"
            "  --etcd-servers URL,URL         store in etcd (http(s)://HOST:PORT list) instead of DIR/anzen.db\n"
            "  --etcd-prefix PREFIX           etcd key prefix (default /registry)\n"
            "  --etcd-cafile F, --etcd-certfile F, --etcd-keyfile F\n"
            "                                 TLS to the etcd members\n"
            "  --testing-etcd-watch-delay MS  TESTING ONLY: hold each etcd watch event this long before it\n"
            "                                 reaches the cache (a lagging replica; consistent reads wait)\n"
            "  --testing-etcd-revision-delay MS  TESTING ONLY: hold each answer of the consistent-read\n"
            "                                 barrier's revision probe this long (a slow etcd round trip)\n"
            "  --leader-elect=BOOL            with --etcd-servers: run the controllers only on the replica holding\n"
            "                                 the Lease kube-system/kube-controller-manager (default true)\n"
            "  --leader-elect-lease-duration D, --leader-elect-renew-deadline D, --leader-elect-retry-period D\n"
            "                                 (default 15s, 10s, 2s, as kube-controller-manager)\n"
            "  --pod-cidr CIDR                IPv4 pod network of the node (default 10.88.0.0/24)\n"
            "  --container-runtime PATH       OCI runtime (default runc; crun on cgroup v2 hosts)\n"
            "  --image-dir DIR                the node's image store (default DATA_DIR/images)\n"
            "  --audit-log-path PATH          audit.k8s.io/v1 Event lines to PATH (\"-\": stdout)\n"
            "  --audit-policy-file F          audit.k8s.io/v1 Policy (YAML or JSON)\n"
            "  --audit-log-maxsize MB         rotate the audit log at this size (default 0: never)\n"
            "  --audit-log-maxbackup N        rotated audit logs kept (default 0: all)\n"
            "  -v, --v N                      log level 0-3 (default 2)\n");
}

/* Go's strconv.ParseBool truths; a bare flag (NULL) is true. */
static bool parse_bool(const char *s)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
    if (s == NULL)
        return true;
    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++)
        if (strcmp(s, truths[i]) == 0)
            return true;
    return false;
}

static void etcd_dispatch(void *arg)
{
    store_etcd_dispatch(arg);
}

static void etcd_wake(void *arg)
{
    http_server_defer_ts(etcd_dispatch, arg);
}

static void print_ready(void *arg)
{
    const char *msg = arg;
    printf("%s\n", msg);
    fflush(stdout);
}

/* The request loops' idle tick drops the watch window's stale events (http/limits.h). */
static size_t expire_watch_window(void *wc)
{
    return watchcache_expire(wc, watchcache_now_ms());
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o = {
        .data_dir = ".anzen",
        .listen = "127.0.0.1:6443",
        .pod_cidr = "10.88.0.0/24",
        .issuer = "https://kubernetes.default.svc.cluster.local",
        .extend_token_expiration = true,
        .min_token_expiration = 600,
        .namespace_deletion_grace = 5,
        .leader_elect = true,
        .lease_duration = "15s",
        .renew_deadline = "10s",
        .retry_period = "2s",
        .max_inflight = 400,
        .max_mutating_inflight = 200,
        .body_budget = (long long)PREFILTER_DEFAULT_BUDGET,
        .write_threads = 64,
    };
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"anonymous-auth", optional_argument, NULL, 'a'},
        {"http2", optional_argument, NULL, '2'},
        {"service-account-issuer", required_argument, NULL, 'i'},
        {"api-audiences", required_argument, NULL, 'A'},
        {"service-account-key-file", required_argument, NULL, 'k'},
        {"service-account-signing-key-file", required_argument, NULL, 's'},
        {"service-account-max-token-expiration", required_argument, NULL, 'm'},
        {"service-account-extend-token-expiration", optional_argument, NULL, 'e'},
        {"testing-min-token-expiration", required_argument, NULL, 'T'},
        {"testing-namespace-deletion-grace", required_argument, NULL, 'G'},
        {"testing-clock-offset-file", required_argument, NULL, 0x120},
        {"no-node", no_argument, NULL, 'N'},
        {"node-name", required_argument, NULL, 'n'},
        {"etcd-servers", required_argument, NULL, 'E'},
        {"etcd-prefix", required_argument, NULL, 'P'},
        {"etcd-cafile", required_argument, NULL, 'C'},
        {"etcd-certfile", required_argument, NULL, 'R'},
        {"etcd-keyfile", required_argument, NULL, 'K'},
        {"leader-elect", optional_argument, NULL, 'L'},
        {"leader-elect-lease-duration", required_argument, NULL, '1'},
        {"leader-elect-renew-deadline", required_argument, NULL, '3'},
        {"leader-elect-retry-period", required_argument, NULL, '4'},
        {"testing-etcd-watch-delay", required_argument, NULL, 0x121},
        {"testing-etcd-revision-delay", required_argument, NULL, 0x143},
        {"pod-cidr", required_argument, NULL, 0x100},
        {"container-runtime", required_argument, NULL, 0x101},
        {"image-dir", required_argument, NULL, 0x102},
        {"audit-log-path", required_argument, NULL, 0x110},
        {"audit-policy-file", required_argument, NULL, 0x111},
        {"audit-log-maxsize", required_argument, NULL, 0x112},
        {"audit-log-maxbackup", required_argument, NULL, 0x113},
        {"max-requests-inflight", required_argument, NULL, 0x140},
        {"max-mutating-requests-inflight", required_argument, NULL, 0x141},
        {"max-request-body-budget", required_argument, NULL, 0x142},
        {"workers", required_argument, NULL, 0x130},
        {"testing-stall-file", required_argument, NULL, 0x131},
        {"write-threads", required_argument, NULL, 0x132},
        {"v", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "v:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': o.data_dir = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'a': o.anonymous = parse_bool(optarg); break;
        case '2': o.http2 = parse_bool(optarg); break;
        case 'i': o.issuer = optarg; break;
        case 'A': o.api_audiences = optarg; break;
        case 'k': o.sa_key_file = optarg; break;
        case 's': o.sa_signing_key_file = optarg; break;
        case 'm': o.max_token_expiration = optarg; break;
        case 'e': o.extend_token_expiration = parse_bool(optarg); break;
        case 'T': o.min_token_expiration = strtol(optarg, NULL, 10); break;
        case 'G': o.namespace_deletion_grace = strtol(optarg, NULL, 10); break;
        case 'N': o.no_node = true; break;
        case 'n': o.node_name = optarg; break;
        case 'E': o.etcd.servers = optarg; break;
        case 'L': o.leader_elect = parse_bool(optarg); break;
        case '1': o.lease_duration = optarg; break;
        case '3': o.renew_deadline = optarg; break;
        case '4': o.retry_period = optarg; break;
        case 'P': o.etcd.prefix = optarg; break;
        case 'C': o.etcd.cafile = optarg; break;
        case 'R': o.etcd.certfile = optarg; break;
        case 'K': o.etcd.keyfile = optarg; break;
        case 0x121: o.etcd.testing_watch_delay_ms = strtol(optarg, NULL, 10); break;
        case 0x143: o.etcd.testing_revision_delay_ms = strtol(optarg, NULL, 10); break;
        case 0x100: o.pod_cidr = optarg; break;
        case 0x101: o.container_runtime = optarg; break;
        case 0x102: o.image_dir = optarg; break;
        case 0x110: o.audit.log_path = optarg; break;
        case 0x111: o.audit.policy_file = optarg; break;
        case 0x112: o.audit.max_size_mb = (int)strtol(optarg, NULL, 10); break;
        case 0x113: o.audit.max_backup = (int)strtol(optarg, NULL, 10); break;
        case 0x140:
        case 0x141:
        case 0x142: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || (ch != 0x142 && v > 1000000)) {
                log_error("%s: want a number >= 0", ch == 0x140   ? "--max-requests-inflight"
                                                     : ch == 0x141 ? "--max-mutating-requests-inflight"
                                                                   : "--max-request-body-budget");
                return 2;
            }
            if (ch == 0x140)
                o.max_inflight = (long)v;
            else if (ch == 0x141)
                o.max_mutating_inflight = (long)v;
            else
                o.body_budget = v;
            break;
        }
        case 0x130: {
            char *end = NULL;
            o.workers = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || o.workers < 1 || o.workers > HTTP_MAX_WORKERS) {
                log_error("--workers: want 1..%d", HTTP_MAX_WORKERS);
                return 2;
            }
            break;
        }
        case 0x131: o.testing_stall_file = optarg; break;
        case 0x132: {
            char *end = NULL;
            o.write_threads = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || o.write_threads < 0 || o.write_threads > 1024) {
                log_error("--write-threads: want 0..1024");
                return 2;
            }
            break;
        }
        case 0x120:
            if (clock_testing_offset_file(optarg) != 0) {
                log_error("--testing-clock-offset-file: want a path");
                return 2;
            }
            break;
        case 'v': log_set_level((enum log_level)(strtol(optarg, NULL, 10) > 3 ? 3 : strtol(optarg, NULL, 10))); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    char *audit_err = NULL;
    if (audit_init(&o.audit, &audit_err) != 0) {
        log_error("audit: %s", audit_err ? audit_err : "failed");
        free(audit_err);
        return 1;
    }
    if (mkdir(o.data_dir, 0700) != 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", o.data_dir, strerror(errno));
        return 1;
    }
    char absdir[PATH_MAX];
    if (realpath(o.data_dir, absdir) == NULL) {
        log_error("cannot resolve %s: %s", o.data_dir, strerror(errno));
        return 1;
    }
    struct pki *pki = NULL;
    char *err = NULL;
    /* pods reach the API at the bridge's address: served there too, and in the certificate */
    char gateway[16] = "";
    if (!o.no_node && cni_gateway(o.pod_cidr, gateway) != 0) {
        log_error("--pod-cidr %s: not an IPv4 CIDR with a prefix length of 8 to 30", o.pod_cidr);
        return 1;
    }
    const char *extra_sans[] = {gateway[0] ? gateway : NULL, NULL};
    if (pki_ensure(absdir, extra_sans, &pki, &err) != 0) {
        log_error("pki: %s", err ? err : "failed");
        return 1;
    }
    SSL_CTX *ssl = pki_server_ssl_ctx(pki, &err);
    if (ssl == NULL) {
        log_error("tls: %s", err ? err : "failed");
        return 1;
    }
    struct store *store = NULL;
    if (o.etcd.servers != NULL) {
        if (store_etcd_open(&o.etcd, &store, &err) != 0) {
            log_error("store etcd: %s", err ? err : "failed");
            return 1;
        }
    } else {
        char *dbpath = xasprintf("%s/anzen.db", absdir);
        /* the database holds Secrets: owner-only, like the keys (-wal/-shm inherit its mode) */
        mode_t old_umask = umask(077);
        int open_rc = store_sqlite_open(dbpath, &store, &err);
        umask(old_umask);
        if (open_rc == 0)
            chmod(dbpath, 0600);
        if (open_rc != 0) {
            log_error("store %s: %s", dbpath, err ? err : "failed");
            return 1;
        }
        free(dbpath);
    }
    if (o.etcd.servers != NULL) /* etcd events reach the sink on the event loop */
        store_etcd_set_notify(store, etcd_wake, store);
    /* the control loop: this thread runs it in http_server_run (deferred work, controllers);
     * the node agent attaches to it. The request loops are http_server_run's threads. */
    h2o_evloop_t *loop = h2o_evloop_create();
    struct apiserver srv = {0};
    srv.store = store;
    srv.wc = watchcache_new_attrs(store, 100000, rest_cache_attrs);
    http_idle_set_reclaim(expire_watch_window, srv.wc);
    srv.ca_pem = pki->ca_pem;
    srv.defer = http_server_defer;
    srv.defer_after = http_server_defer_after;
    if (o.namespace_deletion_grace < 0 || o.namespace_deletion_grace > 86400) {
        log_error("--testing-namespace-deletion-grace: want 0..86400 seconds");
        return 2;
    }
    srv.namespace_deletion_grace_ms = (unsigned)o.namespace_deletion_grace * 1000;
    const char *colon = strrchr(o.listen, ':');
    const char *host = "127.0.0.1";
    char hostbuf[64];
    if (colon && colon != o.listen && (size_t)(colon - o.listen) < sizeof(hostbuf)) {
        memcpy(hostbuf, o.listen, (size_t)(colon - o.listen));
        hostbuf[colon - o.listen] = '\0';
        if (strcmp(hostbuf, "0.0.0.0") != 0)
            host = hostbuf;
    }
    srv.server_url = xasprintf("https://%s:%s", host, colon ? colon + 1 : "6443");
    authn_set_anonymous(o.anonymous);

    if (controllers_bootstrap(&srv) != 0)
        return 1;
    struct identity_config ic = {
        .issuers = o.issuer,
        .api_audiences = o.api_audiences,
        .key_files = o.sa_key_file,
        .signing_key_file = o.sa_signing_key_file,
        .max_token_expiration = o.max_token_expiration,
        .extend_token_expiration = o.extend_token_expiration,
        .min_token_expiration = o.min_token_expiration,
        .default_signing_key = pki->sa_key,
        .token_metric = metrics_sa_token,
    };
    if (identity_init(&srv, &ic, &err) != 0) {
        log_error("identity: %s", err ? err : "failed");
        return 1;
    }
    const struct token_authenticator *authenticators[NELEMS(authenticator_table)];
    for (size_t i = 0; i < NELEMS(authenticator_table); i++)
        authenticators[i] = authenticator_table[i]();
    srv.token_authenticators = authenticators;
    srv.ntoken_authenticators = NELEMS(authenticator_table);
    if (rbac_init(&srv, &err) != 0) {
        log_error("rbac: %s", err ? err : "failed");
        return 1;
    }
    const struct authorizer *authorizers[NELEMS(authorizer_table)];
    for (size_t i = 0; i < NELEMS(authorizer_table); i++)
        authorizers[i] = authorizer_table[i]();
    srv.authorizers = authorizers;
    srv.nauthorizers = NELEMS(authorizer_table);
    const struct admission_plugin *admission[NELEMS(admission_table)];
    for (size_t i = 0; i < NELEMS(admission_table); i++)
        admission[i] = admission_table[i]();
    srv.admission = admission;
    srv.nadmission = NELEMS(admission_table);
    srv.virtual_handlers = virtual_handler_table;
    srv.nvirtual_handlers = NELEMS(virtual_handler_table);
    start_controllers(&srv);
    bool elect = o.etcd.servers != NULL && o.leader_elect; /* SQLite: one process owns the store */
    if (elect) {
        struct leader_config lc = {.run_on_loop = http_server_defer_ts,
                                   .on_acquire = resync_controllers};
        if (leader_parse_duration(o.lease_duration, &lc.lease_duration_ms) != 0 ||
            leader_parse_duration(o.renew_deadline, &lc.renew_deadline_ms) != 0 ||
            leader_parse_duration(o.retry_period, &lc.retry_period_ms) != 0) {
            log_error("--leader-elect-*: invalid duration");
            return 1;
        }
        if (leader_start(&srv, &lc, &err) != 0) {
            log_error("leader election: %s", err ? err : "failed");
            return 1;
        }
    } else {
        resync_controllers(&srv);
    }
    char *node_dir = xasprintf("%s/node", absdir);
    char *image_dir = o.image_dir ? xstrdup(o.image_dir) : xasprintf("%s/images", absdir);
    char node_host[256] = "localhost";
    if (o.node_name == NULL && gethostname(node_host, sizeof(node_host) - 1) == 0)
        node_host[sizeof(node_host) - 1] = '\0';
    if (!o.no_node) {
        struct node_config nc = {
            .name = o.node_name ? o.node_name : node_host,
            .root_dir = node_dir,
            .api_host = gateway,
            .host_api_host = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host,
            .api_port = colon ? (int)strtol(colon + 1, NULL, 10) : 6443,
            .runtime = o.container_runtime,
            .image_dir = image_dir,
            .pod_cidr = o.pod_cidr,
            .cni_dir = "/usr/lib/cni",
            .loop = loop,
        };
        if (node_start(&srv, &nc, &err) != 0) {
            log_error("node: %s", err ? err : "failed");
            return 1;
        }
    }
    char *kubeconfig = xasprintf("%s/admin.kubeconfig", absdir);
    if (pki_write_kubeconfig(pki, kubeconfig, srv.server_url, &err) != 0) {
        log_error("kubeconfig: %s", err ? err : "failed");
        return 1;
    }
    char *extra_listen = NULL;
    if (gateway[0] && strcmp(host, "0.0.0.0") != 0)
        extra_listen = xasprintf("%s:%s", gateway, colon ? colon + 1 : "6443");
    struct http_server_config hc = {.listen = o.listen, .extra_listen = extra_listen, .ssl_ctx = ssl,
                                    .http2 = o.http2, .routes = route_table,
                                    .nroutes = NELEMS(route_table), .loop = loop,
                                    .body_budget = (uint64_t)o.body_budget,
                                    .max_requests_inflight = (unsigned)o.max_inflight,
                                    .max_mutating_requests_inflight = (unsigned)o.max_mutating_inflight,
                                    .workers = (unsigned)o.workers,
                                    .write_threads = (unsigned)o.write_threads,
                                    .testing_stall_file = o.testing_stall_file};
    /* controllers queue their work on the loop; start them once defer is wired */
    char *ready = xasprintf("anzen: serving on %s; run: export KUBECONFIG=%s && kubectl get ns",
                            srv.server_url, kubeconfig);
    int rc = http_server_run(&srv, &hc, print_ready, ready);
    if (elect)
        leader_stop();
    if (!o.no_node)
        node_stop();
    free(node_dir);
    free(image_dir);
    free(extra_listen);
    free(ready);
    free(kubeconfig);
    watchcache_free(srv.wc);
    store_close(store);
    SSL_CTX_free(ssl);
    pki_free(pki);
    free(srv.server_url);
    return rc == 0 ? 0 : 1;
}
