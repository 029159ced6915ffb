#include "messages.hpp"

#include <charconv>
#include <cstdio>

namespace livesync::wsd {
namespace {

std::size_t checked(int n, std::span<char> out) {
    return n > 0 && static_cast<std::size_t>(n) < out.size() ? static_cast<std::size_t>(n) : 0;
}

// {"type":"<type>","rev":R,"revs":{…}<tail>}: hello and beat differ only in type and tail.
std::size_t format_revisions(std::span<char> out, std::string_view type, const Revisions& r,
                             std::string_view tail) {
    return checked(
        std::snprintf(out.data(), out.size(),
                      "{\"type\":\"%.*s\",\"rev\":%lld,\"revs\":{\"projects\":%lld,"
                      "\"solutions\":%lld,\"subcomponents\":%lld}%.*s}",
                      static_cast<int>(type.size()), type.data(), static_cast<long long>(r.global),
                      static_cast<long long>(r.projects), static_cast<long long>(r.solutions),
                      static_cast<long long>(r.subcomponents), static_cast<int>(tail.size()),
                      tail.data()),
        out);
}

}  // namespace

std::size_t format_hello(std::span<char> out, const Revisions& revs, std::int64_t beat_ms) {
    char tail[32];
    int n = std::snprintf(tail, sizeof tail, ",\"beat_ms\":%lld", static_cast<long long>(beat_ms));
    return format_revisions(out, "hello", revs, {tail, static_cast<std::size_t>(n)});
}

std::size_t format_beat(std::span<char> out, const Revisions& revs) {
    return format_revisions(out, "beat", revs, "");
}

std::size_t format_refresh(std::span<char> out, Entity entity, std::int64_t rev,
                           std::string_view origin) {
    auto name = entity_name(entity);
    int n =
        origin.empty()
            ? std::snprintf(out.data(), out.size(),
                            "{\"type\":\"refresh\",\"entity\":\"%.*s\",\"rev\":%lld}",
                            static_cast<int>(name.size()), name.data(), static_cast<long long>(rev))
            : std::snprintf(out.data(), out.size(),
                            "{\"type\":\"refresh\",\"entity\":\"%.*s\",\"rev\":%lld,"
                            "\"origin\":\"%.*s\"}",
                            static_cast<int>(name.size()), name.data(), static_cast<long long>(rev),
                            static_cast<int>(origin.size()), origin.data());
    return checked(n, out);
}

std::size_t format_reconnect(std::span<char> out, int after_ms) {
    return checked(
        std::snprintf(out.data(), out.size(), "{\"type\":\"reconnect\",\"after_ms\":%d}", after_ms),
        out);
}

std::size_t format_sse_event(std::span<char> out, std::string_view event, std::int64_t id,
                             std::string_view json, int retry_ms) {
    int n = retry_ms > 0
                ? std::snprintf(out.data(), out.size(),
                                "retry: %d\nid: %lld\nevent: %.*s\ndata: %.*s\n\n", retry_ms,
                                static_cast<long long>(id), static_cast<int>(event.size()),
                                event.data(), static_cast<int>(json.size()), json.data())
                : std::snprintf(out.data(), out.size(), "id: %lld\nevent: %.*s\ndata: %.*s\n\n",
                                static_cast<long long>(id), static_cast<int>(event.size()),
                                event.data(), static_cast<int>(json.size()), json.data());
    return checked(n, out);
}

std::int64_t parse_last_event_id(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    std::int64_t n = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0) return -1;
    return n;
}

}  // namespace livesync::wsd
