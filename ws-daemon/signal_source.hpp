// Where the daemon's wake-ups and revision reads come from — the one intake interface with two
// sources (docs/daemon.md):
//   DatagramSource  the pool's datagrams on a Unix socket, revisions from the SQLite file
//   PgSource        LISTEN/NOTIFY on one PostgreSQL connection, revisions from its table
// Either way a signal is only a hint and the revision read is the truth: the daemon diffs each
// read against the last (intake.hpp) and the signals only attribute changes to clients.
// Both run on the daemon's libev loop, on its one thread, and report to a SourceSink.
#pragma once

#include <cstdint>
#include <optional>

#include "change_signal.hpp"
#include "revisions.hpp"

namespace livesync::wsd {

class SourceSink {
  public:
    // One well-formed signal (to be recorded before the read it woke up is answered).
    virtual void on_signal(const ChangeSignal& signal) = 0;
    virtual void on_malformed_signals(std::uint64_t count) = 0;
    // The answer to read number `seq` (what read() returned): the revisions, or nullopt if they
    // could not be read. May come from inside read() (SQLite) or later (PostgreSQL).
    // `reconnected`: the first read on a new listening connection; the signals of commits made
    // before it will never come, so what it shows is to be announced at once.
    virtual void on_revisions(std::uint64_t seq, std::optional<Revisions> revisions,
                              bool reconnected) = 0;

  protected:
    ~SourceSink() = default;
};

class SignalSource {
  public:
    virtual ~SignalSource() = default;
    // Asks for a read of the revision table that starts no earlier than now. Returns the number
    // of the read that will answer (several asks may share one read). Each signal (or batch of
    // them) also makes the source read by itself.
    virtual std::uint64_t read() = 0;
    // True when this source can lag the database — another host writes it, and a read is a round
    // trip away — but can read it now: a new subscriber's `hello` then waits for a fresh read.
    virtual bool fresh_reads() const = 0;
};

}  // namespace livesync::wsd
