#include "fields/text.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace livesync::fields;
using namespace std::string_literals;

TEST_CASE("text rule: every Unicode scalar value but NUL may be stored") {
    std::string all_controls;
    for (char c = 1; c < 0x20; ++c) all_controls += c;
    for (std::string text : {""s, "plain"s, all_controls, "\x7F"s, "a\rb\r\nc\n"s,
                             "\xE2\x80\xA8\xE2\x80\xA9"s,          // U+2028, U+2029
                             "\xEF\xBB\xBFlead"s,                  // U+FEFF first
                             "\xC2\x80\xC2\x9F"s,                  // C1 controls
                             "\xEF\xBF\xBE\xEF\xBF\xBF"s,          // U+FFFE, U+FFFF
                             "\xF0\x9F\x9A\x80\xF4\x8F\xBF\xBF"s,  // astral, U+10FFFF
                             "'=+-@\ttrailing  "s}) {
        INFO(text);
        CHECK_FALSE(text_problem(text));
        CHECK_FALSE(check_text(text));
    }
}

TEST_CASE("text rule: NUL is refused wherever it is, with its byte offset") {
    auto p = text_problem("ab\0c"s);
    REQUIRE(p);
    CHECK(p->fault == TextFault::nul);
    CHECK(p->offset == 2);
    CHECK(describe(*p) == "contains U+0000 (NUL) at byte 3; no text field may hold it");
    CHECK(text_problem("\0"s));
    CHECK(text_problem("x\0"s));
    CHECK(check_text("\0"s) == describe(*text_problem("\0"s)));
}

TEST_CASE("text rule: bytes that are not UTF-8 are refused before a NUL after them") {
    auto p = text_problem("\0ok\xFF"s);
    REQUIRE(p);
    CHECK(p->fault == TextFault::invalid_utf8);
    CHECK(p->offset == 3);
    CHECK(describe(*p) == "is not valid UTF-8 (byte 4); save the file as UTF-8");
}

TEST_CASE("invalid_utf8_at finds the first bad byte") {
    CHECK_FALSE(invalid_utf8_at("plain ascii"));
    CHECK_FALSE(invalid_utf8_at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK(invalid_utf8_at("ab\xFF") == 2u);
    CHECK(invalid_utf8_at("\xC3") == 0u);              // truncated
    CHECK(invalid_utf8_at("x\xC0\xAF") == 1u);         // overlong
    CHECK(invalid_utf8_at("\xED\xA0\x80") == 0u);      // a lone surrogate, UTF-8 encoded
    CHECK(invalid_utf8_at("\xED\xB0\x80") == 0u);      // the low half too
    CHECK(invalid_utf8_at("\xF4\x90\x80\x80") == 0u);  // above U+10FFFF
    CHECK(invalid_utf8_at("\xE2\x82x") == 0u);         // bad continuation
}

TEST_CASE("code_points counts characters, not bytes") {
    CHECK(code_points("") == 0);
    CHECK(code_points("a\0b"s) == 3);
    CHECK(code_points("\xC3\xA9\xE2\x80\xA8\xF0\x9F\x9A\x80") == 3);
}

TEST_CASE("storable_text keeps well-formed text and replaces what could not be stored") {
    CHECK(storable_text("") == "");
    CHECK(storable_text("alice@example.org") == "alice@example.org");
    CHECK(storable_text("J\xC3\xBCrgen \xF0\x9F\x9A\x80"s) == "J\xC3\xBCrgen \xF0\x9F\x9A\x80"s);
    // A Latin-1 name: each byte that is not UTF-8 becomes U+FFFD; NUL is dropped.
    CHECK(storable_text("J\xFCrgen"s) == "J\xEF\xBF\xBDrgen"s);
    CHECK(storable_text("\xC3"s) == "\xEF\xBF\xBD"s);
    CHECK(storable_text("a\0b\xFF\xFE"s) == "ab\xEF\xBF\xBD\xEF\xBF\xBD"s);
    CHECK_FALSE(text_problem(storable_text("\xED\xA0\x80\0x\xC0\xAF"s)));
}
