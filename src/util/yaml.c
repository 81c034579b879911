/* yaml.c — quiet libfyaml documents (yaml.h). */
#include "util/yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"

/* Whether text holds a control character YAML does not allow (C0 other than tab, LF and CR,
 * and DEL): upstream's YAML decoder refuses such input, and libfyaml 0.7.12 can crash on it
 * (NUL bytes inside a flow scalar: a write through a NULL indent stack in fy_parse_cleanup,
 * found by fuzz/managedfields). */
static bool yaml_has_forbidden_control(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return true;
    }
    return false;
}

static void discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

struct fy_diag *yaml_diag_create(void)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard; /* messages not collected (debug, notices) go nowhere */
    dcfg.show_source = false;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (diag != NULL)
        fy_diag_set_collect_errors(diag, true);
    return diag;
}

void yaml_diag_release(struct fy_diag *diag)
{
    if (diag != NULL)
        fy_diag_destroy(diag); /* frees the collected errors, then drops the reference */
}

/* Whether text[i] may be an explicit key indicator '?': not inside a word (after a letter or
 * digit, as in "get? yes" or a URL's query) and followed by a blank, the end or a flow
 * indicator. */
static bool key_indicator_at(const char *text, size_t len, size_t i)
{
    unsigned char prev = i > 0 ? (unsigned char)text[i - 1] : ' ';
    bool in_word = (prev >= '0' && prev <= '9') || ((prev | 0x20) >= 'a' && (prev | 0x20) <= 'z');
    return text[i] == '?' && !in_word && (i + 1 == len || memchr(" \t\r\n,[]{}", text[i + 1], 9) != NULL);
}

/* The shape of libfyaml 0.7.12's double release of a simple key (yaml.h), wider than the
 * bug: a '?' that may be an explicit key indicator, then (anywhere after it) a ':' followed
 * by blanks holding a tab and then one of -?:|> (fy_ws_indentation_check's refusal) — also
 * where they are only text (in quoted scalars and comments). */
static bool double_release_shape(const char *text, size_t len)
{
    bool explicit_key = false;
    for (size_t i = 0; i < len; i++) {
        if (!explicit_key) {
            explicit_key = key_indicator_at(text, len, i);
        } else if (text[i] == ':') {
            size_t j = i + 1;
            bool tab = false;
            for (; j < len && (text[j] == ' ' || text[j] == '\t'); j++)
                tab |= text[j] == '\t';
            if (tab && j < len && memchr("-?:|>", text[j], 5) != NULL)
                return true;
        }
    }
    return false;
}

/* Parses every document of text in a forked child, which exits 0 if libfyaml returned,
 * whatever it found; whether it did. Duplicate keys are allowed there so that the scan goes
 * as far as any caller's parse (one stopping at a duplicate key scans a prefix of it). */
#define YAML_CHILD_LIMIT_MS 5000
#ifdef ANZEN_FUZZ_BUILD
/* libFuzzer builds refuse the shape at once. A fork of a sanitized process costs a millisecond
 * or more, and once the fuzzer has seen the shape's branch most of its inputs carry it: the
 * yaml target ran at 570 inputs/s instead of 4,500. The child itself is tested by yaml_test
 * and e2e/yaml_crash_test; a crash it would absorb is one the parent never sees. */
static bool survives_in_child(const char *text, size_t len)
{
    (void)text;
    (void)len;
    return false;
}
#else
static bool survives_in_child(const char *text, size_t len)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        /* a crash here ends only this child, quietly: no core dump, no handler of the
         * parent's (a sanitizer's report, a fuzzer's crash file) */
        static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP};
        for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
            signal(crash_signals[i], SIG_DFL);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        struct fy_diag *diag = yaml_diag_create();
        struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS, .diag = diag};
        struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
        if (fyp != NULL && fy_parser_set_string(fyp, text, len) == 0) {
            struct fy_document *fyd;
            while ((fyd = fy_parse_load_document(fyp)) != NULL)
                fy_parse_document_destroy(fyp, fyd);
        }
        fy_parser_destroy(fyp);
        yaml_diag_release(diag);
        _exit(0);
    }
    /* A child that has not ended after YAML_CHILD_LIMIT_MS (a parse of the bodies the callers
     * accept takes well under a millisecond; a corrupted heap can also hang rather than
     * crash) is killed, and the text refused. */
    int status = 0;
    pid_t r;
    long waited_us = 0, step_us = 100;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 || (r < 0 && errno == EINTR)) {
        if (waited_us >= YAML_CHILD_LIMIT_MS * 1000L) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return false;
        }
        usleep((useconds_t)step_us);
        waited_us += step_us;
        if (step_us < 10000)
            step_us *= 2;
    }
    return r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

bool yaml_text_safe(const char *text, size_t len)
{
    if (yaml_has_forbidden_control(text, len))
        return false;
    return !double_release_shape(text, len) || survives_in_child(text, len);
}

struct fy_document *yaml_document_quiet(const char *text, size_t len, unsigned flags)
{
    if (!yaml_text_safe(text, len))
        return NULL;
    struct fy_diag *diag = yaml_diag_create();
    if (diag == NULL)
        return NULL;
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | (enum fy_parse_cfg_flags)flags, .diag = diag};
    struct fy_document *fyd = fy_document_build_from_string(&cfg, text, len);
    yaml_diag_release(diag); /* the document holds its own reference */
    return fyd;
}

char *yaml_scalar(struct fy_node *n, size_t *ret_len)
{
    if (n == NULL || !fy_node_is_scalar(n))
        return NULL;
    struct buf b = BUF_INIT;
    buf_append(&b, "", 0);
    struct fy_token *t = fy_node_get_scalar_token(n);
    struct fy_token_iter *it = t != NULL ? fy_token_iter_create(t) : NULL;
    if (it != NULL) {
        const struct fy_iter_chunk *ic = NULL;
        int err = 0;
        while ((ic = fy_token_iter_chunk_next(it, ic, &err)) != NULL)
            buf_append(&b, ic->str, ic->len);
        fy_token_iter_destroy(it);
    }
    return buf_detach(&b, ret_len);
}

/* Whether s[0..n) is a number as libfyaml's JSON emitter leaves it bare (fy_atom_is_number):
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool json_number(const char *s, size_t n)
{
    size_t i = 0, d;
    if (i < n && s[i] == '-')
        i++;
    for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
        if (d == 1 && s[i - 1] == '0')
            return false;
    if (d == 0)
        return false;
    if (i < n && s[i] == '.') {
        for (i++, d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            d++;
        if (d == 0)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            d++;
        if (d == 0)
            return false;
    }
    return i == n;
}

static void put_string(struct buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

static bool tag_is_str(struct fy_node *n)
{
    size_t len = 0;
    const char *t = fy_node_get_tag(n, &len);
    return t != NULL && ((len == 1 && t[0] == '!') || (len == 5 && memcmp(t, "!!str", 5) == 0) ||
                         (len == 21 && memcmp(t, "tag:yaml.org,2002:str", 21) == 0));
}

/* Appends node n as JSON to b: 0, or AZ_EINVALID (too deep, an alias, a key that is not a
 * scalar). */
static int put_node(struct buf *b, struct fy_node *n, int depth)
{
    if (depth >= YAML_JSON_MAX_DEPTH) /* containers at depths 0..max-1, as jansson reads */
        return AZ_EINVALID;
    if (n == NULL) {
        buf_puts(b, "null");
        return 0;
    }
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        enum fy_node_style st = fy_node_get_style(n);
        if (st == FYNS_ALIAS)
            return AZ_EINVALID;
        size_t len = 0;
        char *s = yaml_scalar(n, &len);
        if (st == FYNS_PLAIN || st == FYNS_ANY) {
            bool str = tag_is_str(n);
            bool bare = (len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0) ||
                        (len == 4 && memcmp(s, "null", 4) == 0) || json_number(s, len);
            if (len == 0 && !str)
                buf_puts(b, "null");
            else if (bare && !str)
                buf_append(b, s, len);
            else
                put_string(b, s, len);
        } else {
            put_string(b, s, len);
        }
        free(s);
        return 0;
    }
    case FYNT_SEQUENCE: {
        buf_putc(b, '[');
        void *it = NULL;
        struct fy_node *c;
        for (bool first = true; (c = fy_node_sequence_iterate(n, &it)) != NULL; first = false) {
            if (!first)
                buf_putc(b, ',');
            if (put_node(b, c, depth + 1) != 0)
                return AZ_EINVALID;
        }
        buf_putc(b, ']');
        return 0;
    }
    case FYNT_MAPPING: {
        buf_putc(b, '{');
        void *it = NULL;
        struct fy_node_pair *p;
        for (bool first = true; (p = fy_node_mapping_iterate(n, &it)) != NULL; first = false) {
            struct fy_node *k = fy_node_pair_key(p);
            size_t klen = 0;
            if (k != NULL && (fy_node_get_type(k) != FYNT_SCALAR || fy_node_get_style(k) == FYNS_ALIAS))
                return AZ_EINVALID;
            char *ks = k != NULL ? yaml_scalar(k, &klen) : NULL;
            if (!first)
                buf_putc(b, ',');
            put_string(b, ks != NULL ? ks : "", klen);
            free(ks);
            buf_putc(b, ':');
            if (put_node(b, fy_node_pair_value(p), depth + 1) != 0)
                return AZ_EINVALID;
        }
        buf_putc(b, '}');
        return 0;
    }
    }
    return AZ_EINVALID;
}

char *yaml_document_to_json(struct fy_document *fyd)
{
    struct buf b = BUF_INIT;
    if (put_node(&b, fy_document_root(fyd), 0) != 0) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}
