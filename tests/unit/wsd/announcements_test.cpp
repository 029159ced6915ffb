#include "announcements.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace livesync;
using namespace livesync::wsd;

namespace {

constexpr std::uint8_t bit(Entity e) {
    return static_cast<std::uint8_t>(1u << entity_index(e));
}
constexpr std::uint8_t kAll = 0x07;

std::vector<Change> cascade(std::int64_t rev, const std::string& origin) {
    return {{Entity::projects, rev, origin},
            {Entity::solutions, rev, origin},
            {Entity::subcomponents, rev, origin}};
}

// One subscriber's pending and mixed bits, updated as the daemon updates every session's.
struct Subscriber {
    explicit Subscriber(Announcements& a) : announced(a) {}
    Announcements& announced;
    std::uint8_t pending = 0;
    std::uint8_t mixed = 0;
    void announce(const std::vector<Change>& changes) {
        announced.record(changes).add_to(pending, mixed);
    }
    void written() { pending = mixed = 0; }
};

}  // namespace

TEST_CASE("an announcement by the client of the previous one is not from another client") {
    Announcements a;
    std::vector<Change> first{{Entity::projects, 5, "tab-a"}};
    CHECK(a.record(first).other_client == bit(Entity::projects));  // nobody known before it
    std::vector<Change> second{{Entity::projects, 6, "tab-a"}};
    Announcements::Update u = a.record(second);
    CHECK(u.bits == bit(Entity::projects));
    CHECK(u.other_client == 0);
    CHECK(a.rev(Entity::projects) == 6);
    CHECK(a.origin(Entity::projects, false) == "tab-a");
    CHECK(a.origin(Entity::projects, true).empty());
}

TEST_CASE("an announcement by another or an unknown client is from another client") {
    Announcements a;
    std::vector<Change> by_a{{Entity::solutions, 5, "tab-a"}};
    std::vector<Change> by_b{{Entity::solutions, 6, "tab-b"}};
    std::vector<Change> unknown{{Entity::solutions, 7, ""}};
    a.record(by_a);
    CHECK(a.record(by_b).other_client == bit(Entity::solutions));
    CHECK(a.record(unknown).other_client == bit(Entity::solutions));
    // Two unknown clients need not be one.
    CHECK(a.record(unknown).other_client == bit(Entity::solutions));
}

TEST_CASE("a pending event keeps its origin while the same client's changes fold into it") {
    Announcements a;
    Subscriber s(a);
    s.announce({{Entity::projects, 5, "tab-a"}});
    s.announce({{Entity::projects, 6, "tab-a"}});
    CHECK(s.mixed == 0);
    CHECK(a.origin(Entity::projects, s.mixed & bit(Entity::projects)) == "tab-a");
    s.announce({{Entity::projects, 7, "tab-b"}});
    CHECK(s.mixed == bit(Entity::projects));
    // Once written, the next event starts afresh.
    s.written();
    s.announce({{Entity::projects, 8, "tab-b"}});
    CHECK(s.mixed == 0);
}

TEST_CASE("a tab's cascade pending with its own earlier edit is one refresh all with its id") {
    // A subscriber that has not yet been written the tab's solution edit when the tab's cascading
    // delete is announced gets one `all` for both: everything in it came from that tab.
    Announcements a;
    Subscriber s(a);
    s.announce(cascade(3, "other"));
    s.written();
    s.announce({{Entity::solutions, 10, "tab-a"}});
    s.announce(cascade(11, "tab-a"));
    REQUIRE(s.pending == kAll);
    CHECK(s.mixed == 0);
    CHECK(a.all_origin(s.mixed) == "tab-a");
    CHECK(a.all_rev() == 11);
}

TEST_CASE("a refresh all folding in another client's change carries no origin") {
    Announcements a;
    Subscriber s(a);
    s.announce(cascade(4, "tab-a"));
    s.written();
    s.announce({{Entity::projects, 5, "tab-b"}});
    s.announce(cascade(6, "tab-a"));
    CHECK(s.mixed == bit(Entity::projects));
    CHECK(a.all_origin(s.mixed).empty());
}

TEST_CASE("a refresh all needs the same client behind all three entities") {
    Announcements a;
    std::vector<Change> two_clients{{Entity::projects, 8, "tab-a"},
                                    {Entity::solutions, 8, "tab-a"},
                                    {Entity::subcomponents, 8, "tab-b"}};
    a.record(two_clients);
    CHECK(a.all_origin(0).empty());
    a.record(cascade(9, "tab-a"));
    CHECK(a.all_origin(0) == "tab-a");
    CHECK(a.all_origin(bit(Entity::subcomponents)).empty());
    CHECK(a.all_rev() == 9);
}
