#include "connection_waiter.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace livesync::pool {
namespace {

// How long a peer may take to send each piece of a request, or to take each piece of the
// answer, before its connection is dropped. nginx sends a request's records at once and buffers
// answers, so only a stalled or hostile peer ever waits this long.
constexpr time_t kPeerTimeoutS = 30;

// While draining, how often the waiting thread looks whether the last kept connection is gone
// (another thread may have closed it while this one waited).
constexpr int kDrainPollMs = 100;

void add(int epoll_fd, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

// Drops this process's hold on the listening socket (the master and new workers keep theirs):
// once a crashed master's workers have all let go, connecting is refused, so nginx fails fast and
// a pool started meanwhile can take the path instead of finding it served through the drain. The
// fd number stays taken, by /dev/null, so that a sibling thread's accept racing this fails with
// ENOTSOCK instead of reaching a file that reused the number.
void let_go_of(int listen_fd) {
    Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (null) ::dup3(null.get(), listen_fd, O_CLOEXEC);
}

}  // namespace

ConnectionWaiter::ConnectionWaiter(int listen_fd, int signal_fd)
    : listen_fd_(listen_fd), signal_fd_(signal_fd), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    // Level-triggered: nobody reads the signalfd, so a stop stays visible; a connection left in
    // the listening socket's queue (a sibling worker was faster) is simply waited for again.
    add(epoll_.get(), signal_fd_, EPOLLIN);
    add(epoll_.get(), listen_fd_, EPOLLIN);
}

std::optional<ConnectionWaiter::Next> ConnectionWaiter::next() {
    // Under a burst a thread done with a request takes the next connection that is ready at
    // once, instead of queueing behind the waiting thread (a hand-off and a wake-up each).
    if (std::optional<Next> ready = take(0)) return ready;
    std::lock_guard lock(waiting_);
    for (;;) {
        int timeout_ms = -1;
        {
            std::lock_guard state(state_);
            if (stopping_) {
                if (kept_ == 0 || std::chrono::steady_clock::now() >= drain_until_)
                    return std::nullopt;
                timeout_ms = kDrainPollMs;
            }
        }
        if (std::optional<Next> ready = take(timeout_ms)) return ready;
    }
}

std::optional<ConnectionWaiter::Next> ConnectionWaiter::take(int timeout_ms) {
    epoll_event ev{};
    if (::epoll_wait(epoll_.get(), &ev, 1, timeout_ms) != 1) return std::nullopt;
    if (ev.data.fd == signal_fd_) {
        // Seen by one thread or, level-triggered, by two at once: either way the same state.
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, signal_fd_, nullptr);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_fd_, nullptr);
        std::lock_guard state(state_);
        if (!stopping_) {
            drain_until_ = std::chrono::steady_clock::now() + kDrain;
            let_go_of(listen_fd_);
        }
        stopping_ = true;
        return std::nullopt;
    }
    if (ev.data.fd != listen_fd_) return Next{ev.data.fd, false};
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR ||
            errno == ENOTSOCK)  // let go of at a stop (let_go_of)
            return std::nullopt;
        return Next{-errno, true};
    }
    timeval timeout{kPeerTimeoutS, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return Next{fd, true};
}

void ConnectionWaiter::keep(int fd, bool fresh) {
    // One-shot: the next request (or nginx's close) wakes one thread, and the connection stays
    // out of the set until that thread hands it back.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) != 0) {
        ::close(fd);
        closed(fresh);
        return;
    }
    if (fresh) {
        std::lock_guard state(state_);
        ++kept_;
    }
}

void ConnectionWaiter::closed(bool fresh) {
    if (fresh) return;  // never counted
    std::lock_guard state(state_);
    --kept_;
}

}  // namespace livesync::pool
