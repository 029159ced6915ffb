#include "admission.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace livesync;
using namespace livesync::wsd;

namespace {

const std::vector<Origin> kOrigins = {{"https", "localhost", 8443}};

Upgrade good() {
    Upgrade u;
    u.upgrade = "websocket";
    u.version = "13";
    u.key = "dGhlIHNhbXBsZSBub25jZQ==";
    u.uri = "/ws";
    u.origin = "https://localhost:8443";
    return u;
}

Gate open_gate(bool draining = false, bool full = false) {
    return {kOrigins, false, draining, full};
}

}  // namespace

TEST_CASE("an upgrade from the site's origin is admitted") {
    CHECK_FALSE(admit_upgrade(good(), open_gate()));
}

TEST_CASE("upgrade refusals come in order: handshake, path, origin, draining, capacity") {
    Upgrade u = good();
    u.key = "short";
    u.uri = "/nope";
    u.origin = "https://evil.example";
    auto r = admit_upgrade(u, open_gate(true, true));
    REQUIRE(r);
    CHECK((r->status == 400 && r->counted_as == Refusal::handshake));
    u.key = good().key;
    r = admit_upgrade(u, open_gate(true, true));
    CHECK((r->status == 404 && r->counted_as == Refusal::not_found));
    u.uri = "/ws";
    r = admit_upgrade(u, open_gate(true, true));
    CHECK((r->status == 403 && r->counted_as == Refusal::origin &&
           std::string(r->log_reason) == "origin"));
    u.origin = good().origin;
    r = admit_upgrade(u, open_gate(true, true));
    CHECK((r->status == 503 && r->counted_as == Refusal::draining));
    r = admit_upgrade(u, open_gate(false, true));
    CHECK((r->status == 503 && r->counted_as == Refusal::capacity));
}

TEST_CASE("a wrong version or upgrade is 426, a missing origin is refused unless allowed") {
    Upgrade u = good();
    u.version = "8";
    CHECK(admit_upgrade(u, open_gate())->status == 426);
    u = good();
    u.upgrade = "h2c";
    CHECK(admit_upgrade(u, open_gate())->status == 426);
    u = good();
    u.origin.reset();
    auto r = admit_upgrade(u, open_gate());
    CHECK((r && r->status == 403 && std::string(r->log_reason) == "missing_origin"));
    CHECK_FALSE(admit_upgrade(u, Gate{kOrigins, true, false, false}));
}

TEST_CASE("an event stream needs no origin but refuses foreign and cross-site fetches") {
    CHECK_FALSE(admit_stream(std::nullopt, std::nullopt, open_gate()));
    CHECK_FALSE(admit_stream("https://localhost:8443", "same-origin", open_gate()));
    auto r = admit_stream("https://evil.example", std::nullopt, open_gate());
    CHECK((r && r->status == 403 && r->counted_as == Refusal::origin));
    r = admit_stream(std::nullopt, "cross-site", open_gate());
    CHECK((r && r->status == 403 && r->counted_as == Refusal::cross_site));
    r = admit_stream(std::nullopt, std::nullopt, open_gate(false, true));
    CHECK((r && r->status == 503 && r->counted_as == Refusal::capacity));
}
