#include "http_head.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>

#include "ascii.hpp"

namespace livesync::subgen {
namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

std::optional<std::size_t> parse_size(std::string_view s) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return n;
}

}  // namespace

std::string ws_request(int port, std::string_view origin) {
    unsigned char key[16];
    if (RAND_bytes(key, sizeof key) != 1) throw std::runtime_error("RAND_bytes failed");
    unsigned char key64[25];
    EVP_EncodeBlock(key64, key, sizeof key);
    std::string host = "localhost:" + std::to_string(port);
    return "GET /ws HTTP/1.1\r\nHost: " + host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
           reinterpret_cast<const char*>(key64) +
           "\r\nSec-WebSocket-Version: 13\r\nOrigin: " + std::string(origin) + "\r\n\r\n";
}

std::string sse_request(int port) {
    return "GET /events HTTP/1.1\r\nHost: localhost:" + std::to_string(port) +
           "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
}

std::optional<ResponseHead> parse_head(std::string_view bytes) {
    std::size_t end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    ResponseHead head;
    head.length = end + 4;
    std::string_view lines = bytes.substr(0, end);
    std::size_t eol = lines.find("\r\n");
    head.status_line = std::string(lines.substr(0, eol));
    if (head.status_line.starts_with("HTTP/1.") && head.status_line.size() >= 12)
        std::from_chars(head.status_line.data() + 9, head.status_line.data() + 12, head.status);
    while (eol != std::string_view::npos) {
        lines.remove_prefix(eol + 2);
        eol = lines.find("\r\n");
        std::string_view raw = lines.substr(0, eol);
        std::string line = ascii_lower(raw);
        if (line.starts_with("transfer-encoding:") && line.find("chunked") != std::string::npos)
            head.chunked = true;
        else if (line.starts_with("content-encoding:") && line.find("gzip") != std::string::npos)
            head.gzip = true;
        else if (line.starts_with("content-length:"))
            head.content_length = parse_size(trim(line.substr(15)));
        else if (line.starts_with("etag:"))
            head.etag = trim(raw.substr(5));  // the tag as sent: case matters in it
    }
    return head;
}

}  // namespace livesync::subgen
