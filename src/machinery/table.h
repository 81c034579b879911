/* table.h — server-side printing: meta.k8s.io/v1 Table columns and row cells per kind,
 * matching upstream's printers (pkg/printers/internalversion/printers.go). */
#ifndef ANZEN_API_TABLE_H
#define ANZEN_API_TABLE_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

/* The columnDefinitions array for a kind ({"name","type","format","description","priority"}),
 * new reference. Unknown kinds get the default Name/Created At columns. */
json_t *table_columns(const char *group, const char *kind);
/* The cells array for one object of that kind at time now, new reference. */
json_t *table_cells(const char *group, const char *kind, json_t *obj, time_t now);
/* Upstream's HumanDuration of (now - RFC3339 timestamp): "5s", "3m2s", "2d", "<unknown>"
 * (NULL, unparseable or the zero time). Malloc'd; the caller frees. */
char *table_age(const char *rfc3339, time_t now);
/* Upstream's duration.HumanDuration of a signed duration in nanoseconds, malloc'd
 * ("<invalid>" below -1s). Used for Age, Job Duration and restart times. */
char *table_human_duration(int64_t nanoseconds);

#endif
