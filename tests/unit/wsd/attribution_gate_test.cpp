#include "attribution_gate.hpp"

#include <catch2/catch.hpp>

using namespace livesync::wsd;
using V = AttributionGate::Verdict;

TEST_CASE("a read the ledger explains is announced at once, whatever woke the daemon") {
    AttributionGate g(1000);
    CHECK(g.on_read(true, true, 0) == V::announce);
    CHECK_FALSE(g.deadline());
}

TEST_CASE("a read that shows nothing new is not announced") {
    AttributionGate g(1000);
    CHECK(g.on_read(false, false, 0) == V::unchanged);
    CHECK_FALSE(g.deadline());
}

TEST_CASE("a read showing a commit whose datagram is on its way waits for the datagram") {
    // A datagram wakes the daemon, but its read also shows a later commit (another worker's, or
    // the next one of a group-commit batch) whose datagram has not arrived yet.
    AttributionGate g(1000);
    CHECK(g.on_read(true, false, 100) == V::wait);
    REQUIRE(g.deadline() == 1100);
    // The missing datagram arrives: its read is explained and goes out with its origins.
    CHECK(g.on_read(true, true, 103) == V::announce);
    CHECK_FALSE(g.deadline());
}

TEST_CASE("further unexplained reads keep the first deadline, so a held change cannot starve") {
    AttributionGate g(1000);
    CHECK(g.on_read(true, false, 0) == V::wait);
    CHECK(g.on_read(true, false, 600) == V::wait);
    CHECK(g.deadline() == 1000);
    CHECK(g.on_read(true, false, 999) == V::wait);
}

TEST_CASE("a change whose datagram never comes is announced when the grace ends") {
    AttributionGate g(1000);
    CHECK(g.on_read(true, false, 0) == V::wait);
    CHECK(g.on_read(true, false, 1000) == V::announce);
    CHECK_FALSE(g.deadline());
    // The next unexplained read gets a grace of its own.
    CHECK(g.on_read(true, false, 1500) == V::wait);
    CHECK(g.deadline() == 2500);
}

TEST_CASE("a held read that turns out unchanged (announced meanwhile) ends the wait") {
    AttributionGate g(1000);
    CHECK(g.on_read(true, false, 0) == V::wait);
    CHECK(g.on_read(false, false, 50) == V::unchanged);
    CHECK_FALSE(g.deadline());
}
