// The change signal: one datagram per committed mutating request, from a pool worker to the
// daemon over a Unix datagram socket. It is a wake-up hint, not the truth: the daemon re-reads the
// revision table when one arrives. Wire format (docs/signal.md), one JSON object, at most 512
// bytes:
//   {"v":1,"entity":"projects","rev":42,"origin":"tab-3f2a"}
// `origin` is the request's X-Client-Id, or "" when there was none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "entity.hpp"
#include "fd.hpp"

namespace livesync {

struct ChangeSignal {
    Entity entity = Entity::all;
    std::int64_t rev = 0;
    std::string origin;

    bool operator==(const ChangeSignal&) const = default;
};

inline constexpr std::size_t kMaxSignalBytes = 512;
// In PostgreSQL mode the same text is the payload of `NOTIFY livesync` (pg_notify('livesync',
// encode_signal(…)) inside the write transaction), which every daemon LISTENs on.
inline constexpr const char* kSignalChannel = "livesync";
inline constexpr std::size_t kMaxClientIdBytes = 64;

// A client id is kept only if it is 1..64 characters of [A-Za-z0-9._-]; anything else becomes "".
std::string sanitize_client_id(std::string_view raw);

std::string encode_signal(const ChangeSignal& signal);
// Returns nullopt for anything that is not a well-formed version-1 signal.
std::optional<ChangeSignal> decode_signal(std::string_view datagram);

// Sends signals without ever blocking or failing the caller. Errors (no daemon, full queue) are
// counted and logged at most once per minute to stderr.
class SignalSender {
  public:
    explicit SignalSender(std::string socket_path);
    // Returns true if the datagram was queued to the daemon.
    bool send(const ChangeSignal& signal) noexcept;
    std::uint64_t failures() const { return failures_; }

  private:
    std::string path_;
    Fd fd_;
    std::uint64_t failures_ = 0;
    std::int64_t last_log_second_ = 0;
};

}  // namespace livesync
