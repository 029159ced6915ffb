#include "store/sqlite/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include "store/sqlite/schema.hpp"
#include "temp_dir.hpp"

using namespace livesync;
using namespace livesync::store;

namespace {

Config config_in(const TempDir& dir) {
    Config c;
    c.database = dir.file("t.db");
    c.busy_timeout_ms = 50;
    return c;
}

Row named(const std::string& name, std::int64_t parent = 0) {
    Row r;
    r.name = name;
    r.parent_id = parent;
    return r;
}

std::int64_t create(Store& store, Entity e, Row row, WriteScope scope = WriteScope::alone) {
    WriteTransaction tx(store, scope);
    store.insert(tx, e, row);
    tx.commit({});
    return row.id;
}

}  // namespace

TEST_CASE("a new database is migrated to the current schema with zero revisions") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    CHECK(store.revisions() == Revisions{});
    Db db(dir.file("t.db"), SQLITE_OPEN_READONLY);
    Stmt v(db, "PRAGMA user_version");
    REQUIRE(v.step());
    CHECK(v.int64(0) == current_schema_version());
}

TEST_CASE("each committed transaction bumps the global revision once and stamps touched entities") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, named("p"));
    CHECK(store.revisions() == Revisions{1, 1, 0, 0});
    {
        WriteTransaction tx(store, WriteScope::alone);
        Row a = named("a", p), b = named("b", p);
        store.insert(tx, Entity::solutions, a);
        store.insert(tx, Entity::solutions, b);
        tx.commit({});
        CHECK(a.rev == 2);
        CHECK(b.rev == 2);
    }
    CHECK(store.revisions() == Revisions{2, 1, 2, 0});
}

TEST_CASE("a transaction that is not committed leaves no trace") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    {
        WriteTransaction tx(store, WriteScope::alone);
        Row r = named("lost");
        store.insert(tx, Entity::projects, r);
    }
    CHECK(store.list(Entity::projects, std::nullopt).empty());
    CHECK(store.revisions() == Revisions{});
}

TEST_CASE("deleting a project cascades to its solutions, subcomponents and checklist items") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, named("p"));
    std::int64_t s = create(store, Entity::solutions, named("s", p));
    Row sub = named("c", s);
    sub.checklist = {{0, "one", false}, {0, "two", true}};
    create(store, Entity::subcomponents, sub);

    WriteTransaction tx(store, WriteScope::alone);
    DeleteResult result = store.remove(tx, Entity::projects, p);
    tx.commit({});
    CHECK(result.found);
    CHECK(result.cascaded);
    CHECK(store.list(Entity::solutions, std::nullopt).empty());
    CHECK(store.list(Entity::subcomponents, std::nullopt).empty());
    Revisions r = store.revisions();
    CHECK(r.projects == r.global);
    CHECK(r.solutions == r.global);
    CHECK(r.subcomponents == r.global);
}

TEST_CASE("a checklist rewrite keeps listed ids, adds new items and drops omitted ones") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, named("p"));
    std::int64_t s = create(store, Entity::solutions, named("s", p));
    Row sub = named("c", s);
    sub.checklist = {{0, "one", false}, {0, "two", false}, {0, "three", false}};
    std::int64_t id = create(store, Entity::subcomponents, sub);

    Row row = *store.find(Entity::subcomponents, id);
    std::int64_t two = row.checklist[1].id;
    row.checklist = {{two, "two!", true}, {0, "four", false}};
    {
        WriteTransaction tx(store, WriteScope::alone);
        store.update(tx, Entity::subcomponents, row);
        tx.commit({});
    }
    Row after = *store.find(Entity::subcomponents, id);
    REQUIRE(after.checklist.size() == 2);
    CHECK(after.checklist[0] == ChecklistItem{two, "two!", true});
    CHECK(after.checklist[1].label == "four");
    CHECK(after.checklist[1].id > two);
    CHECK(store.list(Entity::subcomponents, s).at(0).checklist == after.checklist);
}

TEST_CASE("items inserted several per statement get the ids they are stored with, in order") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, named("p"));
    std::int64_t s = create(store, Entity::solutions, named("s", p));
    // 19 items: more than one multi-row INSERT, the last one partly filled.
    Row sub = named("c", s);
    for (int i = 0; i < 19; ++i)
        sub.checklist.push_back({0, "item " + std::to_string(i), i % 3 == 0});
    WriteTransaction tx(store, WriteScope::alone);
    store.insert(tx, Entity::subcomponents, sub);
    // New items between kept ones, on update.
    Row row = sub;
    row.checklist = {
        {0, "new first", false}, sub.checklist[4], {0, "new third", true}, sub.checklist[0]};
    store.update(tx, Entity::subcomponents, row);
    tx.commit({});

    for (size_t i = 1; i < sub.checklist.size(); ++i)
        CHECK(sub.checklist[i].id == sub.checklist[i - 1].id + 1);
    Row after = *store.find(Entity::subcomponents, sub.id);
    CHECK(after.checklist == row.checklist);
    CHECK(row.checklist[0].id > sub.checklist.back().id);
    CHECK(row.checklist[2].id == row.checklist[0].id + 1);
}

TEST_CASE("ids are never reused after a delete") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t first = create(store, Entity::projects, named("a"));
    {
        WriteTransaction tx(store, WriteScope::alone);
        store.remove(tx, Entity::projects, first);
        tx.commit({});
    }
    CHECK(create(store, Entity::projects, named("b")) > first);
}

TEST_CASE("strings with SQL metacharacters and NULs are stored verbatim") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    Row r = named("'; DROP TABLE projects; --");
    r.description = std::string("a\0b\"c", 5);
    std::int64_t id = create(store, Entity::projects, r);
    Row back = *store.find(Entity::projects, id);
    CHECK(back.name == r.name);
    CHECK(back.description == r.description);
}

TEST_CASE("a write waits busy_timeout for a lock held elsewhere, then fails as transient") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    Db other(dir.file("t.db"), SQLITE_OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    try {
        WriteTransaction tx(store, WriteScope::alone);
        FAIL("expected SQLITE_BUSY");
    } catch (const SqliteError& e) {
        CHECK(e.is_transient());
    }
    CHECK(store.list(Entity::projects, std::nullopt).empty());  // reads still work
    other.exec("ROLLBACK");
}

TEST_CASE("inside a WriteBatch each WriteTransaction has its own revision and rollback") {
    TempDir dir;
    SqliteStore writer(config_in(dir)), reader(config_in(dir));
    std::int64_t a = 0, b = 0;
    {
        WriteBatch batch(writer);
        a = create(writer, Entity::projects, named("a"), WriteScope::in_batch);
        {
            WriteTransaction dropped(writer, WriteScope::in_batch);
            Row r = named("dropped");
            writer.insert(dropped, Entity::projects, r);
        }
        b = create(writer, Entity::projects, named("b"), WriteScope::in_batch);
        CHECK(batch.intact());
        // Not durable, so not visible, before the batch commits.
        CHECK(reader.revisions() == Revisions{});
        batch.commit();
    }
    CHECK(reader.revisions() == Revisions{2, 2, 0, 0});
    CHECK(reader.find(Entity::projects, a)->rev == 1);
    CHECK(reader.find(Entity::projects, b)->rev == 2);
    CHECK(reader.list(Entity::projects, std::nullopt).size() == 2);
}

TEST_CASE("a WriteBatch that is not committed leaves nothing behind") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    {
        WriteBatch batch(store);
        create(store, Entity::projects, named("a"), WriteScope::in_batch);
    }
    CHECK(store.revisions() == Revisions{});
    CHECK(store.list(Entity::projects, std::nullopt).empty());
    // The connection is usable again, outside any batch.
    create(store, Entity::projects, named("b"));
    CHECK(store.revisions() == Revisions{1, 1, 0, 0});
}

TEST_CASE("every row a write transaction inserts or updates records its user as updated_by") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, named("p"));
    CHECK(store.find(Entity::projects, p)->updated_by.empty());
    std::int64_t s = 0;
    {
        WriteTransaction tx(store, WriteScope::alone, "alice");
        Row solution = named("s", p);
        store.insert(tx, Entity::solutions, solution);
        CHECK(solution.updated_by == "alice");
        s = solution.id;
        tx.commit({});
    }
    CHECK(store.find(Entity::solutions, s)->updated_by == "alice");
    {
        // A phase change is a change of its row: the row records who made it.
        WriteTransaction tx(store, WriteScope::alone, "bob");
        Row row = *store.find(Entity::solutions, s);
        row.phases = 1;
        store.update(tx, Entity::solutions, row);
        tx.commit({});
    }
    CHECK(store.find(Entity::solutions, s)->updated_by == "bob");
    CHECK(store.list(Entity::solutions, p).at(0).updated_by == "bob");
    {
        // An open site names nobody, and a later write by nobody clears the name.
        WriteTransaction tx(store, WriteScope::alone);
        Row row = *store.find(Entity::solutions, s);
        row.name = "s2";
        store.update(tx, Entity::solutions, row);
        tx.commit({});
    }
    CHECK(store.find(Entity::solutions, s)->updated_by.empty());
    CHECK(store.find(Entity::projects, p)->updated_by.empty());  // the parent was not written
}

TEST_CASE("a database of schema version 2 gains updated_by, empty on every row, its data kept") {
    TempDir dir;
    {
        Db db(dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        migrate(db, 2);
        db.exec(
            "UPDATE revisions SET rev = 3 WHERE name IN ('global', 'projects', 'solutions', "
            "'subcomponents');"
            "INSERT INTO projects (name, owner, created_at, updated_at, rev) VALUES "
            "('p', 'o', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 1);"
            "INSERT INTO solutions (project_id, name, phases, created_at, updated_at, rev) VALUES "
            "(1, 's', 5, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 2);"
            "INSERT INTO subcomponents (solution_id, name, created_at, updated_at, rev) VALUES "
            "(1, 'c', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 3);"
            "INSERT INTO checklist_items (subcomponent_id, position, label, done) "
            "VALUES (1, 1, 'x', 1);");
    }
    SqliteStore store(config_in(dir));
    CHECK(store.revisions() == Revisions{3, 3, 3, 3});
    Row p = *store.find(Entity::projects, 1);
    CHECK(p.name == "p");
    CHECK(p.owner == "o");
    CHECK(p.updated_at == "2026-01-02T00:00:00.000Z");
    CHECK(p.updated_by.empty());
    Row s = *store.find(Entity::solutions, 1);
    CHECK(s.phases == 5);
    CHECK(s.updated_by.empty());
    Row c = *store.find(Entity::subcomponents, 1);
    CHECK(c.checklist == std::vector<ChecklistItem>{{1, "x", true}});
    CHECK(c.updated_by.empty());
    {
        WriteTransaction tx(store, WriteScope::alone, "carol");
        c.checklist[0].done = false;
        store.update(tx, Entity::subcomponents, c);
        tx.commit({});
    }
    CHECK(store.find(Entity::subcomponents, 1)->updated_by == "carol");
    Db db(dir.file("t.db"), SQLITE_OPEN_READONLY);
    Stmt v(db, "PRAGMA user_version");
    REQUIRE(v.step());
    CHECK(v.int64(0) == 3);
}
