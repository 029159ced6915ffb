// The database schema and its versioned migrations.
#pragma once

#include "sqlite.hpp"

namespace livesync::store {

// Schema version this build writes (PRAGMA user_version).
int current_schema_version();

// Applies every migration newer than the file's user_version, all in one IMMEDIATE transaction,
// so a crash mid-upgrade leaves the old schema intact. Throws SqliteError; throws
// std::runtime_error if the file was written by a newer livesync (refuses to downgrade).
// `target_version` (an older version, for tests of an upgrade) stops there.
void migrate(Db& db, int target_version = current_schema_version());

}  // namespace livesync::store
