// How long the PostgreSQL listener waits before its next connection attempt: exponential with
// "full jitter" (uniform between 0 and min(cap, base · 2^tries)), so daemons on many hosts that
// lost the server together (a restart, a failover) do not all come back in the same instant.
// Pure: the caller passes the random draw, so tests need no clock and no seed.
#pragma once

#include <algorithm>
#include <cstdint>

namespace livesync::wsd {

inline constexpr std::int64_t kReconnectBaseMs = 100;
inline constexpr std::int64_t kReconnectCapMs = 5000;

// `tries`: attempts since the connection was last usable (0 for the first retry);
// `random`: a draw from [0, 1).
constexpr std::int64_t reconnect_delay_ms(unsigned tries, double random) {
    std::int64_t ceiling = kReconnectBaseMs;
    for (unsigned i = 0; i < tries && ceiling < kReconnectCapMs; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, kReconnectCapMs);
    return std::clamp<std::int64_t>(
        static_cast<std::int64_t>(random * static_cast<double>(ceiling)), 0, ceiling);
}

}  // namespace livesync::wsd
