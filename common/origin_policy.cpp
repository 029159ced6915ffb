#include "origin_policy.hpp"

#include <algorithm>
#include <charconv>

#include "ascii.hpp"

namespace livesync {
namespace {

bool is_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool valid_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    if (host.front() == '[')
        return host.size() > 2 && host.back() == ']' &&
               std::all_of(host.begin() + 1, host.end() - 1,
                           [](unsigned char c) { return is_hex(c) || c == ':' || c == '.'; });
    return std::all_of(host.begin(), host.end(),
                       [](unsigned char c) { return is_alnum(c) || c == '-' || c == '.'; });
}

// The header value without surrounding spaces and tabs; nullopt when nothing is left.
std::optional<std::string_view> field_value(std::optional<std::string_view> value) {
    if (!value) return std::nullopt;
    std::string_view v = *value;
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty()) return std::nullopt;
    return v;
}

bool is_own(const std::vector<Origin>& own, std::string_view origin) {
    auto o = parse_origin(origin);
    return o && std::find(own.begin(), own.end(), *o) != own.end();
}

}  // namespace

std::optional<Origin> parse_origin(std::string_view text) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    Origin o;
    o.scheme = ascii_lower(text.substr(0, sep));
    if (o.scheme == "https")
        o.port = 443;
    else if (o.scheme == "http")
        o.port = 80;
    else
        return std::nullopt;

    std::string_view authority = text.substr(sep + 3);
    std::string_view host = authority;
    auto close_bracket = authority.rfind(']');
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos &&
        (close_bracket == std::string_view::npos || colon > close_bracket)) {
        host = authority.substr(0, colon);
        std::string_view port = authority.substr(colon + 1);
        int n = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n < 1 ||
            n > 65535)
            return std::nullopt;
        o.port = n;
    }
    if (!valid_host(host)) return std::nullopt;
    o.host = ascii_lower(host);
    return o;
}

OriginVerdict check_fetch(const std::vector<Origin>& own, std::optional<std::string_view> origin,
                          std::optional<std::string_view> sec_fetch_site) {
    if (auto site = field_value(sec_fetch_site)) {
        std::string s = ascii_lower(*site);
        if (s == "cross-site" || s == "same-site") return OriginVerdict::cross_site;
    }
    origin = field_value(origin);
    if (origin && !is_own(own, *origin)) return OriginVerdict::foreign_origin;
    return OriginVerdict::allow;
}

OriginVerdict check_upgrade(const std::vector<Origin>& own, std::optional<std::string_view> origin,
                            bool allow_missing) {
    origin = field_value(origin);
    if (!origin) return allow_missing ? OriginVerdict::allow : OriginVerdict::missing_origin;
    return is_own(own, *origin) ? OriginVerdict::allow : OriginVerdict::foreign_origin;
}

}  // namespace livesync
