// JSON request bodies → rows, with every bad field reported at once.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/rows.hpp"

namespace livesync::api {

// Parses a body that must be one JSON object. Throws ApiError(bad_json).
nlohmann::json parse_object(const std::string& body);

enum class Mode { create, patch };

// Applies the fields of `body` onto `row` (on create, `row` starts from defaults). Unknown,
// read-only, mistyped and invalid fields are all reported in one ApiError(validation_failed)
// whose details map each field to its message. Parent existence is checked by the caller.
void apply_fields(Entity entity, const nlohmann::json& body, store::Row& row, Mode mode);

// Throws ApiError(validation_failed) if `errors` has any entry.
void throw_if_invalid(const nlohmann::json& errors);

}  // namespace livesync::api
