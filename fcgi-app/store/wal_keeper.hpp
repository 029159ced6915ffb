// Keeps the SQLite write-ahead log (`<database>-wal`) bounded (docs/storage.md, "WAL size").
//
// SQLite checkpoints after a commit (copies the log into the database as far as the oldest open
// reader allows), and the next writer starts the log over once no reader needs it; but the file
// is never made smaller, and nothing happens at all while no one writes. So a log grown while
// long readers held their snapshots (CSV exports) kept that size for ever. Two things bound it:
// - `limit_wal_file` on every connection: a checkpoint after every commit that leaves a quarter
//   of `wal_size_limit_mb` in the log, and the first commit after the log starts over cuts the
//   file back to `wal_size_limit_mb` (PRAGMA wal_autocheckpoint, journal_size_limit);
// - a WalKeeper in each pool worker: once a second, a PASSIVE checkpoint (takes no lock that a
//   reader or writer waits for) and, when the file is over the limit and fully checkpointed, a
//   TRUNCATE checkpoint that never waits (its connection has no busy handler): it cuts the file
//   to zero if no reader is in the log, and is simply tried again a second later if one is.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "config.hpp"
#include "sqlite.hpp"

namespace livesync::store {

// Sets the connection's checkpoint threshold and journal_size_limit from
// `config.wal_size_limit_mb`. Called for every connection the store opens. Throws SqliteError.
void limit_wal_file(Db& db, const Config& config);

// One round of the keeper on `db`, a connection with no busy handler (so that no checkpoint
// waits): a PASSIVE checkpoint, then, if that copied the whole log and the log file
// `wal_path` is larger than `limit_bytes`, a TRUNCATE checkpoint. Returns SQLite's result:
// SQLITE_BUSY when a reader, a writer or another checkpoint was in the way.
int keep_wal_bounded(Db& db, const std::string& wal_path, std::int64_t limit_bytes);

class WalKeeper {
  public:
    // Opens a connection of its own to `config.database` (which must exist: open it after the
    // store has migrated it) and starts the keeper thread. Throws SqliteError.
    explicit WalKeeper(const Config& config);
    WalKeeper(const WalKeeper&) = delete;
    WalKeeper& operator=(const WalKeeper&) = delete;
    // Stops the thread (at once, not after its current second) and closes the connection.
    ~WalKeeper();

  private:
    void run();

    std::string wal_path_;
    std::int64_t limit_bytes_;
    Db db_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace livesync::store
