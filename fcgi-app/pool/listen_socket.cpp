#include "listen_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace livesync::pool {
namespace {

[[noreturn]] void fail(const std::string& call, const std::string& path) {
    int saved = errno;
    throw std::runtime_error(call + " " + path + ": " + std::strerror(saved));
}

// How long a new pool waits for a crashed one's workers to let go of the socket: 2 s.
constexpr int kHandOverTries = 40;
constexpr useconds_t kHandOverPauseUs = 50'000;

bool systemd_passed_one_socket() {
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    return pid && fds && std::atol(pid) == static_cast<long>(::getpid()) && std::atoi(fds) == 1;
}

}  // namespace

ListenSocket open_listen_socket(const std::string& path) {
    if (systemd_passed_one_socket()) {
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_FDNAMES");
        return {Fd(3), ""};
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        throw std::runtime_error("fcgi_socket path is empty or longer than " +
                                 std::to_string(sizeof(addr.sun_path) - 1) + " bytes: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) fail("socket", path);
    // A socket file left by a crashed pool would make bind fail; nobody can be serving on it
    // if connecting is refused. The workers of a pool whose master was just killed let go of
    // it as soon as they notice (connection_waiter.cpp), so a pool restarted at once gives them
    // a moment before taking the answer for another pool's.
    for (int tries = 0;; ++tries) {
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!probe) fail("socket", path);
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) break;
        if (tries == kHandOverTries)
            throw std::runtime_error("another process is already serving on " + path);
        ::usleep(kHandOverPauseUs);
    }
    ::unlink(path.c_str());
    mode_t old_mask = ::umask(0117);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::umask(old_mask);
    if (rc != 0) fail("bind", path);
    if (::listen(fd.get(), 1024) != 0) fail("listen", path);
    return {std::move(fd), path};
}

}  // namespace livesync::pool
