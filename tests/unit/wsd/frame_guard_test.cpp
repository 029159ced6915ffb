#include <catch2/catch.hpp>

#include "session.hpp"

using namespace livesync::wsd;
using V = FrameGuard::Verdict;

TEST_CASE("a frame over the byte limit is refused, even when delivered in pieces") {
    FrameGuard g;
    CHECK(g.on_piece(256, true, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(1, false, 1, 1024, 5) == V::too_large);
}

TEST_CASE("more frames than allowed within one second are refused") {
    FrameGuard g;
    for (int i = 0; i < 5; ++i) CHECK(g.on_piece(10, true, 7, 1024, 5) == V::ok);
    CHECK(g.on_piece(10, true, 7, 1024, 5) == V::too_fast);
}

TEST_CASE("the frame budget renews every second") {
    FrameGuard g;
    for (int s = 0; s < 10; ++s)
        for (int i = 0; i < 5; ++i)
            CHECK(g.on_piece(10, true, static_cast<std::uint32_t>(s), 1024, 5) == V::ok);
}

TEST_CASE("per-connection state is a few bytes") {
    STATIC_REQUIRE(sizeof(Session) <= 64);
}
