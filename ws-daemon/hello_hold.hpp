// When a new subscriber's `hello` may go out, in PostgreSQL mode (SPEC §4, issue #17): it must
// show the database as of the connect — another host may already have told this tab about later
// revisions, and a `hello` older than those looks like a restore to it — and it must not show
// more than this host has announced, or a later `beat` (which shows what is announced) would go
// back. So the hello waits for (1) a revision read that started after the connect, and (2)
// everything that read showed to be announced: the attribution gate may hold a read for a grace
// period and the coalescer an entity's change until its window ends, so (2) comes within one
// coalescing window (or one safety tick when a notification was lost). A failed read releases
// every held hello at once (with what is announced: nothing better will come soon).
//
// The daemon numbers reads as its source does (signal_source.hpp) and reports: a read whose
// changes passed the gate (on_read_announced, with the entities the coalescer still holds), and
// trailing events (on_trailing). Held sessions wait in connect order, which is also read order,
// so each release looks only at the front. Pure logic on the loop thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>

#include "change.hpp"
#include "session.hpp"

namespace livesync::wsd {

class HelloHold {
  public:
    // `s` waits for read number `seq` (the one its source will answer next).
    void hold(Session* s, std::uint64_t seq);
    // `s` closed: forgets it (a linear search, but sessions are held for a round trip or so).
    void forget(Session* s);
    static bool held(const Session* s) { return s->held; }
    std::size_t count() const { return waiting_.size(); }

    // Read `seq` passed the gate and was handed to the coalescer, which still holds the entities
    // `holding` (1 << entity_index); the others are announced as of this read.
    void on_read_announced(std::uint64_t seq, std::uint8_t holding);
    // The coalescer's trailing events for the entities `bits` went out: they are announced as of
    // the last read.
    void on_trailing(std::uint8_t bits);

    // Calls f(Session*) for, and forgets, each session whose read is announced in full.
    template <class F>
    void release(F f) {
        auto through = static_cast<std::uint32_t>(announced_through());
        // Serial-number order: read numbers wrap in a session's 32 bits.
        while (!waiting_.empty() &&
               static_cast<std::int32_t>(through - waiting_.front()->hello_read) >= 0)
            f(pop());
    }
    // Calls f(Session*) for, and forgets, every held session.
    template <class F>
    void release_all(F f) {
        while (!waiting_.empty()) f(pop());
    }

  private:
    std::uint64_t announced_through() const;
    Session* pop();

    std::uint64_t last_read_ = 0;                             // the last read that passed the gate
    std::array<std::uint64_t, kTableEntityCount> through_{};  // per entity: announced as of read
    std::deque<Session*> waiting_;
};

}  // namespace livesync::wsd
