// A response to be written back through FastCGI.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace livesync::http {

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

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

// The complete FastCGI output (CGI headers, blank line, body).
std::string serialize(const Response& response, bool head_only);

}  // namespace livesync::http
