// SharedRead: a caller gets a read begun after its call; callers that come together share one.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "store/shared_read.hpp"

using namespace livesync;
using livesync::store::SharedRead;
using livesync::store::Watermarks;

namespace {

// A read that returns its own number as the global revision and blocks until released, so that
// a test can hold it "under way" while other callers arrive.
struct HeldRead {
    std::mutex mutex;
    std::condition_variable changed;
    int begun = 0;
    int released = 0;

    Watermarks operator()() {
        std::unique_lock lock(mutex);
        int mine = ++begun;
        changed.notify_all();
        changed.wait(lock, [&] { return released >= mine; });
        Watermarks w;
        w.revisions.global = mine;
        return w;
    }
    void wait_begun(int n) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return begun >= n; });
    }
    void release(int n) {
        std::lock_guard lock(mutex);
        released = n;
        changed.notify_all();
    }
};

}  // namespace

TEST_CASE("a caller that comes while a read is under way gets the next read, not that one") {
    SharedRead shared;
    HeldRead read;
    std::atomic<std::int64_t> first = 0, second = 0;
    std::thread leader([&] { first = shared.get(std::ref(read)).revisions.global; });
    read.wait_begun(1);
    std::thread late([&] { second = shared.get(std::ref(read)).revisions.global; });
    // The late caller must not take read 1's answer: it began before the call.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    read.release(1);
    leader.join();
    CHECK(first == 1);
    read.wait_begun(2);
    CHECK(second == 0);
    read.release(2);
    late.join();
    CHECK(second == 2);
    CHECK(read.begun == 2);
}

TEST_CASE("callers that come during one read share the next one") {
    SharedRead shared;
    HeldRead read;
    std::thread leader([&] { shared.get(std::ref(read)); });
    read.wait_begun(1);
    std::vector<std::thread> waiting;
    std::vector<std::int64_t> got(8);
    for (int i = 0; i < 8; ++i)
        waiting.emplace_back([&, i] { got[i] = shared.get(std::ref(read)).revisions.global; });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    read.release(2);  // read 1, and read 2 as soon as one of the eight begins it
    leader.join();
    for (auto& t : waiting) t.join();
    CHECK(read.begun == 2);
    for (std::int64_t g : got) CHECK(g == 2);
}

TEST_CASE("a failed read reaches its maker and its waiters, and the next call reads again") {
    SharedRead shared;
    std::atomic<int> reads = 0;
    std::atomic<bool> fail = true;
    auto read = [&]() -> Watermarks {
        ++reads;
        if (fail) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            throw std::runtime_error("server gone");
        }
        Watermarks w;
        w.revisions.global = 9;
        return w;
    };
    std::vector<std::thread> threads;
    std::atomic<int> failures = 0;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            try {
                shared.get(read);
            } catch (const std::runtime_error&) {
                ++failures;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(failures == 4);
    CHECK(reads <= 2);  // the first caller's read, and at most one for all who came during it
    fail = false;
    CHECK(shared.get(read).revisions.global == 9);
}

TEST_CASE("under contention every caller gets a read that saw what happened before its call") {
    SharedRead shared;
    std::atomic<std::int64_t> commits = 0;  // a commit just before each call
    auto read = [&] {
        Watermarks w;
        w.revisions.global = commits.load();
        std::this_thread::yield();  // long enough for other callers to come meanwhile
        return w;
    };
    std::atomic<int> stale = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                std::int64_t before = ++commits;
                if (shared.get(read).revisions.global < before) ++stale;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(stale == 0);
}
