// Paces a fan-out through nginx. nginx relays the daemon's frames to subscribers and serves its
// ready connections in order, so writing one frame to all N subscribers at once puts every API
// request that arrives meanwhile (the tabs' own refetches of that very change) behind N relays.
// A wave instead writes the subscribers one heartbeat slot at a time and keeps about two slots
// that nginx has not read yet: before writing the next slot it checks that the last socket of
// the slot before the previous one has been drained (SIOCOUTQ == 0), and if not it waits on a
// timerfd for a few short intervals. nginx stays busy the whole time, but a request that arrives
// mid-wave waits for at most two slots of relays, not all of them. A wait is bounded, so a peer
// that stops reading slows a wave by at most kMaxChecks intervals and never blocks it.
//
// Over a TCP listener (wsd_port) the kernel acknowledges bytes when they arrive, not when nginx
// reads them, so nothing ever looks unread and a wave degrades to writing every slot at once.
// Single-threaded (the daemon's loop); no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace livesync::wsd {

class FanoutWave {
  public:
    static constexpr int kMaxChecks = 10;
    static constexpr long kCheckIntervalNs = 200 * 1000;

    // Writes what is due to the sessions of one slot; returns the descriptor of the last socket
    // it wrote to, or -1 if it wrote nothing.
    using WriteSlot = std::function<int(std::size_t slot)>;

    // `timer_fd` is a non-blocking CLOCK_MONOTONIC timerfd that the caller owns and watches: it
    // calls on_timer() whenever it is readable.
    FanoutWave(std::size_t slots, int timer_fd, WriteSlot write_slot);

    // Starts a wave, or extends the running one: every slot is visited once more from the
    // current one, so sessions already passed get what was announced since.
    void start();
    void on_timer();
    // The socket is about to close: it no longer stands for anything unread.
    void forget(int fd);

    bool running() const { return left_ > 0; }
    std::uint64_t waits() const { return waits_; }        // times a wave paused for nginx
    std::uint64_t timeouts() const { return timeouts_; }  // pauses that gave up waiting

  private:
    void run();
    void arm_timer();
    bool unread(int fd) const;

    std::size_t slots_;
    int timer_fd_;
    WriteSlot write_slot_;
    std::size_t cursor_ = 0;  // next slot to write
    std::size_t left_ = 0;    // slots still to write in this wave
    int behind_ = -1;         // last socket of the slot before the last one written
    int last_ = -1;           // last socket of the last slot written
    bool waiting_ = false;    // the timer is armed
    int checks_ = 0;
    std::uint64_t waits_ = 0;
    std::uint64_t timeouts_ = 0;
};

}  // namespace livesync::wsd
