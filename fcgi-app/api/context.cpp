#include "context.hpp"

namespace livesync::api {

const std::string* ListCache::find(const Key& key, std::int64_t rev) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.first != rev) return nullptr;
    return &it->second.second;
}

void ListCache::put(const Key& key, std::int64_t rev, std::string body) {
    if (entries_.size() >= kMaxEntries && !entries_.count(key)) entries_.clear();
    entries_[key] = {rev, std::move(body)};
}

void Context::announce(Entity entity, std::int64_t rev, const http::Request& request) {
    announced =
        ChangeSignal{entity, rev, sanitize_client_id(request.header("x-client-id").value_or(""))};
}

}  // namespace livesync::api
