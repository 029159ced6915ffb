#include "origin_policy.hpp"

#include <catch2/catch.hpp>

using namespace livesync;

namespace {

const std::vector<Origin> kSite = {{"https", "localhost", 8443}, {"https", "127.0.0.1", 8443}};

// The verdicts of the three places an Origin is judged, for one header value: an API mutation
// and /events (check_fetch) and a /ws upgrade (check_upgrade).
struct Verdicts {
    OriginVerdict fetch;
    OriginVerdict upgrade;
};

Verdicts judge(const std::vector<Origin>& own, std::optional<std::string_view> origin) {
    return {check_fetch(own, origin, std::nullopt), check_upgrade(own, origin, false)};
}

}  // namespace

TEST_CASE("origins parse to scheme, host and explicit port") {
    CHECK(parse_origin("https://localhost:8443") == Origin{"https", "localhost", 8443});
    CHECK(parse_origin("https://Example.COM") == Origin{"https", "example.com", 443});
    CHECK(parse_origin("http://127.0.0.1") == Origin{"http", "127.0.0.1", 80});
    CHECK(parse_origin("HTTPS://[::1]:8443") == Origin{"https", "[::1]", 8443});
    CHECK(parse_origin("https://[::ABCD]") == Origin{"https", "[::abcd]", 443});
    CHECK(parse_origin("HtTpS://LocalHost:443") == parse_origin("https://localhost"));
    CHECK(parse_origin("http://localhost:80") == parse_origin("http://localhost"));
}

TEST_CASE("suffix tricks, paths, userinfo, spaces and odd values are not origins") {
    for (const char* bad : {"https://localhost:8443.evil.test",
                            "https://localhost:8443/",
                            "https://localhost/",
                            "https://localhost:",
                            "https://user@localhost:8443",
                            "null",
                            "",
                            "localhost:8443",
                            "ftp://localhost",
                            "wss://localhost:8443",
                            "https://localhost:0",
                            "https://localhost:65536",
                            "https://localhost:84a3",
                            "https://localhost:+8443",
                            "https://localhost:-1",
                            "https://local host",
                            "https://localhost:8443?x",
                            "https://localhost:8443#x",
                            "https://[::1",
                            "https://",
                            "https://:8443",
                            " https://localhost:8443",
                            "https://localhost:8443 ",
                            "https://localhost:8443\t",
                            "https://a https://b",
                            "https://localhost:8443,https://localhost:8443",
                            "*"})
        CHECK_FALSE(parse_origin(bad));
}

TEST_CASE("an own origin in any case or with its default port is allowed everywhere") {
    for (const char* own :
         {"https://localhost:8443", "HTTPS://localhost:8443", "https://LOCALHOST:8443",
          "Https://LocalHost:8443", "https://127.0.0.1:8443"}) {
        INFO(own);
        auto v = judge(kSite, own);
        CHECK(v.fetch == OriginVerdict::allow);
        CHECK(v.upgrade == OriginVerdict::allow);
    }
    std::vector<Origin> without_port = {*parse_origin("https://example.com")};
    std::vector<Origin> with_port = {*parse_origin("https://example.com:443")};
    for (const auto* own : {&without_port, &with_port})
        for (const char* origin : {"https://example.com", "https://example.com:443"}) {
            INFO(origin);
            CHECK(judge(*own, origin).fetch == OriginVerdict::allow);
            CHECK(judge(*own, origin).upgrade == OriginVerdict::allow);
        }
    CHECK(judge(without_port, "https://example.com:8443").upgrade == OriginVerdict::foreign_origin);
}

TEST_CASE("a foreign or malformed Origin is refused everywhere") {
    for (const char* foreign :
         {"https://localhost:8443.evil.test", "https://localhost.evil.test:8443",
          "http://localhost:8443", "https://localhost", "https://localhost:8444",
          "https://localhost:8443/", "null", "https://evil.test", "wss://localhost:8443",
          "https://localhost:8443 https://evil.test", "https://localhost:8443, https://evil.test",
          "*"}) {
        INFO(foreign);
        auto v = judge(kSite, foreign);
        CHECK(v.fetch == OriginVerdict::foreign_origin);
        CHECK(v.upgrade == OriginVerdict::foreign_origin);
    }
}

TEST_CASE("spaces around the value are not part of it and an empty value is no Origin") {
    for (const char* padded : {" https://localhost:8443", "https://localhost:8443 ",
                               "\thttps://localhost:8443\t", "  https://LOCALHOST:8443  "}) {
        INFO('[' << padded << ']');
        CHECK(judge(kSite, padded).fetch == OriginVerdict::allow);
        CHECK(judge(kSite, padded).upgrade == OriginVerdict::allow);
    }
    CHECK(judge(kSite, " https://evil.test ").fetch == OriginVerdict::foreign_origin);
    for (const char* empty : {"", " ", "\t"}) {
        CHECK(judge(kSite, empty).fetch == OriginVerdict::allow);
        CHECK(judge(kSite, empty).upgrade == OriginVerdict::missing_origin);
    }
}

TEST_CASE("a missing Origin passes a fetch, and an upgrade only when configured for local tools") {
    CHECK(check_fetch(kSite, std::nullopt, std::nullopt) == OriginVerdict::allow);
    CHECK(check_upgrade(kSite, std::nullopt, false) == OriginVerdict::missing_origin);
    CHECK(check_upgrade(kSite, std::nullopt, true) == OriginVerdict::allow);
    CHECK(check_upgrade(kSite, "https://evil.test", true) == OriginVerdict::foreign_origin);
}

TEST_CASE("cross-site and same-site fetches are refused even from an own origin") {
    for (const char* site : {"cross-site", "same-site", "Same-Site", " CROSS-SITE "}) {
        INFO(site);
        CHECK(check_fetch(kSite, std::nullopt, site) == OriginVerdict::cross_site);
        CHECK(check_fetch(kSite, "https://localhost:8443", site) == OriginVerdict::cross_site);
    }
    for (const char* site : {"same-origin", "none", ""}) {
        INFO(site);
        CHECK(check_fetch(kSite, std::nullopt, site) == OriginVerdict::allow);
        CHECK(check_fetch(kSite, "https://localhost:8443", site) == OriginVerdict::allow);
    }
    CHECK(check_fetch(kSite, "https://evil.test", "same-origin") == OriginVerdict::foreign_origin);
}
