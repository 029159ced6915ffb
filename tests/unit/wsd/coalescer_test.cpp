#include "coalescer.hpp"

#include <catch2/catch.hpp>

using namespace livesync;
using namespace livesync::wsd;

namespace {
std::vector<Change> one(Entity e, std::int64_t rev, std::string origin = "tab-a") {
    return {{e, rev, std::move(origin)}};
}
}  // namespace

TEST_CASE("the first change of an entity goes out at once") {
    Coalescer c(100);
    auto due = c.on_changes(one(Entity::projects, 1), 0);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == Change{Entity::projects, 1, "tab-a"});
    CHECK(c.next_deadline() == 100);
}

TEST_CASE("changes inside the window merge into one trailing event at its end") {
    Coalescer c(100);
    c.on_changes(one(Entity::projects, 1), 0);
    CHECK(c.on_changes(one(Entity::projects, 2), 10).empty());
    CHECK(c.on_changes(one(Entity::projects, 3), 50).empty());
    CHECK(c.on_timer(99).empty());
    auto due = c.on_timer(100);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == Change{Entity::projects, 3, "tab-a"});
    CHECK(c.coalesced() == 1);
    // The trailing event opened a new window, which closes quietly if nothing else happens.
    CHECK(c.next_deadline() == 200);
    CHECK(c.on_timer(200).empty());
    CHECK_FALSE(c.next_deadline());
    CHECK(c.on_changes(one(Entity::projects, 4), 300).size() == 1);
}

TEST_CASE("a trailing event merging two clients carries no origin") {
    Coalescer c(100);
    c.on_changes(one(Entity::solutions, 1, "tab-a"), 0);
    c.on_changes(one(Entity::solutions, 2, "tab-a"), 10);
    c.on_changes(one(Entity::solutions, 3, "tab-b"), 20);
    auto due = c.on_timer(100);
    REQUIRE(due.size() == 1);
    CHECK(due[0].origin.empty());
    CHECK(due[0].rev == 3);
}

TEST_CASE("an unattributed change makes the merged event unattributed") {
    Coalescer c(100);
    c.on_changes(one(Entity::solutions, 1), 0);
    c.on_changes(one(Entity::solutions, 2, ""), 10);
    c.on_changes(one(Entity::solutions, 3, "tab-a"), 20);
    CHECK(c.on_timer(100).at(0).origin.empty());
}

TEST_CASE("entities coalesce independently") {
    Coalescer c(100);
    CHECK(c.on_changes(one(Entity::projects, 1), 0).size() == 1);
    CHECK(c.on_changes(one(Entity::solutions, 2), 30).size() == 1);
    CHECK(c.on_changes(one(Entity::projects, 3), 40).empty());
    auto due = c.on_timer(100);
    REQUIRE(due.size() == 1);
    CHECK(due[0].entity == Entity::projects);
    CHECK(c.next_deadline() == 130);
}

TEST_CASE("a steady stream yields one leading and then one trailing event per window") {
    Coalescer c(100);
    int sent = 0;
    std::int64_t rev = 0;
    for (std::int64_t t = 0; t < 1000; ++t) {  // one change every millisecond for a second
        sent += static_cast<int>(c.on_changes(one(Entity::subcomponents, ++rev), t).size());
        if (auto d = c.next_deadline(); d && *d <= t)
            sent += static_cast<int>(c.on_timer(t).size());
    }
    auto tail = c.on_timer(*c.next_deadline());
    sent += static_cast<int>(tail.size());
    CHECK(sent == 11);  // 1 leading + 10 trailing: never starved, never a flood
    REQUIRE(tail.size() == 1);
    CHECK(tail[0].rev == rev);
}

TEST_CASE("a zero window sends every change at once") {
    Coalescer c(0);
    CHECK(c.on_changes(one(Entity::projects, 1), 0).size() == 1);
    CHECK(c.on_changes(one(Entity::projects, 2), 0).size() == 1);
    CHECK_FALSE(c.next_deadline());
}

TEST_CASE("a change to every entity leaves as one batch even when some windows are open") {
    Coalescer c(100);
    std::vector<Change> cascade{{Entity::projects, 5, "tab-b"},
                                {Entity::solutions, 5, "tab-b"},
                                {Entity::subcomponents, 2, "tab-b"}};
    SECTION("all windows closed: at once") {
        CHECK(c.on_changes(cascade, 0) == cascade);
    }
    SECTION("one window open: all three wait for its end") {
        c.on_changes(one(Entity::projects, 3), 0);
        c.on_changes(one(Entity::solutions, 4), 60);
        CHECK(c.on_changes(cascade, 70).empty());
        CHECK(c.next_deadline() == 160);
        CHECK(c.on_timer(100).empty());
        auto due = c.on_timer(160);
        CHECK(due == cascade);
        // Aligned from now on: the next windows end together too.
        CHECK(c.next_deadline() == 260);
    }
}
