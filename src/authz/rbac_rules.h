/* rbac_rules.h — RBAC PolicyRules compiled for evaluation: upstream's RuleAllows
 * (pkg/apis/rbac/v1/evaluation_helpers.go), coverage for escalation checks (BreakdownRule,
 * ruleCovers, Covers in pkg/registry/rbac/validation/rule.go and component-helpers
 * policy_comparator.go), CompactRules/CompactString for the escalation message, and the
 * rule JSON shapes of SelfSubjectRulesReview. Matching semantics: spec/08 §8.3, §8.6. */
#ifndef ANZEN_AUTHZ_RBAC_RULES_H
#define ANZEN_AUTHZ_RBAC_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "authz/authz.h"

struct buf;

/* One PolicyRule. Lists are malloc'd arrays of malloc'd strings, kept as given. */
struct rbac_rule {
    char **verbs;
    size_t nverbs;
    char **groups;
    size_t ngroups;
    char **resources;
    size_t nresources;
    char **names; /* resourceNames */
    size_t nnames;
    char **urls;  /* nonResourceURLs */
    size_t nurls;
};

/* A list of rules (growable). */
struct rbac_rules {
    struct rbac_rule *items;
    size_t n, cap;
};

void rbac_rules_init(struct rbac_rules *rs);
void rbac_rules_release(struct rbac_rules *rs);
/* Appends the rules of a JSON array of PolicyRules (non-arrays and non-strings ignored). */
void rbac_rules_add_json(struct rbac_rules *rs, json_t *rules);
/* Appends a deep copy of r. */
void rbac_rules_add(struct rbac_rules *rs, const struct rbac_rule *r);
/* Appends a rule built from NULL-terminated string lists (any may be NULL). */
void rbac_rules_add_lists(struct rbac_rules *rs, const char *const *verbs,
                          const char *const *groups, const char *const *resources,
                          const char *const *names, const char *const *urls);

/* Upstream RuleAllows: does r allow the request a? */
bool rbac_rule_allows(const struct rbac_rule *r, const struct authz_attrs *a);

/* Upstream Covers(owner, servant): breaks every servant rule down and appends the pieces no
 * owner rule covers to ret_missing (when not NULL). Returns true when all are covered. */
bool rbac_rules_cover(const struct rbac_rules *owner, const struct rbac_rules *servant,
                      struct rbac_rules *ret_missing);

/* The "not currently held" list of an escalation error: missing pieces compacted
 * (CompactRules), each as CompactString, sorted and de-duplicated, joined by "\n". */
char *rbac_rules_describe_missing(const struct rbac_rules *missing);

/* PolicyRule JSON as upstream writes it (verbs, apiGroups, resources, resourceNames,
 * nonResourceURLs; empty lists omitted except verbs). */
json_t *rbac_rule_to_json(const struct rbac_rule *r);

/* ---- compiled rules (the decision hot path) ---------------------------------------------
 * A role's rules are compiled once (when the role is stored) into arrays of strings with their
 * length and first 8 bytes as a word; a request is read once into a probe of the same form.
 * Matching then compares lengths and words and calls memcmp only for the bytes past the
 * first 8 of an otherwise equal string — no strcmp, no allocation, the same answers as
 * rbac_rule_allows. */

/* 64-bit hash of n bytes (stable within a process; not cryptographic). */
uint64_t rbac_hash(const char *p, size_t n);

/* A string of a compiled rule or probe: length, first 8 bytes (zero-padded) as a word. For a
 * resource "*" "/" <sub>, star_sub is set and sub_w0 is the first word of <sub>. s points
 * into the source rule (or the request). */
struct rbac_cstr {
    uint64_t w0, sub_w0;
    const char *s;
    uint32_t len;
    bool star_sub;
};

/* Verbs are bits: one per verb upstream's authorizers know (get .. attest), RBAC_VERB_OTHER
 * for any other; "*" is every bit. Verbs outside the known set are also kept as strings. */
#define RBAC_VERB_OTHER (1ull << 63)

struct rbac_crule {
    const struct rbac_rule *src;
    uint64_t verb_mask;
    uint32_t verbs, nverbs, groups, ngroups, res, nres, names, nnames; /* ranges of strs;
                                                                        verbs: unknown ones */
    bool any_verb, any_group, any_res;
};

/* The compiled form of a struct rbac_rules; valid while the source is unchanged. */
struct rbac_crules {
    struct rbac_crule *items;
    size_t n;
    struct rbac_cstr *strs;
    size_t nstrs;
    uint64_t verb_mask;        /* union over the rules: a role-level pre-check */
    bool has_res, has_urls;    /* some rule can match resource / non-resource requests */
};

/* A request's attributes, read once per decision. */
#define RBAC_PROBE_COMBINED_MAX 256
struct rbac_probe {
    const struct authz_attrs *a;
    struct rbac_cstr verb, group, res, sub, name; /* res is "<resource>/<sub>" with a sub */
    uint64_t verb_bit;
    bool slow; /* combined resource too long for the buffer: match with rbac_rule_allows */
    char combined[RBAC_PROBE_COMBINED_MAX];
};

void rbac_crules_compile(const struct rbac_rules *rs, struct rbac_crules *ret);
void rbac_crules_release(struct rbac_crules *c);
/* Fills p from a (a must outlive p). */
void rbac_probe_init(struct rbac_probe *p, const struct authz_attrs *a);
/* Whether any rule of c allows the probed request (same answer as rbac_rule_allows). */
bool rbac_crules_allow(const struct rbac_crules *c, const struct rbac_probe *p);

/* Go %q of a string list: ["a" "b"]. */
void rbac_quote_list(struct buf *b, char *const *items, size_t n);

#endif
