// The checks RFC 6455 §4.2.1 asks of an opening handshake that lws 4.1.6 leaves out: it upgrades
// with any Sec-WebSocket-Version (or none), with a key that is not a 16-byte nonce, and hangs up
// without an answer when the key is missing; asked for h2c it switches to HTTP/2.
#pragma once

#include <optional>
#include <string_view>

namespace livesync::wsd {

enum class Handshake {
    ok,
    not_websocket,  // Upgrade is not exactly "websocket" (h2c): 426
    bad_version,    // Sec-WebSocket-Version is not 13: 426 with Sec-WebSocket-Version: 13
    bad_key,        // Sec-WebSocket-Key is not the base64 of 16 bytes: 400
};

// Judges an upgrade request by its headers (absent ones as nullopt).
Handshake check_handshake(std::optional<std::string_view> upgrade,
                          std::optional<std::string_view> version,
                          std::optional<std::string_view> key);

}  // namespace livesync::wsd
