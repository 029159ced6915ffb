// The PostgreSQL schema and its versioned migrations: the same tables, columns and indexes as the
// SQLite schema (store/schema.cpp), so that both stores answer byte for byte alike.
#pragma once

#include "pg.hpp"

namespace livesync::store::postgres {

// Schema version this build writes (the row of the schema_version table).
int current_schema_version();

// Applies every migration newer than the database's schema_version, each in a transaction of its
// own that also records the new version, so a crash mid-upgrade leaves a consistent schema of
// some version. Safe when several pools (on one host or many) start at once: each transaction
// first takes a transaction-level advisory lock, so one migrates and the others then find the
// work done. Throws PgError; throws std::runtime_error if the database was written by a newer
// livesync (refuses to downgrade). `target_version` (an older version, for tests of an upgrade)
// stops there.
void migrate(PgConn& conn, int target_version = current_schema_version());

}  // namespace livesync::store::postgres
