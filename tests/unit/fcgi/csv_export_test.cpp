#include "csv/exporter.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app.hpp"
#include "csv/importer.hpp"
#include "temp_dir.hpp"

using namespace livesync;
using namespace livesync::csv;

namespace {

Config config_in(const TempDir& dir) {
    Config c;
    c.database = dir.file("t.db");
    c.synchronous = "OFF";
    c.signal_socket = dir.file("signal.sock");  // nobody listens: signals are dropped
    return c;
}

void import(store::Store& store, Entity e, const std::string& text) {
    store::WriteTransaction tx(store, store::WriteScope::alone);
    ImportResult r = import_csv(store, tx, e, text);
    REQUIRE(r.ok());
    tx.commit({});
}

// Rows whose cells need quoting, so that records are of uneven length.
std::string projects_file(int rows) {
    std::string text = "name,description\n";
    for (int i = 0; i < rows; ++i)
        text +=
            "\"P " + std::to_string(i) + ", \"\"q\"\"\"," + std::string(100 + i % 50, 'd') + "\n";
    return text;
}

std::optional<std::string> header(const http::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return std::nullopt;
}

http::Request get(const std::string& path) {
    http::Request r;
    r.method = "GET";
    r.path = path;
    return r;
}

}  // namespace

TEST_CASE("export: a big table is written in pieces of about 64 KiB that add up to the file") {
    TempDir dir;
    store::SqliteStore store(config_in(dir));
    import(store, Entity::projects, projects_file(5000));
    store::ReadTransaction tx(store);
    std::vector<std::string> pieces;
    export_csv(store, Entity::projects, [&](std::string_view p) { pieces.emplace_back(p); });
    std::string whole = export_csv(store, Entity::projects);

    REQUIRE(pieces.size() > 5);
    std::string joined;
    for (size_t i = 0; i < pieces.size(); ++i) {
        INFO("piece " << i << " of " << pieces.size() << ": " << pieces[i].size() << " bytes");
        if (i + 1 < pieces.size()) CHECK(pieces[i].size() >= kExportChunkBytes);
        CHECK(pieces[i].size() < kExportChunkBytes + 1024);  // at most one record more
        CHECK(pieces[i].ends_with("\r\n"));
        joined += pieces[i];
    }
    CHECK(joined == whole);
    CHECK(std::count(whole.begin(), whole.end(), '\n') == 5001);
}

TEST_CASE("export: the body is streamed from the snapshot its ETag names") {
    TempDir dir;
    Config config = config_in(dir);
    App app(config);
    store::SqliteStore other(config);  // another worker, committing while the export is sent
    import(other, Entity::projects, "name\nA\nB\n");
    std::int64_t rev = other.revisions().projects;

    http::Response r = app.handle(get("/api/export/projects.csv"));
    REQUIRE(r.status == 200);
    REQUIRE(r.stream);
    CHECK(header(r, "ETag") == "\"" + std::to_string(rev) + "\"");
    CHECK(header(r, "Content-Type") == "text/csv; charset=utf-8");
    CHECK(header(r, "Content-Disposition") == "attachment; filename=\"projects.csv\"");
    // The length is not known when the head is sent.
    std::string head = http::serialize(r, false);
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));

    import(other, Entity::projects, "name\nC\n");
    std::string body;
    r.stream([&](std::string_view piece) { body += piece; });
    CHECK(body.find(",B,") != std::string::npos);
    CHECK(body.find(",C,") == std::string::npos);

    // The snapshot ended with the stream: the next export has the new row and revision.
    http::Response next = app.handle(get("/api/export/projects.csv"));
    CHECK(header(next, "ETag") == "\"" + std::to_string(other.revisions().projects) + "\"");
    std::string again;
    next.stream([&](std::string_view piece) { again += piece; });
    CHECK(again.find(",C,") != std::string::npos);
}

TEST_CASE("export: an If-None-Match hit is a 304 without a body to stream") {
    TempDir dir;
    Config config = config_in(dir);
    App app(config);
    http::Request request = get("/api/export/solutions.csv");
    std::optional<std::string> etag = header(app.handle(request), "ETag");
    REQUIRE(etag);
    request.headers["if-none-match"] = *etag;
    http::Response r = app.handle(request);
    CHECK(r.status == 304);
    CHECK(!r.stream);
    CHECK(header(r, "ETag") == etag);
}
