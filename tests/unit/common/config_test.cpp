#include "config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace livesync;

TEST_CASE("a config file sets keys, ignores comments and blank lines") {
    char path[] = "/tmp/ls-conf-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path)
        << "# comment\n\ndatabase = /x/y.db  # trailing\norigins = https://a:1 https://b\n"
           "workers=3\n";
    Config c;
    load_config_file(c, path);
    CHECK(c.database == "/x/y.db");
    CHECK(c.origins == std::vector<Origin>{{"https", "a", 1}, {"https", "b", 443}});
    CHECK(c.workers == 3);
    unlink(path);
}

TEST_CASE("unknown keys and bad values are refused with the key named") {
    Config c;
    CHECK_THROWS_WITH(set_config_value(c, "nonsense", "1"), Catch::Contains("nonsense"));
    CHECK_THROWS_WITH(set_config_value(c, "workers", "many"), Catch::Contains("workers"));
    CHECK_THROWS_WITH(set_config_value(c, "workers", "-1"), Catch::Contains("workers"));
    CHECK_THROWS(set_config_value(c, "synchronous", "OFF"));
    CHECK_THROWS(set_config_value(c, "allow_missing_origin_ws", "maybe"));
}

TEST_CASE("a malformed origins entry is refused, naming the entry, file and line") {
    Config c;
    CHECK_THROWS_WITH(set_config_value(c, "origins", "https://ok.test https://ok.test/"),
                      "origins: 'https://ok.test/' is not an origin (expected "
                      "http[s]://host[:port], no path)");
    CHECK_THROWS_WITH(set_config_value(c, "origins", "localhost:8443"),
                      Catch::Contains("'localhost:8443' is not an origin"));
    CHECK_THROWS_WITH(set_config_value(c, "origins", "null"),
                      Catch::Contains("'null' is not an origin"));
    CHECK_THROWS_WITH(set_config_value(c, "origins", " "),
                      "origins: at least one origin is needed");
    CHECK(c.origins == std::vector<Origin>{{"https", "localhost", 8443}});

    char path[] = "/tmp/ls-conf-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << "workers = 1\norigins = https://a.test ftp://b.test\n";
    CHECK_THROWS_WITH(load_config_file(c, path),
                      std::string(path) + ":2: origins: 'ftp://b.test' is not an origin " +
                          "(expected http[s]://host[:port], no path)");
    unlink(path);
}

TEST_CASE("command-line overrides win over the file and accept dashes") {
    char a0[] = "prog", a1[] = "--busy-timeout-ms", a2[] = "250", a3[] = "--coalesce_ms",
         a4[] = "5";
    char* argv[] = {a0, a1, a2, a3, a4};
    Config c = parse_command_line(5, argv);
    CHECK(c.busy_timeout_ms == 250);
    CHECK(c.coalesce_ms == 5);
}

TEST_CASE("the tombstone horizon is a positive number of revisions") {
    Config c;
    CHECK(c.tombstone_horizon_revs == 100000);
    set_config_value(c, "tombstone-horizon-revs", "3");
    CHECK(c.tombstone_horizon_revs == 3);
    CHECK_THROWS_WITH(set_config_value(c, "tombstone_horizon_revs", "0"),
                      Catch::Contains("tombstone_horizon_revs"));
    CHECK_THROWS(set_config_value(c, "tombstone_horizon_revs", "lots"));
}

TEST_CASE("the health threshold for a down listener is whole seconds, 30 by default") {
    Config c;
    CHECK(c.health_listener_down_s == 30);
    set_config_value(c, "health_listener_down_s", "5");
    CHECK(c.health_listener_down_s == 5);
    CHECK_THROWS_WITH(set_config_value(c, "health_listener_down_s", "0"),
                      Catch::Contains("health_listener_down_s"));
}

TEST_CASE("database: a postgresql:// or postgres:// URI selects PostgreSQL, anything else SQLite") {
    CHECK(is_postgres_uri("postgresql://db1/livesync"));
    CHECK(is_postgres_uri("postgres://u:p@db1:5433/livesync?sslmode=verify-full"));
    CHECK_FALSE(is_postgres_uri("/var/lib/livesync/livesync.db"));
    CHECK_FALSE(is_postgres_uri("postgresql.db"));
    CHECK_FALSE(is_postgres_uri("./postgres://x"));
    CHECK_FALSE(is_postgres_uri("host=db1 dbname=livesync"));  // a keyword string is a file name
    // Logs never show the user and password.
    CHECK(database_for_log("postgresql://u:secret@db1/livesync?sslmode=require") ==
          "postgresql://db1/livesync?sslmode=require");
    CHECK(database_for_log("postgres://db1/livesync") == "postgres://db1/livesync");
    CHECK(database_for_log("/srv/a@b.db") == "/srv/a@b.db");
}
