/* err.h — the one error enum of the project.
 *
 * Functions return int: 0 on success, a negative AZ_E* code on failure. Codes are only ever
 * appended (never renumbered or removed). Every mapping from a code (HTTP status, Kubernetes
 * Status.reason, text) is a switch without default in err.c, built with -Wswitch-enum, so a
 * new code without a mapping fails the build.
 *
 * A failure is not reported as a bare -1 (it would read as AZ_ENOTFOUND). A -1 remains where
 * a function returns a value rather than success or failure, and its contract says so: an
 * index, length, offset, time or exit status with -1 for "none" (hex_digit_value,
 * time_parse_rfc3339, typecheck_base64_error), a file descriptor (-1: none, as POSIX), a
 * three-way answer (1 / 0 / -1 "cannot tell": the *_matches_attrs selectors,
 * itembytes_member) or a comparator. The node agent's file-system helpers (node_mkdir_p,
 * node_atomic_write, layer_remove_at and the static helpers of node/layer.c and volumes.c)
 * return -errno as systemd does, so that their callers can print strerror(-rc); those report
 * the failure in their own terms (an AZ_* code, a volume's or container's waiting reason). */
#ifndef ANZEN_UTIL_ERR_H
#define ANZEN_UTIL_ERR_H

enum az_err {
    AZ_OK = 0,
    AZ_ENOTFOUND = -1,        /* 404 NotFound */
    AZ_EEXIST = -2,           /* 409 AlreadyExists */
    AZ_ECONFLICT = -3,        /* 409 Conflict (stale resourceVersion) */
    AZ_EINVALID = -4,         /* 422 Invalid */
    AZ_EBADREQUEST = -5,      /* 400 BadRequest */
    AZ_EUNAUTHORIZED = -6,    /* 401 Unauthorized */
    AZ_EFORBIDDEN = -7,       /* 403 Forbidden */
    AZ_EMETHOD = -8,          /* 405 MethodNotAllowed */
    AZ_EGONE = -9,            /* 410 Expired (watch/continue too old) */
    AZ_ETOOLARGE = -10,       /* 413 RequestEntityTooLarge */
    AZ_EMEDIATYPE = -11,      /* 415 UnsupportedMediaType */
    AZ_EINTERNAL = -12,       /* 500 InternalError */
    AZ_EUNAVAILABLE = -13,    /* 503 ServiceUnavailable */
    AZ_EIO = -14,             /* storage or file I/O failed (500) */
    AZ_ENOTACCEPTABLE = -15,  /* 406 NotAcceptable */
    AZ_ETIMEOUT = -16,        /* 504 Timeout */
    AZ_ETOOMANY = -17,        /* 429 TooManyRequests */
};

/* HTTP status code for an error (200 for AZ_OK). */
int az_err_http_code(enum az_err e);
/* metav1.StatusReason for an error ("" for AZ_OK). */
const char *az_err_reason(enum az_err e);
/* Short English text, for logs. */
const char *az_err_str(enum az_err e);

#endif
