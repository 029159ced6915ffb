#include "pool/group_commit.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fd.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

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

}  // namespace

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
