#include "health.hpp"

#include <catch2/catch.hpp>

using namespace livesync::wsd;

TEST_CASE("health is ok in SQLite mode, where there is no listener to lose") {
    HealthAnswer h = health_of(std::nullopt, 30000);
    CHECK(h.status == 200);
    CHECK(h.body == "{\"status\":\"ok\"}\n");
}

TEST_CASE("health is ok while the listener is up") {
    ListenerMetrics l;
    l.up = true;
    HealthAnswer h = health_of(l, 30000);
    CHECK(h.status == 200);
    CHECK(h.body == "{\"status\":\"ok\",\"listener_up\":true,\"listener_down_s\":0}\n");
}

TEST_CASE("health: a listener down up to the threshold is still ok, degraded past it") {
    ListenerMetrics l;
    l.up = false;
    l.down_ms = 30000;
    HealthAnswer h = health_of(l, 30000);
    CHECK(h.status == 200);
    CHECK(h.body == "{\"status\":\"ok\",\"listener_up\":false,\"listener_down_s\":30}\n");
    l.down_ms = 30001;
    h = health_of(l, 30000);
    CHECK(h.status == 503);
    CHECK(h.body == "{\"status\":\"degraded\",\"listener_up\":false,\"listener_down_s\":30}\n");
}
