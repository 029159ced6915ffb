// The checklist cell of a subcomponent file: a JSON array [{"label":"…","done":…},…], checked
// by the JSON API's rules (docs/csv.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/rows.hpp"

namespace livesync::csv {

// Reads `cell` (valid UTF-8; empty = no items) into `items`, or returns what is wrong with it,
// item by item as the JSON API words it.
std::optional<std::string> parse_checklist_cell(std::string_view cell,
                                                std::vector<store::ChecklistItem>& items);

}  // namespace livesync::csv
