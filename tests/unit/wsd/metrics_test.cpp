#include "metrics.hpp"

#include <catch2/catch.hpp>

using namespace livesync::wsd;

TEST_CASE("metrics render as Prometheus text with HELP and TYPE lines") {
    Metrics m;
    m.open[0] = 3;
    m.open[1] = 2;
    m.signals_in = 17;
    m.fanout_waits = 6;
    m.refused(Refusal::origin) = 4;
    m.dropped(Drop::stalled) = 1;
    m.protocol_error(FrameError::unmasked) = 2;
    m.protocol_error(FrameError::bad_utf8) = 3;
    m.revisions = {9, 9, 5, 1};
    std::string text = render_prometheus(m);
    CHECK_THAT(text, Catch::Contains("# TYPE livesync_wsd_connections gauge\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_connections{transport=\"ws\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_connections{transport=\"sse\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_signals_received_total 17\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE livesync_wsd_fanout_waits_total counter\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_fanout_waits_total 6\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_fanout_wait_timeouts_total 0\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_refusals_total{reason=\"origin\"} 4\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_drops_total{reason=\"stalled\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE livesync_wsd_ws_protocol_errors_total counter\n"));
    CHECK_THAT(text,
               Catch::Contains("livesync_wsd_ws_protocol_errors_total{reason=\"unmasked\"} 2\n"));
    CHECK_THAT(text,
               Catch::Contains("livesync_wsd_ws_protocol_errors_total{reason=\"bad_utf8\"} 3\n"));
    CHECK_THAT(text,
               Catch::Contains("livesync_wsd_ws_protocol_errors_total{reason=\"opcode\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("livesync_wsd_revision{entity=\"solutions\"} 5\n"));
    CHECK(text.back() == '\n');
}
