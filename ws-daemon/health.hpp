// The daemon's answer to GET /health on its own socket (local-only, beside /metrics): what a
// load balancer's check on the host asks before sending it pages (docs/scaling.md). Degraded
// means this host's pages would miss other hosts' edits until their next beat or reconnect: the
// PostgreSQL listener has been down longer than the threshold (health_listener_down_s). A
// listener down for less is a blip the reconnect covers, and SQLite mode has no listener, so both
// answer ok.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "metrics.hpp"

namespace livesync::wsd {

struct HealthAnswer {
    unsigned status;  // 200 ok, 503 degraded
    // {"status":"ok"} (SQLite) or {"status":"ok"|"degraded","listener_up":B,"listener_down_s":N}
    std::string body;
};

// `listener`: the listener's metrics, nullopt in SQLite mode; `degraded_after_ms`: the threshold.
HealthAnswer health_of(const std::optional<ListenerMetrics>& listener,
                       std::int64_t degraded_after_ms);

}  // namespace livesync::wsd
