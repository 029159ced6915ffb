#include "pg_source.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "test_database.hpp"

using namespace livesync;
using namespace livesync::wsd;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE revisions (name text COLLATE "C" PRIMARY KEY, rev bigint NOT NULL);
INSERT INTO revisions (name, rev) VALUES
    ('global', 0), ('projects', 0), ('solutions', 0), ('subcomponents', 0);
)sql";

struct Answer {
    std::uint64_t seq;
    std::optional<Revisions> revisions;
    bool reconnected;
};

struct Recorder final : SourceSink {
    std::vector<ChangeSignal> signals;
    std::uint64_t malformed = 0;
    std::vector<Answer> answers;
    void on_signal(const ChangeSignal& s) override { signals.push_back(s); }
    void on_malformed_signals(std::uint64_t n) override { malformed += n; }
    void on_revisions(std::uint64_t seq, std::optional<Revisions> r, bool reconnected) override {
        answers.push_back({seq, r, reconnected});
    }
};

// Runs the loop until `done()` or `ms` pass; returns done().
bool run_until(EvLoop& loop, const std::function<bool()>& done, int ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    ev_timer tick;
    ev_timer_init(
        &tick, [](EvLoop::Handle*, ev_timer*, int) {}, 0.02, 0.02);
    ev_timer_start(loop.get(), &tick);
    while (!done() && std::chrono::steady_clock::now() < deadline) ev_run(loop.get(), EVRUN_ONCE);
    ev_timer_stop(loop.get(), &tick);
    return done();
}

// A write transaction as the pool makes it: bump, set the entity, NOTIFY (if `payload`).
void write(PgConn& conn, const char* entity, std::int64_t rev, const char* payload) {
    std::string sql = "BEGIN; UPDATE revisions SET rev = " + std::to_string(rev) +
                      " WHERE name IN ('global', '" + entity + "');";
    if (payload) sql += std::string("SELECT pg_notify('livesync', '") + payload + "');";
    conn.exec((sql + "COMMIT;").c_str());
}

}  // namespace

TEST_CASE("pg listener: LISTEN, a first read, then each NOTIFY brings its signal and a read",
          "[pg]") {
    TestDatabase db;
    PgConn writer(db.uri(), "test");
    writer.exec(kSchema);
    EvLoop loop = EvLoop::epoll();
    Recorder sink;
    PgSource source(loop.get(), {db.uri(), true, 2000}, sink);
    CHECK_FALSE(source.fresh_reads());
    REQUIRE(run_until(loop, [&] { return !sink.answers.empty(); }));
    CHECK(source.fresh_reads());
    CHECK(source.status().up);
    CHECK(sink.answers[0].reconnected);
    CHECK(sink.answers[0].revisions == Revisions{});

    write(writer, "solutions", 1, R"({"v":1,"entity":"solutions","rev":1,"origin":"tab-a"})");
    write(writer, "projects", 2, "not a signal");
    REQUIRE(run_until(loop, [&] {
        return !sink.answers.empty() && sink.answers.back().revisions &&
               sink.answers.back().revisions->global == 2;
    }));
    CHECK(sink.signals == std::vector<ChangeSignal>{{Entity::solutions, 1, "tab-a"}});
    CHECK(sink.malformed == 1);
    CHECK_FALSE(sink.answers.back().reconnected);
    CHECK(*sink.answers.back().revisions == Revisions{2, 2, 1, 0});
    CHECK(source.status().last_notification_ms >= 0);

    // An asked-for read is answered later, never from inside read(), under the number returned.
    std::size_t before = sink.answers.size();
    std::uint64_t seq = source.read();
    CHECK(sink.answers.size() == before);
    // A read for the second NOTIFY may still be on its way under load: wait for ours by number.
    REQUIRE(run_until(loop, [&] {
        return std::any_of(sink.answers.begin() + static_cast<std::ptrdiff_t>(before),
                           sink.answers.end(), [&](const Answer& a) { return a.seq == seq; });
    }));
}

TEST_CASE("pg listener: a terminated connection comes back and its first read catches up", "[pg]") {
    TestDatabase db;
    PgConn writer(db.uri(), "test");
    writer.exec(kSchema);
    EvLoop loop = EvLoop::epoll();
    Recorder sink;
    PgSource source(loop.get(), {db.uri(), true, 2000}, sink);
    REQUIRE(run_until(loop, [&] { return source.status().up && !sink.answers.empty(); }));

    writer.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
        "'livesync-wsd'");
    write(writer, "subcomponents", 1, nullptr);  // while it is away (and no NOTIFY anyway)
    REQUIRE(run_until(loop, [&] {
        return source.status().reconnects == 1 && sink.answers.back().revisions &&
               sink.answers.back().revisions->global == 1;
    }));
    CHECK(sink.answers.back().reconnected);
    CHECK(source.status().up);
    // No transaction is left open on the listening connection.
    CHECK(writer
              .exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    "'livesync-wsd' AND state <> 'idle'")
              .int64(0, 0) == 0);
}

TEST_CASE(
    "pg listener: poll-only mode does not LISTEN, a missing table fails reads, not the "
    "connection",
    "[pg]") {
    TestDatabase db;
    PgConn writer(db.uri(), "test");
    EvLoop loop = EvLoop::epoll();
    Recorder sink;
    PgSource source(loop.get(), {db.uri(), false, 2000}, sink);
    REQUIRE(run_until(loop, [&] { return !sink.answers.empty(); }));
    CHECK(source.status().up);
    CHECK_FALSE(sink.answers[0].revisions);  // 42P01: the pool has not made the table yet
    writer.exec(kSchema);
    write(writer, "projects", 1, R"({"v":1,"entity":"projects","rev":1,"origin":""})");
    source.read();
    REQUIRE(run_until(loop, [&] { return sink.answers.back().revisions.has_value(); }));
    CHECK(sink.answers.back().revisions->projects == 1);
    run_until(
        loop, [] { return false; }, 200);
    CHECK(sink.signals.empty());  // not listening
}

TEST_CASE("pg listener: an unreachable server leaves it down, retrying, and answers nothing",
          "[pg]") {
    EvLoop loop = EvLoop::epoll();
    Recorder sink;
    // Port 1 on loopback: connection refused at once.
    PgSource source(loop.get(), {"postgresql://127.0.0.1:1/x", true, 500}, sink);
    source.read();
    run_until(
        loop, [] { return false; }, 300);
    CHECK_FALSE(source.status().up);
    CHECK_FALSE(sink.answers.empty());  // the asked-for read was answered: nullopt
    for (const Answer& a : sink.answers) CHECK_FALSE(a.revisions);
    CHECK_THROWS_AS(PgSource(loop.get(), {"postgresql://[::1/x", true, 500}, sink), PgError);
}
