// Per-connection state, kept in the lws per-session user area (zeroed by lws, so it is a plain
// struct). Constant size whatever happens: what a subscriber still has to receive is a bit mask
// (the frame content comes from the daemon's shared announced state when the socket is writeable),
// never a queue of messages.
#pragma once

#include <libwebsockets.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "frame_guard.hpp"

namespace livesync::wsd {

enum class SessionKind : std::uint8_t { none = 0, ws, sse };

// Pending bits. The three entity bits are (1 << entity_index(e)).
inline constexpr std::uint8_t kPendingEntities = 0x07;
inline constexpr std::uint8_t kPendingHello = 1 << 3;
inline constexpr std::uint8_t kPendingCatchUp = 1 << 4;  // refresh `all` at the current rev
inline constexpr std::uint8_t kPendingHeartbeat = 1
                                                  << 5;  // a `beat`, due once per heartbeat period
inline constexpr std::uint8_t kPendingReconnect = 1 << 6;
inline constexpr std::uint8_t kPendingClose = 1 << 7;  // reconnect sent: close once flushed

inline constexpr std::int64_t kNoResume = INT64_MIN;

struct Session {
    lws_dll2 link;  // in one of Daemon's heartbeat slots (session_slots.hpp) while kind != none
    struct lws* wsi;
    SessionKind kind;
    std::uint8_t pending;  // kPending* bits
    std::uint8_t mixed;    // entity bits whose pending event stands for announcements from
                           // more than one client (or an unknown one): it goes out without an
                           // origin (announcements.hpp)
    bool wrote;            // a frame went out since its heartbeat slot was last visited
    // A rule its client's frames broke (recv_tap.hpp); it is closed with its code when
    // next writeable.
    FrameError frame_error;
    bool close_sent;  // that close frame went out: it waits for the client to hang up
    // PostgreSQL mode: the (low bits of the) number of the read its hello waits for, while
    // `held` (hello_hold.hpp).
    std::uint32_t hello_read;
    bool held;
    // SSE: the Last-Event-ID it resumed from, or kNoResume; checked against the told revision
    // when the hello is due.
    std::int64_t resume_rev;
};

}  // namespace livesync::wsd
