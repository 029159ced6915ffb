#include "hello_hold.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace livesync;
using namespace livesync::wsd;

namespace {

constexpr std::uint8_t kNone = 0;

std::vector<Session*> released(HelloHold& h) {
    std::vector<Session*> out;
    h.release([&out](Session* s) { out.push_back(s); });
    return out;
}

}  // namespace

TEST_CASE("a held hello goes once its read passed the gate and nothing of it is coalescing") {
    HelloHold h;
    Session a{}, b{};
    h.hold(&a, 1);
    h.hold(&b, 2);
    CHECK(HelloHold::held(&a));
    CHECK(released(h).empty());  // no read answered yet
    h.on_read_announced(1, kNone);
    CHECK(released(h) == std::vector<Session*>{&a});
    CHECK_FALSE(HelloHold::held(&a));
    CHECK(HelloHold::held(&b));
    h.on_read_announced(2, kNone);
    CHECK(released(h) == std::vector<Session*>{&b});
    CHECK(h.count() == 0);
}

TEST_CASE("a hello waits while the coalescer holds a change its read showed") {
    HelloHold h;
    Session s{};
    h.hold(&s, 1);
    h.on_read_announced(1, 1u << entity_index(Entity::solutions));
    CHECK(released(h).empty());
    // Later reads do not help while that entity's trailing event is still held...
    h.on_read_announced(2, 1u << entity_index(Entity::solutions));
    CHECK(released(h).empty());
    // ...its trailing event does: it carries the latest read's revision.
    h.on_trailing(1u << entity_index(Entity::solutions));
    CHECK(released(h) == std::vector<Session*>{&s});
}

TEST_CASE("a read the gate holds back releases nobody, a later read that passes does") {
    HelloHold h;
    Session s{};
    h.hold(&s, 3);
    h.on_read_announced(2, kNone);  // an older read: s connected after it started
    CHECK(released(h).empty());
    // Read 3 waits at the gate (not reported); read 4, woken by the missing signal, passes.
    h.on_read_announced(4, kNone);
    CHECK(released(h) == std::vector<Session*>{&s});
}

TEST_CASE("a failed read releases every held hello, a closed session is forgotten") {
    HelloHold h;
    Session a{}, b{}, c{};
    h.hold(&a, 1);
    h.hold(&b, 1);
    h.hold(&c, 2);
    h.forget(&b);
    CHECK_FALSE(HelloHold::held(&b));
    h.forget(&b);  // twice is harmless
    std::vector<Session*> out;
    h.release_all([&out](Session* s) { out.push_back(s); });
    CHECK(out == std::vector<Session*>{&a, &c});
    CHECK(h.count() == 0);
}

TEST_CASE("read numbers compare across the wrap of a session's 32 bits") {
    HelloHold h;
    Session s{};
    std::uint64_t seq = (std::uint64_t{1} << 32) + 5;  // stored as 5
    h.hold(&s, seq);
    h.on_read_announced(seq - 1, kNone);
    CHECK(released(h).empty());
    h.on_read_announced(seq, kNone);
    CHECK(released(h) == std::vector<Session*>{&s});
}
