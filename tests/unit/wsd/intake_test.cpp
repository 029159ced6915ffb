#include "intake.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>

using namespace livesync;
using namespace livesync::wsd;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/ls-wsd-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

void write_revisions(const std::string& db_path, const Revisions& r) {
    Db db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec(
        "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS revisions(name TEXT PRIMARY KEY, "
        "rev INTEGER NOT NULL)");
    Stmt up(db, "INSERT OR REPLACE INTO revisions(name, rev) VALUES (?, ?)");
    up.reset().bind(1, "global").bind(2, r.global).run();
    up.reset().bind(1, "projects").bind(2, r.projects).run();
    up.reset().bind(1, "solutions").bind(2, r.solutions).run();
    up.reset().bind(1, "subcomponents").bind(2, r.subcomponents).run();
}

}  // namespace

TEST_CASE("a change with every revision signalled by one client carries that client") {
    SignalLedger l;
    l.record({Entity::projects, 11, "tab-a"});
    l.record({Entity::projects, 12, "tab-a"});
    auto changes = l.diff({10, 10, 3, 3}, {12, 12, 3, 3});
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] == Change{Entity::projects, 12, "tab-a"});
}

TEST_CASE("a missing datagram in the range removes the origin") {
    SignalLedger l;
    l.record({Entity::projects, 11, "tab-a"});  // rev 12 never signalled (dropped)
    auto changes = l.diff({10, 10, 3, 3}, {12, 12, 3, 3});
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].origin.empty());
    CHECK(changes[0].rev == 12);
}

TEST_CASE("the ledger covers a range only when every revision in it was signalled") {
    SignalLedger l;
    l.record({Entity::projects, 11, "tab-a"});
    l.record({Entity::solutions, 12, ""});
    CHECK(l.covers({10, 10, 3, 3}, {12, 11, 12, 3}));
    CHECK(l.covers({11, 11, 3, 3}, {12, 11, 12, 3}));
    CHECK_FALSE(l.covers({10, 10, 3, 3}, {13, 13, 12, 3}));   // 13 not (yet) signalled
    CHECK_FALSE(l.covers({9, 9, 3, 3}, {12, 11, 12, 3}));     // 10 never signalled
    CHECK_FALSE(l.covers({12, 11, 12, 3}, {12, 11, 12, 3}));  // nothing moved
    CHECK_FALSE(l.covers({12, 11, 12, 3}, {5, 5, 5, 5}));     // went back (a restore)
}

TEST_CASE("changes by two clients to one entity carry no origin, other entities keep theirs") {
    SignalLedger l;
    l.record({Entity::projects, 11, "tab-a"});
    l.record({Entity::solutions, 12, "tab-b"});
    l.record({Entity::projects, 13, "tab-c"});
    auto changes = l.diff({10, 10, 3, 3}, {13, 13, 12, 3});
    REQUIRE(changes.size() == 2);
    CHECK(changes[0] == Change{Entity::projects, 13, ""});
    CHECK(changes[1] == Change{Entity::solutions, 12, "tab-b"});
}

TEST_CASE("a request without a client id is never attributed") {
    SignalLedger l;
    l.record({Entity::subcomponents, 5, ""});
    CHECK(l.diff({4, 0, 0, 4}, {5, 0, 0, 5}).at(0).origin.empty());
}

TEST_CASE("a cascading delete announces all three entities") {
    SignalLedger l;
    l.record({Entity::all, 8, "tab-a"});
    auto changes = l.diff({7, 7, 6, 5}, {8, 8, 8, 5});
    REQUIRE(changes.size() == 3);
    for (const Change& c : changes) CHECK(c.origin == "tab-a");
    CHECK(changes[2] == Change{Entity::subcomponents, 5, "tab-a"});
}

TEST_CASE("without datagrams every moved entity is still reported (the table is the truth)") {
    SignalLedger l;
    auto changes = l.diff({1, 1, 1, 1}, {50, 20, 50, 1});
    REQUIRE(changes.size() == 2);
    CHECK(changes[0] == Change{Entity::projects, 20, ""});
    CHECK(changes[1] == Change{Entity::solutions, 50, ""});
}

TEST_CASE("a revision that went backwards (a restore) is reported without origin") {
    SignalLedger l;
    l.record({Entity::projects, 3, "tab-a"});
    auto changes = l.diff({9, 9, 2, 2}, {3, 3, 2, 2});
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] == Change{Entity::projects, 3, ""});
}

TEST_CASE("ranges longer than the ledger are not attributed") {
    SignalLedger l;
    for (std::int64_t r = 1; r <= SignalLedger::kCapacity + 1; ++r)
        l.record({Entity::projects, r, "t"});
    CHECK(l.diff({0, 0, 0, 0}, {SignalLedger::kCapacity + 1, SignalLedger::kCapacity + 1, 0, 0})
              .at(0)
              .origin.empty());
    CHECK(l.diff({1, 1, 0, 0}, {SignalLedger::kCapacity + 1, SignalLedger::kCapacity + 1, 0, 0})
              .at(0)
              .origin == "t");
}

TEST_CASE("the revision source waits for the database and its table to appear") {
    TempDir dir;
    std::string path = (dir.path / "live.db").string();
    RevisionSource source(path);
    CHECK_FALSE(source.read());  // no file
    {
        Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("PRAGMA journal_mode=WAL");
    }
    CHECK_FALSE(source.read());  // no table
    write_revisions(path, {4, 1, 4, 2});
    auto r = source.read();
    REQUIRE(r);
    CHECK(*r == Revisions{4, 1, 4, 2});
    write_revisions(path, {5, 5, 4, 2});
    CHECK(source.read() == Revisions{5, 5, 4, 2});
}

TEST_CASE("a replaced database file is reopened") {
    TempDir dir;
    std::string path = (dir.path / "live.db").string();
    write_revisions(path, {9, 9, 9, 9});
    RevisionSource source(path);
    CHECK(source.read() == Revisions{9, 9, 9, 9});
    std::string other = (dir.path / "restored.db").string();
    write_revisions(other, {3, 1, 2, 3});
    {
        Db db(other, SQLITE_OPEN_READWRITE);
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    std::filesystem::rename(other, path);
    CHECK(source.read() == Revisions{3, 1, 2, 3});
}

TEST_CASE("the signal socket takes datagrams, counts malformed ones and is mode 0660") {
    TempDir dir;
    std::string path = (dir.path / "signal.sock").string();
    Fd fd = bind_signal_socket(path);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);

    SignalSender sender(path);
    CHECK(sender.send({Entity::solutions, 3, "tab-z"}));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    Fd raw(::socket(AF_UNIX, SOCK_DGRAM, 0));
    const char junk[] = "{\"v\":2}";
    REQUIRE(::sendto(raw.get(), junk, sizeof junk - 1, 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr) > 0);

    SignalLedger ledger;
    auto record = [&ledger](const ChangeSignal& signal) { ledger.record(signal); };
    DrainResult r = drain_signals(fd.get(), record);
    CHECK(r.ok == 1);
    CHECK(r.malformed == 1);
    CHECK(ledger.diff({2, 0, 2, 0}, {3, 0, 3, 0}).at(0).origin == "tab-z");
    CHECK(drain_signals(fd.get(), record).ok == 0);  // empty queue: returns, never blocks
}

TEST_CASE("binding replaces a stale socket file left by a killed daemon") {
    TempDir dir;
    std::string path = (dir.path / "signal.sock").string();
    { Fd first = bind_signal_socket(path); }
    CHECK_NOTHROW(bind_signal_socket(path));
}

TEST_CASE("a signal socket path that does not fit is refused with a clear error") {
    CHECK_THROWS_WITH(bind_signal_socket("/tmp/" + std::string(200, 'x')),
                      Catch::Contains("signal socket"));
}
