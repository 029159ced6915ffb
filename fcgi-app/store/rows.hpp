// What the store keeps for each entity, and the fixed catalogues (statuses, phases).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entity.hpp"

namespace livesync::store {

inline constexpr std::array<std::string_view, 5> kPhaseNames = {"discovery", "design", "build",
                                                                "test", "deploy"};
inline constexpr unsigned kAllPhases = (1u << kPhaseNames.size()) - 1;
inline constexpr std::array<std::string_view, 4> kStatuses = {"planned", "active", "on_hold",
                                                              "done"};

std::optional<unsigned> phase_bit(std::string_view name);

struct ChecklistItem {
    std::int64_t id = 0;  // 0: not stored yet
    std::string label;
    bool done = false;
    bool operator==(const ChecklistItem&) const = default;
};

// One row of any of the three entities; fields an entity does not have stay at their defaults.
struct Row {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;  // project_id of a solution, solution_id of a subcomponent
    std::string name;
    std::string description;
    std::string status = "planned";
    std::string owner;
    unsigned phases = kAllPhases;  // bit i: kPhaseNames[i] enabled
    std::string created_at;
    std::string updated_at;
    std::string updated_by;  // the user the host authenticated for the last write ("": none)
    std::int64_t rev = 0;
    std::vector<ChecklistItem> checklist;

    // True when every user-editable field is equal (ids, timestamps, updated_by and rev are
    // ignored).
    bool same_content(const Row& other) const;
};

// How an entity is stored: its table, its parent (if any) and which optional fields it has.
struct EntitySpec {
    Entity entity;
    std::string_view table;
    std::string_view parent_column;  // "" for projects
    Entity parent;                   // meaningful only when parent_column is set
    bool has_owner;
    bool has_phases;
    bool has_checklist;
};

const EntitySpec& spec_of(Entity entity);

}  // namespace livesync::store
