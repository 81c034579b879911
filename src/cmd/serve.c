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
#include "api/apiserver.h"
#include "admission/podsecurity.h"
#include "authn/authn.h"
#include "authn/identity.h"
#include "authz/rbac.h"
#include "authn/pki.h"
#include "cmd/cmd.h"
#include "controllers/controllers.h"
#include "http/server.h"
#include "audit/audit.h"
#include "node/node.h"
#include "store/store.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/log.h"

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
    struct audit_config audit;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: anzen serve [flags]\n"
            "  --data-dir DIR                 state, keys and kubeconfig (default .anzen)\n"
            "  --listen ADDR:PORT             HTTPS listen address (default 127.0.0.1:6443)\n"
            "  --anonymous-auth=BOOL          serve requests without credentials as system:anonymous (default false)\n"
            "  --http2=BOOL                   offer HTTP/2 through ALPN (default false)\n"
            "  --service-account-issuer URL   (default https://kubernetes.default.svc.cluster.local)\n"
            "  --api-audiences A,B            (default: the issuer)\n"
            "  --service-account-key-file F   extra verification keys (PEM)\n"
            "  --service-account-signing-key-file F\n"
            "  --service-account-max-token-expiration DURATION\n"
            "  --service-account-extend-token-expiration=BOOL (default true)\n"
            "  --testing-min-token-expiration SECONDS\n"
            "                                 TESTING ONLY: lowest expirationSeconds a TokenRequest may ask\n"
            "                                 for (default 600, as upstream); lets tests see expiry in seconds\n"
            "  --no-node                      don't run the embedded node agent (pods stay Pending)\n"
            "  --node-name NAME               name of the embedded node (default: the host name)\n"
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

static void print_ready(void *arg)
{
    const char *msg = arg;
    printf("%s\n", msg);
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o = {
        .data_dir = ".anzen",
        .listen = "127.0.0.1:6443",
        .issuer = "https://kubernetes.default.svc.cluster.local",
        .extend_token_expiration = true,
        .min_token_expiration = 600,
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
        {"no-node", no_argument, NULL, 'N'},
        {"node-name", required_argument, NULL, 'n'},
        {"audit-log-path", required_argument, NULL, 'P'},
        {"audit-policy-file", required_argument, NULL, 'Y'},
        {"audit-log-maxsize", required_argument, NULL, 'Z'},
        {"audit-log-maxbackup", required_argument, NULL, 'B'},
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
        case 'N': o.no_node = true; break;
        case 'n': o.node_name = optarg; break;
        case 'P': o.audit.log_path = optarg; break;
        case 'Y': o.audit.policy_file = optarg; break;
        case 'Z': o.audit.max_size_mb = (int)strtol(optarg, NULL, 10); break;
        case 'B': o.audit.max_backup = (int)strtol(optarg, NULL, 10); break;
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
    if (pki_ensure(absdir, NULL, &pki, &err) != 0) {
        log_error("pki: %s", err ? err : "failed");
        return 1;
    }
    SSL_CTX *ssl = pki_server_ssl_ctx(pki, &err);
    if (ssl == NULL) {
        log_error("tls: %s", err ? err : "failed");
        return 1;
    }
    char *dbpath = xasprintf("%s/anzen.db", absdir);
    struct store *store = NULL;
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
    struct apiserver srv = {0};
    srv.store = store;
    srv.wc = watchcache_new(store, 100000);
    srv.ca_pem = pki->ca_pem;
    srv.defer = http_server_defer;
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
    };
    if (identity_init(&srv, &ic, &err) != 0) {
        log_error("identity: %s", err ? err : "failed");
        return 1;
    }
    if (rbac_init(&srv, &err) != 0) {
        log_error("rbac: %s", err ? err : "failed");
        return 1;
    }
    podsecurity_admission_register(); /* after ServiceAccount admission, as upstream orders them */
    controllers_start(&srv);
    char *node_dir = xasprintf("%s/node", absdir);
    char node_host[256] = "localhost";
    if (o.node_name == NULL && gethostname(node_host, sizeof(node_host) - 1) == 0)
        node_host[sizeof(node_host) - 1] = '\0';
    if (!o.no_node) {
        struct node_config nc = {
            .name = o.node_name ? o.node_name : node_host,
            .root_dir = node_dir,
            .api_host = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host,
            .api_port = colon ? (int)strtol(colon + 1, NULL, 10) : 6443,
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
    struct http_server_config hc = {.listen = o.listen, .ssl_ctx = ssl, .http2 = o.http2};
    /* controllers queue their work on the loop; start them once defer is wired */
    char *ready = xasprintf("anzen: serving on %s; run: export KUBECONFIG=%s && kubectl get ns",
                            srv.server_url, kubeconfig);
    int rc = http_server_run(&srv, &hc, print_ready, ready);
    if (!o.no_node)
        node_stop();
    free(node_dir);
    free(ready);
    free(kubeconfig);
    watchcache_free(srv.wc);
    store_close(store);
    SSL_CTX_free(ssl);
    pki_free(pki);
    free(srv.server_url);
    return rc == 0 ? 0 : 1;
}
