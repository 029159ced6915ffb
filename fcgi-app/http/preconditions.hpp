// Request preconditions: same-origin mutations, entity tags, content types, ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "origin_policy.hpp"
#include "request.hpp"

namespace livesync::http {

// Throws ApiError(forbidden_origin) when a mutation comes from elsewhere: an Origin header not
// one of the site's `origins`, or Sec-Fetch-Site cross-site / same-site. No Origin at all (a
// command-line tool) is allowed. The rule is check_fetch (common/origin_policy.hpp), the one
// the daemon applies to /events.
void require_same_origin(const Request& request, const std::vector<Origin>& origins);

// Throws ApiError(unsupported_media_type) unless Content-Type's media type is `media_type`.
void require_content_type(const Request& request, std::string_view media_type);

// `"<rev>"`, the strong entity tag of a revision.
std::string etag_of(std::int64_t rev);

// If-None-Match: true when any listed tag (weak comparison) is `"<rev>"`, or it is `*`.
bool none_match_hits(const std::string& header, std::int64_t rev);
// The same for any entity tag `tag` (with its quotes). Weak comparison matters behind nginx's
// gzip, which turns a strong tag into W/"…" in the compressed response the browser keeps.
bool none_match_hits(const std::string& header, std::string_view tag);

// If-Match: true when any listed tag (strong comparison) is `"<rev>"`, or it is `*`.
bool match_hits(const std::string& header, std::int64_t rev);

}  // namespace livesync::http
