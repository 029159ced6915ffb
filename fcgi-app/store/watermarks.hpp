// What a GET must know before it reads a row: the revisions of one moment and the oldest
// revision the change log still answers `since` for.
#pragma once

#include <algorithm>
#include <cstdint>

#include "revisions.hpp"

namespace livesync::store {

struct Watermarks {
    Revisions revisions;
    std::int64_t horizon = 0;

    // Whether the change log can tell what changed after `since`: not when it is older than the
    // horizon, nor newer than the global revision (the database was restored from a backup).
    bool covers(std::int64_t since) const { return since >= horizon && since <= revisions.global; }
};

// The watermarks from the stored horizon (how far tombstones were pruned) and the configured
// `tombstone_horizon_revs`: the configured one counts even before a prune has caught up with it,
// so whether a `since` is answered does not depend on when the last prune ran.
inline Watermarks watermarks_of(const Revisions& revisions, std::int64_t stored_horizon,
                                std::int64_t horizon_revs) {
    return {revisions, std::max(stored_horizon, revisions.global - horizon_revs)};
}

}  // namespace livesync::store
