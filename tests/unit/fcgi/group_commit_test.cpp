#include "pool/group_commit.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fd.hpp"
#include "pg.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"
#include "test_database.hpp"

using namespace livesync;
using nlohmann::json;

namespace {

http::Request post_project(const std::string& name, const std::string& client) {
    http::Request r;
    r.method = "POST";
    r.path = "/api/projects";
    r.headers = {{"content-type", "application/json"}, {"x-client-id", client}};
    r.body = json{{"name", name}}.dump();
    return r;
}

Fd signal_receiver(const std::string& path) {
    Fd rx(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    return rx;
}

// A database where inserting a project named "racer…" loses a race (SQLSTATE 40001, as a
// serialization failure) on its first `losses` attempts, counted by the sequence `attempts`,
// which no rollback resets; one named "slow" takes 0.5 s, so that the requests sent meanwhile
// queue up into one batch; each project's description becomes the id of the top-level
// transaction that wrote it (a savepoint's rows share their batch's).
struct RacingDatabase {
    explicit RacingDatabase(int losses) : admin(db.uri(), "livesync-test") {
        config.database = db.uri();
        writer.emplace(config);  // migrates the schema the trigger needs
        admin.exec(("CREATE SEQUENCE attempts; "
                    "CREATE FUNCTION race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "  IF NEW.name = 'slow' THEN PERFORM pg_sleep(0.5); END IF; "
                    "  IF NEW.name LIKE 'racer%' AND nextval('attempts') <= " +
                    std::to_string(losses) +
                    " THEN RAISE EXCEPTION 'lost a race' USING ERRCODE = 'serialization_failure'; "
                    "  END IF; "
                    "  NEW.description := txid_current()::text; RETURN NEW; END $$; "
                    "CREATE TRIGGER race BEFORE INSERT ON projects "
                    "FOR EACH ROW EXECUTE FUNCTION race(); "
                    "LISTEN livesync")
                       .c_str());
    }

    std::int64_t number(const std::string& sql) { return admin.exec(sql.c_str()).int64(0, 0); }

    // The NOTIFY payloads delivered so far.
    std::vector<ChangeSignal> notifications() {
        std::vector<ChangeSignal> out;
        admin.exec("SELECT 1");  // reads whatever the server has sent
        while (PGnotify* n = PQnotifies(admin.get())) {
            if (auto s = decode_signal(n->extra)) out.push_back(*s);
            PQfreemem(n);
        }
        return out;
    }

    TestDatabase db;
    Config config;
    PgConn admin;
    std::optional<pool::GroupCommitter> writer;
};

bool has_header(const http::Response& r, const std::string& name, const std::string& value) {
    for (const auto& [n, v] : r.headers)
        if (n == name && v == value) return true;
    return false;
}

}  // namespace

TEST_CASE(
    "pg group commit: a request that lost a race in a batch runs again, its neighbours "
    "commit once",
    "[pg]") {
    RacingDatabase race(1);
    std::vector<http::Response> responses(5);
    std::vector<std::thread> threads;
    threads.emplace_back([&] { responses[0] = race.writer->handle(post_project("slow", "s")); });
    // The slow insert's batch is running: the next four queue up behind it, into one batch.
    while (race.number("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                       "AND datname = current_database()") == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (int i = 1; i < 5; ++i)
        threads.emplace_back([&, i] {
            std::string name = i == 2 ? "racer" : "ok" + std::to_string(i);
            responses[static_cast<size_t>(i)] = race.writer->handle(post_project(name, name));
        });
    for (auto& t : threads) t.join();

    std::set<std::int64_t> revs;
    for (const http::Response& r : responses) {
        REQUIRE(r.status == 201);
        revs.insert(json::parse(r.body)["rev"].get<std::int64_t>());
    }
    CHECK(revs == std::set<std::int64_t>{1, 2, 3, 4, 5});
    CHECK(race.number("SELECT last_value FROM attempts") == 2);
    CHECK(race.number("SELECT count(*) FROM projects") == 5);
    CHECK(race.number("SELECT count(*) FROM projects WHERE name = 'racer'") == 1);
    CHECK(race.number("SELECT rev FROM revisions WHERE name = 'global'") == 5);
    // The three neighbours shared one transaction, which the racer's retry was not part of.
    CHECK(race.number("SELECT count(DISTINCT description) FROM projects WHERE name LIKE 'ok%'") ==
          1);
    CHECK(race.number("SELECT count(*) FROM projects a JOIN projects b ON a.description = "
                      "b.description WHERE a.name = 'racer' AND b.name LIKE 'ok%'") == 0);
    // One NOTIFY per committed request, none for the attempt that was rolled back.
    std::set<std::int64_t> notified;
    std::vector<ChangeSignal> signals = race.notifications();
    for (const ChangeSignal& s : signals) notified.insert(s.rev);
    CHECK(signals.size() == 5);
    CHECK(notified == revs);
}

TEST_CASE(
    "pg group commit: a request that keeps losing races gets 503 with Retry-After and "
    "changes nothing",
    "[pg]") {
    RacingDatabase race(1000);
    http::Response r = race.writer->handle(post_project("racer", "tab"));
    CHECK(r.status == 503);
    CHECK(has_header(r, "Retry-After", "1"));
    CHECK(json::parse(r.body)["error"]["code"] == "unavailable");
    CHECK(race.number("SELECT last_value FROM attempts") == pool::GroupCommitter::kMaxAttempts);
    CHECK(race.number("SELECT count(*) FROM projects") == 0);
    CHECK(race.number("SELECT rev FROM revisions WHERE name = 'global'") == 0);
    CHECK(race.notifications().empty());
    // The next request is served as usual.
    CHECK(race.writer->handle(post_project("after", "tab")).status == 201);
    CHECK(race.notifications().size() == 1);
}

TEST_CASE("concurrent mutations through the group committer each get their own revision") {
    TempDir dir;
    Config config;
    config.database = dir.file("t.db");
    config.signal_socket = dir.file("signal.sock");
    pool::GroupCommitter writer(config);

    constexpr int kThreads = 8, kEach = 40;
    std::vector<std::vector<std::int64_t>> revs(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                std::string client = "c" + std::to_string(t);
                http::Response ok =
                    writer.handle(post_project(client + "-" + std::to_string(i), client));
                // A rejected request in the same batches changes nothing and harms no one.
                http::Response bad = writer.handle(post_project("", client));
                if (ok.status == 201)
                    revs[t].push_back(json::parse(ok.body)["rev"].get<std::int64_t>());
                CHECK(bad.status == 422);
            }
        });
    for (auto& t : threads) t.join();

    std::set<std::int64_t> all;
    for (auto& r : revs) {
        CHECK(r.size() == kEach);
        all.insert(r.begin(), r.end());
    }
    constexpr std::int64_t kTotal = kThreads * kEach;
    CHECK(all.size() == kTotal);
    CHECK(*all.begin() == 1);
    CHECK(*all.rbegin() == kTotal);

    store::SqliteStore reader(config);
    CHECK(reader.revisions().global == kTotal);
    CHECK(reader.list(Entity::projects, std::nullopt).size() == kTotal);
}

TEST_CASE("the group committer signals each committed request once, after it commits") {
    TempDir dir;
    Config config;
    config.database = dir.file("t.db");
    config.signal_socket = dir.file("signal.sock");
    Fd rx = signal_receiver(config.signal_socket);
    pool::GroupCommitter writer(config);
    store::SqliteStore reader(config);
    char buf[kMaxSignalBytes];
    for (int i = 0; i < 20; ++i) {
        bool valid = i % 3 != 0;
        http::Response r =
            writer.handle(post_project(valid ? "p" : "", "tab-" + std::to_string(i)));
        ssize_t n = ::recv(rx.get(), buf, sizeof(buf), 0);
        if (!valid) {
            CHECK(r.status == 422);
            CHECK(n < 0);
            continue;
        }
        REQUIRE(r.status == 201);
        REQUIRE(n > 0);
        auto s = decode_signal(std::string_view(buf, static_cast<size_t>(n)));
        REQUIRE(s);
        CHECK(s->entity == Entity::projects);
        CHECK(s->rev == json::parse(r.body)["rev"].get<std::int64_t>());
        CHECK(s->origin == "tab-" + std::to_string(i));
        // Durable (visible to another connection) by the time it is announced.
        CHECK(reader.revisions().global == s->rev);
        CHECK(::recv(rx.get(), buf, sizeof(buf), 0) < 0);
    }
}
