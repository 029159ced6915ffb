#include "shared_read.hpp"

namespace livesync::store {

Watermarks SharedRead::get(const std::function<Watermarks()>& read) {
    std::unique_lock lock(mutex_);
    // A read under way may have begun before this call: only the next one will do.
    const std::uint64_t wanted = started_ + 1;
    while (finished_ < wanted) {
        if (reading_) {
            done_.wait(lock);
            continue;
        }
        reading_ = true;
        const std::uint64_t mine = ++started_;
        lock.unlock();
        Watermarks found;
        std::exception_ptr failure;
        try {
            found = read();
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        last_ = found;
        failure_ = failure;
        finished_ = mine;
        reading_ = false;
        done_.notify_all();
    }
    if (failure_) std::rethrow_exception(failure_);
    return last_;
}

}  // namespace livesync::store
