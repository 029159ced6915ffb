// Answers the request threads of one worker share, each valid while its entity's revision is
// unchanged: every row of an entity changes only with a new entity revision, so an answer
// rendered at (or after) revision R is right for any request that finds the entity still at R.
// Bounded: cleared when it grows past its entry or byte limit. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "entity.hpp"

namespace livesync::api {

// A row's answer: its JSON and the row's own revision (its ETag).
struct RowAnswer {
    std::string json;
    std::int64_t rev = 0;
};

inline std::size_t bytes_of(const std::string& body) {
    return body.size();
}
inline std::size_t bytes_of(const RowAnswer& row) {
    return row.json.size();
}

template <class Value>
class RevisionCache {
  public:
    using Key = std::pair<Entity, std::string>;
    using Body = std::shared_ptr<const Value>;

    RevisionCache(std::size_t max_entries, std::size_t max_bytes)
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    // The value of `key` at entity revision `rev`: the cached one; or the one another thread is
    // rendering, waited for; or `render()`'s, cached unless a newer revision's value is (a thread
    // on an older snapshot never evicts it). If `render` throws, the exception reaches this
    // caller and every thread waiting for it, and nothing is cached.
    Body get(const Key& key, std::int64_t rev, const std::function<Value()>& render) {
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
                return std::make_shared<const Value>(render());
            if (it != entries_.end()) {
                bytes_ -= it->second.bytes;
                entries_.erase(it);
            }
            if (entries_.size() >= max_entries_ || bytes_ >= max_bytes_) {
                entries_.clear();
                bytes_ = 0;
            }
            entries_.emplace(key, Entry{rev, promise.get_future().share()});
        }
        // Rendered outside the lock: other keys stay available meanwhile.
        try {
            Body body = std::make_shared<const Value>(render());
            promise.set_value(body);
            std::lock_guard lock(mutex_);
            if (auto it = entries_.find(key); it != entries_.end() && it->second.rev == rev) {
                it->second.bytes = bytes_of(*body);
                bytes_ += it->second.bytes;
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

    // The value of `key` at `rev` if it is cached or being rendered (then waited for); null
    // otherwise.
    Body find(const Key& key, std::int64_t rev) {
        std::unique_lock lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end() || it->second.rev != rev) return nullptr;
        std::shared_future<Body> body = it->second.body;
        lock.unlock();
        try {
            return body.get();
        } catch (...) {
            return nullptr;  // its render failed: the caller renders for itself
        }
    }

  private:
    struct Entry {
        std::int64_t rev;
        std::shared_future<Body> body;
        std::size_t bytes = 0;  // 0 until rendered
    };
    const std::size_t max_entries_;
    const std::size_t max_bytes_;
    std::mutex mutex_;
    std::map<Key, Entry> entries_;
    std::size_t bytes_ = 0;
};

// Serialized list bodies keyed by (entity, canonical query): the pages that all ask the same
// `?since=` right after one event cost one render per worker, not one each.
class ListCache : public RevisionCache<std::string> {
  public:
    ListCache() : RevisionCache(256, 64 << 20) {}
};

// Rows by (entity, id): a row read again while its entity has not changed is not read again.
class RowCache : public RevisionCache<RowAnswer> {
  public:
    RowCache() : RevisionCache(4096, 16 << 20) {}
};

}  // namespace livesync::api
