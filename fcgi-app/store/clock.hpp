#pragma once

#include <string>

namespace livesync::store {

// The current time as ISO 8601 UTC with milliseconds, e.g. "2026-11-25T18:05:48.123Z".
std::string now_iso8601();

}  // namespace livesync::store
