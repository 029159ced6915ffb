// Store::page and Store::changes_since: keyset pages, filters, and the change log of deletes.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

using namespace livesync;
using namespace livesync::store;

namespace {

Config config_in(const TempDir& dir, std::int64_t horizon = 100000) {
    Config c;
    c.database = dir.file("t.db");
    c.busy_timeout_ms = 50;
    c.tombstone_horizon_revs = horizon;
    c.synchronous = "NORMAL";  // hundreds of commits; durability is not under test here
    return c;
}

Row make(const std::string& name, std::int64_t parent = 0, const std::string& status = "planned",
         const std::string& owner = "") {
    Row r;
    r.name = name;
    r.parent_id = parent;
    r.status = status;
    r.owner = owner;
    return r;
}

std::int64_t create(Store& store, Entity e, Row row) {
    WriteTransaction tx(store, WriteScope::alone);
    store.insert(tx, e, row);
    tx.commit({});
    return row.id;
}

void update(Store& store, Entity e, std::int64_t id, const std::function<void(Row&)>& change) {
    WriteTransaction tx(store, WriteScope::alone);
    Row row = *store.find(e, id);
    change(row);
    store.update(tx, e, row);
    tx.commit({});
}

void remove(Store& store, Entity e, std::int64_t id) {
    WriteTransaction tx(store, WriteScope::alone);
    REQUIRE(store.remove(tx, e, id).found);
    tx.commit({});
}

std::vector<std::int64_t> ids(const std::vector<Row>& rows) {
    std::vector<std::int64_t> out;
    for (const Row& r : rows) out.push_back(r.id);
    return out;
}

std::vector<std::int64_t> names_matching(Store& store, const std::string& q) {
    ListFilter f;
    f.name_contains = q;
    return ids(store.page(Entity::projects, f, {}).rows);
}

Changes since(Store& store, Entity e, std::int64_t rev, const ListFilter& f = {}) {
    ReadTransaction tx(store);
    REQUIRE(store.watermarks().covers(rev));
    return store.changes_since(e, f, rev);
}

}  // namespace

TEST_CASE("keyset pages walk every row once in either order, and next is null on the last") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::vector<std::int64_t> all;
    for (int i = 0; i < 7; ++i) all.push_back(create(store, Entity::projects, make("p")));
    for (bool descending : {false, true}) {
        std::vector<std::int64_t> seen;
        PageWindow w{std::nullopt, descending, 3};
        int pages = 0;
        for (;;) {
            Page page = store.page(Entity::projects, {}, w);
            ++pages;
            for (const Row& r : page.rows) seen.push_back(r.id);
            if (!page.next) break;
            CHECK(page.rows.size() == 3);
            CHECK(*page.next == page.rows.back().id);
            w.after = page.next;
        }
        CHECK(pages == 3);
        std::vector<std::int64_t> expected = all;
        if (descending) std::reverse(expected.begin(), expected.end());
        CHECK(seen == expected);
    }
    // A limit that ends exactly at the last row says so at once.
    CHECK_FALSE(store.page(Entity::projects, {}, {std::nullopt, false, 7}).next);
    CHECK(store.page(Entity::projects, {}, {all[5], false, 7}).rows.size() == 1);
    CHECK(ids(store.page(Entity::projects, {}, {all[2], true, 7}).rows) ==
          std::vector<std::int64_t>{all[1], all[0]});
}

TEST_CASE("filters combine with each other and with the parent") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p1 = create(store, Entity::projects, make("p1"));
    std::int64_t p2 = create(store, Entity::projects, make("p2"));
    std::int64_t s1 = create(store, Entity::solutions, make("s1", p1));
    std::int64_t s2 = create(store, Entity::solutions, make("s2", p2));
    std::int64_t a = create(store, Entity::subcomponents, make("Alpha", s1, "active", "ann"));
    std::int64_t b = create(store, Entity::subcomponents, make("alphabet", s1, "done", "ann"));
    std::int64_t c = create(store, Entity::subcomponents, make("ALPHA", s2, "active", "ann"));
    create(store, Entity::subcomponents, make("beta", s1, "active", "bob"));

    ListFilter f;
    f.owner = "ann";
    CHECK(ids(store.page(Entity::subcomponents, f, {}).rows) == std::vector<std::int64_t>{a, b, c});
    f.status = "active";
    CHECK(ids(store.page(Entity::subcomponents, f, {}).rows) == std::vector<std::int64_t>{a, c});
    f.parent_id = s1;
    CHECK(ids(store.page(Entity::subcomponents, f, {}).rows) == std::vector<std::int64_t>{a});
    f = {};
    f.name_contains = "aLpH";
    f.parent_id = s1;
    CHECK(ids(store.page(Entity::subcomponents, f, {}).rows) == std::vector<std::int64_t>{a, b});
    f.owner = "Ann";  // owner is exact, case included
    CHECK(store.page(Entity::subcomponents, f, {}).rows.empty());
}

TEST_CASE("name search treats % _ and backslash as plain characters, and folds ASCII case only") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t pct = create(store, Entity::projects, make("50% off"));
    std::int64_t under = create(store, Entity::projects, make("snake_case"));
    std::int64_t slash = create(store, Entity::projects, make("back\\slash"));
    std::int64_t cafe = create(store, Entity::projects, make("Café ÉTÉ"));
    std::int64_t plain = create(store, Entity::projects, make("50 percent snakeXcase"));
    CHECK(names_matching(store, "%") == std::vector<std::int64_t>{pct});
    CHECK(names_matching(store, "0%") == std::vector<std::int64_t>{pct});
    CHECK(names_matching(store, "_") == std::vector<std::int64_t>{under});
    CHECK(names_matching(store, "e_c") == std::vector<std::int64_t>{under});
    CHECK(names_matching(store, "\\") == std::vector<std::int64_t>{slash});
    CHECK(names_matching(store, "K\\S") == std::vector<std::int64_t>{slash});
    CHECK(names_matching(store, "CAFé") == std::vector<std::int64_t>{cafe});
    // Letters outside ASCII match only themselves.
    CHECK(names_matching(store, "CAFÉ").empty());
    CHECK(names_matching(store, "été").empty());
    CHECK(names_matching(store, "ÉTÉ") == std::vector<std::int64_t>{cafe});
    CHECK(names_matching(store, "PERCENT") == std::vector<std::int64_t>{plain});
    CHECK(names_matching(store, "").size() == 5);
}

TEST_CASE(
    "count is the number of rows of every page of the filter together, in the read snapshot") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p1 = create(store, Entity::projects, make("p1"));
    std::int64_t s1 = create(store, Entity::solutions, make("s1", p1));
    std::int64_t s2 = create(store, Entity::solutions, make("s2", p1));
    for (int i = 0; i < 5; ++i)
        create(store, Entity::subcomponents, make("Gear", s1, i % 2 ? "done" : "active", "ann"));
    create(store, Entity::subcomponents, make("gearbox", s2, "active", "ann"));
    create(store, Entity::subcomponents, make("wheel", s1, "active", "bob"));

    auto count = [&](const ListFilter& f) {
        ReadTransaction tx(store);
        std::int64_t n = store.count(Entity::subcomponents, f);
        CHECK(n == static_cast<std::int64_t>(store.page(Entity::subcomponents, f, {}).rows.size()));
        return n;
    };
    ListFilter f;
    CHECK(count(f) == 7);
    f.parent_id = s1;
    CHECK(count(f) == 6);
    f.owner = "ann";
    CHECK(count(f) == 5);
    f.status = "active";
    CHECK(count(f) == 3);
    f = {};
    f.name_contains = "GEAR";
    CHECK(count(f) == 6);
    f.owner = "nobody";
    CHECK(count(f) == 0);

    // Inside one ReadTransaction a write committed meanwhile (another connection) is not counted.
    SqliteStore other(config_in(dir));
    ReadTransaction tx(store);
    CHECK(store.count(Entity::projects, {}) == 1);
    create(other, Entity::projects, make("p2"));
    CHECK(store.count(Entity::projects, {}) == 1);
}

TEST_CASE("changes since a revision: created, updated, deleted, and moved out of the filter") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t keep = create(store, Entity::projects, make("keep", 0, "active"));
    std::int64_t edit = create(store, Entity::projects, make("edit", 0, "active"));
    std::int64_t gone = create(store, Entity::projects, make("gone", 0, "active"));
    std::int64_t r = store.revisions().global;

    std::int64_t added = create(store, Entity::projects, make("added", 0, "active"));
    update(store, Entity::projects, edit, [](Row& row) { row.status = "done"; });
    remove(store, Entity::projects, gone);

    Changes all = since(store, Entity::projects, r);
    CHECK(ids(all.changed) == std::vector<std::int64_t>{edit, added});
    CHECK(all.gone == std::vector<std::int64_t>{gone});

    ListFilter active;
    active.status = "active";
    Changes filtered = since(store, Entity::projects, r, active);
    CHECK(ids(filtered.changed) == std::vector<std::int64_t>{added});
    CHECK(filtered.gone == std::vector<std::int64_t>{edit, gone});

    Changes none = since(store, Entity::projects, store.revisions().global);
    CHECK(none.changed.empty());
    CHECK(none.gone.empty());
    (void)keep;
}

TEST_CASE("a cascade delete logs every child it removed, in the children's own entities") {
    TempDir dir;
    SqliteStore store(config_in(dir));
    std::int64_t p = create(store, Entity::projects, make("p"));
    std::int64_t s1 = create(store, Entity::solutions, make("s1", p));
    std::int64_t s2 = create(store, Entity::solutions, make("s2", p));
    std::int64_t c1 = create(store, Entity::subcomponents, make("c1", s1));
    std::int64_t c2 = create(store, Entity::subcomponents, make("c2", s2));
    std::int64_t r = store.revisions().global;
    remove(store, Entity::projects, p);
    CHECK(since(store, Entity::projects, r).gone == std::vector<std::int64_t>{p});
    CHECK(since(store, Entity::solutions, r).gone == std::vector<std::int64_t>{s1, s2});
    CHECK(since(store, Entity::subcomponents, r).gone == std::vector<std::int64_t>{c1, c2});
}

TEST_CASE("since outside the change log (older than the horizon, or a restore) is not covered") {
    TempDir dir;
    SqliteStore store(config_in(dir, 3));
    std::int64_t p = create(store, Entity::projects, make("p"));
    for (int i = 0; i < 5; ++i) create(store, Entity::projects, make("x"));
    ReadTransaction tx(store);
    Watermarks now = store.watermarks();
    REQUIRE(now.revisions.global == 6);
    CHECK(now.covers(3));
    CHECK(now.covers(6));
    CHECK_FALSE(now.covers(2));
    CHECK_FALSE(now.covers(7));
    (void)p;
}

TEST_CASE("tombstones older than the horizon are pruned by a later commit, and stay a reset") {
    TempDir dir;
    SqliteStore store(config_in(dir, 10));
    std::int64_t doomed = create(store, Entity::projects, make("doomed"));
    remove(store, Entity::projects, doomed);  // tombstone at revision 2
    while (store.revisions().global < 256) create(store, Entity::projects, make("filler"));
    Db db(dir.file("t.db"), SQLITE_OPEN_READONLY);
    Stmt count(db, "SELECT count(*) FROM tombstones");
    REQUIRE(count.step());
    CHECK(count.int64(0) == 0);
    count.reset();
    Stmt horizon(db, "SELECT rev FROM tombstone_horizon");
    REQUIRE(horizon.step());
    CHECK(horizon.int64(0) == 246);
    // A larger horizon configured later cannot bring the pruned tombstones back.
    SqliteStore wider(config_in(dir, 100000));
    ReadTransaction tx(wider);
    CHECK_FALSE(wider.watermarks().covers(245));
    CHECK(wider.watermarks().covers(246));
}

TEST_CASE("a database of the previous schema is upgraded in place, its data kept") {
    TempDir dir;
    std::int64_t p = 0;
    {
        Db db(dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        migrate(db, 1);
        db.exec(
            "UPDATE revisions SET rev = 5 WHERE name IN ('global', 'projects');"
            "INSERT INTO projects (name, created_at, updated_at, rev) VALUES "
            "('old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 5);");
        p = sqlite3_last_insert_rowid(db.get());
    }
    SqliteStore store(config_in(dir));
    CHECK(store.revisions() == Revisions{5, 5, 0, 0});
    REQUIRE(store.find(Entity::projects, p));
    CHECK(store.find(Entity::projects, p)->name == "old");
    {
        ReadTransaction tx(store);
        // Deletes before the upgrade were never logged: only revisions from it on are covered.
        CHECK_FALSE(store.watermarks().covers(4));
        CHECK(store.watermarks().covers(5));
    }
    remove(store, Entity::projects, p);
    CHECK(since(store, Entity::projects, 5).gone == std::vector<std::int64_t>{p});
    Db db(dir.file("t.db"), SQLITE_OPEN_READONLY);
    Stmt v(db, "PRAGMA user_version");
    REQUIRE(v.step());
    CHECK(v.int64(0) == current_schema_version());
}
