/* table.h — server-side printing: meta.k8s.io/v1 Table columns and row cells per kind,
 * matching upstream's printers (pkg/printers/internalversion/printers.go). */
#ifndef ANZEN_API_TABLE_H
#define ANZEN_API_TABLE_H

#include <jansson.h>
#include <time.h>

/* The columnDefinitions array for a kind ({"name","type","format","description","priority"}),
 * new reference. Unknown kinds get the default Name/Created At columns. */
json_t *table_columns(const char *group, const char *kind);
/* The cells array for one object of that kind at time now, new reference. */
json_t *table_cells(const char *group, const char *kind, json_t *obj, time_t now);
/* Upstream's HumanDuration of (now - RFC3339 timestamp): "5s", "3m2s", "2d", "<unknown>". */
char *table_age(const char *rfc3339, time_t now);

#endif
