#include "context.hpp"

namespace livesync::api {

ListCache::Body ListCache::get(const Key& key, std::int64_t rev,
                               const std::function<std::string()>& render) {
    std::promise<Body> promise;
    {
        std::unique_lock lock(mutex_);
        auto it = entries_.find(key);
        if (it != entries_.end() && it->second.rev == rev) {
            std::shared_future<Body> body = it->second.body;
            lock.unlock();
            return body.get();
        }
        if (it != entries_.end() && it->second.rev > rev)
            return std::make_shared<const std::string>(render());
        if (it != entries_.end()) {
            bytes_ -= it->second.bytes;
            entries_.erase(it);
        }
        if (entries_.size() >= kMaxEntries || bytes_ >= kMaxBytes) {
            entries_.clear();
            bytes_ = 0;
        }
        entries_.emplace(key, Entry{rev, promise.get_future().share()});
    }
    // Rendered outside the lock: other keys stay available meanwhile.
    try {
        Body body = std::make_shared<const std::string>(render());
        promise.set_value(body);
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end() && it->second.rev == rev) {
            it->second.bytes = body->size();
            bytes_ += body->size();
        }
        return body;
    } catch (...) {
        promise.set_exception(std::current_exception());
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end() && it->second.rev == rev)
            entries_.erase(it);
        throw;
    }
}

void Context::commit(store::WriteTransaction& tx, Entity entity, std::int64_t rev,
                     const http::Request& request) {
    ChangeSignal signal{entity, rev,
                        sanitize_client_id(request.header("x-client-id").value_or(""))};
    tx.commit(signal);
    announced = std::move(signal);
}

}  // namespace livesync::api
