#include "preconditions.hpp"

#include "api_error.hpp"
#include "ascii.hpp"

namespace livesync::http {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Calls `visit(tag, weak)` for each entity tag of a comma-separated list; returns true if any
// call did. `*` is reported as tag "*".
template <typename Visit>
bool any_tag(std::string_view header, Visit visit) {
    while (!header.empty()) {
        auto comma = header.find(',');
        std::string_view item = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        bool weak = item.substr(0, 2) == "W/";
        if (weak) item.remove_prefix(2);
        if (visit(item, weak)) return true;
    }
    return false;
}

}  // namespace

void require_same_origin(const Request& request, const std::vector<Origin>& origins) {
    auto origin = request.header("origin");
    auto site = request.header("sec-fetch-site");
    OriginVerdict verdict = check_fetch(origins, origin, site);
    if (verdict == OriginVerdict::cross_site)
        throw ApiError(
            ErrorKind::forbidden_origin,
            "cross-site requests may not change data (Sec-Fetch-Site: " + site.value_or("") + ")");
    if (verdict != OriginVerdict::allow)
        throw ApiError(ErrorKind::forbidden_origin,
                       "requests from origin '" + origin.value_or("") + "' may not change data");
}

void require_content_type(const Request& request, std::string_view media_type) {
    auto type = request.header("content-type");
    std::string base = type ? ascii_lower(trim(type->substr(0, type->find(';')))) : std::string();
    if (base != media_type)
        throw ApiError(ErrorKind::unsupported_media_type,
                       "expected Content-Type " + std::string(media_type) +
                           (type ? ", got '" + *type + "'" : ", got none"));
}

std::string etag_of(std::int64_t rev) {
    return "\"" + std::to_string(rev) + "\"";
}

bool none_match_hits(const std::string& header, std::int64_t rev) {
    return none_match_hits(header, etag_of(rev));
}

bool none_match_hits(const std::string& header, std::string_view tag) {
    return any_tag(header, [&](std::string_view t, bool) { return t == "*" || t == tag; });
}

bool match_hits(const std::string& header, std::int64_t rev) {
    std::string tag = etag_of(rev);
    return any_tag(header,
                   [&](std::string_view t, bool weak) { return t == "*" || (!weak && t == tag); });
}

}  // namespace livesync::http
