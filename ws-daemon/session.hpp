// Per-connection state, kept in the lws per-session user area (zeroed by lws, so it is a plain
// struct). Constant size whatever happens: what a subscriber still has to receive is a bit mask
// (the frame content comes from the daemon's shared announced state when the socket is writeable),
// never a queue of messages.
#pragma once

#include <libwebsockets.h>

#include <cstddef>
#include <cstdint>

namespace livesync::wsd {

enum class SessionKind : std::uint8_t { none = 0, ws, sse };

// Pending bits. The three entity bits are (1 << entity_index(e)).
inline constexpr std::uint8_t kPendingEntities = 0x07;
inline constexpr std::uint8_t kPendingHello = 1 << 3;
inline constexpr std::uint8_t kPendingCatchUp = 1 << 4;  // refresh `all` at the current rev
inline constexpr std::uint8_t kPendingHeartbeat = 1 << 5;
inline constexpr std::uint8_t kPendingReconnect = 1 << 6;
inline constexpr std::uint8_t kPendingClose = 1 << 7;  // reconnect sent: close once flushed

// Bounds inbound WebSocket data frames: at most `max_bytes` per message and `per_second`
// messages in any one wall-clock second.
struct FrameGuard {
    enum class Verdict { ok, too_large, too_fast };
    std::uint32_t second = 0;
    std::uint16_t count = 0;
    std::uint32_t message_bytes = 0;

    // Called for each piece lws delivers; `first` marks the start of a message.
    Verdict on_piece(std::size_t len, bool first, std::uint32_t now_second, std::uint32_t max_bytes,
                     std::uint16_t per_second) {
        if (first) {
            message_bytes = 0;
            if (now_second != second) {
                second = now_second;
                count = 0;
            }
            if (++count > per_second) return Verdict::too_fast;
        }
        message_bytes += static_cast<std::uint32_t>(len);
        return message_bytes > max_bytes ? Verdict::too_large : Verdict::ok;
    }
};

struct Session {
    lws_dll2 link;  // in one of Daemon's heartbeat slots (session_slots.hpp) while kind != none
    struct lws* wsi;
    SessionKind kind;
    std::uint8_t pending;  // kPending* bits
    std::uint8_t mixed;    // entity bits whose pending event stands for announcements from
                           // more than one client (or an unknown one): it goes out without an
                           // origin (announcements.hpp)
    FrameGuard guard;
};

}  // namespace livesync::wsd
