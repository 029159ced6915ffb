// A response to be written back through FastCGI.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace livesync::http {

// Sends the next piece of a streamed body to the client. Throws if the connection is gone.
using BodyWriter = std::function<void(std::string_view)>;

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Set instead of `body` when the body is too large to hold in memory: called once the
    // headers are sent, it writes the body piece by piece (and there is no Content-Length).
    // Not called for HEAD.
    std::function<void(const BodyWriter&)> stream;

    Response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    static Response json(int status, const nlohmann::json& value);
    static Response json_text(int status, std::string serialized);
    static Response empty(int status);
};

// "200 OK", "404 Not Found", … for the Status header.
const char* status_line(int status);

// The FastCGI output: CGI headers, blank line, body — for a streamed response only up to the
// blank line, the body following from `stream`.
std::string serialize(const Response& response, bool head_only);

}  // namespace livesync::http
