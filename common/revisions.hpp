// The revision vector: one global counter bumped once per committed transaction, and per entity
// the global revision of the last change to any of its rows. Stored by fcgi-app in the table
// `revisions(name TEXT PRIMARY KEY, rev INTEGER)` with the rows 'global', 'projects', 'solutions',
// 'subcomponents'; read by both processes. See docs/storage.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "entity.hpp"
#include "pg.hpp"
#include "sqlite.hpp"

namespace livesync {

struct Revisions {
    std::int64_t global = 0;
    std::int64_t projects = 0;
    std::int64_t solutions = 0;
    std::int64_t subcomponents = 0;

    std::int64_t of(Entity e) const;
    bool operator==(const Revisions&) const = default;
};

// Sets the revision `name` (a row name of the table) to `rev`; other names are ignored.
void set_revision(Revisions& revisions, std::string_view name, std::int64_t rev);
// The vector from the rows of `SELECT name, rev FROM revisions` on PostgreSQL (the pool's store
// and the daemon's listener read it alike). Throws std::runtime_error for a value that is not an
// integer.
Revisions revisions_of(const PgResult& rows);

// Reads the whole vector in one statement (so it is one consistent snapshot). Throws SqliteError.
class RevisionReader {
  public:
    explicit RevisionReader(const Db& db);
    Revisions read();

  private:
    Stmt select_;
};

}  // namespace livesync
