// A request as the pool sees it, filled from the FastCGI parameters by the worker.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace livesync::http {

struct Request {
    std::string method;  // upper case as sent
    std::string path;    // raw path of REQUEST_URI, without the query
    std::string query;   // raw query string, without '?'
    // Only the headers the application reads, keyed by lower-case name (e.g. "if-match").
    std::map<std::string, std::string> headers;
    std::string body;
    // The user the host authenticated (nginx's FastCGI parameter LIVESYNC_USER, which no client
    // header can produce), "" when the site is open. Rows this request writes record it.
    std::string user;

    std::optional<std::string> header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        if (it == headers.end()) return std::nullopt;
        return it->second;
    }
};

// The header names the worker copies from FastCGI parameters (HTTP_IF_MATCH → "if-match", …).
inline constexpr const char* kReadHeaders[] = {
    "content-type", "origin", "sec-fetch-site", "if-match", "if-none-match", "x-client-id", "host",
};

}  // namespace livesync::http
