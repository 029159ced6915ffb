#include "http/preconditions.hpp"

#include <catch2/catch.hpp>

#include "http/api_error.hpp"
#include "http/query.hpp"

using namespace livesync::http;

namespace {

Request with(std::map<std::string, std::string> headers) {
    Request r;
    r.method = "POST";
    r.headers = std::move(headers);
    return r;
}

}  // namespace

TEST_CASE("only site origins, or none, may mutate") {
    std::vector<livesync::Origin> site = {{"https", "localhost", 8443}};
    CHECK_NOTHROW(require_same_origin(with({}), site));
    CHECK_NOTHROW(require_same_origin(with({{"origin", "https://localhost:8443"}}), site));
    CHECK_NOTHROW(require_same_origin(with({{"sec-fetch-site", "same-origin"}}), site));
    // The daemon's normalisation (common/origin_policy.hpp), not an exact string comparison.
    CHECK_NOTHROW(require_same_origin(with({{"origin", "HTTPS://LocalHost:8443"}}), site));
    CHECK_THROWS_WITH(require_same_origin(with({{"origin", "https://localhost:8443/"}}), site),
                      "requests from origin 'https://localhost:8443/' may not change data");
    CHECK_THROWS_WITH(
        require_same_origin(
            with({{"origin", "https://localhost:8443"}, {"sec-fetch-site", "Cross-Site"}}), site),
        "cross-site requests may not change data (Sec-Fetch-Site: Cross-Site)");
    CHECK_THROWS_AS(
        require_same_origin(with({{"origin", "https://localhost:8443.evil.test"}}), site),
        ApiError);
    CHECK_THROWS_AS(require_same_origin(with({{"origin", "http://localhost:8443"}}), site),
                    ApiError);
    CHECK_THROWS_AS(require_same_origin(with({{"origin", "null"}}), site), ApiError);
    CHECK_THROWS_AS(require_same_origin(with({{"sec-fetch-site", "cross-site"}}), site), ApiError);
    CHECK_THROWS_AS(require_same_origin(with({{"sec-fetch-site", "Same-Site"}}), site), ApiError);
}

TEST_CASE("entity tags: strong for If-Match, weak for If-None-Match, lists and *") {
    CHECK(etag_of(42) == "\"42\"");
    CHECK(match_hits("\"42\"", 42));
    CHECK(match_hits("\"1\", \"42\"", 42));
    CHECK(match_hits("*", 42));
    CHECK_FALSE(match_hits("W/\"42\"", 42));
    CHECK_FALSE(match_hits("42", 42));
    CHECK_FALSE(match_hits("garbage", 42));
    CHECK(none_match_hits("W/\"42\"", 42));
    CHECK(none_match_hits("\"7\",W/\"42\"", 42));
    CHECK_FALSE(none_match_hits("\"41\"", 42));
}

TEST_CASE("content types compare the media type only, case-insensitively") {
    CHECK_NOTHROW(
        require_content_type(with({{"content-type", "application/json"}}), "application/json"));
    CHECK_NOTHROW(require_content_type(with({{"content-type", "Application/JSON; charset=utf-8"}}),
                                       "application/json"));
    CHECK_THROWS_AS(
        require_content_type(with({{"content-type", "text/plain"}}), "application/json"), ApiError);
    CHECK_THROWS_AS(require_content_type(with({}), "application/json"), ApiError);
}

TEST_CASE("query strings decode, and reject unknown or repeated names and bad escapes") {
    auto q = parse_query("project_id=12&", {"project_id"});
    CHECK(q.at("project_id") == "12");
    CHECK(parse_query("a=x%20y+z", {"a"}).at("a") == "x y z");
    CHECK_THROWS_AS(parse_query("other=1", {"project_id"}), ApiError);
    CHECK_THROWS_AS(parse_query("a=1&a=2", {"a"}), ApiError);
    CHECK_THROWS_AS(parse_query("a=%zz", {"a"}), ApiError);
    CHECK_THROWS_AS(parse_query("a=%2", {"a"}), ApiError);
}
