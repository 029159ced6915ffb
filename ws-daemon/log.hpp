// One-line structured logs on stderr: `ts=2026-11-25T18:00:00.123Z level=info msg="..." k=v ...`.
// Called from the daemon's one thread only. `fields` is appended verbatim (already `k=v` pairs).
#pragma once

#include <string_view>

namespace livesync::wsd {

enum class LogLevel { debug, info, warn, error };

void log_line(LogLevel level, std::string_view msg, std::string_view fields = {});

// Routes libwebsockets' own warnings and errors through log_line (component=lws).
void route_lws_logs();

}  // namespace livesync::wsd
