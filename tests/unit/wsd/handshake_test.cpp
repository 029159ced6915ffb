#include <catch2/catch.hpp>

#include "handshake.hpp"

using namespace livesync::wsd;

namespace {
constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example
}

TEST_CASE("a well-formed opening handshake passes") {
    CHECK(check_handshake("websocket", "13", kKey) == Handshake::ok);
    CHECK(check_handshake("WebSocket", "13", kKey) == Handshake::ok);
}

TEST_CASE("an upgrade to anything but websocket is refused") {
    CHECK(check_handshake("h2c", "13", kKey) == Handshake::not_websocket);
    CHECK(check_handshake("websocket, foo", "13", kKey) == Handshake::not_websocket);
    CHECK(check_handshake(std::nullopt, "13", kKey) == Handshake::not_websocket);
}

TEST_CASE("only version 13 is spoken") {
    CHECK(check_handshake("websocket", std::nullopt, kKey) == Handshake::bad_version);
    CHECK(check_handshake("websocket", "8", kKey) == Handshake::bad_version);
    CHECK(check_handshake("websocket", "13, 8", kKey) == Handshake::bad_version);
    CHECK(check_handshake("websocket", "junk", kKey) == Handshake::bad_version);
}

TEST_CASE("the key must be the base64 of 16 bytes") {
    CHECK(check_handshake("websocket", "13", std::nullopt) == Handshake::bad_key);
    CHECK(check_handshake("websocket", "13", "") == Handshake::bad_key);
    CHECK(check_handshake("websocket", "13", "c2hvcnQ=") == Handshake::bad_key);
    CHECK(check_handshake("websocket", "13", "dGhlIHNhbXBsZSBub25jZQ=!") == Handshake::bad_key);
    CHECK(check_handshake("websocket", "13", "dGhlIHNhbXBsZSBub25jZR==") == Handshake::bad_key);
    CHECK(check_handshake("websocket", "13", "dGhlIHNhbXBsZSBub25j*Q==") == Handshake::bad_key);
}
