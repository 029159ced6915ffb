// The subscriber list, cut into heartbeat slots. Every linked session is in exactly one of kSlots
// lists, assigned round robin as it links, and each heartbeat tick visits one list, so a period's
// pings (and the pongs they bring back) go out a slice at a time instead of as one wave over every
// connection that a fan-out could collide with. Each session is visited once per period, at the
// same point of it, so "no frame written since its last visit" always means a whole period.
// Single-threaded (the daemon's loop); no allocation, and the sessions keep their one list link.
#pragma once

#include <libwebsockets.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "session.hpp"

namespace livesync::wsd {

class SessionSlots {
  public:
    static constexpr std::size_t kSlots = 50;

    void add(Session* s);
    void remove(Session* s);
    std::uint32_t count() const;

    // Calls f(Session*) for every session. f may unlink the session it is given.
    template <class F>
    void for_each(F f) {
        for (auto& owner : slots_) visit(owner, f);
    }
    // Calls f(Session*) for the sessions of one slot (0 ≤ slot < kSlots).
    template <class F>
    void for_each_in(std::size_t slot, F f) {
        visit(slots_[slot], f);
    }
    // Calls f(Session*) for the sessions of the slot whose turn it is, then moves to the next
    // slot: kSlots calls visit every session once.
    template <class F>
    void for_each_due(F f) {
        visit(slots_[due_], f);
        due_ = (due_ + 1) % kSlots;
    }

  private:
    template <class F>
    static void visit(lws_dll2_owner_t& owner, F& f) {
        lws_start_foreach_dll_safe(lws_dll2*, d, next, owner.head) {
            f(lws_container_of(d, Session, link));
        }
        lws_end_foreach_dll_safe(d, next);
    }

    std::array<lws_dll2_owner_t, kSlots> slots_{};
    std::size_t next_ = 0;  // slot for the next session to link
    std::size_t due_ = 0;   // slot for the next heartbeat tick
};

}  // namespace livesync::wsd
