#include "fields/id.hpp"

#include <catch2/catch.hpp>

using namespace livesync::fields;

TEST_CASE("ids are positive 63-bit integers written plainly") {
    CHECK(parse_id("1") == 1);
    CHECK(parse_id("9223372036854775807") == INT64_C(9223372036854775807));
    CHECK_FALSE(parse_id("9223372036854775808"));
    CHECK_FALSE(parse_id("0"));
    CHECK_FALSE(parse_id("007"));
    CHECK_FALSE(parse_id("-1"));
    CHECK_FALSE(parse_id("+1"));
    CHECK_FALSE(parse_id("1e3"));
    CHECK_FALSE(parse_id(""));
    CHECK_FALSE(parse_id("abc"));
}
