#include "context.hpp"

namespace livesync::api {

const std::string* ListCache::find(const Key& key, std::int64_t rev) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.first != rev) return nullptr;
    return &it->second.second;
}

const std::string& ListCache::put(const Key& key, std::int64_t rev, std::string body) {
    if (auto it = entries_.find(key); it != entries_.end()) {
        bytes_ -= it->second.second.size();
        entries_.erase(it);
    }
    if (entries_.size() >= kMaxEntries || bytes_ + body.size() > kMaxBytes) {
        entries_.clear();
        bytes_ = 0;
    }
    bytes_ += body.size();
    auto& entry = entries_[key] = {rev, std::move(body)};
    return entry.second;
}

void Context::announce(Entity entity, std::int64_t rev, const http::Request& request) {
    announced =
        ChangeSignal{entity, rev, sanitize_client_id(request.header("x-client-id").value_or(""))};
}

}  // namespace livesync::api
