#include "csv/importer.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "csv/csv_reader.hpp"
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
        if (r.ok() && r.wrote()) tx.commit({});
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
        f.import(Entity::projects,
                 "rev,name,created_at,updated_at,updated_by\n99,A,yesterday,whenever,mallory\n");
    REQUIRE(r.ok());
    auto rows = f.rows(Entity::projects);
    CHECK(rows[0].rev == 1);
    CHECK(rows[0].created_at != "yesterday");
    CHECK(rows[0].updated_by.empty());
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

TEST_CASE("import: NUL is refused in every column, escaped in a checklist label too") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nP\n").ok());
    REQUIRE(f.import(Entity::solutions, "project_id,name\n1,S\n").ok());
    const std::string nul_message = "contains U+0000 (NUL) at byte 2; no text field may hold it";
    ImportResult r = f.import(Entity::subcomponents,
                              "solution_id,name,description,owner,status,checklist\n"
                              "1,a\0,b\0,c\0,d\0,\"[\0]\"\n"
                              "1,ok,,,,\"[{\"\"label\"\":\"\"x\\u0000\"\"}]\"\n"s);
    INFO(describe(r));
    REQUIRE(r.errors.size() == 6);
    const char* columns[] = {"name", "description", "owner", "status", "checklist"};
    for (size_t i = 0; i < 5; ++i) {
        CHECK(r.errors[i].line == 2);
        CHECK(r.errors[i].column == columns[i]);
        CHECK(r.errors[i].message == nul_message);
    }
    CHECK(r.errors[5].line == 3);
    CHECK(r.errors[5].column == "checklist");
    CHECK(r.errors[5].message == "item 0: label " + nul_message);
    CHECK(f.rows(Entity::subcomponents).empty());

    r = f.import(Entity::solutions, "project_id,name,phases\n1\0,S,build\0\n"s);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].column == "project_id");
    CHECK(r.errors[1].column == "phases");
    r = f.import(Entity::projects, "name,\0\n"s);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 1);
    CHECK(r.errors[0].message == "contains U+0000 (NUL) at byte 1; no text field may hold it");
}

TEST_CASE("import: only the file's own byte order mark is dropped and a cell keeps its U+FEFF") {
    Fixture f;
    const std::string bom = "\xEF\xBB\xBF";
    REQUIRE(f.import(Entity::projects,
                     bom + "name,owner\n" + bom + "a," + bom + "\n\"" + bom + "b\",x\n")
                .ok());
    auto rows = f.rows(Entity::projects);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].name == bom + "a");
    CHECK(rows[0].owner == bom);
    CHECK(rows[1].name == bom + "b");
    // A second mark at the start is part of the first column's name, which is then unknown.
    ImportResult r = f.import(Entity::projects, bom + bom + "name\nc\n");
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].column == bom + "name");
    CHECK(r.errors[0].message.starts_with("unknown column"));
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
    CHECK(projects.rfind(
              "id,name,description,status,owner,created_at,updated_at,updated_by,rev\r\n", 0) == 0);
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

namespace {

// Text a careless exporter or importer would change: every character the text rule allows
// that CSV, JSON or the formula neutralisation treats specially.
std::vector<std::string> odd_texts() {
    std::vector<std::string> texts;
    for (char c = 1; c < 0x20; ++c) texts.push_back(std::string(1, c) + "x" + std::string(1, c));
    for (std::string lead :
         {"=", "+", "-", "@", "\t", "\r", "'", "''", "\"", ",", " ", "\xEF\xBB\xBF"})
        texts.push_back(lead + "1+2 ");
    for (std::string t :
         {"\x7F", "a\rb", "a\r\nb", "a\nb", "\r\nx", "\n\n\nx", "\xE2\x80\xA8\xE2\x80\xA9",
          "\xEF\xBB\xBF", "x\xEF\xBB\xBF", "\xC2\x85\xC2\x9F", "\xEF\xBF\xBF",
          "\xF0\x9F\x9A\x80\xF4\x8F\xBF\xBF", "\\u0000", "a\\", "\"\"", "[{}]", "trailing   "})
        texts.push_back(t);
    return texts;
}

}  // namespace

TEST_CASE("export → import restores every odd text exactly") {
    Fixture f;
    std::vector<std::string> texts = odd_texts();
    {
        store::WriteTransaction tx(f.store, store::WriteScope::alone);
        Row p, s, c;
        for (const std::string& t : texts) {
            p = {};
            p.name = p.description = p.owner = t;
            f.store.insert(tx, Entity::projects, p);
            s = {};
            s.parent_id = p.id;
            s.name = s.description = t;
            f.store.insert(tx, Entity::solutions, s);
            c = {};
            c.parent_id = s.id;
            c.name = c.description = c.owner = t;
            c.checklist = {{0, t, true}, {0, "y" + t, false}};
            f.store.insert(tx, Entity::subcomponents, c);
        }
        tx.commit({});
    }
    for (Entity e : kTableEntities) {
        INFO(entity_name(e));
        auto before = f.rows(e);
        REQUIRE(before.size() == texts.size());
        std::string file = f.exported(e);
        // Overwrite every row, then import the file: each cell must decode to the stored text.
        {
            store::WriteTransaction tx(f.store, store::WriteScope::alone);
            for (Row row : before) {
                row.name = "placeholder";
                row.description = row.owner = "";
                for (auto& item : row.checklist) item.label = "placeholder";  // ids kept
                f.store.update(tx, e, row);
            }
            tx.commit({});
        }
        ImportResult r = f.import(e, file);
        INFO(describe(r));
        CHECK(r.updated == static_cast<std::int64_t>(texts.size()));
        auto after = f.rows(e);
        for (size_t i = 0; i < before.size(); ++i) CHECK(after[i].same_content(before[i]));
        CHECK(f.import(e, file).unchanged == static_cast<std::int64_t>(texts.size()));
    }
}

TEST_CASE("export → import takes back the largest checklist cell export can write") {
    Fixture f;
    REQUIRE(f.import(Entity::projects, "name\nP\n").ok());
    REQUIRE(f.import(Entity::solutions, "project_id,name\n1,S\n").ok());
    {
        store::WriteTransaction tx(f.store, store::WriteScope::alone);
        Row c;
        c.parent_id = 1;
        c.name = "C";
        for (size_t i = 0; i < api::kChecklistMaxItems; ++i)
            c.checklist.push_back({0, std::string(api::kLabelMax, '\x01'), false});
        f.store.insert(tx, Entity::subcomponents, c);
        tx.commit({});
    }
    std::string file = f.exported(Entity::subcomponents);
    std::vector<std::string> cells;
    Reader([&](const Record& r) {
        cells = r.fields;
        return true;
    }).read(file);
    CHECK(cells.at(6).size() == kMaxExportedCellBytes);
    ImportResult r = f.import(Entity::subcomponents, file);
    INFO(describe(r));
    CHECK(r.unchanged == 1);
}
