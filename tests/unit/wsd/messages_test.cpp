#include "messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using namespace livesync;
using namespace livesync::wsd;

namespace {
template <typename F>
std::string render(F f) {
    char buf[kMaxFrameBytes];
    std::size_t n = f(std::span<char>(buf, sizeof buf));
    return std::string(buf, n);
}
}  // namespace

TEST_CASE("hello carries the global and per-entity revisions and the heartbeat interval") {
    Revisions r{42, 40, 41, 7};
    auto j = nlohmann::json::parse(render([&](auto b) { return format_hello(b, r, 15000); }));
    CHECK(j ==
          nlohmann::json::parse(R"({"type":"hello","rev":42,"revs":{"projects":40,"solutions":41,)"
                                R"("subcomponents":7},"beat_ms":15000})"));
}

TEST_CASE("beat carries the revisions in hello's shape") {
    Revisions r{42, 40, 41, 7};
    CHECK(render([&](auto b) { return format_beat(b, r); }) ==
          R"({"type":"beat","rev":42,"revs":{"projects":40,"solutions":41,"subcomponents":7}})");
}

TEST_CASE("the longest hello and beat fit a frame") {
    Revisions r{INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    auto hello = render([&](auto b) { return format_hello(b, r, INT64_MAX); });
    CHECK(nlohmann::json::parse(hello)["beat_ms"] == INT64_MAX);
    auto beat = render([&](auto b) { return format_beat(b, r); });
    CHECK(nlohmann::json::parse(beat)["revs"]["subcomponents"] == INT64_MAX);
    char sse[kMaxFrameBytes + 64];
    CHECK(format_sse_event(sse, "hello", INT64_MAX, hello, 2000) > hello.size());
}

TEST_CASE("refresh names the entity and rev, and the origin only when known") {
    CHECK(render([](auto b) { return format_refresh(b, Entity::projects, 9, "tab-1"); }) ==
          R"({"type":"refresh","entity":"projects","rev":9,"origin":"tab-1"})");
    CHECK(render([](auto b) { return format_refresh(b, Entity::all, 10, ""); }) ==
          R"({"type":"refresh","entity":"all","rev":10})");
}

TEST_CASE("the longest refresh fits a frame") {
    std::string origin(64, 'x');
    CHECK(render([&](auto b) {
              return format_refresh(b, Entity::subcomponents, INT64_MAX, origin);
          }).size() > 64);
}

TEST_CASE("reconnect carries the delay") {
    CHECK(render([](auto b) { return format_reconnect(b, 1234); }) ==
          R"({"type":"reconnect","after_ms":1234})");
}

TEST_CASE("an SSE event has id, event, data and an optional retry") {
    char buf[kMaxFrameBytes];
    auto n = format_sse_event(buf, "refresh", 5, R"({"a":1})", 0);
    CHECK(std::string(buf, n) == "id: 5\nevent: refresh\ndata: {\"a\":1}\n\n");
    n = format_sse_event(buf, "hello", 7, "{}", 2000);
    CHECK(std::string(buf, n) == "retry: 2000\nid: 7\nevent: hello\ndata: {}\n\n");
    n = format_sse_event(buf, "beat", 9, "{}", 0);
    CHECK(std::string(buf, n) == "id: 9\nevent: beat\ndata: {}\n\n");
}

TEST_CASE("too small a buffer yields nothing rather than a cut message") {
    char buf[8];
    CHECK(format_reconnect(buf, 1) == 0);
    char small[64];
    CHECK(format_hello(small, Revisions{1, 1, 1, 1}, 15000) == 0);
    CHECK(format_beat(small, Revisions{INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}) == 0);
}

TEST_CASE("Last-Event-ID parses a decimal revision, anything else is -1") {
    CHECK(parse_last_event_id("17") == 17);
    CHECK(parse_last_event_id(" 17 ") == 17);
    CHECK(parse_last_event_id("0") == 0);
    CHECK(parse_last_event_id("") == -1);
    CHECK(parse_last_event_id("abc") == -1);
    CHECK(parse_last_event_id("-3") == -1);
    CHECK(parse_last_event_id("12x") == -1);
    CHECK(parse_last_event_id("99999999999999999999999") == -1);
}
