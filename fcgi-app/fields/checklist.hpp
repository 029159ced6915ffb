// A checklist as JSON items, the rules of which both the JSON API (a subcomponent's `checklist`,
// the checklist PUT) and the CSV checklist cell apply.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/rows.hpp"

namespace livesync::fields {

// Validates checklist items (`[{"id"?, "label", "done"?}]`) against the row's current items:
// an id must be one of them. Errors go into `errors` under `field` (see add_item_error).
std::vector<store::ChecklistItem> parse_checklist(const nlohmann::json& items,
                                                  const std::vector<store::ChecklistItem>& current,
                                                  const std::string& field, nlohmann::json& errors);

// Records a problem of element `index` of the array field `field` in `errors`. `details` names
// the body's own fields (what a form shows an error next to); a problem inside an array element
// says which element in the message, and several problems share the field.
void add_item_error(nlohmann::json& errors, const std::string& field, size_t index,
                    const std::string& message);

}  // namespace livesync::fields
