#include "metrics.hpp"

#include <cstdio>

namespace livesync::wsd {
namespace {

constexpr const char* kTransportNames[kTransportCount] = {"ws", "sse"};
constexpr const char* kRefusalNames[kRefusalCount] = {"origin",   "cross_site", "capacity",
                                                      "draining", "frame_size", "frame_rate",
                                                      "method",   "not_found",  "handshake"};
constexpr const char* kDropNames[kDropCount] = {"stalled", "write_failed"};

class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}
    void header(const char* name, const char* type, const char* help) {
        append("# HELP livesync_wsd_%s %s\n# TYPE livesync_wsd_%s %s\n", name, help, name, type);
    }
    void value(const char* name, std::uint64_t v) {
        append("livesync_wsd_%s %llu\n", name, static_cast<unsigned long long>(v));
    }
    void signed_value(const char* name, std::int64_t v) {
        append("livesync_wsd_%s %lld\n", name, static_cast<long long>(v));
    }
    void labelled(const char* name, const char* label, const char* key, std::uint64_t v) {
        append("livesync_wsd_%s{%s=\"%s\"} %llu\n", name, label, key,
               static_cast<unsigned long long>(v));
    }

  private:
    template <typename... Args>
    void append(const char* fmt, Args... args) {
        char line[256];
        int n = std::snprintf(line, sizeof line, fmt, args...);
        if (n > 0)
            out_.append(line, static_cast<std::size_t>(n) < sizeof line ? n : sizeof line - 1);
    }
    std::string& out_;
};

}  // namespace

std::string render_prometheus(const Metrics& m) {
    std::string out;
    out.reserve(4096);
    Writer w(out);
    w.header("connections", "gauge", "Open subscriber connections by transport.");
    for (int t = 0; t < kTransportCount; ++t)
        w.labelled("connections", "transport", kTransportNames[t], m.open[t]);
    w.header("connections_accepted_total", "counter", "Subscriber connections accepted.");
    for (int t = 0; t < kTransportCount; ++t)
        w.labelled("connections_accepted_total", "transport", kTransportNames[t], m.accepted[t]);
    w.header("frames_sent_total", "counter",
             "Frames written to subscribers (events and heartbeats).");
    for (int t = 0; t < kTransportCount; ++t)
        w.labelled("frames_sent_total", "transport", kTransportNames[t], m.frames_out[t]);
    w.header("signals_received_total", "counter", "Well-formed change datagrams received.");
    w.value("signals_received_total", m.signals_in);
    w.header("signals_malformed_total", "counter", "Datagrams that were not a valid signal.");
    w.value("signals_malformed_total", m.signals_malformed);
    w.header("revision_reads_total", "counter", "Reads of the revision table.");
    w.value("revision_reads_total", m.revision_reads);
    w.header("revision_read_failures_total", "counter", "Revision table reads that failed.");
    w.value("revision_read_failures_total", m.revision_read_failures);
    w.header("events_total", "counter", "Refresh events announced, by entity.");
    for (Entity e : kTableEntities)
        w.labelled("events_total", "entity", entity_name(e).data(),
                   m.events[static_cast<std::size_t>(entity_index(e))]);
    w.header("coalesced_total", "counter", "Changes merged into a trailing event.");
    w.value("coalesced_total", m.coalesced);
    w.header("fanout_waits_total", "counter",
             "Pauses of a fan-out until nginx had read the frames written before.");
    w.value("fanout_waits_total", m.fanout_waits);
    w.header("fanout_wait_timeouts_total", "counter",
             "Fan-out pauses that ended because nginx had not read in time.");
    w.value("fanout_wait_timeouts_total", m.fanout_timeouts);
    w.header("drops_total", "counter", "Subscribers dropped, by reason.");
    for (int d = 0; d < kDropCount; ++d)
        w.labelled("drops_total", "reason", kDropNames[d], m.drops[d]);
    w.header("refusals_total", "counter", "Requests and connections refused, by reason.");
    for (int r = 0; r < kRefusalCount; ++r)
        w.labelled("refusals_total", "reason", kRefusalNames[r], m.refusals[r]);
    w.header("ws_protocol_errors_total", "counter",
             "WebSocket connections failed for a client frame breaking RFC 6455, by rule.");
    for (int e = 0; e < kProtocolErrorCount; ++e)
        w.labelled("ws_protocol_errors_total", "reason",
                   frame_error_name(static_cast<FrameError>(e + 1)), m.protocol_errors[e]);
    w.header("revision", "gauge", "Last revision read from the database, by entity.");
    w.labelled("revision", "entity", "global", static_cast<std::uint64_t>(m.revisions.global));
    for (Entity e : kTableEntities)
        w.labelled("revision", "entity", entity_name(e).data(),
                   static_cast<std::uint64_t>(m.revisions.of(e)));
    w.header("revision_gap", "gauge",
             "Global revision last read from the database minus the one subscribers were told.");
    w.signed_value("revision_gap", m.revision_gap);
    if (const auto& l = m.listener) {
        w.header("listener_up", "gauge",
                 "1 while the PostgreSQL listener is connected and listening.");
        w.value("listener_up", l->up ? 1 : 0);
        w.header("listener_down_ms", "gauge",
                 "How long the PostgreSQL listener has been down, in milliseconds (0 while up).");
        w.signed_value("listener_down_ms", l->down_ms);
        w.header("listener_reconnects_total", "counter",
                 "Connections the PostgreSQL listener made after its first.");
        w.value("listener_reconnects_total", l->reconnects);
        w.header("listener_notification_age_ms", "gauge",
                 "Milliseconds since the last notification arrived (-1: none yet).");
        w.signed_value("listener_notification_age_ms", l->notification_age_ms);
        w.header("listener_read_age_ms", "gauge",
                 "Milliseconds since the last revision read was answered (-1: none yet).");
        w.signed_value("listener_read_age_ms", l->read_age_ms);
    }
    w.header("draining", "gauge", "1 while the daemon is shutting down.");
    w.value("draining", m.draining ? 1 : 0);
    return out;
}

}  // namespace livesync::wsd
