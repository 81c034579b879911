/* user.h — the authenticated identity of a request (upstream user.Info). */
#ifndef ANZEN_AUTHN_USER_H
#define ANZEN_AUTHN_USER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct user_info {
    char *name;     /* e.g. "system:serviceaccount:lab:default", "admin", "system:anonymous" */
    char *uid;      /* may be NULL */
    char **groups;  /* malloc'd array of malloc'd strings */
    size_t ngroups;
    json_t *extra;  /* object of string -> array of strings, or NULL */
    bool borrowed;  /* lent by its owner (a connection's memo, authn/x509.c): every field
                       belongs to the lender; user_info_release only forgets them, and a
                       borrowed user is never modified (user_info_copy makes an own one) */
};

/* Frees u's fields (only forgets them when u->borrowed) and zeroes u. */
void user_info_release(struct user_info *u);
void user_info_add_group(struct user_info *u, const char *group);
/* A deep copy of u into *ret (release with user_info_release). */
void user_info_copy(struct user_info *ret, const struct user_info *u);
int user_info_in_group(const struct user_info *u, const char *group);

#endif
