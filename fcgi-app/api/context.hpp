// What every handler works with: a store, the configuration, the worker's caches of list bodies
// and rows, and the change signal the request leaves for whoever makes its writes durable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "change_signal.hpp"
#include "config.hpp"
#include "http/request.hpp"
#include "revision_cache.hpp"
#include "store/store.hpp"

namespace livesync::api {

// What the request threads of one worker share: the caches, and the read of the latest
// revisions (store::SharedRead).
struct WorkerShare {
    ListCache lists;
    RowCache rows;
    std::shared_ptr<store::SharedRead> latest = std::make_shared<store::SharedRead>();
};

struct Context {
    const Config& config;
    store::Store& store;
    ListCache& list_cache;
    RowCache& row_cache;
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
