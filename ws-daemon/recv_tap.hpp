// Where the daemon reads what WebSocket subscribers send before libwebsockets does. lws 4.1.6
// parses frames inside its own read path and offers no hook on the raw bytes (README.md, "Client
// frames"), so the daemon's executable defines recv(): the dynamic linker binds libwebsockets'
// calls to it, it calls the next recv() (libc's, or the sanitizer's wrapper of it) and hands what
// arrived on a watched socket to that connection's FrameGuard. lws gets only the bytes before the
// first one that breaks a rule; after that, none (they are read and dropped, so a hostile client
// cannot keep the loop busy), except the end of the connection, so it still sees a hang-up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <unordered_map>

#include "frame_guard.hpp"

namespace livesync::wsd {

struct Session;

class RecvTap {
  public:
    // Told once per connection, from inside lws's read (so it may only mark the session and
    // ask lws for a WRITEABLE callback, where the close frame goes out).
    using OnError = void (*)(void* context, Session* s, FrameError e);

    // Becomes the process's tap (there is one Daemon, so one tap) until destroyed.
    RecvTap(FrameGuard::Limits limits, std::uint32_t (*now_second)(), OnError on_error,
            void* context);
    RecvTap(const RecvTap&) = delete;
    RecvTap& operator=(const RecvTap&) = delete;
    ~RecvTap();

    // Checks the socket's input from now on (an established WebSocket connection) / no longer
    // (it is closing: lws calls CLOSED before it closes the descriptor, so the number is not yet
    // reused).
    void watch(int fd, Session* s);
    void forget(int fd);

    // The recv() interposer's second half: `got` bytes (> 0) just arrived in `buf` on `fd`.
    // Returns what recv() returns to its caller: `got` for a socket not watched, fewer when a
    // rule broke within them, or -1 with errno EAGAIN when nothing is left to give.
    static ssize_t filter(int fd, unsigned char* buf, ssize_t got);

  private:
    struct Watched {
        Session* session;
        FrameGuard guard;
    };
    ssize_t check(Watched& w, unsigned char* buf, ssize_t got);

    FrameGuard::Limits limits_;
    std::uint32_t (*now_second_)();
    OnError on_error_;
    void* context_;
    std::unordered_map<int, Watched> watched_;
};

}  // namespace livesync::wsd
