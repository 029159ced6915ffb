#include "frame_guard.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "session.hpp"

using namespace livesync::wsd;
using Bytes = std::vector<std::uint8_t>;
using E = FrameError;

namespace {

constexpr FrameGuard::Limits kLimits{1024, 5};
constexpr std::uint8_t kCont = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9,
                       kPong = 0xA;

struct Frame {
    std::uint8_t opcode;
    Bytes payload;
    bool fin = true;
    std::uint8_t rsv = 0;
    bool masked = true;
    std::optional<std::uint64_t> declared = std::nullopt;  // a length other than the payload's
    int length_bytes = 0;  // force a 16- (2) or 64-bit (8) length encoding
};

// A client frame's bytes, as RFC 6455 §5.2 lays them out (masked with a fixed key).
Bytes encode(const Frame& f) {
    std::uint64_t n = f.declared.value_or(f.payload.size());
    Bytes out{static_cast<std::uint8_t>((f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode)};
    std::uint8_t mask_bit = f.masked ? 0x80 : 0;
    int bytes = f.length_bytes ? f.length_bytes : n < 126 ? 0 : n < 65536 ? 2 : 8;
    if (bytes == 0) {
        out.push_back(static_cast<std::uint8_t>(mask_bit | n));
    } else {
        out.push_back(static_cast<std::uint8_t>(mask_bit | (bytes == 2 ? 126 : 127)));
        for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    }
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (f.masked) out.insert(out.end(), key, key + 4);
    for (std::size_t i = 0; i < f.payload.size(); ++i)
        out.push_back(static_cast<std::uint8_t>(f.payload[i] ^ (f.masked ? key[i % 4] : 0)));
    return out;
}

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Bytes text(const char* s) {
    return Bytes(s, s + std::char_traits<char>::length(s));
}

struct Fed {
    std::size_t passed;
    FrameError error;
};

// Feeds `bytes` in one piece, or `piece` bytes at a time, all within `second`.
Fed feed(FrameGuard& g, const Bytes& bytes, std::size_t piece = 0, std::uint32_t second = 1) {
    std::size_t passed = 0;
    if (piece == 0) piece = bytes.size() ? bytes.size() : 1;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        std::size_t n = std::min(piece, bytes.size() - at);
        std::size_t ok = g.feed(bytes.data() + at, n, second, kLimits);
        passed += ok;
        if (ok < n) break;
    }
    return {passed, g.error()};
}

Fed feed_fresh(const Bytes& bytes, std::size_t piece = 0) {
    FrameGuard g;
    return feed(g, bytes, piece);
}

}  // namespace

TEST_CASE("well-formed masked frames of every kind pass, whole or a byte at a time") {
    Bytes stream = encode({kText, text("hello")}) + encode({kBinary, Bytes(300, 7)}) +
                   encode({kPing, text("p")}) + encode({kPong, {}}) +
                   encode({kClose, Bytes{0x03, 0xe8}});
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
        Fed r = feed_fresh(stream, piece);
        CHECK(r.error == E::none);
        CHECK(r.passed == stream.size());
    }
}

TEST_CASE("a fragmented message passes, with control frames between its fragments") {
    Bytes stream = encode({kText, text("caf\xc3"), false}) + encode({kPing, text("x")}) +
                   encode({kCont, text("\xa9 ok"), false}) + encode({kCont, {}, true});
    Fed r = feed_fresh(stream, 3);
    CHECK(r.error == E::none);
    CHECK(r.passed == stream.size());
}

TEST_CASE("an unmasked client frame is refused at its second byte") {
    Bytes good = encode({kText, text("hi")});
    Fed r = feed_fresh(good + encode({kText, text("hi"), true, 0, false}));
    CHECK(r.error == E::unmasked);
    CHECK(r.passed == good.size() + 1);
    CHECK(feed_fresh(encode({kPing, {}, true, 0, false})).error == E::unmasked);
}

TEST_CASE("any reserved bit is refused at the frame's first byte") {
    for (std::uint8_t rsv : {1, 2, 4, 7}) {
        Fed r = feed_fresh(encode({kText, text("hi"), true, rsv}));
        CHECK(r.error == E::reserved_bits);
        CHECK(r.passed == 0);
    }
}

TEST_CASE("reserved opcodes are refused, the six defined ones are not") {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
        CHECK(feed_fresh(encode({op, text("hi")})).error == E::opcode);
    for (std::uint8_t op : {kText, kBinary, kClose, kPing, kPong})
        CHECK(feed_fresh(encode({op, {}})).error == E::none);
}

TEST_CASE("a control frame without FIN is refused") {
    for (std::uint8_t op : {kClose, kPing, kPong})
        CHECK(feed_fresh(encode({op, text("p"), false})).error == E::control_fragmented);
}

TEST_CASE("a control frame declaring more than 125 bytes is refused, in any length encoding") {
    CHECK(feed_fresh(encode({kPing, Bytes(125, 1)})).error == E::none);
    CHECK(feed_fresh(encode({kPing, Bytes(126, 1)})).error == E::control_too_long);
    CHECK(feed_fresh(encode({kPong, {}, true, 0, true, 1u << 20})).error == E::control_too_long);
}

TEST_CASE("a continuation needs a message to continue, and a message may not start inside one") {
    CHECK(feed_fresh(encode({kCont, text("hi")})).error == E::continuation);
    CHECK(feed_fresh(encode({kText, text("a"), false}) + encode({kText, text("b")})).error ==
          E::continuation);
    CHECK(feed_fresh(encode({kBinary, text("a")}) + encode({kCont, text("b")})).error ==
          E::continuation);
}

TEST_CASE("7-, 16- and 64-bit lengths are read, and only their shortest form is taken") {
    CHECK(feed_fresh(encode({kBinary, Bytes(125, 0)})).error == E::none);
    CHECK(feed_fresh(encode({kBinary, Bytes(126, 0)})).error == E::none);
    CHECK(feed_fresh(encode({kBinary, Bytes(1000, 0)}), 7).error == E::none);
    CHECK(feed_fresh(encode({kBinary, Bytes(100, 0), true, 0, true, std::nullopt, 2})).error ==
          E::length);
    CHECK(feed_fresh(encode({kBinary, Bytes(1000, 0), true, 0, true, std::nullopt, 8})).error ==
          E::length);
    CHECK(feed_fresh(encode({kBinary, {}, true, 0, true, 70000})).error == E::too_large);
}

TEST_CASE("a length with its top bit set (2^63 and more) is a protocol error") {
    for (std::uint64_t n : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        Fed r = feed_fresh(encode({kBinary, {}, true, 0, true, n}));
        CHECK(r.error == E::length);
        CHECK(r.passed == 2);
    }
}

TEST_CASE("a frame declaring 2^40 bytes is refused at its last length byte, without payload") {
    Bytes f = encode({kBinary, {}, true, 0, true, std::uint64_t{1} << 40});
    REQUIRE(f.size() == 14);  // the header, then the key: nothing of the payload
    Fed r = feed_fresh(f, 1);
    CHECK(r.error == E::too_large);
    CHECK(r.passed == 9);
}

TEST_CASE("a message over the byte limit is refused when its fragments declare it") {
    CHECK(feed_fresh(encode({kText, Bytes(1024, 'a')})).error == E::none);
    CHECK(feed_fresh(encode({kText, Bytes(1025, 'a')})).error == E::too_large);
    Bytes first = encode({kBinary, Bytes(600, 0), false});
    Fed r = feed_fresh(first + encode({kCont, Bytes(425, 0)}));
    CHECK(r.error == E::too_large);
    CHECK(r.passed == first.size() + 3);  // opcode, length 126, first length byte
    // Control frames between fragments do not count toward the message.
    CHECK(
        feed_fresh(first + encode({kPing, Bytes(100, 0)}) + encode({kCont, Bytes(424, 0)})).error ==
        E::none);
}

TEST_CASE("text that is not UTF-8 is refused at its first bad byte") {
    const char* bad[] = {"ok \xc3\x28",        // a lead byte without its continuation
                         "\xff",               // never in UTF-8
                         "\x80",               // a stray continuation
                         "\xc0\xaf",           // overlong '/'
                         "\xe0\x80\xaf",       // overlong, 3 bytes
                         "\xed\xa0\x80",       // a UTF-16 surrogate
                         "\xf4\x90\x80\x80",   // past U+10FFFF
                         "\xf0\x80\x80\xaf"};  // overlong, 4 bytes
    for (const char* s : bad) {
        CAPTURE(s);
        Bytes f = encode({kText, text(s)});
        Fed r = feed_fresh(f, 1);
        CHECK(r.error == E::bad_utf8);
        CHECK(r.passed < f.size());
    }
    CHECK(feed_fresh(encode({kText, text("\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9")})).error ==
          E::none);
    CHECK(feed_fresh(encode({kBinary, text("\xff\xfe")})).error == E::none);
    CHECK(feed_fresh(encode({kPing, text("\xff")})).error == E::none);
}

TEST_CASE("a text message that ends inside a character is refused") {
    CHECK(feed_fresh(encode({kText, text("caf\xc3")})).error == E::bad_utf8);
    CHECK(feed_fresh(encode({kText, text("caf\xc3"), false}) + encode({kCont, {}})).error ==
          E::bad_utf8);
}

TEST_CASE("more frames of any kind than allowed in one second are refused, pings included") {
    Bytes ping = encode({kPing, text("p")});
    Bytes storm;
    for (int i = 0; i < 50; ++i) storm = storm + ping;
    Fed r = feed_fresh(storm);
    CHECK(r.error == E::too_fast);
    CHECK(r.passed == 5 * ping.size());
}

TEST_CASE("the frame budget renews every second") {
    FrameGuard g;
    Bytes ping = encode({kPing, {}});
    for (std::uint32_t s = 0; s < 10; ++s)
        for (int i = 0; i < 5; ++i) CHECK(feed(g, ping, 0, s).error == E::none);
    CHECK(feed(g, ping, 0, 9).error == E::too_fast);
}

TEST_CASE("after an error the guard lets nothing more through") {
    FrameGuard g;
    CHECK(feed(g, encode({kText, text("x"), true, 0, false})).error == E::unmasked);
    Bytes good = encode({kText, text("x")});
    CHECK(g.feed(good.data(), good.size(), 1, kLimits) == 0);
}

TEST_CASE("each error closes with the code RFC 6455 gives it") {
    CHECK(close_code(E::unmasked) == 1002);
    CHECK(close_code(E::length) == 1002);
    CHECK(close_code(E::bad_utf8) == 1007);
    CHECK(close_code(E::too_large) == 1009);
    CHECK(close_code(E::too_fast) == 1008);
    CHECK(is_protocol_error(E::bad_utf8));
    CHECK_FALSE(is_protocol_error(E::too_large));
    CHECK(protocol_error_index(E::bad_utf8) == kProtocolErrorCount - 1);
}

TEST_CASE("per-connection state is a few bytes") {
    STATIC_REQUIRE(sizeof(Session) <= 64);
    STATIC_REQUIRE(sizeof(FrameGuard) <= 40);
}
