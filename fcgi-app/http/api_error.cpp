#include "api_error.hpp"

namespace livesync::http {

int status_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::bad_json:
            return 400;
        case ErrorKind::forbidden_origin:
            return 403;
        case ErrorKind::not_found:
            return 404;
        case ErrorKind::method_not_allowed:
            return 405;
        case ErrorKind::precondition_failed:
            return 412;
        case ErrorKind::payload_too_large:
            return 413;
        case ErrorKind::unsupported_media_type:
            return 415;
        case ErrorKind::invalid_query:
            return 422;
        case ErrorKind::validation_failed:
            return 422;
        case ErrorKind::unavailable:
            return 503;
        case ErrorKind::internal:
            return 500;
    }
    return 500;
}

const char* code_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::bad_json:
            return "bad_json";
        case ErrorKind::forbidden_origin:
            return "forbidden_origin";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::method_not_allowed:
            return "method_not_allowed";
        case ErrorKind::precondition_failed:
            return "precondition_failed";
        case ErrorKind::payload_too_large:
            return "payload_too_large";
        case ErrorKind::unsupported_media_type:
            return "unsupported_media_type";
        case ErrorKind::invalid_query:
            return "invalid_query";
        case ErrorKind::validation_failed:
            return "validation_failed";
        case ErrorKind::unavailable:
            return "unavailable";
        case ErrorKind::internal:
            return "internal";
    }
    return "internal";
}

Response error_response(const ApiError& error) {
    nlohmann::json body = {
        {"error",
         {{"code", code_of(error.kind)}, {"message", error.what()}, {"details", error.details}}}};
    Response r = Response::json(status_of(error.kind), body);
    if (error.kind == ErrorKind::method_not_allowed) r.header("Allow", error.allow);
    if (error.kind == ErrorKind::unavailable) r.header("Retry-After", "1");
    return r;
}

}  // namespace livesync::http
