// The daemon's counters, rendered in Prometheus text format for GET /metrics on the daemon's own
// socket (local-only: nginx does not proxy that path). Plain integers: one thread updates and
// renders them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "change.hpp"
#include "frame_guard.hpp"
#include "revisions.hpp"

namespace livesync::wsd {

enum class Transport { ws, sse };
enum class Refusal {
    origin,
    cross_site,
    capacity,
    draining,
    frame_size,
    frame_rate,
    method,
    not_found,
    handshake
};
enum class Drop { stalled, write_failed };
inline constexpr int kTransportCount = 2;
inline constexpr int kRefusalCount = 9;
inline constexpr int kDropCount = 2;

// The PostgreSQL listener (pg_source.hpp), shown only in PostgreSQL mode. Ages and durations in
// milliseconds; -1: never.
struct ListenerMetrics {
    bool up = false;
    std::uint64_t reconnects = 0;
    std::int64_t down_ms = 0;  // how long it has been down (0 while up)
    std::int64_t notification_age_ms = -1;
    std::int64_t read_age_ms = -1;  // the last read (poll, notification or hello) answered
};

struct Metrics {
    std::array<std::uint64_t, kTransportCount> open{};        // gauge
    std::array<std::uint64_t, kTransportCount> accepted{};    // counter
    std::array<std::uint64_t, kTransportCount> frames_out{};  // counter (events and heartbeats)
    std::uint64_t signals_in = 0;
    std::uint64_t signals_malformed = 0;
    std::uint64_t revision_reads = 0;
    std::uint64_t revision_read_failures = 0;
    std::array<std::uint64_t, kTableEntityCount> events{};  // announcements per entity
    std::uint64_t coalesced = 0;
    std::uint64_t fanout_waits = 0;     // a wave paused until nginx had read its last slots
    std::uint64_t fanout_timeouts = 0;  // ... and gave up waiting
    std::array<std::uint64_t, kDropCount> drops{};
    std::array<std::uint64_t, kRefusalCount> refusals{};
    // WebSocket connections failed for a client frame breaking RFC 6455 (frame_guard.hpp); the
    // SPEC §4 limits are refusals (frame_size, frame_rate).
    std::array<std::uint64_t, kProtocolErrorCount> protocol_errors{};
    Revisions revisions;
    // The database's global revision as last read minus the one subscribers were told: what
    // the gate and the coalescer hold back (briefly), or a read that cannot be announced.
    std::int64_t revision_gap = 0;
    std::optional<ListenerMetrics> listener;
    bool draining = false;

    std::uint64_t& refused(Refusal r) { return refusals[static_cast<std::size_t>(r)]; }
    std::uint64_t& dropped(Drop d) { return drops[static_cast<std::size_t>(d)]; }
    std::uint64_t& protocol_error(FrameError e) { return protocol_errors[protocol_error_index(e)]; }
};

// Renders every counter with # HELP / # TYPE lines.
std::string render_prometheus(const Metrics& m);

}  // namespace livesync::wsd
