// When a read of the revision table may be announced. The pool sends each datagram after its
// COMMIT (a group-commit batch after the COMMIT of the whole batch), so any read, whether a
// datagram or the safety tick woke the daemon, can show commits whose datagrams are still on
// their way. Announced at once, those changes would carry no origin (SignalLedger::diff cannot
// attribute a range it has not heard of) and the tab that made them would refetch its own edit.
// So a read the ledger cannot explain waits: each arriving datagram re-reads, and once the ledger
// explains the read it is announced with its origins; if the datagrams never come (dropped), it
// is announced anyway, without them, `grace_ms` after it was first seen.
//
// Pure logic: time is passed in (milliseconds on any monotonic clock); the daemon re-reads at
// deadline(). Not thread-safe; the daemon's loop thread owns it.
#pragma once

#include <cstdint>
#include <optional>

namespace livesync::wsd {

class AttributionGate {
  public:
    explicit AttributionGate(std::int64_t grace_ms) : grace_ms_(grace_ms) {}

    enum class Verdict {
        unchanged,  // nothing moved since the last announced read
        announce,   // announce the read now
        wait,       // hold it: datagrams are missing, and the grace has not ended
    };
    // `moved`: the read differs from the last announced one; `explained`: the ledger holds a
    // datagram for every global revision in between.
    Verdict on_read(bool moved, bool explained, std::int64_t now);
    // When the held read must be read again (and announced whatever the ledger says), or
    // nullopt when nothing is held.
    std::optional<std::int64_t> deadline() const { return deadline_; }

  private:
    std::int64_t grace_ms_;
    std::optional<std::int64_t> deadline_;
};

}  // namespace livesync::wsd
