#include "log.hpp"

#include <libwebsockets.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace livesync::wsd {
namespace {

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

void emit_lws(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    // lws prefixes its own timestamp and level ("[2026/.. ] E: ..."); keep the message part.
    if (auto colon = text.find(": "); text.starts_with("[") && colon != std::string_view::npos)
        text.remove_prefix(colon + 2);
    std::string fields = "component=lws";
    log_line(level & LLL_ERR ? LogLevel::error : LogLevel::warn, text, fields);
}

}  // namespace

void log_line(LogLevel level, std::string_view msg, std::string_view fields) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string escaped;
    escaped.reserve(msg.size());
    for (char c : msg) {
        if (c == '"' || c == '\\') escaped.push_back('\\');
        escaped.push_back(c == '\n' ? ' ' : c);
    }
    std::fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"%s%.*s\n", stamp, ts.tv_nsec / 1000000,
                 level_name(level), escaped.c_str(), fields.empty() ? "" : " ",
                 static_cast<int>(fields.size()), fields.data());
}

void route_lws_logs() {
    lws_set_log_level(LLL_ERR | LLL_WARN, emit_lws);
}

}  // namespace livesync::wsd
