#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "fd.hpp"

namespace livesync::pool {

// What a worker's request threads wait on, in one epoll set: the stop signal, the listening
// socket, and each connection nginx keeps open (fastcgi_keep_conn with an upstream keepalive)
// between two of its requests. A thread takes the next connection that has something to read,
// serves one request on it and then either keeps it (back into the set) or closes it, so an idle
// kept connection never ties up a thread.
//
// On a stop the worker accepts nothing more but keeps answering on its kept connections until
// nginx has closed them all (its upstream keepalive_timeout and keepalive_time) or kDrain has
// passed: closing a kept connection from this side could race a request nginx is sending on it,
// which nginx (fastcgi_next_upstream off) would answer with a 502.
class ConnectionWaiter {
  public:
    // Upper bound of a stop's drain; inside the master's 30 s before SIGKILL.
    static constexpr std::chrono::seconds kDrain{20};

    // `listen_fd` must be non-blocking. Throws when epoll cannot be set up.
    ConnectionWaiter(int listen_fd, int signal_fd);

    struct Next {
        int fd;      // a connection to serve, or -errno of a failed accept
        bool fresh;  // just accepted (not yet in the set)
    };
    // Blocks until a connection has something to read; nullopt once the worker should end.
    std::optional<Next> next();
    // After a request: hands the connection back to the set to wait for its next request.
    void keep(int fd, bool fresh);
    // After a request on a kept connection that is now closed (by libfcgi or by us).
    void closed(bool fresh);

  private:
    // One epoll_wait for one event: a connection to serve, or nullopt (nothing within the
    // timeout, a stop noted, a connection a sibling took first).
    std::optional<Next> take(int timeout_ms);

    int listen_fd_;
    int signal_fd_;
    Fd epoll_;
    std::mutex waiting_;  // one thread at a time blocks in epoll_wait: no herd on each event
    std::mutex state_;
    int kept_ = 0;  // connections in the set (idle or being served)
    bool stopping_ = false;
    std::chrono::steady_clock::time_point drain_until_;
};

}  // namespace livesync::pool
