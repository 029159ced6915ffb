#include "health.hpp"

namespace livesync::wsd {

HealthAnswer health_of(const std::optional<ListenerMetrics>& listener,
                       std::int64_t degraded_after_ms) {
    if (!listener) return {200, "{\"status\":\"ok\"}\n"};
    bool degraded = !listener->up && listener->down_ms > degraded_after_ms;
    // Whole seconds: the threshold is set in seconds.
    std::string down_s = std::to_string(listener->up ? 0 : listener->down_ms / 1000);
    return {degraded ? 503u : 200u, std::string("{\"status\":\"") + (degraded ? "degraded" : "ok") +
                                        "\",\"listener_up\":" + (listener->up ? "true" : "false") +
                                        ",\"listener_down_s\":" + down_s + "}\n"};
}

}  // namespace livesync::wsd
