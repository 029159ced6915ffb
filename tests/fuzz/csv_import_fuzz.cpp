// libFuzzer target over the CSV import path. Input: one byte choosing the entity, then the file.
// Properties checked on every input, beyond "no crash, no sanitizer report":
// - a rejected file changes nothing (the export after the rollback is the export before);
// - an accepted file round-trips: importing its own export right after writes nothing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "csv/exporter.hpp"
#include "csv/importer.hpp"
#include "store/sqlite/sqlite_store.hpp"

using namespace livesync;

namespace {

void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
}

// A temp folder holding the database, removed when the run ends (libFuzzer exits through exit()).
struct TempFolder {
    std::filesystem::path path;
    TempFolder() {
        char tmpl[] = "/tmp/ls-fuzz-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempFolder() { std::filesystem::remove_all(path); }
};

struct Database {
    TempFolder dir;
    Config config = [this] {
        Config c;
        c.database = (dir.path / "fuzz.db").string();
        c.synchronous = "OFF";
        return c;
    }();
    store::SqliteStore store{config};
    std::string before[3];

    Database() {
        // Parents for references (project 1, solution 1) and rows for updates by id.
        seed(Entity::projects, "name,status\nP,active\nQ,\n");
        seed(Entity::solutions, "project_id,name,phases\n1,S,design;build\n");
        seed(Entity::subcomponents,
             "solution_id,name,checklist\n1,C,\"[{\"\"label\"\":\"\"x\"\",\"\"done\"\":true}]\"\n");
        for (int e = 0; e < 3; ++e) before[e] = exported(static_cast<Entity>(e));
    }

    void seed(Entity e, std::string_view text) {
        store::WriteTransaction tx(store, store::WriteScope::alone);
        require(csv::import_csv(store, tx, e, text).ok(), "seed file imports");
        tx.commit({});
    }

    std::string exported(Entity e) {
        store::ReadTransaction tx(store);
        return csv::export_csv(store, e);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Database db;  // lives for the whole run; every input is rolled back
    if (size == 0) return 0;
    Entity entity = static_cast<Entity>(data[0] % 3);
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    csv::ImportLimits limits;
    limits.max_rows = 500;
    limits.max_cell_bytes = 4096;
    {
        store::WriteTransaction tx(db.store, store::WriteScope::alone);
        csv::ImportResult r = csv::import_csv(db.store, tx, entity, text, limits);
        require(r.error_count >= static_cast<std::int64_t>(r.errors.size()), "error count");
        if (r.ok()) {
            std::string out = csv::export_csv(db.store, entity);
            csv::ImportResult again = csv::import_csv(db.store, tx, entity, out);
            require(again.ok(), "an accepted file's export imports");
            require(!again.wrote(), "an accepted file's export imports unchanged");
        }
    }  // never committed: rolled back
    for (int e = 0; e < 3; ++e)
        require(db.exported(static_cast<Entity>(e)) == db.before[e], "rollback leaves no trace");
    return 0;
}
