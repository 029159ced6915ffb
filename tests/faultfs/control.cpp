#include "control.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace faultfs {

Control::Control(const std::string& socket_path, State& state, fuse* fs, std::string mountpoint)
    : state_(state), fs_(fs), mountpoint_(std::move(mountpoint)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        throw std::system_error(ENAMETOOLONG, std::generic_category(), socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    listener_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener_) throw std::system_error(errno, std::generic_category(), "socket");
    ::unlink(socket_path.c_str());
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        throw std::system_error(errno, std::generic_category(), "bind " + socket_path);
    if (::listen(listener_.get(), 8) < 0)
        throw std::system_error(errno, std::generic_category(), "listen " + socket_path);
    thread_ = std::thread([this] { serve(); });
}

Control::~Control() {
    // Wakes the accept() of serve(), which then returns.
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
}

void Control::serve() {
    // Signals (SIGTERM: unmount and exit) belong to the FUSE loop's thread.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        Fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;
        }
        std::string line;
        char c;
        while (::read(conn.get(), &c, 1) == 1 && c != '\n') line += c;
        std::string answer = command(line);
        for (size_t sent = 0; sent < answer.size();) {
            ssize_t n = ::write(conn.get(), answer.data() + sent, answer.size() - sent);
            if (n <= 0) break;
            sent += static_cast<size_t>(n);
        }
    }
}

std::string Control::command(const std::string& line) {
    std::lock_guard lock(state_.mutex);
    Volume& volume = state_.volume;
    if (line == "mode normal") {
        volume.set_mode(SyncMode::normal);
    } else if (line == "mode eio") {
        volume.set_mode(SyncMode::eio);
    } else if (line == "mode lie") {
        volume.set_mode(SyncMode::lie);
    } else if (line == "stats") {
        return volume.stats();
    } else if (line == "reset-stats") {
        volume.reset_stats();
    } else if (line == "cut") {
        volume.cut_power();
        fuse_exit(fs_);
        // Lazily: whatever still holds a file open gets EIO, like a machine without power.
        if (::umount2(mountpoint_.c_str(), MNT_DETACH) < 0)
            return std::string("error: umount ") + std::strerror(errno) + "\n";
    } else {
        return "error: unknown command '" + line + "'\n";
    }
    return "ok\n";
}

}  // namespace faultfs
