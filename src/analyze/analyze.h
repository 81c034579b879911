/* analyze.h — privilege-escalation analysis of RBAC + workloads (`anzen analyze`, issue 15).
 *
 *   inventory.c  the objects analysed (from manifests, a live cluster or anzen's store), each
 *                with where it came from; upstream 1.32's default RBAC objects on request
 *   manifest.c   YAML/JSON manifest streams (multi-document, List kinds, Helm output) → objects
 *                with their file and line
 *   graph.c      the model: identities, capability hubs and the edges between them, each edge
 *                with the exact grant behind it (binding → role → rule), decided by the RBAC
 *                evaluator (authz/rbac_index.h) and Pod Security (admission/podsecurity.h)
 *   findings.c   shortest paths to the most powerful reach of every ServiceAccount and of
 *                system:authenticated / system:unauthenticated, per-object checks, severities
 *                and remedies → the report (JSON, schema in the README)
 *   output.c     the report as a table, JSON, SARIF 2.1.0 or Graphviz dot
 *   live.c       a live cluster through its API (kubeconfig, libcurl, read-only lists)
 *   served.c     the same analysis over anzen's own store (GET /analyze in `anzen serve`)
 *
 * THE REPORT (a JSON object, what `-o json` prints and GET /analyze serves):
 *   {"findings": [FINDING...], "summary": {"critical": N, "high": N, "medium": N, "low": N},
 *    "graph": {"objects": N, "nodes": N, "edges": N}}
 *   FINDING = {"kind": "escalation" | <check id>, "subject": <user name or object ref>,
 *              "reaches": <target>, "severity": "critical"|"high"|"medium"|"low",
 *              "hops": N, "path": [{"from", "to", "action",
 *                                   "via": {"binding", "role", "rule"} | null,
 *                                   "object": <text> | null}...],
 *              "remedy": <text>, "location": {"file", "line"} | null}
 *   targets: "cluster-admin", "node", "secrets:<ns>", or a user name
 *   ("system:serviceaccount:<ns>:<name>"). Findings are sorted by severity, then subject. */
#ifndef ANZEN_ANALYZE_ANALYZE_H
#define ANZEN_ANALYZE_ANALYZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum analyze_severity { ANALYZE_NONE = 0, ANALYZE_LOW, ANALYZE_MEDIUM, ANALYZE_HIGH, ANALYZE_CRITICAL };

/* "low" … "critical" ("none" for ANALYZE_NONE). */
const char *analyze_severity_name(enum analyze_severity s);
/* Parses a severity name; -1 when unknown. */
int analyze_severity_parse(const char *s);

/* One object with its origin. */
struct analyze_object {
    json_t *obj;    /* the object (owned) */
    char *file;     /* manifest path, "-" for stdin, a URL path in live mode, NULL for defaults */
    int line;       /* 1-based line of the object in file, 0 when unknown */
    bool builtin;   /* one of upstream's default objects (--no-defaults leaves them out) */
};

struct analyze_inventory {
    struct analyze_object *items;
    size_t n, cap;
};

void analyze_inventory_init(struct analyze_inventory *inv);
void analyze_inventory_release(struct analyze_inventory *inv);
/* Adds obj (the reference is stolen). Objects of a kind ending in "List" are expanded into
 * their items (all at the given line). Non-objects are dropped. */
void analyze_inventory_add(struct analyze_inventory *inv, json_t *obj, const char *file, int line);
/* Adds upstream 1.32's default ClusterRoles, ClusterRoleBindings, Roles and RoleBindings and
 * the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease). */
void analyze_inventory_add_defaults(struct analyze_inventory *inv);

/* ---- manifest.c ------------------------------------------------------------------------ */

/* Largest manifest stream read (a file or stdin), nesting depth of one document. */
#define ANALYZE_MAX_MANIFEST (64u * 1024 * 1024)
#define ANALYZE_MAX_DEPTH 100

/* Parses a YAML (or JSON) stream of documents and adds every object, with its line, to inv.
 * Empty documents and comments (Helm's "# Source:") are skipped. Returns 0, or AZ_EINVALID
 * with *ret_err (malloc'd) describing the first syntax error (objects before it are kept). */
int analyze_load_manifest(struct analyze_inventory *inv, const char *data, size_t len,
                          const char *file, char **ret_err);
/* Converts one YAML/JSON document to a JSON value (the first document of the stream).
 * NULL with *ret_err on error. Used for kubeconfig files. */
json_t *analyze_yaml_to_json(const char *data, size_t len, char **ret_err);
/* Loads a file, every *.yaml / *.yml / *.json file under a directory (sorted, recursive),
 * or stdin for "-". AZ_EIO / AZ_EINVALID with *ret_err. */
int analyze_load_path(struct analyze_inventory *inv, const char *path, char **ret_err);

/* ---- findings.c ------------------------------------------------------------------------ */

/* Analyses inv and returns the report (a new JSON object, see above). */
json_t *analyze_run(const struct analyze_inventory *inv);
/* The highest severity of a report's findings. */
enum analyze_severity analyze_report_max_severity(json_t *report);

/* ---- output.c -------------------------------------------------------------------------- */

enum analyze_format { ANALYZE_TABLE, ANALYZE_JSON, ANALYZE_SARIF, ANALYZE_DOT };

/* Renders the report; color adds ANSI colours to the table. Returns a malloc'd string. */
char *analyze_render(json_t *report, enum analyze_format fmt, bool color);
/* The SARIF 2.1.0 log of a report (a new JSON object). */
json_t *analyze_sarif(json_t *report);

/* ---- live.c ---------------------------------------------------------------------------- */

/* Progress on stderr while listing: none, the final "listed N objects" line, or also a line
 * rewritten ("\r") after every page (for a terminal). */
enum analyze_progress { ANALYZE_PROGRESS_NONE, ANALYZE_PROGRESS_FINAL, ANALYZE_PROGRESS_LIVE };

/* Lists the objects the analysis needs from the cluster of kubeconfig path (context: NULL for
 * current-context) into inv, read-only. Resources the server does not serve (404) are
 * skipped. Returns 0, or a negative code with *ret_err (which never contains credentials). */
int analyze_live_load(struct analyze_inventory *inv, const char *kubeconfig, const char *context,
                      enum analyze_progress progress, char **ret_err);

#endif
