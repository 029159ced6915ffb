// Move-only owner of a libev loop (epoll backend), handed to libwebsockets as a "foreign" loop.
// lws's default poll() loop costs O(connections) in the kernel on every wake-up; with epoll a
// wake-up costs O(ready descriptors), which is what a fan-out to thousands of idle subscribers
// needs. The loop must outlive the lws context that runs on it (see Daemon's member order).
#pragma once

#include <ev.h>

#include <utility>

namespace livesync::wsd {

class EvLoop {
  public:
    using Handle = struct ev_loop;  // `struct`: libev also has a function named ev_loop

    EvLoop() = default;
    // ev_loop_new(EVBACKEND_EPOLL); get() is null if the kernel offers no epoll.
    static EvLoop epoll() {
        return EvLoop(ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | EVFLAG_NOENV));
    }
    EvLoop(EvLoop&& other) noexcept : loop_(std::exchange(other.loop_, nullptr)) {}
    EvLoop& operator=(EvLoop&& other) noexcept {
        if (this != &other) {
            reset();
            loop_ = std::exchange(other.loop_, nullptr);
        }
        return *this;
    }
    EvLoop(const EvLoop&) = delete;
    EvLoop& operator=(const EvLoop&) = delete;
    ~EvLoop() { reset(); }

    Handle* get() const { return loop_; }
    explicit operator bool() const { return loop_ != nullptr; }
    void reset() {
        if (loop_) ev_loop_destroy(std::exchange(loop_, nullptr));
    }

  private:
    explicit EvLoop(Handle* loop) : loop_(loop) {}
    Handle* loop_ = nullptr;
};

}  // namespace livesync::wsd
