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
/* Whole-rule semantic equality (nil and empty lists equal). */
bool rbac_rule_equal(const struct rbac_rule *a, const struct rbac_rule *b);

/* Go %q of a string list: ["a" "b"]. */
void rbac_quote_list(struct buf *b, char *const *items, size_t n);

#endif
