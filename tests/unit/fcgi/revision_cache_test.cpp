// RevisionCache: one render per (key, revision) for all the threads of a worker.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "api/revision_cache.hpp"

using namespace livesync;
using livesync::api::ListCache;

TEST_CASE("threads asking the same query at the same revision share one render") {
    ListCache cache;
    std::atomic<int> renders = 0;
    std::atomic<bool> go = false;
    std::vector<std::thread> threads;
    std::vector<ListCache::Body> bodies(8);
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            bodies[i] = cache.get({Entity::projects, "since=1:5&"}, 7, [&] {
                ++renders;
                // Long enough that the other threads arrive while this one renders.
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                return std::string("body at 7");
            });
        });
    go = true;
    for (auto& t : threads) t.join();
    CHECK(renders == 1);
    for (const auto& body : bodies) CHECK(*body == "body at 7");
}

TEST_CASE("a new revision or another query renders again, an older snapshot does not evict") {
    ListCache cache;
    int renders = 0;
    auto render = [&](std::string text) {
        return [&renders, text] {
            ++renders;
            return text;
        };
    };
    CHECK(*cache.get({Entity::projects, "a"}, 7, render("a7")) == "a7");
    CHECK(*cache.get({Entity::projects, "a"}, 7, render("x")) == "a7");
    CHECK(*cache.get({Entity::solutions, "a"}, 7, render("s7")) == "s7");
    CHECK(*cache.get({Entity::projects, "b"}, 7, render("b7")) == "b7");
    CHECK(*cache.get({Entity::projects, "a"}, 8, render("a8")) == "a8");
    CHECK(*cache.get({Entity::projects, "a"}, 6, render("a6")) == "a6");  // older, not cached
    CHECK(*cache.get({Entity::projects, "a"}, 8, render("x")) == "a8");
    CHECK(renders == 5);
}

TEST_CASE("a render that fails reaches its caller and caches nothing") {
    ListCache cache;
    CHECK_THROWS_AS(cache.get({Entity::projects, ""}, 3,
                              []() -> std::string { throw std::runtime_error("busy"); }),
                    std::runtime_error);
    CHECK(*cache.get({Entity::projects, ""}, 3, [] { return std::string("ok"); }) == "ok");
}

TEST_CASE("find answers only what is cached at that very revision") {
    livesync::api::RowCache rows;
    CHECK(rows.find({Entity::projects, "5"}, 7) == nullptr);
    rows.get({Entity::projects, "5"}, 7, [] { return livesync::api::RowAnswer{"{}", 4}; });
    REQUIRE(rows.find({Entity::projects, "5"}, 7) != nullptr);
    CHECK(rows.find({Entity::projects, "5"}, 7)->rev == 4);
    CHECK(rows.find({Entity::projects, "5"}, 8) == nullptr);
    CHECK(rows.find({Entity::solutions, "5"}, 7) == nullptr);
}
