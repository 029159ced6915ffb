#include "origin_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ascii.hpp"

namespace livesync::wsd {
namespace {

bool valid_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    if (host.front() == '[')
        return host.size() > 2 && host.back() == ']' &&
               std::all_of(host.begin() + 1, host.end() - 1, [](unsigned char c) {
                   return std::isxdigit(c) || c == ':' || c == '.';
               });
    return std::all_of(host.begin(), host.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
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
    std::string_view port;
    auto close_bracket = authority.rfind(']');
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos &&
        (close_bracket == std::string_view::npos || colon > close_bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return std::nullopt;
        int n = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
        if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535)
            return std::nullopt;
        o.port = n;
    }
    if (!valid_host(host)) return std::nullopt;
    o.host = ascii_lower(host);
    return o;
}

OriginPolicy::OriginPolicy(const std::vector<std::string>& origins, bool allow_missing_origin_ws)
    : allow_missing_ws_(allow_missing_origin_ws) {
    for (const auto& text : origins) {
        if (auto o = parse_origin(text))
            own_.push_back(*o);
        else
            invalid_.push_back(text);
    }
}

bool OriginPolicy::is_own(std::string_view origin) const {
    auto o = parse_origin(origin);
    return o && std::find(own_.begin(), own_.end(), *o) != own_.end();
}

Verdict OriginPolicy::check_upgrade(std::optional<std::string_view> origin) const {
    if (!origin) return allow_missing_ws_ ? Verdict::allow : Verdict::missing_origin;
    return is_own(*origin) ? Verdict::allow : Verdict::foreign_origin;
}

Verdict OriginPolicy::check_event_stream(std::optional<std::string_view> origin,
                                         std::optional<std::string_view> sec_fetch_site) const {
    if (sec_fetch_site) {
        std::string site = ascii_lower(*sec_fetch_site);
        if (site == "cross-site" || site == "same-site") return Verdict::cross_site;
    }
    if (origin && !is_own(*origin)) return Verdict::foreign_origin;
    return Verdict::allow;
}

}  // namespace livesync::wsd
