// What flows from intake to the coalescer: one table entity whose revision moved, and who moved it.
#pragma once

#include <cstdint>
#include <string>

#include "entity.hpp"

namespace livesync::wsd {

struct Change {
    Entity entity = Entity::projects;  // a table entity, never Entity::all
    std::int64_t rev = 0;              // the entity's revision after the change
    std::string origin;                // the one client that caused it, or "" if unknown/mixed
    bool operator==(const Change&) const = default;
};

// Index of a table entity in per-entity arrays (projects 0, solutions 1, subcomponents 2).
constexpr int entity_index(Entity e) {
    return static_cast<int>(e);
}
inline constexpr int kTableEntityCount = 3;

// Merges the client ids of changes folded into one event: an event keeps an origin only while
// every change in it came from the same, known client.
class OriginMerge {
  public:
    void add(const std::string& origin) {
        if (state_ == State::empty && !origin.empty()) {
            state_ = State::one;
            id_ = origin;
        } else if (state_ != State::one || origin != id_) {
            state_ = State::mixed;
            id_.clear();
        }
    }
    // The merged origin: the common client id, or "".
    const std::string& result() const { return id_; }
    void clear() {
        state_ = State::empty;
        id_.clear();
    }

  private:
    enum class State { empty, one, mixed };
    State state_ = State::empty;
    std::string id_;
};

}  // namespace livesync::wsd
