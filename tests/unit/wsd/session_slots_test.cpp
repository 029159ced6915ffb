#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "session_slots.hpp"

using namespace livesync::wsd;

namespace {

constexpr std::size_t kSlots = SessionSlots::kSlots;

// How often each session is visited by `ticks` heartbeat ticks, and the most visited in one tick.
struct Visits {
    std::map<const Session*, int> per_session;
    std::size_t largest_tick = 0;
};

Visits tick(SessionSlots& slots, std::size_t ticks) {
    Visits v;
    for (std::size_t t = 0; t < ticks; ++t) {
        std::size_t n = 0;
        slots.for_each_due([&](Session* s) {
            ++v.per_session[s];
            ++n;
        });
        v.largest_tick = std::max(v.largest_tick, n);
    }
    return v;
}

}  // namespace

TEST_CASE("one heartbeat period visits every session exactly once, a slice per tick") {
    std::vector<Session> sessions(1000);
    SessionSlots slots;
    for (auto& s : sessions) slots.add(&s);
    REQUIRE(slots.count() == 1000);

    for (int period = 0; period < 3; ++period) {
        Visits v = tick(slots, kSlots);
        CHECK(v.per_session.size() == sessions.size());
        for (const auto& [s, n] : v.per_session) CHECK(n == 1);
        CHECK(v.largest_tick == (1000 + kSlots - 1) / kSlots);
    }
}

TEST_CASE(
    "sessions linked mid-period spread over the slots too, and removed ones are not visited") {
    std::vector<Session> sessions(3 * kSlots);
    SessionSlots slots;
    for (std::size_t i = 0; i < kSlots; ++i) slots.add(&sessions[i]);
    tick(slots, kSlots / 2);
    for (std::size_t i = kSlots; i < sessions.size(); ++i) slots.add(&sessions[i]);
    for (std::size_t i = 0; i < sessions.size(); i += 3) slots.remove(&sessions[i]);
    REQUIRE(slots.count() == 2 * kSlots);

    Visits v = tick(slots, kSlots);
    CHECK(v.per_session.size() == 2 * kSlots);
    for (std::size_t i = 0; i < sessions.size(); ++i)
        CHECK(v.per_session.count(&sessions[i]) == (i % 3 == 0 ? 0u : 1u));
    CHECK(v.largest_tick <= 3);
}

TEST_CASE("for_each visits every session once, and may unlink the one it is given") {
    std::vector<Session> sessions(120);
    SessionSlots slots;
    for (auto& s : sessions) slots.add(&s);
    std::size_t seen = 0;
    slots.for_each([&](Session* s) {
        ++seen;
        slots.remove(s);
    });
    CHECK(seen == sessions.size());
    CHECK(slots.count() == 0);
}
