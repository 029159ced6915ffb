// Rows as the API shows them.
#pragma once

#include <nlohmann/json.hpp>

#include "store/rows.hpp"

namespace livesync::api {

nlohmann::json row_to_json(Entity entity, const store::Row& row);
nlohmann::json phases_to_json(unsigned phases);

}  // namespace livesync::api
