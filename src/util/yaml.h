/* yaml.h — libfyaml documents built from untrusted text (request bodies, policy files)
 * without any diagnostic output. libfyaml writes parse and emit errors to stderr by default,
 * quoting the offending line of the input (FYPCF_QUIET silences only informational
 * messages), and a request body may carry a Secret's data: nothing of it may reach a log. */
#ifndef ANZEN_UTIL_YAML_H
#define ANZEN_UTIL_YAML_H

#include <stddef.h>

#include <libfyaml.h>

/* Builds the document of text[0..len) with the parse flags FYPCF_QUIET | flags and a
 * diagnostics object that discards everything (also for the document's later emission). The
 * caller checks the text is valid UTF-8 first (utf8_invalid_at: libfyaml 0.7.12 may loop
 * forever otherwise). NULL if the text is not YAML or on allocation failure; the caller frees
 * the document with fy_document_destroy. Safe from several threads (nothing shared). */
struct fy_document *yaml_document_quiet(const char *text, size_t len, unsigned flags);

#endif
