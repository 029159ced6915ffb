#include "next_frame.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "session.hpp"

using namespace livesync;
using namespace livesync::wsd;

namespace {

using K = Frame::Kind;

constexpr std::uint8_t bit(Entity e) {
    return static_cast<std::uint8_t>(1u << entity_index(e));
}

}  // namespace

TEST_CASE("hello comes first, then the refreshes due, and a beat only after them") {
    Announcements a;
    a.record(std::vector<Change>{{Entity::projects, 7, "tab-a"}, {Entity::solutions, 5, "tab-b"}});
    std::uint8_t pending =
        kPendingHeartbeat | bit(Entity::solutions) | kPendingHello | bit(Entity::projects);
    std::uint8_t mixed = 0;
    Frame f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::hello && f.rev == 7));
    f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::refresh && f.entity == Entity::projects && f.rev == 7 &&
           f.origin == "tab-a"));
    f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::refresh && f.entity == Entity::solutions && f.rev == 5 &&
           f.origin == "tab-b"));
    f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::beat && f.rev == 7));
    CHECK(pending == 0);
    CHECK(next_frame(pending, mixed, a).kind == K::none);
}

TEST_CASE("a mixed entity goes without origin, all three pending go as one all") {
    Announcements a;
    a.record(std::vector<Change>{{Entity::projects, 3, "tab-a"},
                                 {Entity::solutions, 3, "tab-a"},
                                 {Entity::subcomponents, 3, "tab-a"}});
    std::uint8_t pending = kPendingEntities;
    std::uint8_t mixed = 0;
    Frame f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::refresh && f.entity == Entity::all && f.rev == 3 && f.origin == "tab-a"));

    pending = bit(Entity::solutions);
    mixed = bit(Entity::solutions);
    f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::refresh && f.entity == Entity::solutions && f.origin.empty()));
    CHECK(mixed == 0);
}

TEST_CASE("a catch-up is one all at the told revision, replacing the entity refreshes") {
    Announcements a;
    a.record(std::vector<Change>{{Entity::subcomponents, 9, "tab-a"}});
    std::uint8_t pending = kPendingCatchUp | bit(Entity::subcomponents);
    std::uint8_t mixed = bit(Entity::subcomponents);
    Frame f = next_frame(pending, mixed, a);
    CHECK((f.kind == K::refresh && f.entity == Entity::all && f.rev == 9 && f.origin.empty()));
    CHECK((pending == 0 && mixed == 0));
}

TEST_CASE("draining: reconnect replaces everything due, then the connection closes") {
    Announcements a;
    std::uint8_t pending = kPendingReconnect | kPendingHello | kPendingEntities;
    std::uint8_t mixed = kPendingEntities;
    CHECK(next_frame(pending, mixed, a).kind == K::reconnect);
    CHECK(pending == kPendingClose);
    CHECK(next_frame(pending, mixed, a).kind == K::close);
}
