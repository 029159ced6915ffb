#include "list_params.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "fields/text.hpp"
#include "http/api_error.hpp"
#include "http/preconditions.hpp"
#include "http/query.hpp"

namespace livesync::api {
namespace {

using http::ApiError;
using http::ErrorKind;

[[noreturn]] void bad(const std::string& name, const std::string& problem) {
    throw ApiError(ErrorKind::invalid_query, name + " " + problem, {{name, problem}});
}

std::int64_t positive_id(const std::string& name, const std::string& text) {
    auto id = http::parse_id(text);
    if (!id) bad(name, "must be a positive integer id");
    return *id;
}

// A text filter is compared with stored text, so it follows the stored-text rule: a value no
// field can hold (a NUL, bytes that are not UTF-8) is a malformed parameter, not a silent miss.
const std::string& text_filter(const std::string& name, const std::string& text) {
    if (auto problem = fields::check_text(text)) bad(name, *problem);
    return text;
}

// FNV-1a, 64 bits: a stable digest of the canonical query for the ETag (not a security hash: a
// tag only has to differ between the lists one client asks for).
std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// Appends `name=<length>:<value>&`: length-prefixed, so no value can imitate another field.
void canon(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append("=").append(std::to_string(value.size())).append(":");
    out.append(value).append("&");
}

}  // namespace

std::string ListParams::etag(std::int64_t rev) const {
    if (!extended) return http::etag_of(rev);
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx",
                  static_cast<unsigned long long>(fnv1a(canonical)));
    return "\"" + std::to_string(rev) + "-" + digest + "\"";
}

ListParams parse_list_params(Entity entity, std::string_view query) {
    const store::EntitySpec& spec = store::spec_of(entity);
    std::string parent(spec.parent_column);
    std::vector<std::string_view> allowed = {"limit",  "after", "order", "since",
                                             "status", "q",     "count"};
    if (spec.has_owner) allowed.push_back("owner");
    if (!parent.empty()) allowed.push_back(parent);
    auto given = http::parse_query(query, allowed);
    auto value = [&](const std::string& name) -> const std::string* {
        auto it = given.find(name);
        return it == given.end() ? nullptr : &it->second;
    };

    ListParams p;
    if (!parent.empty())
        if (const std::string* v = value(parent)) p.filter.parent_id = positive_id(parent, *v);
    if (const std::string* v = value("status")) {
        if (std::find(store::kStatuses.begin(), store::kStatuses.end(), *v) ==
            store::kStatuses.end())
            bad("status", "must be one of planned, active, on_hold, done");
        p.filter.status = *v;
    }
    if (const std::string* v = value("owner")) p.filter.owner = text_filter("owner", *v);
    if (const std::string* v = value("q")) p.filter.name_contains = text_filter("q", *v);
    if (const std::string* v = value("limit")) {
        auto n = http::parse_id(*v);
        if (!n || *n > kMaxPageLimit)
            bad("limit", "must be an integer from 1 to " + std::to_string(kMaxPageLimit));
        p.window.limit = static_cast<int>(*n);
    }
    if (const std::string* v = value("after")) p.window.after = positive_id("after", *v);
    if (const std::string* v = value("order")) {
        if (*v != "asc" && *v != "desc") bad("order", "must be asc or desc");
        p.window.descending = *v == "desc";
    }
    if (const std::string* v = value("since")) {
        if (*v == "0")
            p.since = 0;
        else if (auto r = http::parse_id(*v))
            p.since = *r;
        else
            bad("since", "must be a revision (a non-negative integer)");
        for (const char* paged : {"limit", "after", "order"})
            if (value(paged)) bad(paged, "cannot be combined with since");
    }

    if (const std::string* v = value("count")) {
        if (*v != "1") bad("count", "must be 1");
        p.count = true;
    }

    p.extended = std::any_of(given.begin(), given.end(),
                             [&](const auto& entry) { return entry.first != parent; });
    // From the parsed values, so that spellings of the same request (`order=asc` or none,
    // parameters in any order, `%41` or `A`) share one cache entry and one tag.
    if (p.filter.parent_id) canon(p.canonical, parent, std::to_string(*p.filter.parent_id));
    if (p.filter.status) canon(p.canonical, "status", *p.filter.status);
    if (p.filter.owner) canon(p.canonical, "owner", *p.filter.owner);
    if (p.filter.name_contains) canon(p.canonical, "q", *p.filter.name_contains);
    p.filter_canonical = p.canonical;
    if (p.window.limit) canon(p.canonical, "limit", std::to_string(*p.window.limit));
    if (p.window.after) canon(p.canonical, "after", std::to_string(*p.window.after));
    if (p.window.descending) canon(p.canonical, "order", "desc");
    if (p.since) canon(p.canonical, "since", std::to_string(*p.since));
    if (p.count) canon(p.canonical, "count", "");
    if (p.extended) canon(p.canonical, "extended", "");
    return p;
}

}  // namespace livesync::api
