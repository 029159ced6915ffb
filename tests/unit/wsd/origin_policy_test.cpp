#include "origin_policy.hpp"

#include <catch2/catch.hpp>

using namespace livesync::wsd;

TEST_CASE("origins parse to scheme, host and explicit port") {
    CHECK(parse_origin("https://localhost:8443") == Origin{"https", "localhost", 8443});
    CHECK(parse_origin("https://Example.COM") == Origin{"https", "example.com", 443});
    CHECK(parse_origin("http://127.0.0.1") == Origin{"http", "127.0.0.1", 80});
    CHECK(parse_origin("HTTPS://[::1]:8443") == Origin{"https", "[::1]", 8443});
}

TEST_CASE("suffix tricks, paths, userinfo and odd values are not origins") {
    for (const char* bad : {"https://localhost:8443.evil.test", "https://localhost:8443/",
                            "https://localhost:", "https://user@localhost:8443", "null", "",
                            "localhost:8443", "ftp://localhost", "https://localhost:0",
                            "https://localhost:65536", "https://localhost:84a3",
                            "https://local host", "https://localhost:8443?x", "https://[::1"})
        CHECK_FALSE(parse_origin(bad));
}

TEST_CASE("an upgrade is allowed only from an exact own origin") {
    OriginPolicy p({"https://localhost:8443", "https://127.0.0.1:8443"}, false);
    CHECK(p.invalid().empty());
    CHECK(p.check_upgrade("https://localhost:8443") == Verdict::allow);
    CHECK(p.check_upgrade("https://LOCALHOST:8443") == Verdict::allow);
    CHECK(p.check_upgrade("https://127.0.0.1:8443") == Verdict::allow);
    CHECK(p.check_upgrade("https://localhost:8443.evil.test") == Verdict::foreign_origin);
    CHECK(p.check_upgrade("https://localhost.evil.test:8443") == Verdict::foreign_origin);
    CHECK(p.check_upgrade("http://localhost:8443") == Verdict::foreign_origin);
    CHECK(p.check_upgrade("https://localhost") == Verdict::foreign_origin);
    CHECK(p.check_upgrade("null") == Verdict::foreign_origin);
    CHECK(p.check_upgrade(std::nullopt) == Verdict::missing_origin);
}

TEST_CASE("a missing Origin on an upgrade is allowed only when configured for local tools") {
    OriginPolicy p({"https://localhost:8443"}, true);
    CHECK(p.check_upgrade(std::nullopt) == Verdict::allow);
    CHECK(p.check_upgrade("https://evil.test") == Verdict::foreign_origin);
}

TEST_CASE("default ports compare equal to explicit ones") {
    OriginPolicy p({"https://example.com"}, false);
    CHECK(p.check_upgrade("https://example.com:443") == Verdict::allow);
    CHECK(p.check_upgrade("https://example.com:8443") == Verdict::foreign_origin);
}

TEST_CASE("event streams refuse foreign origins and cross-site fetches, allow no Origin") {
    OriginPolicy p({"https://localhost:8443"}, false);
    CHECK(p.check_event_stream(std::nullopt, std::nullopt) == Verdict::allow);
    CHECK(p.check_event_stream(std::nullopt, "same-origin") == Verdict::allow);
    CHECK(p.check_event_stream(std::nullopt, "none") == Verdict::allow);
    CHECK(p.check_event_stream("https://localhost:8443", "same-origin") == Verdict::allow);
    CHECK(p.check_event_stream(std::nullopt, "cross-site") == Verdict::cross_site);
    CHECK(p.check_event_stream(std::nullopt, "Same-Site") == Verdict::cross_site);
    CHECK(p.check_event_stream("https://evil.test", std::nullopt) == Verdict::foreign_origin);
}

TEST_CASE("configured entries that are not origins are reported") {
    OriginPolicy p({"https://ok.test", "not-an-origin"}, false);
    REQUIRE(p.invalid().size() == 1);
    CHECK(p.invalid()[0] == "not-an-origin");
}
