// Whether a write to the SQLite database can succeed now, as far as can be told without writing
// (docs/api.md "Revisions and health", docs/storage.md "Readiness"). What tells: statvfs of the
// database's folder, i.e. the kernel's own count of the blocks this process may still allocate
// there, which is what a write(2) that fails with ENOSPC was refused by, and the read-only flag.
// A probe write cannot tell: SQLite rewrites its log in place once it has started over, so a
// commit (or an UPDATE of a health row) needs no new block and succeeds on a full disk, until the
// log or the database has to grow.
#pragma once

#include <cstdint>
#include <string>

namespace livesync::store {

struct WriteReadiness {
    bool ready = true;
    std::string reason;   // when not ready: "disk_full", "read_only" or "unreachable"
    std::string message;  // what was found, for an operator
};

// Not ready when the filesystem holding `database` has less than `min_free_bytes` (or nothing)
// free to this process, no free inode, or is mounted read-only, or cannot be examined. One
// statvfs; safe from any thread.
WriteReadiness write_readiness(const std::string& database, std::int64_t min_free_bytes);

}  // namespace livesync::store
