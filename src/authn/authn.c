/* authn.c — the authentication chain; see authn.h and spec/06 §6.4.
 * A presented credential that is not accepted is a 401, never downgraded to anonymous. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "authn/authn.h"
#include "authn/x509.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static bool anonymous_enabled;

void authn_set_anonymous(bool enabled)
{
    anonymous_enabled = enabled;
}

static void finish_user(struct user_info *u)
{
    user_info_add_group(u, "system:authenticated");
}

bool authn_is_health_path(const char *path)
{
    static const char *const roots[] = {"/healthz", "/livez", "/readyz"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(path, roots[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return true;
    }
    return false;
}

int authn_request(struct apiserver *srv, SSL *ssl, const char *authorization, size_t auth_len,
                  const char *path, struct user_info *ret, const char **ret_warning)
{
    memset(ret, 0, sizeof(*ret));
    *ret_warning = NULL;
    if (ssl != NULL) {
        int r = x509_user_lend(ssl, "system:authenticated", ret); /* finish_user's group */
        if (r == 0)
            return 0;
        if (r == AZ_EUNAUTHORIZED)
            return AZ_EUNAUTHORIZED;
    }
    /* upstream bearertoken: TrimSpace, SplitN(" ", 3), scheme "bearer" (any case), token =
     * the second part; an empty token is "no credentials" (with a warning if a third part
     * shows the token came after two spaces). */
    const char *h = authorization ? authorization : "";
    size_t hl = authorization ? auth_len : 0;
    while (hl > 0 && (*h == ' ' || *h == '\t' || *h == '\r' || *h == '\n')) {
        h++;
        hl--;
    }
    while (hl > 0 && (h[hl - 1] == ' ' || h[hl - 1] == '\t' || h[hl - 1] == '\r' || h[hl - 1] == '\n'))
        hl--;
    const char *sp = hl ? memchr(h, ' ', hl) : NULL;
    if (sp != NULL && sp - h == 6 && strncasecmp(h, "bearer", 6) == 0) {
        const char *tok = sp + 1;
        const char *end = h + hl;
        const char *sp2 = memchr(tok, ' ', (size_t)(end - tok));
        size_t n = (size_t)((sp2 ? sp2 : end) - tok);
        if (n == 0) {
            if (sp2 != NULL)
                *ret_warning = "the provided Authorization header contains extra space before the bearer token, and is ignored";
        } else {
            char *token = xstrndup(tok, n);
            int result = AZ_EUNAUTHORIZED;
            for (size_t i = 0; i < srv->ntoken_authenticators; i++) {
                const struct token_authenticator *ta = srv->token_authenticators[i];
                char *why = NULL;
                int r = ta->authenticate(ta->state, srv, token, ret, &why);
                if (r == 0) {
                    finish_user(ret);
                    result = 0;
                    free(why);
                    break;
                }
                if (r == AZ_EUNAUTHORIZED) {
                    log_debug("authn: %s rejected a token: %s", ta->name, why ? why : "");
                    free(why);
                    break;
                }
                free(why);
            }
            OPENSSL_cleanse(token, n);
            free(token);
            if (result != 0)
                user_info_release(ret);
            return result;
        }
    }
    if (!anonymous_enabled && !(path != NULL && authn_is_health_path(path)))
        return AZ_EUNAUTHORIZED;
    ret->name = xstrdup("system:anonymous");
    user_info_add_group(ret, "system:unauthenticated");
    return 0;
}
