#include "csv/importer.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "csv/exporter.hpp"
#include "temp_dir.hpp"

using namespace livesync;
using namespace livesync::csv;
using livesync::store::Row;
using namespace std::string_literals;

namespace {

struct Fixture {
    TempDir dir;
    Config config = [this] {
        Config c;
        c.database = dir.file("t.db");
        c.synchronous = "OFF";
        return c;
    }();
    store::SqliteStore store{config};

    // Imports in one transaction, committed only when the import is clean, like the handler.
    ImportResult import(Entity e, std::string_view text, const ImportLimits& limits = {}) {
        store::WriteTransaction tx(store, store::WriteScope::alone);
        ImportResult r = import_csv(store, tx, e, text, limits);
        if (r.ok() && r.wrote()) tx.commit();
        return r;
    }
    std::string exported(Entity e) {
        store::ReadTransaction tx(store);
        return export_csv(store, e);
    }
    std::vector<Row> rows(Entity e) {
        store::ReadTransaction tx(store);
        return store.list(e, std::nullopt);
    }
};

std::string describe(const ImportResult& r) {
    std::string s;
    for (const ImportError& e : r.errors)
        s += std::to_string(e.line) + " [" + e.column + "] " + e.message + "\n";
    return s;
}

}  // namespace

TEST_CASE("import: creates rows with defaults, header in any order") {
    Fixture f;
    ImportResult r = f.import(Entity::projects, "owner,name\r\nann,Alpha\r\n,Beta\r\n");
    INFO(describe(r));
    REQUIRE(r.ok());
    CHECK(r.created == 2);
    auto rows = f.rows(Entity::projects);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].name == "Alpha");
    CHECK(rows[0].owner == "ann");
    CHECK(rows[0].status == "planned");
    CHECK(rows[1].owner.empty());
    CHECK(f.store.revisions().global == 1);  // one transaction, one revision
}

TEST_CASE("import: an id updates that row, only the columns given") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name,owner\nA,ann\nB,bob\n").ok());
    ImportResult r = f.import(Entity::projects, "id,status\n2,done\n1,\n");
    INFO(describe(r));
    REQUIRE(r.ok());
    CHECK(r.updated == 1);  // row 1 already had the default status: unchanged
    CHECK(r.unchanged == 1);
    auto rows = f.rows(Entity::projects);
    CHECK(rows[1].status == "done");
    CHECK(rows[1].owner == "bob");
}

TEST_CASE("import: a bad row anywhere writes nothing and every bad row is listed") {
    Fixture f;
    ImportResult r =
        f.import(Entity::projects,
                 "name,status\nok,active\n,active\nfine,\nx,sleeping\n\"multi\nline\",bad\n");
    CHECK_FALSE(r.ok());
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].line == 3);
    CHECK(r.errors[0].column == "name");
    CHECK(r.errors[1].line == 5);
    CHECK(r.errors[1].column == "status");
    CHECK(r.errors[2].line == 6);  // the record starts on line 6 and spans two lines
    CHECK(f.rows(Entity::projects).empty());
    CHECK(f.store.revisions().global == 0);
}

TEST_CASE("import: header problems are reported on line 1 by column") {
    Fixture f;
    SECTION("unknown column") {
        ImportResult r = f.import(Entity::projects, "name,colour\nA,red\n");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].line == 1);
        CHECK(r.errors[0].column == "colour");
        CHECK(r.data_rows == 0);
    }
    SECTION("duplicate column") {
        ImportResult r = f.import(Entity::projects, "name,owner,name\n");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].column == "name");
        CHECK(r.errors[0].message.find("more than once") != std::string::npos);
    }
    SECTION("missing required columns without an id column") {
        ImportResult r = f.import(Entity::solutions, "description\nx\n");
        REQUIRE(r.errors.size() == 2);
        CHECK(r.errors[0].column == "name");
        CHECK(r.errors[1].column == "project_id");
    }
    SECTION("a column of another entity is unknown") {
        ImportResult r = f.import(Entity::projects, "name,phases\n");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].column == "phases");
    }
}

TEST_CASE("import: a header-only or empty file has no data rows and writes nothing") {
    Fixture f;
    for (std::string_view text : {"", "\xEF\xBB\xBF", "name\n", "\n\n", "name,owner\r\n\r\n"}) {
        ImportResult r = f.import(Entity::projects, text);
        CHECK(r.ok());
        CHECK_FALSE(r.wrote());
        CHECK(r.data_rows == 0);
    }
}

TEST_CASE("import: read-only export columns are accepted and ignored") {
    Fixture f;
    ImportResult r =
        f.import(Entity::projects, "rev,name,created_at,updated_at\n99,A,yesterday,whenever\n");
    REQUIRE(r.ok());
    auto rows = f.rows(Entity::projects);
    CHECK(rows[0].rev == 1);
    CHECK(rows[0].created_at != "yesterday");
}

TEST_CASE("import: parents must exist, ids must exist and appear once") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nP\n").ok());
    ImportResult r = f.import(Entity::solutions,
                              "id,project_id,name\n,1,ok\n,2,orphan\n,abc,bad id\n7,1,ghost\n");
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].line == 3);
    CHECK(r.errors[0].column == "project_id");
    CHECK(r.errors[0].message == "project 2 does not exist");
    CHECK(r.errors[1].column == "project_id");
    CHECK(r.errors[2].line == 5);
    CHECK(r.errors[2].column == "id");
    CHECK(r.errors[2].message == "solution 7 does not exist");

    REQUIRE(f.import(Entity::solutions, "project_id,name\n1,S\n").ok());
    r = f.import(Entity::solutions, "id,name\n1,x\n1,y\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 3);
    CHECK(r.errors[0].message.find("already updated on line 2") != std::string::npos);
}

TEST_CASE("import: phases column — names joined by semicolons, empty = none, absent = all") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nP\n").ok());
    ImportResult r = f.import(Entity::solutions, "project_id,name,phases\n1,a,build;test\n1,b,\n");
    INFO(describe(r));
    REQUIRE(r.ok());
    REQUIRE(f.import(Entity::solutions, "project_id,name\n1,c\n").ok());
    auto rows = f.rows(Entity::solutions);
    CHECK(rows[0].phases == (*store::phase_bit("build") | *store::phase_bit("test")));
    CHECK(rows[1].phases == 0);
    CHECK(rows[2].phases == store::kAllPhases);
    r = f.import(Entity::solutions, "project_id,name,phases\n1,d,build;launch\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].column == "phases");
}

TEST_CASE("import: checklist column — a JSON array of label/done, checked item by item") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nP\n").ok());
    REQUIRE(f.import(Entity::solutions, "project_id,name\n1,S\n").ok());
    ImportResult r =
        f.import(Entity::subcomponents,
                 "solution_id,name,checklist\n"
                 "1,a,\"[{\"\"label\"\":\"\"x\"\",\"\"done\"\":true},{\"\"label\"\":\"\"y\"\"}]\"\n"
                 "1,b,\n");
    INFO(describe(r));
    REQUIRE(r.ok());
    auto rows = f.rows(Entity::subcomponents);
    REQUIRE(rows[0].checklist.size() == 2);
    CHECK(rows[0].checklist[0].label == "x");
    CHECK(rows[0].checklist[0].done);
    CHECK_FALSE(rows[0].checklist[1].done);
    CHECK(rows[1].checklist.empty());

    r = f.import(Entity::subcomponents,
                 "solution_id,name,checklist\n1,c,not json\n1,d,\"[{\"\"done\"\":1}]\"\n");
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].message.find("JSON array") != std::string::npos);
    CHECK(r.errors[1].column == "checklist");
    CHECK(r.errors[1].message == "item 0: done must be true or false");
}

TEST_CASE("import: invalid UTF-8 and NUL are reported on the physical line of the bad byte") {
    Fixture f;
    ImportResult r =
        f.import(Entity::projects, "name,description\nok,fine\nA,\"first\nsecond \xFF\"\nB\0,x\n"s);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].line == 4);
    CHECK(r.errors[0].column == "description");
    CHECK(r.errors[0].message.find("UTF-8") != std::string::npos);
    CHECK(r.errors[1].line == 5);
    CHECK(r.errors[1].column == "name");
}

TEST_CASE("import: rows with the wrong number of cells, and syntax errors") {
    Fixture f;
    ImportResult r = f.import(Entity::projects, "name,owner\nA\nB,b,extra\nC,\"bad\"x\n");
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[1].line == 3);
    CHECK(r.errors[2].line == 4);
    CHECK(r.errors[2].message.find("quot") != std::string::npos);
}

TEST_CASE("import: limits — rows, cell size, listed errors") {
    Fixture f;
    ImportLimits small;
    small.max_rows = 3;
    small.max_cell_bytes = 10;
    small.max_errors = 2;
    ImportResult r = f.import(Entity::projects, "name\nA\nB\nC\nD\n", small);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 5);
    CHECK(r.errors[0].message.find("more than 3 data rows") != std::string::npos);

    r = f.import(Entity::projects, "name\nabcdefghijkl\n", small);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("at most 10") != std::string::npos);

    r = f.import(Entity::projects, "name,status\nA,x\nB,x\n", small);  // 3 rows fit
    CHECK(r.errors.size() == 2);
    CHECK(r.error_count == 2);
    r = f.import(Entity::projects, "name,status\nA,x\nB,x\nC,x\n", small);
    CHECK(r.errors.size() == 2);
    CHECK(r.error_count == 3);
}

TEST_CASE("export: header, CRLF records, neutralised formulas, import of it changes nothing") {
    Fixture f;
    REQUIRE(f.import(Entity::projects,
                     "name,description,owner\n=cmd,\"a, \"\"b\"\"\nc\",''me\n-x,,@y\n")
                .ok());
    REQUIRE(f.import(Entity::solutions, "project_id,name,phases\n1,S,design;deploy\n2,T,\n").ok());
    REQUIRE(f.import(Entity::subcomponents,
                     "solution_id,name,checklist\n1,C,\"[{\"\"label\"\":\"\"=x\"\",\"\"done\"\":"
                     "true},{\"\"label\"\":\"\"y\"\",\"\"done\"\":false}]\"\n")
                .ok());
    std::string projects = f.exported(Entity::projects);
    CHECK(projects.rfind("id,name,description,status,owner,created_at,updated_at,rev\r\n", 0) == 0);
    CHECK(projects.find("\r\n1,'=cmd,\"a, \"\"b\"\"\nc\",planned,''me,") != std::string::npos);
    CHECK(projects.find("\r\n2,'-x,,planned,'@y,") != std::string::npos);
    CHECK(f.exported(Entity::solutions).find(",design;deploy,") != std::string::npos);

    for (Entity e : kTableEntities) {
        auto before = f.rows(e);
        std::int64_t rev = f.store.revisions().global;
        ImportResult r = f.import(e, f.exported(e));
        INFO(entity_name(e) << "\n" << describe(r));
        CHECK(r.ok());
        CHECK(r.created == 0);
        CHECK(r.updated == 0);
        CHECK(r.unchanged == static_cast<std::int64_t>(before.size()));
        CHECK(f.store.revisions().global == rev);
        CHECK(f.rows(e).size() == before.size());
        for (size_t i = 0; i < before.size(); ++i) {
            CHECK(f.rows(e)[i].same_content(before[i]));
            CHECK(f.rows(e)[i].checklist == before[i].checklist);  // item ids kept too
        }
    }
}

TEST_CASE("export → edit → import updates only the edited rows") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nA\nB\n").ok());
    std::string text = f.exported(Entity::projects);
    auto at = text.find(",B,");
    text.replace(at, 3, ",B2,");
    ImportResult r = f.import(Entity::projects, text);
    CHECK(r.updated == 1);
    CHECK(r.unchanged == 1);
    CHECK(f.rows(Entity::projects)[1].name == "B2");
}
