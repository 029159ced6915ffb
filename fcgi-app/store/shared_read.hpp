// One read of the latest watermarks shared by the request threads of a worker that want one at
// the same time. A caller gets the answer of a read that began after it called, so it sees every
// commit that finished before its request arrived; a caller that comes while a read is under way
// waits for the next one, which the first of the waiting callers makes for them all. On a busy
// worker one round trip to PostgreSQL then answers many GETs instead of one each.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <shared_mutex>

#include "watermarks.hpp"

namespace livesync::store {

class SharedRead {
  public:
    // The watermarks `read` (run by this thread or another caller's) found, read after this call
    // began. A failed read's exception reaches its maker and every caller that waited for it.
    Watermarks get(const std::function<Watermarks()>& read);

  private:
    // The number of the last read that ended, times two, plus one while the next is under way:
    // one word, so that a waiter sleeps on it (atomic wait) and wakes when a read ends, without a
    // mutex for all of the woken to queue on.
    std::atomic<std::uint64_t> state_ = 0;
    std::shared_mutex outcome_mutex_;  // the outcome of the last read that ended:
    Watermarks last_;
    std::exception_ptr failure_;
};

}  // namespace livesync::store
