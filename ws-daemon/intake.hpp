// Intake: turns wake-up datagrams and revision-table reads into Changes.
//
// The revision table is the truth (docs/signal.md): every datagram, and a slow safety tick, makes
// the daemon re-read it; each entity whose revision differs from the last read is a Change. The
// datagrams only serve to attribute a change to a client: since every transaction bumps the global
// revision by exactly one, a change can carry an origin only if every global revision in the range
// it spans was announced by a datagram, and all of those that touched the entity came from the
// same client.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "change.hpp"
#include "change_signal.hpp"
#include "fd.hpp"
#include "pg.hpp"
#include "revisions.hpp"
#include "sqlite.hpp"

namespace livesync::wsd {

// Remembers the last kCapacity datagrams by global revision.
class SignalLedger {
  public:
    static constexpr std::int64_t kCapacity = 4096;
    void record(const ChangeSignal& signal);
    // Changes between two reads of the table. An `all` datagram in the range (a cascading delete)
    // reports all three entities as changed, so clients get one `all` event for it.
    std::vector<Change> diff(const Revisions& before, const Revisions& after) const;
    // True if a datagram was recorded for every global revision in (before, after].
    bool covers(const Revisions& before, const Revisions& after) const;

  private:
    struct Entry {
        std::int64_t rev = -1;
        Entity entity = Entity::all;
        std::string origin;
    };
    std::array<Entry, kCapacity> ring_{};
};

// The read-only view of the database's revision table, in a SQLite file or on a PostgreSQL
// server (a URI, see is_postgres_uri). The file or table may not exist yet (the pool creates
// them), or the server may be down; `read()` then returns nullopt and tries again on the next
// call. A replaced file (a restore) is noticed by its inode and reopened; a lost PostgreSQL
// connection is remade.
class RevisionSource {
  public:
    explicit RevisionSource(std::string path);
    // Returns the current revision vector, or nullopt while it cannot be read. Logs each change
    // between readable and unreadable once.
    std::optional<Revisions> read();

  private:
    bool open();
    std::optional<Revisions> read_postgres();
    // Logs the first failure of a run of them.
    void failed(const char* what, const std::string& error);

    std::string path_;
    std::optional<PgConn> pg_;
    std::optional<Db> db_;
    std::optional<RevisionReader> reader_;
    ino_t inode_ = 0;
    bool failing_ = false;
};

// Binds the Unix datagram socket the pool signals (non-blocking, close-on-exec, mode 0660,
// replacing a stale socket file). Throws std::system_error naming the failed call.
Fd bind_signal_socket(const std::string& path);

// Reads every queued datagram from `fd` without blocking, recording the well-formed ones in
// `ledger`. Returns {well-formed, malformed} counts.
struct DrainResult {
    std::uint64_t ok = 0;
    std::uint64_t malformed = 0;
};
DrainResult drain_signals(int fd, SignalLedger& ledger);

}  // namespace livesync::wsd
