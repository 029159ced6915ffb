#include <catch2/catch.hpp>

#include "session.hpp"

using namespace livesync::wsd;
using V = FrameGuard::Verdict;

TEST_CASE("a frame over the byte limit is refused, even when delivered in pieces") {
    FrameGuard g;
    CHECK(g.on_piece(256, 0, true, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, 0, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, 0, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(256, 0, false, 1, 1024, 5) == V::ok);
    CHECK(g.on_piece(1, 0, false, 1, 1024, 5) == V::too_large);
}

TEST_CASE("a frame declaring more than the limit is refused at its first piece") {
    FrameGuard g;
    CHECK(g.on_piece(256, 768, true, 1, 1024, 5) == V::ok);
    FrameGuard h;
    CHECK(h.on_piece(256, 769, true, 1, 1024, 5) == V::too_large);
    FrameGuard huge;
    CHECK(huge.on_piece(256, (std::size_t{1} << 40) - 256, true, 1, 1024, 5) == V::too_large);
    FrameGuard fragments;
    CHECK(fragments.on_piece(600, 0, true, 1, 1024, 5) == V::ok);
    CHECK(fragments.on_piece(256, 200, false, 1, 1024, 5) == V::too_large);
}

TEST_CASE("more frames than allowed within one second are refused") {
    FrameGuard g;
    for (int i = 0; i < 5; ++i) CHECK(g.on_piece(10, 0, true, 7, 1024, 5) == V::ok);
    CHECK(g.on_piece(10, 0, true, 7, 1024, 5) == V::too_fast);
}

TEST_CASE("the frame budget renews every second") {
    FrameGuard g;
    for (int s = 0; s < 10; ++s)
        for (int i = 0; i < 5; ++i)
            CHECK(g.on_piece(10, 0, true, static_cast<std::uint32_t>(s), 1024, 5) == V::ok);
}

TEST_CASE("per-connection state is a few bytes") {
    STATIC_REQUIRE(sizeof(Session) <= 64);
}
