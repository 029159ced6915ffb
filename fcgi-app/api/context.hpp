// What every handler works with: a store, the configuration, a small cache of serialized list
// bodies, and the change signal the request leaves for whoever makes its writes durable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "change_signal.hpp"
#include "config.hpp"
#include "http/request.hpp"
#include "store/store.hpp"

namespace livesync::api {

// Serialized list bodies keyed by (entity, canonical query), valid while the entity's revision
// is unchanged: the pages that all ask the same `?since=` after one event cost one render per
// request thread, not one each. Bounded: cleared when it grows past kMaxEntries or kMaxBytes.
class ListCache {
  public:
    using Key = std::pair<Entity, std::string>;
    const std::string* find(const Key& key, std::int64_t rev) const;
    // Stores `body` and returns the stored copy.
    const std::string& put(const Key& key, std::int64_t rev, std::string body);

  private:
    static constexpr size_t kMaxEntries = 256;
    static constexpr size_t kMaxBytes = 64 << 20;
    std::map<Key, std::pair<std::int64_t, std::string>> entries_;
    size_t bytes_ = 0;
};

struct Context {
    const Config& config;
    store::Store& store;
    ListCache list_cache;
    // Set by announce(); sent by the caller once the request's writes are durable (which, inside
    // a WriteBatch, is only when the whole batch has committed).
    std::optional<ChangeSignal> announced;

    // Records the one change signal of a request. Call only after its commit() returned.
    void announce(Entity entity, std::int64_t rev, const http::Request& request);
};

}  // namespace livesync::api
