#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace livesync::http {

// Parses `a=1&b=x%20y` into a map. Throws ApiError(invalid_query) on bad percent-escapes,
// repeated names, or names not in `allowed`.
std::map<std::string, std::string> parse_query(std::string_view query,
                                               const std::vector<std::string_view>& allowed);

}  // namespace livesync::http
