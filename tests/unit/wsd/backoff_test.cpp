#include "backoff.hpp"

#include <catch2/catch.hpp>

using namespace livesync::wsd;

TEST_CASE("reconnect delays double up to the cap, jittered over the whole range") {
    CHECK(reconnect_delay_ms(0, 0.0) == 0);
    CHECK(reconnect_delay_ms(0, 0.999) == 99);
    CHECK(reconnect_delay_ms(1, 0.5) == 100);
    CHECK(reconnect_delay_ms(3, 0.999) == 799);
    CHECK(reconnect_delay_ms(6, 0.999) == kReconnectCapMs - 5);
    CHECK(reconnect_delay_ms(1000, 0.999) <= kReconnectCapMs);  // no overflow however many
    CHECK(reconnect_delay_ms(1000, 0.0) == 0);
}
