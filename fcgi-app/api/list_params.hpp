// The query string of a list request (SPEC §3 "Large lists"): parent filter, filters, keyset
// page, changes since a revision — parsed, checked, and put in one canonical form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "entity.hpp"
#include "store/list_query.hpp"

namespace livesync::api {

inline constexpr int kMaxPageLimit = 1000;

struct ListParams {
    store::ListFilter filter;
    store::PageWindow window;
    std::optional<std::int64_t> since;
    // `count=1`: the answer adds "total", how many rows match the filter (all pages together).
    bool count = false;
    // Any parameter beyond the parent filter. Without one, a list answers every row with the
    // entity's revision as its ETag, exactly as before pages existed.
    bool extended = false;
    // The parsed request in one canonical form: two requests get the same answer at the same
    // revision exactly when their canonical forms are equal (spellings of one request, with
    // parameters in another order or escaped differently, share it).
    std::string canonical;
    // The filter's part of `canonical` (parent filter included): requests that count the same
    // rows share it, whatever their window or `since`.
    std::string filter_canonical;

    // The list's strong entity tag at entity revision `rev`: `"<rev>"`, or for an extended list
    // `"<rev>-<hash of canonical>"`, so that every page and filter has a tag of its own.
    std::string etag(std::int64_t rev) const;
};

// Throws ApiError(invalid_query) naming the offending parameter in `details` for: an unknown or
// repeated parameter (`owner` is unknown for solutions, which have no owner), a `limit` that is
// not 1–1000, an `after` or parent id that is not a positive id, a `since` that is not a
// non-negative integer, an `order` other than asc/desc, a `status` not in the catalogue, a `count`
// other than 1, and
// `limit`/`after`/`order` together with `since` (a since answer is never paged). Numbers are
// plain decimal digits without sign or leading zeros.
ListParams parse_list_params(Entity entity, std::string_view query);

}  // namespace livesync::api
