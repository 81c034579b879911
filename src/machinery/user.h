/* user.h — the authenticated identity of a request (upstream user.Info). */
#ifndef ANZEN_AUTHN_USER_H
#define ANZEN_AUTHN_USER_H

#include <jansson.h>
#include <stddef.h>

struct user_info {
    char *name;     /* e.g. "system:serviceaccount:lab:default", "admin", "system:anonymous" */
    char *uid;      /* may be NULL */
    char **groups;  /* malloc'd array of malloc'd strings */
    size_t ngroups;
    json_t *extra;  /* object of string -> array of strings, or NULL */
};

void user_info_release(struct user_info *u);
void user_info_add_group(struct user_info *u, const char *group);
int user_info_in_group(const struct user_info *u, const char *group);
/* Deep copy into ret. */
void user_info_copy(struct user_info *ret, const struct user_info *u);

#endif
