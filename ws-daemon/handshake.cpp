#include "handshake.hpp"

#include <cctype>

namespace livesync::wsd {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool is_base64(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// 16 bytes in base64: 22 characters, the last of them carrying only 2 bits, then "==".
bool is_nonce(std::string_view key) {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (char c : key.substr(0, 22))
        if (!is_base64(c)) return false;
    return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

}  // namespace

Handshake check_handshake(std::optional<std::string_view> upgrade,
                          std::optional<std::string_view> version,
                          std::optional<std::string_view> key) {
    if (!upgrade || !iequals(*upgrade, "websocket")) return Handshake::not_websocket;
    if (!version || *version != "13") return Handshake::bad_version;
    if (!key || !is_nonce(*key)) return Handshake::bad_key;
    return Handshake::ok;
}

}  // namespace livesync::wsd
