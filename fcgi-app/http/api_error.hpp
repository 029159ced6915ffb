// Errors a request can end in, each kind mapping one-to-one to a JSON error code and an HTTP
// status. Handlers throw ApiError; `error_response` is the one place that turns it into HTTP.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "response.hpp"

namespace livesync::http {

enum class ErrorKind {
    bad_json,                // 400
    forbidden_origin,        // 403
    not_found,               // 404
    method_not_allowed,      // 405 (+ Allow)
    precondition_failed,     // 412 (+ details.current)
    payload_too_large,       // 413
    unsupported_media_type,  // 415
    invalid_query,           // 422
    validation_failed,       // 422 (details: field → message)
    unavailable,             // 503 (+ Retry-After)
    internal,                // 500: a bug, never bad input
};

struct ApiError : std::runtime_error {
    ApiError(ErrorKind error_kind, const std::string& message,
             nlohmann::json error_details = nullptr)
        : std::runtime_error(message), kind(error_kind), details(std::move(error_details)) {}
    ErrorKind kind;
    nlohmann::json details;
    std::string allow;  // for method_not_allowed
};

int status_of(ErrorKind kind);
const char* code_of(ErrorKind kind);
Response error_response(const ApiError& error);

}  // namespace livesync::http
