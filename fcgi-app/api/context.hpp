// What every handler works with: a store, the configuration, the worker's cache of serialized
// list bodies, and the change signal the request leaves for whoever makes its writes durable.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "change_signal.hpp"
#include "config.hpp"
#include "http/request.hpp"
#include "store/store.hpp"

namespace livesync::api {

// Serialized list bodies keyed by (entity, canonical query), valid while the entity's revision
// is unchanged, shared by the request threads of one worker: the pages that all ask the same
// `?since=` right after one event cost one render per worker, not one each. Bounded: cleared when
// it grows past kMaxEntries or kMaxBytes. Thread-safe.
class ListCache {
  public:
    using Key = std::pair<Entity, std::string>;
    using Body = std::shared_ptr<const std::string>;

    // The body of `key` at entity revision `rev`: the cached one; or the one another thread is
    // rendering, waited for; or `render()`'s, cached unless a newer revision's body is (a thread
    // on an older snapshot never evicts it). If `render` throws, the exception reaches this
    // caller and every thread waiting for it, and nothing is cached.
    Body get(const Key& key, std::int64_t rev, const std::function<std::string()>& render);

  private:
    struct Entry {
        std::int64_t rev;
        std::shared_future<Body> body;
        size_t bytes = 0;  // 0 until rendered
    };
    static constexpr size_t kMaxEntries = 256;
    static constexpr size_t kMaxBytes = 64 << 20;
    std::mutex mutex_;
    std::map<Key, Entry> entries_;
    size_t bytes_ = 0;
};

struct Context {
    const Config& config;
    store::Store& store;
    ListCache& list_cache;
    // Who commits this request's write transaction: the request itself, or the batch the group
    // committer opened around it (see pool/group_commit.hpp).
    store::WriteScope write_scope = store::WriteScope::alone;
    // Set by commit(); on SQLite the caller sends it as a datagram once the request's writes are
    // durable (which, inside a WriteBatch, is only when the whole batch has committed).
    std::optional<ChangeSignal> announced;

    // Commits `tx` with the request's one change signal (entity, the global revision it
    // committed as, the client id for `origin`) and records that signal.
    void commit(store::WriteTransaction& tx, Entity entity, std::int64_t rev,
                const http::Request& request);
};

}  // namespace livesync::api
