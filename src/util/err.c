/* err.c — mappings of enum az_err (see err.h). Switches have no default on purpose. */
#include "util/err.h"

int az_err_http_code(enum az_err e)
{
    switch (e) {
    case AZ_OK: return 200;
    case AZ_ENOTFOUND: return 404;
    case AZ_EEXIST: return 409;
    case AZ_ECONFLICT: return 409;
    case AZ_EINVALID: return 422;
    case AZ_EBADREQUEST: return 400;
    case AZ_EUNAUTHORIZED: return 401;
    case AZ_EFORBIDDEN: return 403;
    case AZ_EMETHOD: return 405;
    case AZ_EGONE: return 410;
    case AZ_ETOOLARGE: return 413;
    case AZ_EMEDIATYPE: return 415;
    case AZ_EINTERNAL: return 500;
    case AZ_EUNAVAILABLE: return 503;
    case AZ_EIO: return 500;
    case AZ_ENOTACCEPTABLE: return 406;
    case AZ_ETIMEOUT: return 504;
    case AZ_ETOOMANY: return 429;
    }
    return 500;
}

const char *az_err_reason(enum az_err e)
{
    switch (e) {
    case AZ_OK: return "";
    case AZ_ENOTFOUND: return "NotFound";
    case AZ_EEXIST: return "AlreadyExists";
    case AZ_ECONFLICT: return "Conflict";
    case AZ_EINVALID: return "Invalid";
    case AZ_EBADREQUEST: return "BadRequest";
    case AZ_EUNAUTHORIZED: return "Unauthorized";
    case AZ_EFORBIDDEN: return "Forbidden";
    case AZ_EMETHOD: return "MethodNotAllowed";
    case AZ_EGONE: return "Expired";
    case AZ_ETOOLARGE: return "RequestEntityTooLarge";
    case AZ_EMEDIATYPE: return "UnsupportedMediaType";
    case AZ_EINTERNAL: return "InternalError";
    case AZ_EUNAVAILABLE: return "ServiceUnavailable";
    case AZ_EIO: return "InternalError";
    case AZ_ENOTACCEPTABLE: return "NotAcceptable";
    case AZ_ETIMEOUT: return "Timeout";
    case AZ_ETOOMANY: return "TooManyRequests";
    }
    return "InternalError";
}

const char *az_err_str(enum az_err e)
{
    switch (e) {
    case AZ_OK: return "ok";
    case AZ_ENOTFOUND: return "not found";
    case AZ_EEXIST: return "already exists";
    case AZ_ECONFLICT: return "conflict";
    case AZ_EINVALID: return "invalid";
    case AZ_EBADREQUEST: return "bad request";
    case AZ_EUNAUTHORIZED: return "unauthorized";
    case AZ_EFORBIDDEN: return "forbidden";
    case AZ_EMETHOD: return "method not allowed";
    case AZ_EGONE: return "gone";
    case AZ_ETOOLARGE: return "too large";
    case AZ_EMEDIATYPE: return "unsupported media type";
    case AZ_EINTERNAL: return "internal error";
    case AZ_EUNAVAILABLE: return "unavailable";
    case AZ_EIO: return "i/o error";
    case AZ_ENOTACCEPTABLE: return "not acceptable";
    case AZ_ETIMEOUT: return "timeout";
    case AZ_ETOOMANY: return "too many requests";
    }
    return "unknown error";
}
