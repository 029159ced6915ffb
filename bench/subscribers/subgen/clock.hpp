// Arrival stamps on CLOCK_MONOTONIC in milliseconds, the clock node's process.hrtime and
// Python's time.monotonic_ns() read, so run.py can subtract its own send times from them.
#pragma once

#include <time.h>

namespace livesync::subgen {

inline double now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace livesync::subgen
