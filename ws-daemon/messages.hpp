// The wire format of SPEC §4: the four JSON messages and their Server-Sent Events framing.
// Every function writes into a caller's buffer (the daemon's one frame buffer) and returns the
// number of bytes written, or 0 if the buffer is too small (never for the sizes used here:
// kMaxFrameBytes is enough for every message, since client ids are at most 64 safe characters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "entity.hpp"
#include "revisions.hpp"

namespace livesync::wsd {

inline constexpr std::size_t kMaxFrameBytes = 512;

// {"type":"hello","rev":R,"revs":{"projects":r1,"solutions":r2,"subcomponents":r3},"beat_ms":N}
// `beat_ms` is the heartbeat interval: a client that hears nothing for a few of them knows its
// link is dead (browsers hide pings and SSE comments from scripts, so only a message can tell).
std::size_t format_hello(std::span<char> out, const Revisions& revs, std::int64_t beat_ms);
// {"type":"beat","rev":R,"revs":{…}} — the heartbeat, in hello's shape (without `beat_ms`).
std::size_t format_beat(std::span<char> out, const Revisions& revs);
// {"type":"refresh","entity":"…","rev":R[,"origin":"…"]} — `origin` omitted when empty.
// `origin` must already be a sanitized client id (common/change_signal.hpp).
std::size_t format_refresh(std::span<char> out, Entity entity, std::int64_t rev,
                           std::string_view origin);
// {"type":"reconnect","after_ms":N}
std::size_t format_reconnect(std::span<char> out, int after_ms);

// One SSE event: optional `retry: N` (when retry_ms > 0), `id: <id>`, `event: <name>`,
// `data: <json>` and the blank line that ends it.
std::size_t format_sse_event(std::span<char> out, std::string_view event, std::int64_t id,
                             std::string_view json, int retry_ms);
// Parses a Last-Event-ID header value: the decimal revision, or -1 when it is not one.
std::int64_t parse_last_event_id(std::string_view text);

}  // namespace livesync::wsd
