// The one rule for an id, wherever one is given: a path segment, a query parameter (`after`,
// `project_id`, …) or a CSV cell (`id`, `project_id`, `solution_id`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace livesync::fields {

// A positive integer that fits in 63 bits, digits only; anything else is nullopt.
std::optional<std::int64_t> parse_id(std::string_view text);

}  // namespace livesync::fields
