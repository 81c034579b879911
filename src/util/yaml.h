/* yaml.h — libfyaml documents built from untrusted text (request bodies, policy files)
 * without any diagnostic output. libfyaml writes parse and emit errors to stderr by default,
 * quoting the offending line of the input (FYPCF_QUIET silences only informational
 * messages), and a request body may carry a Secret's data: nothing of it may reach a log. */
#ifndef ANZEN_UTIL_YAML_H
#define ANZEN_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

/* A diagnostics object for a parser of untrusted text: errors are collected on it
 * (fy_diag_errors_iterate gives their line, column and message), never formatted or written.
 * libfyaml 0.7.12 formats an error with the source line under it by filling a fixed stack
 * buffer with '~' as wide as the token, which overflows for long scalars (a SEGV in strlen
 * found by fuzz/managedfields); collected errors skip that code. NULL on allocation failure;
 * the caller drops it with yaml_diag_release (a parser or document holds its own reference). */
struct fy_diag *yaml_diag_create(void);

/* Frees the errors collected on diag so far and drops the caller's reference (NULL: nothing).
 * Not fy_diag_unref: libfyaml 0.7.12 frees collected errors only in fy_diag_destroy, a last
 * fy_diag_unref leaks them (about 480 bytes per refused text). A parser or document still
 * holding diag keeps it, with an empty error list. */
void yaml_diag_release(struct fy_diag *diag);

/* Whether libfyaml 0.7.12 can read text without corrupting its heap: false if the text holds
 * a control character YAML forbids, or if it has the shape of libfyaml's double release (a
 * '?' that may be an explicit key, later a ':' followed by blanks with a tab, then one of -?:|> — the
 * scanner's error path after such a ':' in a complex key recycles a simple key twice and
 * fy_parse_cleanup then writes through a NULL list link; found by fuzz/yaml) and a parse of it
 * in a forked child does not exit cleanly within 5 s (a child still running then is killed). Such text is refused whole, as libfyaml refuses
 * it whenever the shape is real; valid YAML that only looks like it (a tab in a quoted
 * scalar) costs one fork (about 3 ms of CPU at 36 MB RSS; the child calls only libfyaml and
 * malloc, which glibc keeps usable after fork in a threaded process) and is read as usual.
 * Valid UTF-8 is the caller's to check first. */
bool yaml_text_safe(const char *text, size_t len);

/* Builds the document of text[0..len) with the parse flags FYPCF_QUIET | flags and a
 * diagnostics object that collects errors and outputs nothing (yaml_diag_create, also for the
 * document's later emission), once yaml_text_safe holds for the text. The caller checks the
 * text is valid UTF-8 first (utf8_invalid_at: libfyaml 0.7.12 may loop forever otherwise).
 * NULL if the text is not YAML or on allocation failure; the caller frees the document with
 * fy_document_destroy. Safe from several threads (nothing shared). */
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
