/* table.h — server-side printing: meta.k8s.io/v1 Table columns and row cells per kind,
 * matching upstream's printers (pkg/printers/internalversion/printers.go). */
#ifndef ANZEN_API_TABLE_H
#define ANZEN_API_TABLE_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

struct table_column;

/* Appends one cell per column to cells, for obj at now_ns. */
typedef void table_cells_fn(json_t *cells, json_t *obj, int64_t now_ns);

/* One kind's printer: its columns and its row function. */
struct table_printer {
    const struct table_column *columns; /* column definitions, in cell order */
    size_t ncolumns;
    table_cells_fn *cells;
};

/* The printers (the resource rows point at them; RoleBinding and ClusterRoleBinding share
 * table_binding, core/v1 and events.k8s.io/v1 Events print the same columns). */
extern const struct table_printer table_namespace, table_service_account, table_secret,
    table_config_map, table_pod, table_node, table_event, table_events_event, table_job,
    table_binding, table_lease;

/* The columnDefinitions array of printer p ({"name","type","format","description",
 * "priority"}), new reference. NULL: the default Name/Created At columns. */
json_t *table_columns(const struct table_printer *p);
/* The cells array for one object at time now (p NULL: the default printer), new reference. */
json_t *table_cells(const struct table_printer *p, json_t *obj, time_t now);
/* Upstream's HumanDuration of (now - RFC3339 timestamp): "5s", "3m2s", "2d", "<unknown>"
 * (NULL, unparseable or the zero time). Malloc'd; the caller frees. */
char *table_age(const char *rfc3339, time_t now);
/* Upstream's duration.HumanDuration of a signed duration in nanoseconds, malloc'd
 * ("<invalid>" below -1s). Used for Age, Job Duration and restart times. */
char *table_human_duration(int64_t nanoseconds);

#endif
