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

#define MAX_TOKEN_AUTHN 4
static const struct token_authenticator *token_authns[MAX_TOKEN_AUTHN];
static int ntoken_authns;
static bool anonymous_enabled;

void authn_register_token(const struct token_authenticator *a)
{
    if (ntoken_authns < MAX_TOKEN_AUTHN)
        token_authns[ntoken_authns++] = a;
}

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
        int r = x509_user_from_ssl(ssl, ret);
        if (r == 0) {
            finish_user(ret);
            return 0;
        }
        if (r == AZ_EUNAUTHORIZED)
            return AZ_EUNAUTHORIZED;
    }
    if (authorization != NULL && auth_len > 7 && strncasecmp(authorization, "bearer ", 7) == 0) {
        const char *tok = authorization + 7;
        size_t n = auth_len - 7;
        if (n > 0 && tok[0] == ' ') {
            *ret_warning = "the provided Authorization header contains extra space before the bearer token, and is ignored";
        } else if (n > 0) {
            char *token = xstrndup(tok, n);
            int result = AZ_EUNAUTHORIZED;
            for (int i = 0; i < ntoken_authns; i++) {
                char *why = NULL;
                int r = token_authns[i]->authenticate(token_authns[i]->state, srv, token, ret, &why);
                if (r == 0) {
                    finish_user(ret);
                    result = 0;
                    free(why);
                    break;
                }
                if (r == AZ_EUNAUTHORIZED) {
                    log_debug("authn: %s rejected a token: %s", token_authns[i]->name, why ? why : "");
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
    } else if (authorization != NULL && auth_len > 0 &&
               !(auth_len == 6 && strncasecmp(authorization, "bearer", 6) == 0)) {
        /* Another scheme (e.g. Basic): no authenticator handles it. */
    }
    if (!anonymous_enabled && !(path != NULL && authn_is_health_path(path)))
        return AZ_EUNAUTHORIZED;
    ret->name = xstrdup("system:anonymous");
    user_info_add_group(ret, "system:unauthenticated");
    return 0;
}
