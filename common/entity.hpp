// The entities a change can concern, as named on the wire (signals, events, API paths).
#pragma once

#include <optional>
#include <string_view>

namespace livesync {

enum class Entity { projects, solutions, subcomponents, all };

inline constexpr Entity kTableEntities[] = {Entity::projects, Entity::solutions,
                                            Entity::subcomponents};

constexpr std::string_view entity_name(Entity e) {
    switch (e) {
        case Entity::projects:
            return "projects";
        case Entity::solutions:
            return "solutions";
        case Entity::subcomponents:
            return "subcomponents";
        case Entity::all:
            return "all";
    }
    return "all";
}

constexpr std::optional<Entity> entity_from_name(std::string_view name) {
    for (Entity e : {Entity::projects, Entity::solutions, Entity::subcomponents, Entity::all})
        if (entity_name(e) == name) return e;
    return std::nullopt;
}

}  // namespace livesync
