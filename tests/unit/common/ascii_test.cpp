#include "ascii.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace livesync;

TEST_CASE("ascii_lower folds A-Z and nothing else") {
    CHECK(ascii_lower("HTTPS://LocalHost:8443") == "https://localhost:8443");
    CHECK(ascii_lower("Sec-Fetch-Site") == "sec-fetch-site");
    CHECK(ascii_lower("") == "");
    // Bytes outside ASCII (here UTF-8 for "Ä", and a Latin-1 "À") are left as they are.
    CHECK(ascii_lower("\xC3\x84Z\xC0") == "\xC3\x84z\xC0");
    CHECK(ascii_lower("@[`{") == "@[`{");
}
