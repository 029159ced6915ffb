// The list SQL texts: what they select, and that SQLite runs them on the indexes that keep a
// page O(limit) and a since query O(changes) (EXPLAIN QUERY PLAN on a real schema).
#include "store/sql_text.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

using namespace livesync;
using namespace livesync::store;

namespace {

// The plan's detail lines, joined by '|'.
std::string plan(const Db& db, const std::string& sql) {
    Stmt stmt(db, "EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (stmt.step()) out += stmt.text(3) + "|";
    return out;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("list SQL names only columns and placeholders, never values") {
    ListFilter f;
    f.parent_id = 7;
    f.status = "done'; DROP TABLE x; --";
    f.owner = "o";
    f.name_contains = "%_\\";
    std::string sql = page_sql(spec_of(Entity::subcomponents), f, {3, true, 10});
    CHECK(sql ==
          "SELECT id, solution_id, name, description, status, owner, created_at, updated_at, "
          "updated_by, rev FROM subcomponents WHERE solution_id = ? AND status = ? AND "
          "owner = ? AND instr(lower(name), ?) > 0 AND id < ? ORDER BY id DESC LIMIT ?");
    CHECK(changed_sql(spec_of(Entity::projects), {}) ==
          "SELECT id, name, description, status, owner, created_at, updated_at, updated_by, rev "
          "FROM projects INDEXED BY projects_by_rev WHERE rev > ? ORDER BY id");
    CHECK(count_sql(spec_of(Entity::subcomponents), f) ==
          "SELECT count(*) FROM subcomponents WHERE solution_id = ? AND status = ? AND owner = ? "
          "AND instr(lower(name), ?) > 0");
    CHECK(count_sql(spec_of(Entity::projects), {}) == "SELECT count(*) FROM projects");
    ListFilter top = f;
    top.parent_id.reset();  // projects have no parent
    CHECK(count_sql(spec_of(Entity::projects), top, Dialect::postgres) ==
          "SELECT count(*) FROM projects WHERE status = $1 AND owner = $2 AND "
          "position($3::bytea IN convert_to(lower(name), 'UTF8')) > 0");
    ListFilter status;
    status.status = "x";
    CHECK(
        unmatched_sql(spec_of(Entity::solutions), status) ==
        "SELECT id FROM solutions INDEXED BY solutions_by_rev WHERE rev > ? AND NOT (status = ?)");
}

TEST_CASE("pages seek an index in id order: no table sort, whichever filter leads") {
    TempDir dir;
    Config c;
    c.database = dir.file("t.db");
    SqliteStore store(c);  // creates the schema
    Db db(c.database, SQLITE_OPEN_READONLY);

    PageWindow asc{5, false, 50}, desc{5, true, 50};
    for (const PageWindow& w : {asc, desc}) {
        std::string p = plan(db, page_sql(spec_of(Entity::projects), {}, w));
        CHECK(has(p, "USING INTEGER PRIMARY KEY"));
        CHECK_FALSE(has(p, "TEMP B-TREE"));

        ListFilter f;
        f.status = "done";
        p = plan(db, page_sql(spec_of(Entity::projects), f, w));
        CHECK(has(p, "USING INDEX projects_by_status (status=? AND rowid"));
        CHECK_FALSE(has(p, "TEMP B-TREE"));

        f = {};
        f.owner = "ann";
        p = plan(db, page_sql(spec_of(Entity::subcomponents), f, w));
        CHECK(has(p, "USING INDEX subcomponents_by_owner (owner=? AND rowid"));
        CHECK_FALSE(has(p, "TEMP B-TREE"));

        f = {};
        f.parent_id = 1;
        p = plan(db, page_sql(spec_of(Entity::solutions), f, w));
        CHECK(has(p, "USING INDEX solutions_by_project (project_id=? AND rowid"));
        CHECK_FALSE(has(p, "TEMP B-TREE"));
    }
}

TEST_CASE("a count by status, owner or parent reads only that index, never the table") {
    TempDir dir;
    Config c;
    c.database = dir.file("t.db");
    SqliteStore store(c);
    Db db(c.database, SQLITE_OPEN_READONLY);
    ListFilter f;
    f.status = "done";
    CHECK(has(plan(db, count_sql(spec_of(Entity::projects), f)),
              "USING COVERING INDEX projects_by_status (status=?)"));
    f = {};
    f.owner = "ann";
    CHECK(has(plan(db, count_sql(spec_of(Entity::subcomponents), f)),
              "USING COVERING INDEX subcomponents_by_owner (owner=?)"));
    f = {};
    f.parent_id = 2;
    CHECK(has(plan(db, count_sql(spec_of(Entity::solutions), f)),
              "USING COVERING INDEX solutions_by_project (project_id=?)"));
    CHECK(has(plan(db, count_sql(spec_of(Entity::projects), {})), "USING COVERING INDEX"));
}

TEST_CASE("changes since a revision walk the rev index, whatever the filter") {
    TempDir dir;
    Config c;
    c.database = dir.file("t.db");
    SqliteStore store(c);
    Db db(c.database, SQLITE_OPEN_READONLY);
    ListFilter f;
    f.status = "done";
    f.parent_id = 3;
    CHECK(has(plan(db, changed_sql(spec_of(Entity::subcomponents), f)),
              "USING INDEX subcomponents_by_rev (rev>?)"));
    CHECK(has(plan(db, unmatched_sql(spec_of(Entity::subcomponents), f)),
              "USING INDEX subcomponents_by_rev (rev>?)"));
    CHECK(has(plan(db, "SELECT id FROM tombstones WHERE rev > ? AND entity = ?"),
              "USING PRIMARY KEY (rev>?)"));
}
