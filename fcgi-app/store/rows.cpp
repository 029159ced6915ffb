#include "rows.hpp"

namespace livesync::store {

std::optional<unsigned> phase_bit(std::string_view name) {
    for (unsigned i = 0; i < kPhaseNames.size(); ++i)
        if (kPhaseNames[i] == name) return 1u << i;
    return std::nullopt;
}

bool Row::same_content(const Row& o) const {
    return parent_id == o.parent_id && name == o.name && description == o.description &&
           status == o.status && owner == o.owner && phases == o.phases && checklist == o.checklist;
}

const EntitySpec& spec_of(Entity entity) {
    static const EntitySpec kProjects{
        Entity::projects, "projects", "", Entity::all, true, false, false};
    static const EntitySpec kSolutions{
        Entity::solutions, "solutions", "project_id", Entity::projects, false, true, false};
    static const EntitySpec kSubcomponents{Entity::subcomponents,
                                           "subcomponents",
                                           "solution_id",
                                           Entity::solutions,
                                           true,
                                           false,
                                           true};
    switch (entity) {
        case Entity::solutions:
            return kSolutions;
        case Entity::subcomponents:
            return kSubcomponents;
        default:
            return kProjects;
    }
}

}  // namespace livesync::store
