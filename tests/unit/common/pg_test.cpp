#include "pg.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_database.hpp"

using namespace livesync;

namespace {

constexpr const char* kApp = "livesync-test";

// The PgError that `f` throws.
template <class F>
PgError error_of(F f) {
    try {
        f();
    } catch (const PgError& e) {
        return e;
    }
    throw std::runtime_error("expected a PgError, none was thrown");
}

// The value libpq uses for `keyword` on `conn`.
std::string setting(const PgConn& conn, const char* keyword) {
    PQconninfoOption* options = PQconninfo(conn.get());
    std::string value;
    for (PQconninfoOption* o = options; o->keyword; ++o)
        if (std::strcmp(o->keyword, keyword) == 0 && o->val) value = o->val;
    PQconninfoFree(options);
    return value;
}

}  // namespace

TEST_CASE("pg: SQLSTATEs of outages, overload, lost races and timeouts are transient, others not") {
    for (const char* state :
         {"08000", "08001", "08006", "57P01", "57P02", "57P03", "40001", "40P01", "57014", "55P03",
          "25006", "53100", "53200", "53300", "58030"})
        CHECK(PgError(state, "x").is_transient());
    for (const char* state :
         {"", "42601", "23505", "23503", "22P02", "42P01", "25P02", "28P01", "XX000", "5"})
        CHECK_FALSE(PgError(state, "x").is_transient());
}

TEST_CASE("pg: only a serialization failure or a deadlock is a lost race, run again at once") {
    CHECK(PgError("40001", "x").is_conflict());
    CHECK(PgError("40P01", "x").is_conflict());
    for (const char* state : {"", "40000", "40002", "40003", "57014", "55P03", "08006", "23503"})
        CHECK_FALSE(PgError(state, "x").is_conflict());
}

TEST_CASE("pg: a malformed URI fails at once, not transient, with libpq's reason") {
    auto start = std::chrono::steady_clock::now();
    PgError bad_key = error_of([] { PgConn("postgresql://127.0.0.1/db?nosuch=1", kApp); });
    PgError bad_host = error_of([] { PgConn("postgresql://[::1/db", kApp); });
    // libpq checks values only when it connects: a bad one fails as fast, but as a connection
    // failure (08001), like an unreachable server.
    PgError bad_port = error_of([] { PgConn("postgresql://127.0.0.1:notaport/db", kApp); });
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    for (const PgError& e : {bad_key, bad_host}) {
        CHECK(e.sqlstate().empty());
        CHECK_FALSE(e.is_transient());
    }
    CHECK_THAT(bad_key.what(),
               Catch::Equals("database URI: invalid URI query parameter: \"nosuch\""));
    CHECK_THAT(bad_host.what(), Catch::StartsWith("database URI: ") && Catch::Contains("[::1/db"));
    CHECK(bad_port.sqlstate() == "08001");
    CHECK_THAT(bad_port.what(), Catch::Contains("\"notaport\"") && Catch::Contains("\"port\""));
}

TEST_CASE("pg: a server that refuses connections is 08001, transient, and names host and port") {
    PgError e = error_of([] { PgConn("postgresql://postgres@127.0.0.1:1/db", kApp); });
    CHECK(e.sqlstate() == "08001");
    CHECK(e.is_transient());
    CHECK_THAT(e.what(), Catch::StartsWith("connect to PostgreSQL: ") &&
                             Catch::Contains("127.0.0.1") && Catch::Contains("port 1"));
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
}

TEST_CASE("pg: a parameter with a NUL is refused before anything is sent") {
    CHECK_THROWS_AS(PgParams().add(std::string_view("a\0b", 3)), std::invalid_argument);
}

TEST_CASE("pg: timeouts and keepalives get defaults only where the URI gives none", "[pg]") {
    TestDatabase db;
    PgConn plain(db.uri(), kApp);
    CHECK(setting(plain, "connect_timeout") == "5");
    CHECK(setting(plain, "keepalives_idle") == "30");
    CHECK(setting(plain, "keepalives_count") == "3");
    CHECK(plain.exec("SHOW application_name").string(0, 0) == kApp);

    PgConn given(db.uri("connect_timeout=7&keepalives_idle=60&application_name=mine"), kApp);
    CHECK(setting(given, "connect_timeout") == "7");
    CHECK(setting(given, "keepalives_idle") == "60");
    CHECK(setting(given, "keepalives_interval") == "10");
    CHECK(given.exec("SHOW application_name").string(0, 0) == "mine");
}

TEST_CASE("pg: the client encoding is UTF8 whatever the URI or PGCLIENTENCODING say", "[pg]") {
    TestDatabase db;
    ::setenv("PGCLIENTENCODING", "LATIN1", 1);
    PgConn from_env(db.uri(), kApp);
    ::unsetenv("PGCLIENTENCODING");
    CHECK(from_env.exec("SHOW client_encoding").string(0, 0) == "UTF8");
    PgConn from_uri(db.uri("client_encoding=LATIN1"), kApp);
    CHECK(from_uri.exec("SHOW client_encoding").string(0, 0) == "UTF8");
    // As sent, byte for byte (in LATIN1 each byte of "é" would be a character of its own).
    CHECK(from_uri.query("SELECT length($1)", PgParams().add("\xc3\xa9")).int64(0, 0) == 1);
}

TEST_CASE("pg: statements take $n text parameters and NULLs, results own their rows", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    conn.exec("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, s text, n bigint)");
    conn.prepare("insert", "INSERT INTO t (s, n) VALUES ($1, $2) RETURNING id");
    CHECK(conn.run_prepared("insert", PgParams().add("héllo 'x'").add(-42)).int64(0, 0) == 1);
    CHECK(conn.run_prepared("insert", PgParams().add("").add_null()).int64(0, 0) == 2);

    PgResult rows = conn.query("SELECT s, n FROM t WHERE id >= $1 ORDER BY id", PgParams().add(1));
    REQUIRE(rows.rows() == 2);
    CHECK(rows.text(0, 0) == "héllo 'x'");
    CHECK(rows.int64(0, 1) == -42);
    CHECK(rows.text(1, 0).empty());
    CHECK_FALSE(rows.is_null(1, 0));
    CHECK(rows.is_null(1, 1));
    CHECK_THROWS_WITH(rows.int64(0, 0), Catch::Contains("not an integer"));
    CHECK(conn.exec("UPDATE t SET n = 1").affected() == 2);

    PgResult moved = std::move(rows);
    CHECK(rows.get() == nullptr);
    CHECK(moved.rows() == 2);
    PgConn other = std::move(conn);
    CHECK_FALSE(conn.ok());
    CHECK(other.ok());
}

TEST_CASE("pg: caller errors are not transient and say which statement failed", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    PgError syntax = error_of([&] { conn.exec("SELEC 1"); });
    CHECK(syntax.sqlstate() == "42601");
    CHECK_FALSE(syntax.is_transient());
    CHECK_THAT(syntax.what(),
               Catch::StartsWith("SELEC 1: syntax error") && Catch::EndsWith("(SQLSTATE 42601)"));

    conn.exec("CREATE TABLE u (k int PRIMARY KEY)");
    conn.prepare("put", "INSERT INTO u VALUES ($1)");
    conn.run_prepared("put", PgParams().add(1));
    PgError duplicate = error_of([&] { conn.run_prepared("put", PgParams().add(1)); });
    CHECK(duplicate.sqlstate() == "23505");
    CHECK_FALSE(duplicate.is_transient());
    CHECK_THAT(duplicate.what(), Catch::StartsWith("put: duplicate key"));
    CHECK(conn.ok());
}

TEST_CASE("pg: a pipeline answers each step in order, and a failed step stops the rest", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    conn.exec("CREATE TABLE u (k int PRIMARY KEY)");
    conn.prepare("put", "INSERT INTO u VALUES ($1) RETURNING k * 10");
    std::vector<PgResult> results = conn.pipeline({{"BEGIN", {}, false},
                                                   {"put", PgParams().add(1)},
                                                   {"put", PgParams().add(2)},
                                                   {"COMMIT", {}, false}});
    REQUIRE(results.size() == 4);
    CHECK(results[1].int64(0, 0) == 10);
    CHECK(results[2].int64(0, 0) == 20);
    CHECK(std::string(PQcmdStatus(results[3].get())) == "COMMIT");

    PgError duplicate = error_of([&] {
        conn.pipeline({{"BEGIN", {}, false},
                       {"put", PgParams().add(3)},
                       {"put", PgParams().add(1)},
                       {"put", PgParams().add(4)}});
    });
    CHECK(duplicate.sqlstate() == "23505");
    CHECK_THAT(duplicate.what(), Catch::StartsWith("put: duplicate key"));
    // The connection is out of pipeline mode, in the failed transaction, and usable.
    CHECK(PQtransactionStatus(conn.get()) == PQTRANS_INERROR);
    conn.exec("ROLLBACK");
    CHECK(conn.exec("SELECT string_agg(k::text, ',' ORDER BY k) FROM u").text(0, 0) == "1,2");
}

TEST_CASE("pg: COPY FROM STDIN takes text rows, and a bad row fails it whole", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    conn.exec("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, s text)");
    conn.copy_in("COPY t (id, s) FROM STDIN", "7\ta\\\\b\\tc\n8\tline\\none\n");
    PgResult rows = conn.exec("SELECT id, s FROM t ORDER BY id");
    REQUIRE(rows.rows() == 2);
    CHECK(rows.int64(0, 0) == 7);
    CHECK(rows.text(0, 1) == "a\\b\tc");
    CHECK(rows.text(1, 1) == "line\none");
    CHECK(error_of([&] {
              conn.copy_in("COPY t (id, s) FROM STDIN", "9\tx\nnot a number\ty\n");
          }).sqlstate() == "22P02");
    CHECK(conn.exec("SELECT count(*) FROM t").int64(0, 0) == 2);
    CHECK(error_of([&] { conn.copy_in("SELECT 1", ""); }).what() ==
          std::string("SELECT 1: not a COPY FROM STDIN"));
    CHECK(conn.exec("SELECT 1").int64(0, 0) == 1);
}

TEST_CASE("pg: a statement sent quietly runs at once, its answer dropped before the next", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    PgConn other(db.uri(), kApp);
    conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    conn.exec("CREATE TABLE t (k int)");
    conn.send_quietly("COMMIT");
    // The server ran it without this side reading the answer: another connection sees the table.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (other.exec("SELECT to_regclass('t') IS NOT NULL").text(0, 0) != "t" &&
           std::chrono::steady_clock::now() < deadline) {
    }
    CHECK(other.exec("SELECT to_regclass('t') IS NOT NULL").text(0, 0) == "t");
    CHECK(conn.transaction_status() == PQTRANS_IDLE);
    CHECK(conn.exec("SELECT count(*) FROM t").int64(0, 0) == 0);
    conn.send_quietly("SELEC 1");  // a failure is dropped too
    CHECK(conn.exec("SELECT 2").int64(0, 0) == 2);
}

TEST_CASE("pg: a transaction rolls back unless committed, a failed one cannot commit", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri(), kApp);
    conn.exec("CREATE TABLE t (k int PRIMARY KEY)");
    {
        PgTransaction tx(conn, "BEGIN");
        conn.exec("INSERT INTO t VALUES (1)");
    }
    CHECK(conn.exec("SELECT count(*) FROM t").int64(0, 0) == 0);
    {
        PgTransaction tx(conn, "BEGIN");
        conn.exec("INSERT INTO t VALUES (2)");
        tx.commit();
    }
    CHECK(conn.exec("SELECT count(*) FROM t").int64(0, 0) == 1);

    PgTransaction failed(conn, "BEGIN");
    CHECK_THROWS_AS(conn.exec("INSERT INTO t VALUES (2)"), PgError);
    CHECK(error_of([&] { failed.commit(); }).sqlstate() == "25P02");
    CHECK(conn.exec("SELECT count(*) FROM t").int64(0, 0) == 1);
}

TEST_CASE("pg: a connection whose backend was terminated fails transient, then is not ok", "[pg]") {
    TestDatabase db;
    PgConn victim(db.uri(), kApp);
    PgConn admin(db.uri(), kApp);
    // Waits (up to 5 s) until the backend is gone.
    REQUIRE(admin
                .query("SELECT pg_terminate_backend($1, 5000)",
                       PgParams().add(PQbackendPID(victim.get())))
                .text(0, 0) == "t");
    PgError e = error_of([&] { victim.exec("SELECT 1"); });
    // The server's goodbye (57P01) if libpq read it before noticing the closed socket.
    CHECK((e.sqlstate() == "57P01" || e.sqlstate() == "08006"));
    CHECK(e.is_transient());
    CHECK_FALSE(victim.ok());
    CHECK(PgConn(db.uri(), kApp).ok());  // reconnecting is a new PgConn
}

TEST_CASE("pg: statement_timeout from the URI cancels a slow statement: 57014, transient", "[pg]") {
    TestDatabase db;
    PgConn conn(db.uri("options=-c%20statement_timeout%3D100"), kApp);
    PgError e = error_of([&] { conn.exec("SELECT pg_sleep(5)"); });
    CHECK(e.sqlstate() == "57014");
    CHECK(e.is_transient());
    CHECK(conn.ok());
    CHECK(conn.exec("SELECT 1").int64(0, 0) == 1);
}

TEST_CASE("pg: a write on a read-only server is 25006, transient, and read-write URIs refuse it",
          "[pg]") {
    TestDatabase db;
    // What a hot standby (e.g. a failed-over primary come back as one) looks like to a session.
    std::string read_only = "options=-c%20default_transaction_read_only%3Don";
    PgConn conn(db.uri(read_only), kApp);
    PgError e = error_of([&] { conn.exec("CREATE TABLE t (k int)"); });
    CHECK(e.sqlstate() == "25006");
    CHECK(e.is_transient());

    PgError refused =
        error_of([&] { PgConn(db.uri(read_only + "&target_session_attrs=read-write"), kApp); });
    CHECK(refused.sqlstate() == "08001");
    CHECK(refused.is_transient());
}
