#include "schema.hpp"

#include <stdexcept>
#include <string>

namespace livesync::store {
namespace {

// Each entry upgrades the schema from version i to i+1. Never edit a shipped entry: add one.
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE revisions (
    name TEXT PRIMARY KEY,
    rev  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO revisions (name, rev) VALUES
    ('global', 0), ('projects', 0), ('solutions', 0), ('subcomponents', 0);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'planned',
    owner       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rev         INTEGER NOT NULL
);

CREATE TABLE solutions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'planned',
    phases      INTEGER NOT NULL DEFAULT 31,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rev         INTEGER NOT NULL
);
CREATE INDEX solutions_by_project ON solutions (project_id);

CREATE TABLE subcomponents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    solution_id INTEGER NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'planned',
    owner       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rev         INTEGER NOT NULL
);
CREATE INDEX subcomponents_by_solution ON subcomponents (solution_id);

CREATE TABLE checklist_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subcomponent_id INTEGER NOT NULL REFERENCES subcomponents (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    label           TEXT NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checklist_items_by_subcomponent ON checklist_items (subcomponent_id, position);
)sql",
    // 2: large lists. Indexes for keyset pages under a filter and for changes since a revision,
    // and the change log of deleted rows (tombstones), written by triggers in the deleting
    // transaction itself, so that cascade deletes are logged too. A trigger stamps the global
    // revision the transaction has already bumped (Store::remove bumps it before deleting).
    // `tombstone_horizon` holds the revision below which the log is incomplete: tombstones at
    // or below it are pruned, and this version starts logging now, so an upgraded database
    // starts it at its current revision.
    R"sql(
CREATE INDEX projects_by_rev ON projects (rev);
CREATE INDEX projects_by_status ON projects (status);
CREATE INDEX projects_by_owner ON projects (owner);
CREATE INDEX solutions_by_rev ON solutions (rev);
CREATE INDEX solutions_by_status ON solutions (status);
CREATE INDEX subcomponents_by_rev ON subcomponents (rev);
CREATE INDEX subcomponents_by_status ON subcomponents (status);
CREATE INDEX subcomponents_by_owner ON subcomponents (owner);

CREATE TABLE tombstones (
    rev    INTEGER NOT NULL,
    entity TEXT NOT NULL,
    id     INTEGER NOT NULL,
    PRIMARY KEY (rev, entity, id)
) WITHOUT ROWID;

CREATE TABLE tombstone_horizon (
    rev INTEGER NOT NULL
);
INSERT INTO tombstone_horizon (rev) SELECT rev FROM revisions WHERE name = 'global';

CREATE TRIGGER projects_tombstone AFTER DELETE ON projects BEGIN
    INSERT INTO tombstones (rev, entity, id)
        SELECT rev, 'projects', OLD.id FROM revisions WHERE name = 'global';
END;
CREATE TRIGGER solutions_tombstone AFTER DELETE ON solutions BEGIN
    INSERT INTO tombstones (rev, entity, id)
        SELECT rev, 'solutions', OLD.id FROM revisions WHERE name = 'global';
END;
CREATE TRIGGER subcomponents_tombstone AFTER DELETE ON subcomponents BEGIN
    INSERT INTO tombstones (rev, entity, id)
        SELECT rev, 'subcomponents', OLD.id FROM revisions WHERE name = 'global';
END;
)sql",
    // 3: who changed a row: the user the host authenticated for the request that last wrote it
    // ('' when the site is open). Rows written before the upgrade keep '' (nobody is known).
    R"sql(
ALTER TABLE projects ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE solutions ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE subcomponents ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
)sql",
};

int read_user_version(Db& db) {
    Stmt stmt(db, "PRAGMA user_version");
    stmt.step();
    return static_cast<int>(stmt.int64(0));
}

}  // namespace

int current_schema_version() {
    return static_cast<int>(std::size(kMigrations));
}

void migrate(Db& db, int target_version) {
    db.exec("BEGIN IMMEDIATE");
    try {
        int version = read_user_version(db);
        if (version > current_schema_version())
            throw std::runtime_error("database schema version " + std::to_string(version) +
                                     " is newer than this livesync (" +
                                     std::to_string(current_schema_version()) + ")");
        for (int v = version; v < target_version; ++v) {
            db.exec(kMigrations[v]);
            db.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
        }
        db.exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

}  // namespace livesync::store
