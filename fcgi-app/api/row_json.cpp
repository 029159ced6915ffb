#include "row_json.hpp"

namespace livesync::api {

nlohmann::json phases_to_json(unsigned phases) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < store::kPhaseNames.size(); ++i)
        out.push_back({{"name", store::kPhaseNames[i]}, {"enabled", (phases >> i & 1u) != 0}});
    return out;
}

nlohmann::json row_to_json(Entity entity, const store::Row& row) {
    const store::EntitySpec& spec = store::spec_of(entity);
    nlohmann::json j = {{"id", row.id},
                        {"name", row.name},
                        {"description", row.description},
                        {"status", row.status},
                        {"created_at", row.created_at},
                        {"updated_at", row.updated_at},
                        {"updated_by", row.updated_by},
                        {"rev", row.rev}};
    if (!spec.parent_column.empty()) j[std::string(spec.parent_column)] = row.parent_id;
    if (spec.has_owner) j["owner"] = row.owner;
    if (spec.has_phases) j["phases"] = phases_to_json(row.phases);
    if (spec.has_checklist) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& item : row.checklist)
            items.push_back({{"id", item.id}, {"label", item.label}, {"done", item.done}});
        j["checklist"] = std::move(items);
    }
    return j;
}

}  // namespace livesync::api
