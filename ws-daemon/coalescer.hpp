// Coalescing per entity (SPEC §4): the first change of an entity goes out at once (leading edge)
// and opens a window; further changes within the window are merged into one trailing event at the
// window's end, which opens the next window. So per entity at most one leading and one trailing
// event per window, whatever the write rate, and a steady stream cannot starve the trailing event.
// Changes to all three entities at once (a cascading delete) stay together: while any of their
// windows is open, all three wait for the latest open window to end, so subscribers get one `all`.
//
// Pure logic: time is passed in (milliseconds on any monotonic clock); the daemon arms one timer
// for next_deadline(). Not thread-safe; the daemon's loop thread owns it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "change.hpp"

namespace livesync::wsd {

class Coalescer {
  public:
    explicit Coalescer(std::int64_t window_ms) : window_ms_(window_ms) {}

    // Takes the changes seen at `now`; returns the ones to announce immediately.
    std::vector<Change> on_changes(std::span<const Change> changes, std::int64_t now);
    // Closes every window that has ended by `now`; returns the trailing events due.
    std::vector<Change> on_timer(std::int64_t now);
    // When on_timer must next run, or nullopt when no window is open.
    std::optional<std::int64_t> next_deadline() const;
    // The entities (1 << entity_index) with a trailing event still held.
    std::uint8_t holding() const;
    // Changes merged into a trailing event instead of being sent on their own.
    std::uint64_t coalesced() const { return coalesced_; }

  private:
    std::optional<std::int64_t> latest_open_window_end() const;

    struct Slot {
        bool open = false;
        std::int64_t window_end = 0;
        bool pending = false;
        std::int64_t rev = 0;
        OriginMerge origin;
    };
    // Merges a change into its open window's trailing event.
    void hold(Slot& slot, const Change& change);

    std::int64_t window_ms_;
    std::array<Slot, kTableEntityCount> slots_{};
    std::uint64_t coalesced_ = 0;
};

}  // namespace livesync::wsd
