/* selector.c — label and field selectors (see selector.h for the syntax, error texts and
 * limits). The label parser mirrors upstream's two phases: a lexer that tokenizes the whole
 * string, then a recursive-descent parser with one token of lookahead whose error messages
 * name the token found. Requirement validation follows labels.NewRequirement and the
 * util/validation qualified-name and label-value rules of v1.32. */
#include "machinery/selector.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"

static void set_err(char **ret_err, struct buf *msg)
{
    if (ret_err != NULL)
        *ret_err = buf_detach(msg, NULL);
    else
        buf_release(msg);
}

/* ---- Go compatibility helpers ---- */

/* strconv.ParseInt(s, 10, 64) succeeds? Optional sign, one or more digits, no overflow. */
static int go_parse_int64(const char *s, long long *ret)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return AZ_EINVALID;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return AZ_EINVALID;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return AZ_EINVALID;
    *ret = v;
    return 0;
}

/* ---- upstream validation messages (k8s.io/apimachinery/pkg/util/validation, v1.32) ---- */

#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_ERR \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
    "an alphanumeric character"
#define QNAME_EXAMPLES " (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" QNAME_FMT "')"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"
#define LABEL_VALUE_ERR \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or " \
    "'my_value',  or '12345', regex used for validation is '" LABEL_VALUE_FMT "')"
#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_ERR \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex " \
    "used for validation is '" DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*')"

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ */
static int qualified_name_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
static int dns1123_subdomain_ok(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        size_t len = i - start;
        if (len == 0)
            return 0;
        const char *l = s + start;
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)l[j];
            int lower_alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!lower_alnum && (c != '-' || j == 0 || j == len - 1))
                return 0;
        }
        start = i + 1;
    }
    return 1;
}

/* Appends the "; "-joined IsQualifiedName errors for key to b; returns how many. */
static int qualified_name_errors(const char *key, struct buf *b)
{
    int nerr = 0;
#define ADD_ERR(...) do { if (nerr++ > 0) buf_puts(b, "; "); buf_printf(b, __VA_ARGS__); } while (0)
    size_t len = strlen(key);
    const char *slash = memchr(key, '/', len);
    const char *name = key;
    size_t nlen = len;
    if (slash != NULL) {
        if (memchr(slash + 1, '/', len - (size_t)(slash + 1 - key)) != NULL) {
            ADD_ERR("a qualified name %s%s with an optional DNS subdomain prefix and '/' (e.g. "
                    "'example.com/MyName')", QNAME_ERR, QNAME_EXAMPLES);
            return nerr;
        }
        size_t plen = (size_t)(slash - key);
        name = slash + 1;
        nlen = len - plen - 1;
        if (plen == 0) {
            ADD_ERR("prefix part must be non-empty");
        } else {
            if (plen > 253)
                ADD_ERR("prefix part must be no more than 253 characters");
            if (!dns1123_subdomain_ok(key, plen))
                ADD_ERR("prefix part %s", DNS1123_SUBDOMAIN_ERR);
        }
    }
    if (nlen == 0)
        ADD_ERR("name part must be non-empty");
    else if (nlen > 63)
        ADD_ERR("name part must be no more than 63 characters");
    if (!qualified_name_ok(name, nlen))
        ADD_ERR("name part %s%s", QNAME_ERR, QNAME_EXAMPLES);
#undef ADD_ERR
    return nerr;
}

/* Appends the "; "-joined IsValidLabelValue errors; returns how many. */
static int label_value_errors(const char *v, struct buf *b)
{
    int nerr = 0;
    size_t n = strlen(v);
    if (n > 63) {
        buf_puts(b, "must be no more than 63 characters");
        nerr++;
    }
    if (n > 0 && !qualified_name_ok(v, n)) {
        if (nerr++ > 0)
            buf_puts(b, "; ");
        buf_puts(b, LABEL_VALUE_ERR);
    }
    return nerr;
}

/* A field.Invalid error rendered like upstream: "<path>: Invalid value: <%q>: <detail>". */
static void render_invalid(struct buf *out, const char *path, const char *value,
                           const char *detail)
{
    buf_puts(out, path);
    buf_puts(out, ": Invalid value: ");
    go_quote(out, value, strlen(value));
    buf_puts(out, ": ");
    buf_puts(out, detail);
}

/* ---- label selectors ---- */

struct label_requirement {
    char *key;
    enum label_op op;
    char **values;  /* sorted, unique */
    size_t nvalues;
};

struct label_selector {
    bool nothing;                   /* matches no object (nil metav1.LabelSelector) */
    struct label_requirement *reqs; /* sorted by key */
    size_t n;
};

static void requirement_release(struct label_requirement *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
}

void label_selector_free(struct label_selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++)
        requirement_release(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

/* A sorted, de-duplicated set of strings (upstream sets.String + List()). */
struct strset {
    char **v;
    size_t n, cap;
};

static void strset_push(struct strset *s, const char *p, size_t n)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = xstrndup(p, n);
}

static void strset_insert(struct strset *s, const char *p, size_t n)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == n && memcmp(s->v[i], p, n) == 0)
            return;
    strset_push(s, p, n);
}

static void strset_sort(struct strset *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), strp_cmp);
}

static void strset_release(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* Appends a []string rendered like Go's %#v: []string(nil) or []string{"a", "b"}. */
static void add_go_slice(struct buf *b, char *const *v, size_t n, bool nil)
{
    if (nil) {
        buf_puts(b, "[]string(nil)");
        return;
    }
    buf_puts(b, "[]string{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf_puts(b, ", ");
        go_quote(b, v[i], strlen(v[i]));
    }
    buf_puts(b, "}");
}

/* Collects field errors and renders them like field.ErrorList.ToAggregate().Error(). */
struct agg {
    char **msgs;
    size_t n;
};

static void agg_add(struct agg *a, struct buf *msg)
{
    char *m = buf_detach(msg, NULL);
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->msgs[i], m) == 0) {
            free(m);
            return;
        }
    }
    a->msgs = xrealloc(a->msgs, (a->n + 1) * sizeof(*a->msgs));
    a->msgs[a->n++] = m;
}

static void agg_render_release(struct agg *a, struct buf *out)
{
    if (a->n > 1)
        buf_puts(out, "[");
    for (size_t i = 0; i < a->n; i++) {
        if (i > 0)
            buf_puts(out, ", ");
        buf_puts(out, a->msgs[i]);
        free(a->msgs[i]);
    }
    if (a->n > 1)
        buf_puts(out, "]");
    free(a->msgs);
    a->msgs = NULL;
    a->n = 0;
}

/* labels.NewRequirement with a nil path option. On success moves key/values into *ret and
 * returns 0; on failure appends the aggregate error text to err_out and returns AZ_EINVALID
 * (the values set is released either way on failure). vals_nil renders an empty set as Go
 * nil. */
static int new_requirement(const char *key, enum label_op op, struct strset *vals, bool vals_nil,
                           struct label_requirement *ret, struct buf *err_out)
{
    struct agg a = {0};
    struct buf m = {0};
    if (qualified_name_errors(key, &m) > 0) {
        struct buf e = {0};
        render_invalid(&e, "key", key, m.data);
        agg_add(&a, &e);
    }
    free(m.data);
    m = (struct buf){0};

    const char *detail = NULL;
    switch (op) {
    case LABEL_OP_IN:
    case LABEL_OP_NOT_IN:
        if (vals->n == 0)
            detail = "for 'in', 'notin' operators, values set can't be empty";
        break;
    case LABEL_OP_EQUALS:
    case LABEL_OP_DOUBLE_EQUALS:
    case LABEL_OP_NOT_EQUALS:
        if (vals->n != 1)
            detail = "exact-match compatibility requires one single value";
        break;
    case LABEL_OP_EXISTS:
    case LABEL_OP_DOES_NOT_EXIST:
        if (vals->n != 0)
            detail = "values set must be empty for exists and does not exist";
        break;
    case LABEL_OP_GT:
    case LABEL_OP_LT:
        if (vals->n != 1)
            detail = "for 'Gt', 'Lt' operators, exactly one value is required";
        break;
    }
    if (detail != NULL) {
        struct buf e = {0};
        buf_puts(&e, "values: Invalid value: ");
        add_go_slice(&e, vals->v, vals->n, vals_nil && vals->n == 0);
        buf_puts(&e, ": ");
        buf_puts(&e, detail);
        agg_add(&a, &e);
    }
    if (op == LABEL_OP_GT || op == LABEL_OP_LT) {
        for (size_t i = 0; i < vals->n; i++) {
            long long ignored;
            if (go_parse_int64(vals->v[i], &ignored) != 0) {
                struct buf e = {0}, path = {0};
                buf_printf(&path, "values[%zu]", i);
                render_invalid(&e, path.data, vals->v[i],
                               "for 'Gt', 'Lt' operators, the value must be an integer");
                free(path.data);
                agg_add(&a, &e);
            }
        }
    }
    for (size_t i = 0; i < vals->n; i++) {
        if (label_value_errors(vals->v[i], &m) > 0) {
            struct buf e = {0}, path = {0};
            buf_printf(&path, "values[%zu][%s]", i, key);
            render_invalid(&e, path.data, vals->v[i], m.data);
            free(path.data);
            agg_add(&a, &e);
        }
        free(m.data);
        m = (struct buf){0};
    }
    if (a.n > 0) {
        agg_render_release(&a, err_out);
        strset_release(vals);
        return AZ_EINVALID;
    }
    ret->key = xstrndup(key, strlen(key));
    ret->op = op;
    ret->values = vals->v;
    ret->nvalues = vals->n;
    memset(vals, 0, sizeof(*vals));
    return 0;
}

/* -- lexer -- */

enum tok {
    TOK_ERROR,
    TOK_EOS,
    TOK_CLOSED_PAR,
    TOK_COMMA,
    TOK_DOES_NOT_EXIST,
    TOK_DOUBLE_EQUALS,
    TOK_EQUALS,
    TOK_GREATER_THAN,
    TOK_IDENTIFIER,
    TOK_IN,
    TOK_LESS_THAN,
    TOK_NOT_EQUALS,
    TOK_NOT_IN,
    TOK_OPEN_PAR,
};

struct token {
    enum tok tok;
    const char *lit; /* into the input (or a static string for EOS) */
    size_t len;
};

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_special(unsigned char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* The literal-token table (upstream string2token). */
static enum tok literal_token(const char *s, size_t n)
{
    static const struct {
        const char *s;
        enum tok t;
    } table[] = {
        {")", TOK_CLOSED_PAR}, {",", TOK_COMMA}, {"!", TOK_DOES_NOT_EXIST},
        {"==", TOK_DOUBLE_EQUALS}, {"=", TOK_EQUALS}, {">", TOK_GREATER_THAN},
        {"in", TOK_IN}, {"<", TOK_LESS_THAN}, {"!=", TOK_NOT_EQUALS},
        {"notin", TOK_NOT_IN}, {"(", TOK_OPEN_PAR},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strlen(table[i].s) == n && memcmp(table[i].s, s, n) == 0)
            return table[i].t;
    return TOK_ERROR;
}

/* Tokenizes s (upstream Lexer.Lex until EndOfStringToken). Returns a malloc'd array. */
static struct token *lex_all(const char *s, size_t *ret_n)
{
    size_t len = strlen(s), pos = 0, n = 0, cap = 16;
    struct token *toks = xmalloc(cap * sizeof(*toks));
    for (;;) {
        while (pos < len && is_ws((unsigned char)s[pos]))
            pos++;
        struct token t;
        if (pos >= len) {
            t = (struct token){TOK_EOS, "", 0};
        } else if (is_special((unsigned char)s[pos])) {
            /* Longest run of special symbols that still forms a token, extended while the
             * buffer keeps being a token or has not become one yet (upstream semantics). */
            size_t start = pos, best = 0;
            enum tok best_tok = TOK_ERROR;
            while (pos < len && is_special((unsigned char)s[pos])) {
                size_t blen = pos - start + 1;
                enum tok lt = literal_token(s + start, blen);
                if (lt != TOK_ERROR) {
                    best = blen, best_tok = lt;
                    pos++;
                } else if (best_tok != TOK_ERROR) {
                    break;
                } else {
                    pos++;
                }
            }
            if (best_tok == TOK_ERROR)
                t = (struct token){TOK_ERROR, s + start, pos - start};
            else
                t = (struct token){best_tok, s + start, best};
        } else {
            size_t start = pos;
            while (pos < len && !is_special((unsigned char)s[pos]) && !is_ws((unsigned char)s[pos]))
                pos++;
            enum tok lt = literal_token(s + start, pos - start);
            t = (struct token){lt == TOK_ERROR ? TOK_IDENTIFIER : lt, s + start, pos - start};
        }
        if (n == cap) {
            cap *= 2;
            toks = xrealloc(toks, cap * sizeof(*toks));
        }
        toks[n++] = t;
        if (t.tok == TOK_EOS)
            break;
    }
    *ret_n = n;
    return toks;
}

/* -- parser -- */

enum ctx { CTX_KEY_AND_OPERATOR, CTX_VALUES };

struct parser {
    struct token *toks;
    size_t n, pos;
    struct buf err; /* message of the first error */
};

static struct token tok_at(struct parser *p, size_t i, enum ctx c)
{
    if (i >= p->n)
        i = p->n - 1; /* the final EOS */
    struct token t = p->toks[i];
    if (c == CTX_VALUES && (t.tok == TOK_IN || t.tok == TOK_NOT_IN))
        t.tok = TOK_IDENTIFIER;
    return t;
}

static struct token lookahead(struct parser *p, enum ctx c)
{
    return tok_at(p, p->pos, c);
}

static struct token consume(struct parser *p, enum ctx c)
{
    struct token t = tok_at(p, p->pos, c);
    if (p->pos < p->n)
        p->pos++;
    return t;
}

static int perr_found(struct parser *p, struct token t, const char *expected)
{
    buf_puts(&p->err, "found '");
    buf_append(&p->err, t.lit, t.len);
    buf_puts(&p->err, expected);
    return AZ_EBADREQUEST;
}

static void parse_lit_to_set(struct strset *s, struct token t)
{
    strset_insert(s, t.lit, t.len);
}

/* parseIdentifiersList: "(,", ",)", ",," insert "" like upstream. */
static int parse_identifiers_list(struct parser *p, struct strset *s)
{
    for (;;) {
        struct token t = consume(p, CTX_VALUES);
        if (t.tok == TOK_IDENTIFIER) {
            parse_lit_to_set(s, t);
            struct token t2 = lookahead(p, CTX_VALUES);
            if (t2.tok == TOK_COMMA)
                continue;
            if (t2.tok == TOK_CLOSED_PAR)
                return 0;
            return perr_found(p, t2, "', expected: ',' or ')'");
        }
        if (t.tok != TOK_COMMA) /* it can be an operator */
            return perr_found(p, t, "', expected: ',', or identifier");
        if (s->n == 0)
            strset_insert(s, "", 0); /* "(," */
        struct token t2 = lookahead(p, CTX_VALUES);
        if (t2.tok == TOK_CLOSED_PAR) {
            strset_insert(s, "", 0); /* ",)" */
            return 0;
        }
        if (t2.tok == TOK_COMMA)
            strset_insert(s, "", 0); /* ",," */
    }
}

static int parse_values(struct parser *p, struct strset *s)
{
    struct token t = consume(p, CTX_VALUES);
    if (t.tok != TOK_OPEN_PAR)
        return perr_found(p, t, "' expected: '('");
    struct token la = lookahead(p, CTX_VALUES);
    if (la.tok == TOK_IDENTIFIER || la.tok == TOK_COMMA) {
        if (parse_identifiers_list(p, s) != 0)
            return AZ_EBADREQUEST;
        if (consume(p, CTX_VALUES).tok != TOK_CLOSED_PAR)
            return perr_found(p, la, "', expected: ')'");
        return 0;
    }
    if (la.tok == TOK_CLOSED_PAR) { /* "()" */
        consume(p, CTX_VALUES);
        strset_insert(s, "", 0);
        return 0;
    }
    return perr_found(p, la, "', expected: ',', ')' or identifier");
}

static int parse_exact_value(struct parser *p, struct strset *s)
{
    struct token la = lookahead(p, CTX_VALUES);
    if (la.tok == TOK_EOS || la.tok == TOK_COMMA) {
        strset_insert(s, "", 0);
        return 0;
    }
    struct token t = consume(p, CTX_VALUES);
    if (t.tok == TOK_IDENTIFIER) {
        parse_lit_to_set(s, t);
        return 0;
    }
    return perr_found(p, t, "', expected: identifier");
}

/* parseOperator: the binary operator a token stands for. */
static int binary_operator(enum tok t, enum label_op *ret)
{
    static const struct {
        enum tok tok;
        enum label_op op;
    } table[] = {
        {TOK_IN, LABEL_OP_IN}, {TOK_EQUALS, LABEL_OP_EQUALS},
        {TOK_DOUBLE_EQUALS, LABEL_OP_DOUBLE_EQUALS}, {TOK_GREATER_THAN, LABEL_OP_GT},
        {TOK_LESS_THAN, LABEL_OP_LT}, {TOK_NOT_IN, LABEL_OP_NOT_IN},
        {TOK_NOT_EQUALS, LABEL_OP_NOT_EQUALS},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].tok == t) {
            *ret = table[i].op;
            return 0;
        }
    }
    return AZ_EBADREQUEST;
}

/* parseRequirement. Errors are written to p->err without the "unable to parse requirement: "
 * prefix (the caller adds it). */
static int parse_requirement(struct parser *p, struct label_requirement *ret)
{
    bool not_exist = false;
    struct token t = consume(p, CTX_VALUES);
    if (t.tok == TOK_DOES_NOT_EXIST) {
        not_exist = true;
        t = consume(p, CTX_VALUES);
    }
    if (t.tok != TOK_IDENTIFIER)
        return perr_found(p, t, "', expected: identifier");
    char *key = xstrndup(t.lit, t.len);
    struct buf m = {0};
    if (qualified_name_errors(key, &m) > 0) {
        render_invalid(&p->err, "<nil>", key, m.data);
        free(m.data);
        free(key);
        return AZ_EBADREQUEST;
    }
    free(m.data);

    struct strset vals = {0};
    enum label_op op;
    struct token la = lookahead(p, CTX_VALUES);
    if (not_exist || la.tok == TOK_EOS || la.tok == TOK_COMMA) {
        op = not_exist ? LABEL_OP_DOES_NOT_EXIST : LABEL_OP_EXISTS;
    } else {
        struct token ot = consume(p, CTX_KEY_AND_OPERATOR);
        if (binary_operator(ot.tok, &op) != 0) {
            free(key);
            return perr_found(p, ot, "', expected: in, notin, =, ==, !=, gt, lt");
        }
        int r = (op == LABEL_OP_IN || op == LABEL_OP_NOT_IN) ? parse_values(p, &vals)
                                                             : parse_exact_value(p, &vals);
        if (r != 0) {
            strset_release(&vals);
            free(key);
            return AZ_EBADREQUEST;
        }
        strset_sort(&vals);
    }
    int r = new_requirement(key, op, &vals, false, ret, &p->err);
    free(key);
    return r;
}

static int cmp_req_key(const void *a, const void *b)
{
    return strcmp(((const struct label_requirement *)a)->key,
                  ((const struct label_requirement *)b)->key);
}

static int too_long_err(const char *what, char **ret_err)
{
    struct buf m = {0};
    buf_printf(&m, "%s selector is too long: must be no more than %d bytes", what,
            SELECTOR_MAX_BYTES);
    set_err(ret_err, &m);
    return AZ_EBADREQUEST;
}

static int too_many_err(const char *what, char **ret_err)
{
    struct buf m = {0};
    buf_printf(&m, "%s selector has too many requirements: must have at most %d", what,
            SELECTOR_MAX_REQUIREMENTS);
    set_err(ret_err, &m);
    return AZ_EBADREQUEST;
}

int label_selector_parse(const char *s, struct label_selector **ret, char **ret_err)
{
    if (s == NULL)
        s = "";
    if (strlen(s) > SELECTOR_MAX_BYTES)
        return too_long_err("label", ret_err);

    struct parser p = {0};
    p.toks = lex_all(s, &p.n);
    struct label_selector *sel = xcalloc(1, sizeof(*sel));
    size_t cap = 0;
    int r = 0;
    bool too_many = false;
    for (;;) {
        struct token la = lookahead(&p, CTX_VALUES);
        if (la.tok == TOK_EOS)
            break;
        if (la.tok != TOK_IDENTIFIER && la.tok != TOK_DOES_NOT_EXIST) {
            perr_found(&p, la, "', expected: !, identifier, or 'end of string'");
            r = AZ_EBADREQUEST;
            break;
        }
        if (sel->n == SELECTOR_MAX_REQUIREMENTS) {
            too_many = true;
            r = AZ_EBADREQUEST;
            break;
        }
        if (sel->n == cap) {
            cap = cap ? cap * 2 : 4;
            sel->reqs = xrealloc(sel->reqs, cap * sizeof(*sel->reqs));
        }
        if (parse_requirement(&p, &sel->reqs[sel->n]) != 0) {
            struct buf full = {0};
            buf_puts(&full, "unable to parse requirement: ");
            if (p.err.data != NULL)
                buf_puts(&full, p.err.data);
            free(p.err.data);
            p.err = full;
            r = AZ_EBADREQUEST;
            break;
        }
        sel->n++;
        struct token t = consume(&p, CTX_VALUES);
        if (t.tok == TOK_EOS)
            break;
        if (t.tok == TOK_COMMA) {
            struct token t2 = lookahead(&p, CTX_VALUES);
            if (t2.tok != TOK_IDENTIFIER && t2.tok != TOK_DOES_NOT_EXIST) {
                perr_found(&p, t2, "', expected: identifier after ','");
                r = AZ_EBADREQUEST;
                break;
            }
            continue;
        }
        perr_found(&p, t, "', expected: ',' or 'end of string'");
        r = AZ_EBADREQUEST;
        break;
    }
    free(p.toks);
    if (r != 0) {
        label_selector_free(sel);
        if (too_many) {
            free(p.err.data);
            return too_many_err("label", ret_err);
        }
        set_err(ret_err, &p.err);
        return AZ_EBADREQUEST;
    }
    free(p.err.data);
    if (sel->n > 1)
        qsort(sel->reqs, sel->n, sizeof(*sel->reqs), cmp_req_key);
    *ret = sel;
    return 0;
}

static int shape_err(char **ret_err, const char *msg)
{
    struct buf m = {0};
    buf_puts(&m, msg);
    set_err(ret_err, &m);
    return AZ_EINVALID;
}

int label_selector_from_json(json_t *js, struct label_selector **ret, char **ret_err)
{
    struct label_selector *sel = xcalloc(1, sizeof(*sel));
    if (js == NULL || json_is_null(js)) {
        sel->nothing = true;
        *ret = sel;
        return 0;
    }
    if (!json_is_object(js)) {
        free(sel);
        return shape_err(ret_err, "label selector must be an object");
    }
    json_t *ml = json_object_get(js, "matchLabels");
    json_t *me = json_object_get(js, "matchExpressions");
    if (ml != NULL && !json_is_null(ml) && !json_is_object(ml)) {
        free(sel);
        return shape_err(ret_err, "matchLabels must be an object");
    }
    if (me != NULL && !json_is_null(me) && !json_is_array(me)) {
        free(sel);
        return shape_err(ret_err, "matchExpressions must be an array");
    }
    size_t total = (json_is_object(ml) ? json_object_size(ml) : 0) +
                   (json_is_array(me) ? json_array_size(me) : 0);
    if (total > SELECTOR_MAX_REQUIREMENTS) {
        free(sel);
        too_many_err("label", ret_err);
        return AZ_EINVALID;
    }
    sel->reqs = xcalloc(total ? total : 1, sizeof(*sel->reqs));
    struct buf err = {0};
    int r = 0;
    if (json_is_object(ml)) {
        const char *k;
        json_t *v;
        json_object_foreach(ml, k, v) {
            if (!json_is_string(v)) {
                r = shape_err(ret_err, "matchLabels values must be strings");
                goto out;
            }
            struct strset vals = {0};
            strset_insert(&vals, json_string_value(v), strlen(json_string_value(v)));
            if (new_requirement(k, LABEL_OP_EQUALS, &vals, false, &sel->reqs[sel->n], &err) != 0) {
                set_err(ret_err, &err);
                r = AZ_EINVALID;
                goto out;
            }
            sel->n++;
        }
    }
    if (json_is_array(me)) {
        size_t i;
        json_t *e;
        json_array_foreach(me, i, e) {
            json_t *key = json_is_object(e) ? json_object_get(e, "key") : NULL;
            json_t *opj = json_is_object(e) ? json_object_get(e, "operator") : NULL;
            json_t *values = json_is_object(e) ? json_object_get(e, "values") : NULL;
            if (!json_is_object(e) || (key != NULL && !json_is_string(key)) ||
                (opj != NULL && !json_is_string(opj)) ||
                (values != NULL && !json_is_null(values) && !json_is_array(values))) {
                r = shape_err(ret_err, "matchExpressions entries must be {key, operator, values}");
                goto out;
            }
            const char *ops = opj != NULL ? json_string_value(opj) : "";
            enum label_op op;
            if (strcmp(ops, "In") == 0) {
                op = LABEL_OP_IN;
            } else if (strcmp(ops, "NotIn") == 0) {
                op = LABEL_OP_NOT_IN;
            } else if (strcmp(ops, "Exists") == 0) {
                op = LABEL_OP_EXISTS;
            } else if (strcmp(ops, "DoesNotExist") == 0) {
                op = LABEL_OP_DOES_NOT_EXIST;
            } else {
                go_quote(&err, ops, strlen(ops));
                buf_puts(&err, " is not a valid label selector operator");
                set_err(ret_err, &err);
                r = AZ_EINVALID;
                goto out;
            }
            /* Upstream keeps the values as given (no sorting, no de-duplication). */
            struct strset vals = {0};
            size_t j;
            json_t *v;
            json_array_foreach(values, j, v) {
                if (!json_is_string(v)) {
                    strset_release(&vals);
                    r = shape_err(ret_err, "matchExpressions values must be strings");
                    goto out;
                }
                strset_push(&vals, json_string_value(v), strlen(json_string_value(v)));
            }
            const char *ks = key != NULL ? json_string_value(key) : "";
            if (new_requirement(ks, op, &vals, true, &sel->reqs[sel->n], &err) != 0) {
                set_err(ret_err, &err);
                r = AZ_EINVALID;
                goto out;
            }
            sel->n++;
        }
    }
out:
    free(err.data);
    if (r != 0) {
        label_selector_free(sel);
        return r;
    }
    if (sel->n > 1)
        qsort(sel->reqs, sel->n, sizeof(*sel->reqs), cmp_req_key);
    *ret = sel;
    return 0;
}

static bool req_has_value(const struct label_requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

/* Whether a label's value v (NULL: the label is absent) satisfies r. */
static bool requirement_matches_value(const struct label_requirement *r, const char *v)
{
    switch (r->op) {
    case LABEL_OP_IN:
    case LABEL_OP_EQUALS:
    case LABEL_OP_DOUBLE_EQUALS:
        return v != NULL && req_has_value(r, v);
    case LABEL_OP_NOT_IN:
    case LABEL_OP_NOT_EQUALS:
        return v == NULL || !req_has_value(r, v);
    case LABEL_OP_EXISTS:
        return v != NULL;
    case LABEL_OP_DOES_NOT_EXIST:
        return v == NULL;
    case LABEL_OP_GT:
    case LABEL_OP_LT: {
        long long have, want;
        if (v == NULL || r->nvalues != 1 || go_parse_int64(v, &have) != 0 ||
            go_parse_int64(r->values[0], &want) != 0)
            return false;
        return r->op == LABEL_OP_GT ? have > want : have < want;
    }
    }
    return false;
}

bool label_selector_matches(const struct label_selector *sel, json_t *labels)
{
    if (sel == NULL)
        return true;
    if (sel->nothing)
        return false;
    if (labels != NULL && !json_is_object(labels))
        labels = NULL;
    for (size_t i = 0; i < sel->n; i++) {
        json_t *jv = labels != NULL ? json_object_get(labels, sel->reqs[i].key) : NULL;
        if (!requirement_matches_value(&sel->reqs[i], json_is_string(jv) ? json_string_value(jv) : NULL))
            return false;
    }
    return true;
}

bool label_selector_empty(const struct label_selector *sel)
{
    return sel == NULL || (!sel->nothing && sel->n == 0);
}

size_t label_selector_count(const struct label_selector *sel)
{
    return sel == NULL ? 0 : sel->n;
}

void label_selector_requirement(const struct label_selector *sel, size_t i,
                                const char **ret_key, enum label_op *ret_op,
                                const char *const **ret_values, size_t *ret_nvalues)
{
    const struct label_requirement *r = &sel->reqs[i];
    *ret_key = r->key;
    *ret_op = r->op;
    *ret_values = (const char *const *)r->values;
    *ret_nvalues = r->nvalues;
}

char *label_selector_string(const struct label_selector *sel)
{
    struct buf b = {0};
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        const struct label_requirement *r = &sel->reqs[i];
        if (i > 0)
            buf_puts(&b, ",");
        if (r->op == LABEL_OP_DOES_NOT_EXIST)
            buf_puts(&b, "!");
        buf_puts(&b, r->key);
        const char *sep = NULL;
        switch (r->op) {
        case LABEL_OP_EQUALS: sep = "="; break;
        case LABEL_OP_DOUBLE_EQUALS: sep = "=="; break;
        case LABEL_OP_NOT_EQUALS: sep = "!="; break;
        case LABEL_OP_IN: sep = " in "; break;
        case LABEL_OP_NOT_IN: sep = " notin "; break;
        case LABEL_OP_GT: sep = ">"; break;
        case LABEL_OP_LT: sep = "<"; break;
        case LABEL_OP_EXISTS:
        case LABEL_OP_DOES_NOT_EXIST:
            break;
        }
        if (sep == NULL)
            continue;
        buf_puts(&b, sep);
        bool set = r->op == LABEL_OP_IN || r->op == LABEL_OP_NOT_IN;
        if (set)
            buf_puts(&b, "(");
        for (size_t j = 0; j < r->nvalues; j++) {
            if (j > 0)
                buf_puts(&b, ",");
            buf_puts(&b, r->values[j]);
        }
        if (set)
            buf_puts(&b, ")");
    }
    return buf_detach(&b, NULL);
}

/* ---- field selectors ---- */

struct field_term {
    char *field;
    char *value; /* unescaped */
    bool not_equal;
};

struct field_selector {
    struct field_term *terms; /* in upstream's (sorted raw term) order */
    size_t n;
};

void field_selector_free(struct field_selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->terms[i].field);
        free(sel->terms[i].value);
    }
    free(sel->terms);
    free(sel);
}

static void buf_add_rune(struct buf *b, uint32_t r)
{
    char out[4];
    buf_append(b, out, utf8_encode(r, out));
}

/* fields.UnescapeValue. Returns 0 and a malloc'd value, or AZ_EBADREQUEST with the error in err. */
static int unescape_value(const char *s, size_t n, char **ret, struct buf *err)
{
    if (memchr(s, '\\', n) == NULL && memchr(s, ',', n) == NULL && memchr(s, '=', n) == NULL) {
        *ret = xstrndup(s, n);
        return 0;
    }
    struct buf v = {0};
    buf_append(&v, "", 0);
    bool in_slash = false;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t w = utf8_decode(u + i, n - i, &c);
        if (w == 0) /* Go: RuneError, width 1 */
            c = 0xfffd, w = 1;
        i += w;
        if (in_slash) {
            if (c == '\\' || c == ',' || c == '=') {
                buf_add_rune(&v, c);
            } else {
                buf_puts(err, "invalid field selector: invalid escape sequence: \\");
                buf_add_rune(err, c);
                free(v.data);
                return AZ_EBADREQUEST;
            }
            in_slash = false;
            continue;
        }
        if (c == '\\') {
            in_slash = true;
        } else if (c == ',' || c == '=') {
            buf_printf(err, "invalid field selector: unescaped character in value: %d", (int)c);
            free(v.data);
            return AZ_EBADREQUEST;
        } else {
            buf_add_rune(&v, c);
        }
    }
    if (in_slash) {
        buf_puts(err, "invalid field selector: invalid escape sequence: \\");
        free(v.data);
        return AZ_EBADREQUEST;
    }
    *ret = buf_detach(&v, NULL);
    return 0;
}

int field_selector_parse(const char *s, struct field_selector **ret, char **ret_err)
{
    if (s == NULL)
        s = "";
    size_t len = strlen(s);
    if (len > SELECTOR_MAX_BYTES)
        return too_long_err("field", ret_err);

    /* splitTerms: ',' separates terms unless escaped by a backslash. */
    size_t nparts = 0, cap = 0;
    char **parts = NULL;
    if (len > 0) {
        size_t start = 0;
        bool in_slash = false;
        for (size_t i = 0; i <= len; i++) {
            if (i < len) {
                if (in_slash) {
                    in_slash = false;
                    continue;
                }
                if (s[i] == '\\') {
                    in_slash = true;
                    continue;
                }
                if (s[i] != ',')
                    continue;
            }
            if (nparts == SELECTOR_MAX_REQUIREMENTS) {
                for (size_t k = 0; k < nparts; k++)
                    free(parts[k]);
                free(parts);
                return too_many_err("field", ret_err);
            }
            if (nparts == cap) {
                cap = cap ? cap * 2 : 4;
                parts = xrealloc(parts, cap * sizeof(*parts));
            }
            parts[nparts++] = xstrndup(s + start, i - start);
            start = i + 1;
        }
    }
    if (nparts > 1)
        qsort(parts, nparts, sizeof(*parts), strp_cmp);

    struct field_selector *sel = xcalloc(1, sizeof(*sel));
    sel->terms = xcalloc(nparts ? nparts : 1, sizeof(*sel->terms));
    struct buf err = {0};
    int r = 0;
    for (size_t i = 0; i < nparts && r == 0; i++) {
        const char *part = parts[i];
        if (part[0] == '\0')
            continue;
        /* splitTerm: the first position where "!=", "==" or "=" starts, in that order. */
        size_t plen = strlen(part), at = plen, oplen = 0;
        bool not_equal = false;
        for (size_t k = 0; k < plen && at == plen; k++) {
            if (strncmp(part + k, "!=", 2) == 0)
                at = k, oplen = 2, not_equal = true;
            else if (strncmp(part + k, "==", 2) == 0)
                at = k, oplen = 2;
            else if (part[k] == '=')
                at = k, oplen = 1;
        }
        if (at == plen) {
            buf_printf(&err, "invalid selector: '%s'; can't understand '%s'", s, part);
            r = AZ_EBADREQUEST;
            break;
        }
        char *value;
        if (unescape_value(part + at + oplen, plen - at - oplen, &value, &err) != 0) {
            r = AZ_EBADREQUEST;
            break;
        }
        if (at == 0 && value[0] == '\0') {
            /* Transform turns a term with empty field and value into Everything. */
            free(value);
            continue;
        }
        struct field_term *t = &sel->terms[sel->n++];
        t->field = xstrndup(part, at);
        t->value = value;
        t->not_equal = not_equal;
    }
    for (size_t k = 0; k < nparts; k++)
        free(parts[k]);
    free(parts);
    if (r != 0) {
        field_selector_free(sel);
        set_err(ret_err, &err);
        return r;
    }
    free(err.data);
    *ret = sel;
    return 0;
}

bool field_selector_empty(const struct field_selector *sel)
{
    return sel == NULL || sel->n == 0;
}

const char *field_selector_requires_exact(const struct field_selector *sel, const char *field)
{
    for (size_t i = 0; sel != NULL && i < sel->n; i++)
        if (!sel->terms[i].not_equal && strcmp(sel->terms[i].field, field) == 0)
            return sel->terms[i].value;
    return NULL;
}

const char *field_selector_exact_name(const struct field_selector *sel)
{
    return field_selector_requires_exact(sel, "metadata.name");
}

/* -- a kind's field labels: what its conversion func accepts, and where the value of each
 *    label is read (the registry strategy's ToSelectableFields). The resource rows point at
 *    these sets (resource_def.fields); nothing here knows which kind uses which. -- */

enum field_value_type {
    FIELD_VALUE_STRING, /* unset reads "" */
    FIELD_VALUE_BOOL,   /* unset reads "false" */
    FIELD_VALUE_INT,    /* unset reads "0" */
};

struct field_label {
    const char *label;    /* accepted from the client */
    const char *path;     /* dotted path in the v1 JSON; NULL: never set upstream (reads "") */
    const char *fallback; /* path read when path gives "" (core Event "source") */
    enum field_value_type type;
};

enum field_reject {
    FIELD_REJECT_NOT_SUPPORTED, /* field label not supported: %s */
    FIELD_REJECT_FOR_JOB,       /* field label %q not supported for Job */
};

struct field_labels {
    unsigned char id;                 /* 1..255, unique among the sets: the attributes' byte 0 */
    enum field_reject reject;         /* the text refusing other labels */
    const struct field_label *labels; /* terminated by a NULL label */
};

#define META_NAME {"metadata.name", "metadata.name", NULL, FIELD_VALUE_STRING}
#define META_NAMESPACE {"metadata.namespace", "metadata.namespace", NULL, FIELD_VALUE_STRING}
#define STR(l) {l, l, NULL, FIELD_VALUE_STRING}
#define LABELS_END {NULL, NULL, NULL, FIELD_VALUE_STRING}

/* pkg/apis/core/v1/conversion.go + pkg/registry/core/pod/strategy.go */
const struct field_labels field_labels_pod = {1, FIELD_REJECT_NOT_SUPPORTED, (const struct field_label[]){
    META_NAME, META_NAMESPACE,
    STR("spec.nodeName"), STR("spec.restartPolicy"), STR("spec.schedulerName"),
    STR("spec.serviceAccountName"),
    {"spec.hostNetwork", "spec.hostNetwork", NULL, FIELD_VALUE_BOOL},
    STR("status.phase"), STR("status.podIP"),
    {"status.podIPs", NULL, NULL, FIELD_VALUE_STRING}, /* accepted, never selectable */
    STR("status.nominatedNodeName"),
    {"spec.host", "spec.nodeName", NULL, FIELD_VALUE_STRING}, /* legacy alias */
    LABELS_END,
}};
const struct field_labels field_labels_node = {2, FIELD_REJECT_NOT_SUPPORTED, (const struct field_label[]){
    META_NAME,
    {"spec.unschedulable", "spec.unschedulable", NULL, FIELD_VALUE_BOOL},
    LABELS_END,
}};
const struct field_labels field_labels_event = {3, FIELD_REJECT_NOT_SUPPORTED, (const struct field_label[]){
    STR("involvedObject.kind"), STR("involvedObject.namespace"), STR("involvedObject.name"),
    STR("involvedObject.uid"), STR("involvedObject.apiVersion"),
    STR("involvedObject.resourceVersion"), STR("involvedObject.fieldPath"),
    STR("reason"), STR("reportingComponent"),
    {"source", "source.component", "reportingComponent", FIELD_VALUE_STRING},
    STR("type"), META_NAMESPACE, META_NAME,
    LABELS_END,
}};
const struct field_labels field_labels_namespace = {4, FIELD_REJECT_NOT_SUPPORTED, (const struct field_label[]){
    STR("status.phase"), META_NAME,
    LABELS_END,
}};
const struct field_labels field_labels_secret = {5, FIELD_REJECT_NOT_SUPPORTED, (const struct field_label[]){
    STR("type"), META_NAMESPACE, META_NAME,
    LABELS_END,
}};
/* pkg/apis/batch/v1/conversion.go + pkg/registry/batch/job/strategy.go */
const struct field_labels field_labels_job = {6, FIELD_REJECT_FOR_JOB, (const struct field_label[]){
    META_NAME, META_NAMESPACE,
    {"status.successful", "status.succeeded", NULL, FIELD_VALUE_INT},
    LABELS_END,
}};

unsigned field_labels_id(const struct field_labels *k)
{
    return k != NULL ? k->id : 0;
}

static const struct field_label *field_label_find(const struct field_labels *k, const char *label)
{
    for (const struct field_label *l = k->labels; l->label != NULL; l++)
        if (strcmp(l->label, label) == 0)
            return l;
    return NULL;
}

int field_selector_check_supported(const struct field_selector *sel, const struct field_labels *k,
                                   char **ret_err)
{
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        const char *f = sel->terms[i].field;
        struct buf m = {0};
        if (k == NULL) {
            if (strcmp(f, "metadata.name") == 0 || strcmp(f, "metadata.namespace") == 0)
                continue;
            go_quote(&m, f, strlen(f));
            buf_puts(&m, " is not a known field selector: only \"metadata.name\", "
                        "\"metadata.namespace\"");
        } else {
            if (field_label_find(k, f) != NULL)
                continue;
            switch (k->reject) {
            case FIELD_REJECT_NOT_SUPPORTED:
                buf_puts(&m, "field label not supported: ");
                buf_puts(&m, f);
                break;
            case FIELD_REJECT_FOR_JOB:
                buf_puts(&m, "field label ");
                go_quote(&m, f, strlen(f));
                buf_puts(&m, " not supported for Job");
                break;
            }
        }
        set_err(ret_err, &m);
        return AZ_EBADREQUEST;
    }
    return 0;
}

/* Reads the value at a dotted path. Returns NULL when missing or not a scalar; otherwise the
 * text, possibly in buf. */
static const char *json_path_text(json_t *obj, const char *path, char *buf, size_t bufsz)
{
    json_t *cur = obj;
    const char *p = path;
    while (cur != NULL) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(cur))
            return NULL;
        cur = json_object_getn(cur, p, n);
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    if (json_is_string(cur))
        return json_string_value(cur);
    if (json_is_true(cur))
        return "true";
    if (json_is_false(cur))
        return "false";
    if (json_is_integer(cur)) {
        snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT, json_integer_value(cur));
        return buf;
    }
    return NULL;
}

static const char *field_value(const struct field_labels *k, json_t *obj, const char *label,
                               char *buf, size_t bufsz)
{
    const struct field_label *l = k != NULL ? field_label_find(k, label) : NULL;
    if (l == NULL) {
        const char *v = json_path_text(obj, label, buf, bufsz);
        return v != NULL ? v : "";
    }
    if (l->path == NULL)
        return "";
    const char *v = json_path_text(obj, l->path, buf, bufsz);
    if ((v == NULL || v[0] == '\0') && l->fallback != NULL)
        v = json_path_text(obj, l->fallback, buf, bufsz);
    if (v != NULL)
        return v;
    switch (l->type) {
    case FIELD_VALUE_STRING: return "";
    case FIELD_VALUE_BOOL: return "false";
    case FIELD_VALUE_INT: return "0";
    }
    return "";
}

bool field_selector_matches(const struct field_selector *sel, const struct field_labels *k,
                            json_t *obj)
{
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        char buf[32];
        const char *v = field_value(k, obj, sel->terms[i].field, buf, sizeof(buf));
        bool eq = strcmp(v, sel->terms[i].value) == 0;
        if (eq == sel->terms[i].not_equal)
            return false;
    }
    return true;
}

/* ---- pre-parsed filter data (selector attributes) ------------------------------------ */

/* Appends s and its NUL; false when s holds a NUL itself (the form cannot carry it). */
static bool attrs_put(struct buf *b, const char *s, size_t n)
{
    if (memchr(s, '\0', n) != NULL)
        return false;
    buf_append(b, s, n);
    buf_putc(b, '\0');
    return true;
}

int selector_attrs_build(const struct field_labels *k, json_t *obj, struct buf *out)
{
    if (!json_is_object(obj))
        return AZ_EINVALID;
    size_t mark = out->len;
    bool ok = true;
    char num[32];
    buf_putc(out, (char)field_labels_id(k));
    buf_append(out, "\0\0", 2); /* the labels' offset, below */
    if (k != NULL) {
        for (const struct field_label *l = k->labels; ok && l->label != NULL; l++) {
            const char *v = field_value(k, obj, l->label, num, sizeof(num));
            ok = attrs_put(out, v, strlen(v));
        }
    } else {
        static const char *const meta[] = {"metadata.name", "metadata.namespace"};
        for (size_t i = 0; ok && i < 2; i++) {
            const char *v = field_value(NULL, obj, meta[i], num, sizeof(num));
            ok = attrs_put(out, v, strlen(v));
        }
    }
    size_t off = out->len - mark;
    if (off > 0xffff)
        ok = false;
    else {
        out->data[mark + 1] = (char)(off & 0xff);
        out->data[mark + 2] = (char)(off >> 8);
    }
    json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    const char *key;
    json_t *v;
    if (json_is_object(labels)) {
        json_object_foreach(labels, key, v) {
            if (!ok)
                break;
            if (json_is_string(v) && *key != '\0')
                ok = attrs_put(out, key, strlen(key)) &&
                     attrs_put(out, json_string_value(v), strlen(json_string_value(v)));
        }
    }
    if (!ok) {
        out->len = mark;
        return AZ_EINVALID;
    }
    return 0;
}

/* The offset of the labels in attributes a (after the set's id, the offset itself and the
 * field values), or 0 when a is not in the form selector_attrs_build writes. */
static size_t attrs_labels_off(const char *a, size_t len)
{
    if (len < 4 || a[len - 1] != '\0')
        return 0;
    size_t off = (unsigned char)a[1] | (size_t)(unsigned char)a[2] << 8;
    if (off < 4 || off > len || a[off - 1] != '\0')
        return 0;
    return off;
}

int label_selector_matches_attrs(const struct label_selector *sel, const char *a, size_t len)
{
    size_t off = attrs_labels_off(a, len);
    if (off == 0)
        return -1;
    const char *lp = a + off;
    if (sel == NULL)
        return 1;
    if (sel->nothing)
        return 0;
    const char *end = a + len;
    for (size_t i = 0; i < sel->n; i++) {
        const char *v = NULL;
        for (const char *p = lp; p < end;) {
            const char *val = p + strlen(p) + 1;
            if (val >= end)
                return -1;
            if (strcmp(p, sel->reqs[i].key) == 0) {
                v = val;
                break;
            }
            p = val + strlen(val) + 1;
        }
        if (!requirement_matches_value(&sel->reqs[i], v))
            return 0;
    }
    return 1;
}

const char *selector_attrs_field(const struct field_labels *k, const char *a, size_t len,
                                 const char *field)
{
    size_t off = attrs_labels_off(a, len);
    if (off == 0 || (unsigned char)a[0] != field_labels_id(k))
        return NULL;
    size_t pos;
    if (k != NULL) {
        const struct field_label *l = field_label_find(k, field);
        if (l == NULL)
            return NULL;
        pos = (size_t)(l - k->labels);
    } else if (strcmp(field, "metadata.name") == 0) {
        pos = 0;
    } else if (strcmp(field, "metadata.namespace") == 0) {
        pos = 1;
    } else {
        return NULL;
    }
    const char *v = a + 3, *end = a + off;
    for (size_t j = 0; j < pos && v < end; j++)
        v += strlen(v) + 1;
    return v < end ? v : NULL;
}

int field_selector_matches_attrs(const struct field_selector *sel, const struct field_labels *k,
                                 const char *a, size_t len)
{
    if (attrs_labels_off(a, len) == 0 || (unsigned char)a[0] != field_labels_id(k))
        return -1;
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        const char *v = selector_attrs_field(k, a, len, sel->terms[i].field);
        if (v == NULL)
            return -1; /* not a field the kind serves: the caller reads the object */
        bool eq = strcmp(v, sel->terms[i].value) == 0;
        if (eq == sel->terms[i].not_equal)
            return 0;
    }
    return 1;
}
