#include "response.hpp"

namespace livesync::http {

Response Response::json(int status, const nlohmann::json& value) {
    return json_text(status, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response Response::json_text(int status, std::string serialized) {
    Response r;
    r.status = status;
    r.body = std::move(serialized);
    r.header("Content-Type", "application/json");
    return r;
}

Response Response::empty(int status) {
    Response r;
    r.status = status;
    return r;
}

const char* status_line(int status) {
    switch (status) {
        case 200:
            return "200 OK";
        case 201:
            return "201 Created";
        case 204:
            return "204 No Content";
        case 304:
            return "304 Not Modified";
        case 400:
            return "400 Bad Request";
        case 403:
            return "403 Forbidden";
        case 404:
            return "404 Not Found";
        case 405:
            return "405 Method Not Allowed";
        case 412:
            return "412 Precondition Failed";
        case 413:
            return "413 Payload Too Large";
        case 415:
            return "415 Unsupported Media Type";
        case 422:
            return "422 Unprocessable Content";
        case 503:
            return "503 Service Unavailable";
        default:
            return "500 Internal Server Error";
    }
}

std::string serialize(const Response& response, bool head_only) {
    std::string out;
    out.reserve(response.body.size() + 256);
    out += "Status: ";
    out += status_line(response.status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "Cache-Control: no-cache\r\n";
    bool has_body = response.status != 204 && response.status != 304;
    if (has_body && !response.stream) {
        out += "Content-Length: ";
        out += std::to_string(response.body.size());
        out += "\r\n";
    }
    out += "\r\n";
    if (has_body && !head_only && !response.stream) out += response.body;
    return out;
}

}  // namespace livesync::http
