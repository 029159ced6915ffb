// The HTTP/1.1 side of a subscriber: the request each transport sends and the response head it
// has to read before the stream starts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace livesync::subgen {

// The upgrade a browser's `new WebSocket("wss://…/ws")` sends, with a fresh random key.
std::string ws_request(int port, std::string_view origin);
// A same-origin EventSource's request: no Origin header.
std::string sse_request(int port);

struct ResponseHead {
    std::string status_line;
    int status = 0;  // 0 when the status line is not HTTP/1.x NNN
    bool chunked = false;
    bool gzip = false;                          // Content-Encoding: gzip
    std::optional<std::size_t> content_length;  // absent, or not a number
    std::string etag;
    std::size_t length = 0;  // bytes of the head including its blank line
};

// The head at the start of `bytes`, or nothing if it has not all arrived yet.
std::optional<ResponseHead> parse_head(std::string_view bytes);

}  // namespace livesync::subgen
