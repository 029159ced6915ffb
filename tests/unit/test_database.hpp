// A fresh, empty PostgreSQL database per test case, on the cluster that ctest's `pg_cluster`
// fixture starts for every test tagged [pg] (tests/unit/CMakeLists.txt); dropped at the end.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pg.hpp"

class TestDatabase {
  public:
    TestDatabase() : base_(cluster_base()) {
        static std::atomic<int> count{0};
        name_ = "test_" + std::to_string(::getpid()) + "_" + std::to_string(++count);
        livesync::PgConn(base_ + "postgres", "livesync-test")
            .exec(("CREATE DATABASE " + name_).c_str());
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    ~TestDatabase() {
        try {
            livesync::PgConn(base_ + "postgres", "livesync-test")
                .exec(("DROP DATABASE " + name_ + " WITH (FORCE)").c_str());
        } catch (const livesync::PgError&) {
            // The cluster is thrown away after the run anyway.
        }
    }

    // This database's URI, with `query` (e.g. "connect_timeout=2") as its query string.
    std::string uri(std::string_view query = "") const {
        return base_ + name_ + (query.empty() ? "" : "?") + std::string(query);
    }

  private:
    // The fixture's URI (postgresql://user:password@host:port/livesync) without the database.
    static std::string cluster_base() {
        const char* file = std::getenv("LIVESYNC_TEST_PG_URI_FILE");
        if (!file)
            throw std::runtime_error(
                "tests tagged [pg] need a PostgreSQL cluster: run them through ctest, whose "
                "pg_cluster fixture starts one and sets LIVESYNC_TEST_PG_URI_FILE");
        std::string uri;
        std::getline(std::ifstream(file), uri);
        auto slash = uri.rfind('/');
        if (uri.find('?') != std::string::npos || slash == std::string::npos ||
            slash < uri.find("//") + 2)
            throw std::runtime_error(std::string(file) + ": not a postgresql://…/database URI");
        return uri.substr(0, slash + 1);
    }

    std::string base_;
    std::string name_;
};
