// This file defines recv(), so it is built without _FORTIFY_SOURCE's inline wrapper of it.
#undef _FORTIFY_SOURCE
#include "recv_tap.hpp"

#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>

namespace livesync::wsd {
namespace {

// The one tap of the process, set by the Daemon's RecvTap for its lifetime; the interposer has
// no other way to find it.
RecvTap* g_tap = nullptr;

}  // namespace

RecvTap::RecvTap(FrameGuard::Limits limits, std::uint32_t (*now_second)(), OnError on_error,
                 void* context)
    : limits_(limits), now_second_(now_second), on_error_(on_error), context_(context) {
    g_tap = this;
}

RecvTap::~RecvTap() {
    if (g_tap == this) g_tap = nullptr;
}

void RecvTap::watch(int fd, Session* s) {
    watched_.insert_or_assign(fd, Watched{s, FrameGuard{}});
}

void RecvTap::forget(int fd) {
    watched_.erase(fd);
}

ssize_t RecvTap::filter(int fd, unsigned char* buf, ssize_t got) {
    if (!g_tap || g_tap->watched_.empty()) return got;
    auto it = g_tap->watched_.find(fd);
    return it == g_tap->watched_.end() ? got : g_tap->check(it->second, buf, got);
}

ssize_t RecvTap::check(Watched& w, unsigned char* buf, ssize_t got) {
    bool failed = w.guard.error() != FrameError::none;
    std::size_t ok =
        failed ? 0 : w.guard.feed(buf, static_cast<std::size_t>(got), now_second_(), limits_);
    if (!failed && w.guard.error() != FrameError::none)
        on_error_(context_, w.session, w.guard.error());
    if (ok == 0) {
        errno = EAGAIN;
        return -1;
    }
    return static_cast<ssize_t>(ok);
}

}  // namespace livesync::wsd

// Interposes on libwebsockets' recv() (see recv_tap.hpp); every other caller (libpq) passes
// straight through.
extern "C" ssize_t recv(int fd, void* buf, std::size_t n, int flags) {
    using Recv = ssize_t (*)(int, void*, std::size_t, int);
    static const auto next = reinterpret_cast<Recv>(::dlsym(RTLD_NEXT, "recv"));
    ssize_t got = next(fd, buf, n, flags);
    if (got <= 0 || (flags & MSG_PEEK)) return got;
    return livesync::wsd::RecvTap::filter(fd, static_cast<unsigned char*>(buf), got);
}
