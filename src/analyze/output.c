/* output.c — the report as a table, JSON, SARIF 2.1.0 (GitHub code scanning) or Graphviz dot. */
#include <string.h>
#include "analyze/analyze.h"
#include "registry/discovery.h"
#include "machinery/field.h"
#include "util/buf.h"
#include "util/json.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* One row per finding kind (SARIF rules). */
static const struct {
    const char *id, *name, *text;
} kinds[] = {
    {"escalation", "PrivilegeEscalationPath", "A subject can reach more privilege by a chain of grants"},
    {"legacy-token-secret", "LegacyTokenSecret", "A ServiceAccount token is stored in a Secret and never expires"},
    {"broad-group-binding", "BroadGroupBinding", "A role is bound to a broad group"},
    {"wildcard-rule", "WildcardRule", "A role grants \"*\""},
    {"default-sa-automount", "DefaultServiceAccountToken", "A workload runs as the default ServiceAccount with its token mounted"},
    {"host-access", "HostAccess", "A workload reaches its node (hostPath, privileged or hostPID)"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *sev_color(const char *sev)
{
    if (strcmp(sev, "critical") == 0)
        return "\033[1;31m";
    if (strcmp(sev, "high") == 0)
        return "\033[31m";
    if (strcmp(sev, "medium") == 0)
        return "\033[33m";
    return "\033[36m";
}

static char *rule_text(json_t *rule)
{
    if (!json_is_object(rule))
        return xstrdup("");
    return json_dumps(rule, JSON_COMPACT);
}

static char *render_table(json_t *report, bool color)
{
    struct buf b = BUF_INIT;
    json_t *fs = json_object_get(report, "findings");
    if (json_array_size(fs) == 0) {
        buf_puts(&b, "No findings.\n");
        return buf_detach(&b, NULL);
    }
    buf_printf(&b, "%-9s %-44s %-30s %s\n", "SEVERITY", "SUBJECT", "REACHES", "HOPS");
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f) {
        const char *sev = json_str(f, "severity");
        if (color)
            buf_printf(&b, "%s%-9s\033[0m", sev_color(sev), sev);
        else
            buf_printf(&b, "%-9s", sev);
        buf_printf(&b, " %-44s %-30s %d\n", json_str(f, "subject"), json_str(f, "reaches"),
                   (int)json_integer_value(json_object_get(f, "hops")));
        if (strcmp(json_str(f, "kind"), "escalation") != 0)
            buf_printf(&b, "  check %s\n", json_str(f, "kind"));
        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(f, "path"), j, h) {
            buf_printf(&b, "  %zu. %s → %s\n     %s\n", j + 1, json_str(h, "from"), json_str(h, "to"), json_str(h, "action"));
            json_t *via = json_object_get(h, "via");
            if (json_is_object(via)) {
                char *rt = rule_text(json_object_get(via, "rule"));
                buf_printf(&b, "     via %s → %s → rule %s\n", json_str(via, "binding"), json_str(via, "role"), rt);
                free(rt);
            }
            if (json_str(h, "object"))
                buf_printf(&b, "     object: %s\n", json_str(h, "object"));
        }
        json_t *loc = json_object_get(f, "location");
        if (json_is_object(loc))
            buf_printf(&b, "  at %s:%d\n", json_str(loc, "file"), (int)json_integer_value(json_object_get(loc, "line")));
        buf_printf(&b, "  remedy: %s\n", json_str(f, "remedy"));
    }
    json_t *s = json_object_get(report, "summary");
    buf_printf(&b, "\n%d critical, %d high, %d medium, %d low\n", (int)json_integer_value(json_object_get(s, "critical")),
               (int)json_integer_value(json_object_get(s, "high")), (int)json_integer_value(json_object_get(s, "medium")),
               (int)json_integer_value(json_object_get(s, "low")));
    return buf_detach(&b, NULL);
}

static const char *sarif_level(const char *sev)
{
    if (strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0)
        return "error";
    if (strcmp(sev, "medium") == 0)
        return "warning";
    return "note";
}

static const char *security_severity(const char *sev)
{
    if (strcmp(sev, "critical") == 0)
        return "9.5";
    if (strcmp(sev, "high") == 0)
        return "8.0";
    if (strcmp(sev, "medium") == 0)
        return "5.0";
    return "2.0";
}

static char *finding_message(json_t *f)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s reaches %s", json_str(f, "subject"), json_str(f, "reaches"));
    size_t j;
    json_t *h;
    json_array_foreach(json_object_get(f, "path"), j, h) {
        buf_printf(&b, "%s%s → %s: %s", j == 0 ? ": " : "; ", json_str(h, "from"), json_str(h, "to"), json_str(h, "action"));
        json_t *via = json_object_get(h, "via");
        if (json_is_object(via))
            buf_printf(&b, " (%s, %s)", json_str(via, "binding"), json_str(via, "role"));
    }
    buf_printf(&b, ". Remedy: %s", json_str(f, "remedy"));
    return buf_detach(&b, NULL);
}

json_t *analyze_sarif(json_t *report)
{
    json_t *rules = json_array();
    for (size_t k = 0; k < NKINDS; k++)
        json_array_append_new(rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:[s, s], s:s}}", "id", kinds[k].id,
                                               "name", kinds[k].name, "shortDescription", "text", kinds[k].text,
                                               "help", "text", kinds[k].text, "properties", "tags", "security",
                                               "kubernetes", "precision", "high"));
    json_t *results = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "findings"), i, f) {
        size_t idx = 0;
        while (idx < NKINDS && strcmp(kinds[idx].id, json_str(f, "kind")) != 0)
            idx++;
        if (idx == NKINDS)
            continue;
        char *msg = finding_message(f);
        json_t *r = json_pack("{s:s, s:i, s:s, s:{s:s}}", "ruleId", kinds[idx].id, "ruleIndex", (int)idx, "level",
                              sarif_level(json_str(f, "severity")), "message", "text", msg);
        free(msg);
        json_t *loc = json_object_get(f, "location");
        const char *file = json_str(loc, "file");
        if (file == NULL || strcmp(file, "-") == 0) {
            /* GitHub code scanning needs a file: findings from the default policy, stdin or a
             * live cluster are left out of SARIF (they are in every other output) */
            json_decref(r);
            continue;
        }
        if (strncmp(file, "./", 2) == 0)
            file += 2;
        char *uri = file[0] == '/' ? xasprintf("file://%s", file) : xstrdup(file);
        int line = (int)json_integer_value(json_object_get(loc, "line"));
        json_object_set_new(r, "locations", json_pack("[{s:{s:{s:s}, s:{s:i}}}]", "physicalLocation",
                                                      "artifactLocation", "uri", uri, "region", "startLine",
                                                      line > 0 ? line : 1));
        free(uri);
        char *fp = xasprintf("%s|%s|%s", json_str(f, "kind"), json_str(f, "subject"), json_str(f, "reaches"));
        json_object_set_new(r, "partialFingerprints", json_pack("{s:s}", "anzenFinding/v1", fp));
        free(fp);
        json_object_set_new(r, "properties", json_pack("{s:s, s:s}", "severity", json_str(f, "severity"),
                                                       "security-severity", security_severity(json_str(f, "severity"))));
        json_array_append_new(results, r);
    }
    /* rule-level security-severity, as GitHub reads it */
    size_t k;
    json_t *rule;
    json_array_foreach(rules, k, rule)
        json_object_set_new(json_object_get(rule, "properties"), "security-severity", json_string(k == 0 ? "9.5" : "5.0"));
    return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:o}]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
                     "runs", "tool", "driver", "name", "anzen-analyze", "informationUri",
                     "https://github.com/anzen/anzen#anzen-analyze", "version", ANZEN_K8S_GIT_VERSION, "rules", rules,
                     "results", results);
}

/* A dot string: Go's %q quoting (\" \\ \n escapes) is also valid Graphviz. */
static void dot_quote(struct buf *b, const char *s)
{
    field_quote_go(b, s, strlen(s));
}

static char *render_dot(json_t *report)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "digraph anzen_analyze {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    json_t *nodes = json_object(), *edges = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "findings"), i, f) {
        if (strcmp(json_str(f, "kind"), "escalation") != 0)
            continue;
        const char *sev = json_str(f, "severity");
        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(f, "path"), j, h) {
            const char *ends[2] = {json_str(h, "from"), json_str(h, "to")};
            for (int e = 0; e < 2; e++) {
                if (json_object_get(nodes, ends[e]) != NULL)
                    continue;
                json_object_set_new(nodes, ends[e], json_true());
                buf_puts(&b, "  ");
                dot_quote(&b, ends[e]);
                if (strcmp(ends[e], "cluster-admin") == 0 || strcmp(ends[e], "node") == 0)
                    buf_puts(&b, " [style=filled, fillcolor=\"#f4a6a6\"]");
                else if (strncmp(ends[e], "secrets:", 8) == 0)
                    buf_puts(&b, " [style=filled, fillcolor=\"#f8d49a\"]");
                buf_puts(&b, ";\n");
            }
            char *key = xasprintf("%s\n%s", ends[0], ends[1]);
            if (json_object_get(edges, key) == NULL) {
                json_object_set_new(edges, key, json_true());
                json_t *via = json_object_get(h, "via");
                char *label = json_is_object(via) ? xasprintf("%s\n%s", json_str(h, "action"), json_str(via, "binding"))
                                                  : xstrdup(json_str(h, "action"));
                buf_puts(&b, "  ");
                dot_quote(&b, ends[0]);
                buf_puts(&b, " -> ");
                dot_quote(&b, ends[1]);
                buf_puts(&b, " [label=");
                dot_quote(&b, label);
                buf_printf(&b, ", color=\"%s\"];\n", strcmp(sev, "critical") == 0 ? "red" : strcmp(sev, "high") == 0 ? "orange" : "gray40");
                free(label);
            }
            free(key);
        }
    }
    json_decref(nodes);
    json_decref(edges);
    buf_puts(&b, "}\n");
    return buf_detach(&b, NULL);
}

char *analyze_render(json_t *report, enum analyze_format fmt, bool color)
{
    switch (fmt) {
    case ANALYZE_TABLE:
        return render_table(report, color);
    case ANALYZE_JSON: {
        char *s = json_dump_go(report, true, NULL);
        return s;
    }
    case ANALYZE_SARIF: {
        json_t *s = analyze_sarif(report);
        char *out = json_dump_go(s, true, NULL);
        json_decref(s);
        return out;
    }
    case ANALYZE_DOT:
        return render_dot(report);
    }
    return xstrdup("");
}
