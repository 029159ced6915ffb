#include "store/postgres/schema.hpp"

#include <catch2/catch.hpp>

#include "store/postgres/pg_store.hpp"

#include <string>
#include <thread>
#include <vector>

#include "test_database.hpp"

using namespace livesync;
using namespace livesync::store::postgres;

namespace {

constexpr const char* kApp = "livesync-test";

std::int64_t count(PgConn& conn, const char* sql) {
    return conn.exec(sql).int64(0, 0);
}

int schema_version(PgConn& conn) {
    return static_cast<int>(count(conn, "SELECT version FROM schema_version"));
}

// Every table, column, type, collation, default and index of the public schema, one per row:
// what must not change when the migrations run again.
std::string schema_dump(PgConn& conn) {
    PgResult r = conn.exec(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' ||"
        "       coalesce(collation_name, '-') || ' ' || coalesce(column_default, '-') || ' ' ||"
        "       is_nullable || ' ' || is_identity "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1");
    std::string out;
    for (int i = 0; i < r.rows(); ++i) out += r.string(i, 0) + "\n";
    return out;
}

}  // namespace

TEST_CASE("pg schema: an empty database gets every table, the revision rows and the version",
          "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    migrate(conn);
    CHECK(schema_version(conn) == current_schema_version());
    PgResult revisions = conn.exec("SELECT name, rev FROM revisions ORDER BY name");
    REQUIRE(revisions.rows() == 4);
    CHECK(revisions.text(0, 0) == "global");
    CHECK(revisions.text(3, 0) == "subcomponents");
    CHECK(count(conn, "SELECT sum(rev) FROM revisions") == 0);

    std::string dump = schema_dump(conn);
    for (const char* expected :
         {"projects.id bigint - - NO YES", "projects.created_at text C - NO NO",
          "solutions.phases integer - 31 NO NO", "checklist_items.done boolean - false NO NO",
          "CREATE INDEX solutions_by_project ON public.solutions USING btree (project_id)",
          "CREATE INDEX subcomponents_by_solution ON public.subcomponents USING btree "
          "(solution_id)",
          "CREATE INDEX checklist_items_by_subcomponent ON public.checklist_items USING btree "
          "(subcomponent_id, \"position\")"})
        CHECK_THAT(dump, Catch::Contains(expected));
}

TEST_CASE("pg schema: migrating again changes nothing and keeps the data", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    migrate(conn);
    conn.exec(
        "INSERT INTO projects (name, created_at, updated_at, rev) "
        "VALUES ('p', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', 1)");
    std::string before = schema_dump(conn);
    migrate(conn);
    PgConn another_pool(db.uri(), kApp);
    migrate(another_pool);
    CHECK(schema_dump(conn) == before);
    CHECK(schema_version(conn) == current_schema_version());
    PgResult row = conn.exec("SELECT id, name, status, created_at FROM projects");
    REQUIRE(row.rows() == 1);
    CHECK(row.int64(0, 0) == 1);
    CHECK(row.text(0, 2) == "planned");
    CHECK(row.text(0, 3) == "2026-01-02T03:04:05.678Z");
}

TEST_CASE("pg schema: pools starting at once migrate once and all succeed", "[pg]") {
    TestDatabase db;
    std::vector<std::string> failures(4);
    std::vector<std::thread> pools;
    for (auto& failure : failures)
        pools.emplace_back([&db, &failure] {
            try {
                PgConn conn(db.uri(), kApp);
                migrate(conn);
            } catch (const std::exception& e) {
                failure = e.what();
            }
        });
    for (auto& t : pools) t.join();
    for (const auto& failure : failures) CHECK(failure.empty());
    PgConn conn(db.uri(), kApp);
    CHECK(schema_version(conn) == current_schema_version());
    CHECK(count(conn, "SELECT count(*) FROM revisions") == 4);
}

TEST_CASE("pg schema: deleting a parent cascades to its children, and ids are never reused",
          "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    migrate(conn);
    conn.exec(R"sql(
        INSERT INTO projects (name, created_at, updated_at, rev) VALUES ('p', 't', 't', 1);
        INSERT INTO solutions (project_id, name, created_at, updated_at, rev)
            VALUES (1, 's', 't', 't', 1);
        INSERT INTO subcomponents (solution_id, name, created_at, updated_at, rev)
            VALUES (1, 'c', 't', 't', 1);
        INSERT INTO checklist_items (subcomponent_id, position, label) VALUES (1, 0, 'x');
        DELETE FROM projects;
        INSERT INTO projects (name, created_at, updated_at, rev) VALUES ('q', 't', 't', 2);
    )sql");
    CHECK(count(conn, "SELECT count(*) FROM solutions") == 0);
    CHECK(count(conn, "SELECT count(*) FROM subcomponents") == 0);
    CHECK(count(conn, "SELECT count(*) FROM checklist_items") == 0);
    CHECK(count(conn, "SELECT id FROM projects") == 2);
    // The store never chooses an id.
    CHECK_THROWS_WITH(conn.exec("INSERT INTO projects (id, name, created_at, updated_at, rev) "
                                "VALUES (3, 'r', 't', 't', 3)"),
                      Catch::EndsWith("(SQLSTATE 428C9)"));
}

TEST_CASE("pg schema: a database written by a newer livesync is refused, unchanged", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    migrate(conn);
    conn.query("UPDATE schema_version SET version = $1",
               PgParams().add(current_schema_version() + 1));
    CHECK_THROWS_WITH(migrate(conn), Catch::Contains("newer than this livesync"));
    CHECK(schema_version(conn) == current_schema_version() + 1);
}

TEST_CASE("pg schema: a version 2 database gains updated_by, empty on every row, its data kept",
          "[pg]") {
    TestDatabase db;
    {
        PgConn conn(db.uri(), kApp);
        migrate(conn, 2);
        REQUIRE(schema_version(conn) == 2);
        conn.exec(R"sql(
            UPDATE revisions SET rev = 3;
            INSERT INTO projects (name, owner, created_at, updated_at, rev)
                VALUES ('p', 'o', 't1', 't2', 1);
            INSERT INTO solutions (project_id, name, phases, created_at, updated_at, rev)
                VALUES (1, 's', 5, 't1', 't1', 2);
            INSERT INTO subcomponents (solution_id, name, created_at, updated_at, rev)
                VALUES (1, 'c', 't1', 't1', 3);
            INSERT INTO checklist_items (subcomponent_id, position, label, done)
                VALUES (1, 1, 'x', true);
        )sql");
        migrate(conn);
        CHECK(schema_version(conn) == 3);
        CHECK_THAT(schema_dump(conn),
                   Catch::Contains("solutions.updated_by text C ''::text NO NO"));
    }
    Config config;
    config.database = db.uri();
    PgStore store(config);
    livesync::store::Row p = *store.find(Entity::projects, 1);
    CHECK(p.name == "p");
    CHECK(p.owner == "o");
    CHECK(p.updated_at == "t2");
    CHECK(p.updated_by.empty());
    CHECK(store.find(Entity::solutions, 1)->phases == 5);
    CHECK(store.find(Entity::solutions, 1)->updated_by.empty());
    livesync::store::Row c = *store.find(Entity::subcomponents, 1);
    REQUIRE(c.checklist.size() == 1);
    CHECK(c.checklist[0].label == "x");
    CHECK(c.updated_by.empty());
    {
        // Written through the store, a row records the transaction's user.
        livesync::store::WriteTransaction tx(store, livesync::store::WriteScope::alone, "carol");
        c.checklist[0].done = false;
        store.update(tx, Entity::subcomponents, c);
        tx.commit({Entity::subcomponents, tx.rev(), ""});
    }
    CHECK(store.find(Entity::subcomponents, 1)->updated_by == "carol");
    CHECK(store.find(Entity::projects, 1)->updated_by.empty());
}
