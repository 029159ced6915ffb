// Who may subscribe (SPEC §4, docs/daemon.md "Safety"): the daemon's rules for a WebSocket
// upgrade and for an event-stream request, applied in order, as one verdict — apart from lws,
// which only writes the answer. A refusal names the HTTP status, the JSON error and the metric
// it counts under.
//
// Pure logic: the daemon passes the request's headers (absent ones as nullopt) and its state.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "metrics.hpp"
#include "origin_policy.hpp"

namespace livesync::wsd {

struct Refuse {
    unsigned status;
    const char* code;     // the JSON error's code
    const char* message;  // ... and its message
    Refusal counted_as;
    const char* log_reason;  // logged as reason=…, or nullptr for no log line
};

struct Upgrade {
    std::optional<std::string_view> upgrade, version, key;  // the handshake's headers
    std::optional<std::string_view> uri;
    std::optional<std::string_view> origin;
};

// The site's rules and the daemon's state at the time of the request.
struct Gate {
    const std::vector<Origin>& origins;
    bool allow_missing_origin_ws;
    bool draining;
    bool full;  // at max_connections
};

// A WebSocket upgrade: the handshake (426/400), the path (/ws, else 404), the Origin (403),
// draining (503), capacity (503). nullopt: admit.
std::optional<Refuse> admit_upgrade(const Upgrade& request, const Gate& gate);
// A GET /events: the Origin and Sec-Fetch-Site (403), draining (503), capacity (503).
std::optional<Refuse> admit_stream(std::optional<std::string_view> origin,
                                   std::optional<std::string_view> fetch_site, const Gate& gate);

}  // namespace livesync::wsd
