#include "id.hpp"

#include <charconv>

namespace livesync::fields {

std::optional<std::int64_t> parse_id(std::string_view text) {
    if (text.empty() || text.size() > 19 || text.front() == '0') return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
    return value;
}

}  // namespace livesync::fields
