// ASCII case folding for protocol tokens (header names, schemes, host names, media types), which
// HTTP defines as case-insensitive ASCII. Not std::tolower: that follows the C locale.
#pragma once

#include <string>
#include <string_view>

namespace livesync {

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace livesync
