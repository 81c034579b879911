/* yaml.h — libfyaml documents built from untrusted text (request bodies, policy files)
 * without any diagnostic output. libfyaml writes parse and emit errors to stderr by default,
 * quoting the offending line of the input (FYPCF_QUIET silences only informational
 * messages), and a request body may carry a Secret's data: nothing of it may reach a log. */
#ifndef ANZEN_UTIL_YAML_H
#define ANZEN_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

/* Whether text holds a control character YAML forbids (C0 other than tab/LF/CR, DEL);
 * yaml_document_quiet and the manifest reader refuse such text as unparsable. */
bool yaml_has_forbidden_control(const char *text, size_t len);

/* Builds the document of text[0..len) with the parse flags FYPCF_QUIET | flags and a
 * diagnostics object that discards everything (also for the document's later emission). The
 * caller checks the text is valid UTF-8 first (utf8_invalid_at: libfyaml 0.7.12 may loop
 * forever otherwise). NULL if the text is not YAML or on allocation failure; the caller frees
 * the document with fy_document_destroy. Safe from several threads (nothing shared). */
struct fy_document *yaml_document_quiet(const char *text, size_t len, unsigned flags);

/* The text of a scalar node, read through a token iterator (malloc'd, NUL-terminated, its
 * length in *ret_len if not NULL; "" for a scalar without a value); NULL if n is not a
 * scalar. fy_node_get_scalar is not used on untrusted text: when its length estimate is off
 * (quoted scalars with '' and CRs) libfyaml 0.7.12 returns NULL and leaks its iterator. */
char *yaml_scalar(struct fy_node *n, size_t *ret_len);

/* Deepest nesting yaml_document_to_json converts (jansson's own parsing limit). */
#define YAML_JSON_MAX_DEPTH 2048

/* The JSON text of the document (its root), with the values libfyaml's JSON emitter
 * (FYECF_MODE_JSON_ONELINE) gives, but without calling it: libfyaml 0.7.12's JSON mode leaks
 * a buffer for every scalar with escapes or folded lines (fy_atom_is_number leaves its
 * iterator unfinished), up to the size of the scalar, per request. Plain scalars that are
 * true, false, null or a JSON number (no leading zero, no leading '.') stay bare; an empty plain
 * scalar or an absent value is null; every other scalar (quoted, block, tagged !!str or !)
 * is a string; keys are always strings (an absent key is ""). malloc'd, or NULL when libfyaml
 * refuses the document in JSON mode (an alias, a non-scalar key) or it is nested deeper than
 * YAML_JSON_MAX_DEPTH. */
char *yaml_document_to_json(struct fy_document *fyd);

#endif
