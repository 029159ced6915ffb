#include "schema.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace livesync::store::postgres {
namespace {

// Each entry upgrades the schema from version i to i+1. Never edit a shipped entry: add one, and
// the same change to the SQLite schema.
//
// Mirrors SQLite's schema: ids are identities that are never reused (SQLite's AUTOINCREMENT) and
// never given by the store; timestamps are TEXT written by the store itself (store/clock.cpp), so
// they come back byte for byte as on SQLite. Text columns use the "C" collation whatever the
// database's locale: comparison and ordering by bytes, case folding of ASCII only, like SQLite's
// BINARY collation and LIKE.
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE revisions (
    name text COLLATE "C" PRIMARY KEY,
    rev  bigint NOT NULL
);
INSERT INTO revisions (name, rev) VALUES
    ('global', 0), ('projects', 0), ('solutions', 0), ('subcomponents', 0);

CREATE TABLE projects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL DEFAULT '',
    status      text COLLATE "C" NOT NULL DEFAULT 'planned',
    owner       text COLLATE "C" NOT NULL DEFAULT '',
    created_at  text COLLATE "C" NOT NULL,
    updated_at  text COLLATE "C" NOT NULL,
    rev         bigint NOT NULL
);

CREATE TABLE solutions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL DEFAULT '',
    status      text COLLATE "C" NOT NULL DEFAULT 'planned',
    phases      integer NOT NULL DEFAULT 31,
    created_at  text COLLATE "C" NOT NULL,
    updated_at  text COLLATE "C" NOT NULL,
    rev         bigint NOT NULL
);
CREATE INDEX solutions_by_project ON solutions (project_id);

CREATE TABLE subcomponents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    solution_id bigint NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL DEFAULT '',
    status      text COLLATE "C" NOT NULL DEFAULT 'planned',
    owner       text COLLATE "C" NOT NULL DEFAULT '',
    created_at  text COLLATE "C" NOT NULL,
    updated_at  text COLLATE "C" NOT NULL,
    rev         bigint NOT NULL
);
CREATE INDEX subcomponents_by_solution ON subcomponents (solution_id);

CREATE TABLE checklist_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subcomponent_id bigint NOT NULL REFERENCES subcomponents (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    label           text COLLATE "C" NOT NULL,
    done            boolean NOT NULL DEFAULT false
);
CREATE INDEX checklist_items_by_subcomponent ON checklist_items (subcomponent_id, position);
)sql",
    // 2: large lists, as SQLite's version 2: indexes for keyset pages under a filter and for
    // changes since a revision, and the change log of deleted rows (tombstones) written by row
    // triggers in the deleting transaction itself, so that cascade deletes are logged too. The
    // trigger stamps the global revision the transaction bumped as its first statement.
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
    rev    bigint NOT NULL,
    entity text COLLATE "C" NOT NULL,
    id     bigint NOT NULL,
    PRIMARY KEY (rev, entity, id)
);

CREATE TABLE tombstone_horizon (
    rev bigint NOT NULL
);
INSERT INTO tombstone_horizon (rev) SELECT rev FROM revisions WHERE name = 'global';

CREATE FUNCTION log_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tombstones (rev, entity, id)
        SELECT rev, TG_ARGV[0], OLD.id FROM revisions WHERE name = 'global';
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_tombstone AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION log_tombstone('projects');
CREATE TRIGGER solutions_tombstone AFTER DELETE ON solutions
    FOR EACH ROW EXECUTE FUNCTION log_tombstone('solutions');
CREATE TRIGGER subcomponents_tombstone AFTER DELETE ON subcomponents
    FOR EACH ROW EXECUTE FUNCTION log_tombstone('subcomponents');
)sql",
    // 3: who changed a row, as SQLite's version 3. A constant default: PostgreSQL adds the
    // column without rewriting the table.
    R"sql(
ALTER TABLE projects ADD COLUMN updated_by text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE solutions ADD COLUMN updated_by text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE subcomponents ADD COLUMN updated_by text COLLATE "C" NOT NULL DEFAULT '';
)sql",
};

// Any number: it only has to be the same in every livesync ("livesync" in ASCII).
constexpr std::int64_t kLockKey = 0x6c69766573796e63;

// Opens a migration step's transaction, holding the migration lock until it ends, and returns the
// schema's version (0 for an empty database). READ COMMITTED whatever the database's default, so
// that the version read after waiting for the lock is the one the previous holder committed.
int begin_step(PgConn& conn) {
    conn.exec("SET LOCAL client_min_messages = warning");  // no NOTICE for IF NOT EXISTS
    conn.query("SELECT pg_advisory_xact_lock($1)", PgParams().add(kLockKey));
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
        "  version integer NOT NULL);"
        "INSERT INTO schema_version (version) VALUES (0) ON CONFLICT DO NOTHING");
    return static_cast<int>(conn.exec("SELECT version FROM schema_version").int64(0, 0));
}

}  // namespace

int current_schema_version() {
    return static_cast<int>(std::size(kMigrations));
}

void migrate(PgConn& conn, int target_version) {
    for (;;) {
        PgTransaction transaction(conn, "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE");
        int version = begin_step(conn);
        if (version > current_schema_version())
            throw std::runtime_error("database schema version " + std::to_string(version) +
                                     " is newer than this livesync (" +
                                     std::to_string(current_schema_version()) + ")");
        if (version >= target_version) return;  // rolls back: nothing was changed
        conn.exec(kMigrations[version]);
        conn.query("UPDATE schema_version SET version = $1", PgParams().add(version + 1));
        transaction.commit();
    }
}

}  // namespace livesync::store::postgres
