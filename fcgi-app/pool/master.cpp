#include "master.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>

#include "fd.hpp"

namespace livesync::pool {
namespace {

using Clock = std::chrono::steady_clock;

struct WorkerState {
    Clock::time_point started;
    bool retiring = false;  // told to stop (SIGHUP rollover or shutdown): not replaced
};

class Master {
  public:
    Master(int workers, int listen_fd, std::string exe, std::vector<std::string> args)
        : target_(workers), listen_fd_(listen_fd), exe_(std::move(exe)), args_(std::move(args)) {}

    int run();

  private:
    void spawn();
    void reap();
    void roll_over();
    void stop_all();
    int poll_timeout_ms() const;

    int target_;
    int listen_fd_;
    std::string exe_;
    std::vector<std::string> args_;
    std::map<pid_t, WorkerState> workers_;
    Clock::time_point respawn_not_before_{};
    bool stopping_ = false;
};

void Master::spawn() {
    pid_t pid = ::fork();
    if (pid < 0) {
        std::fprintf(stderr, "livesync-fcgi: fork: %s\n", std::strerror(errno));
        respawn_not_before_ = Clock::now() + std::chrono::seconds(1);
        return;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        // A worker must not outlive a master that was killed outright.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (listen_fd_ != 3) {
            ::dup2(listen_fd_, 3);
        } else {
            int flags = fcntl(3, F_GETFD);
            fcntl(3, F_SETFD, flags & ~FD_CLOEXEC);
        }
        ::setenv("LIVESYNC_WORKER_FD", "3", 1);
        std::vector<char*> argv;
        for (std::string& a : args_) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(exe_.c_str(), argv.data());
        std::fprintf(stderr, "livesync-fcgi: execv %s: %s\n", exe_.c_str(), std::strerror(errno));
        _exit(127);
    }
    workers_[pid] = {Clock::now(), false};
}

void Master::reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = workers_.find(pid);
        if (it == workers_.end()) continue;
        bool expected = it->second.retiring || stopping_;
        if (!expected) {
            if (WIFSIGNALED(status))
                std::fprintf(stderr, "livesync-fcgi: worker %d killed by signal %d; replacing it\n",
                             pid, WTERMSIG(status));
            else
                std::fprintf(stderr, "livesync-fcgi: worker %d exited with %d; replacing it\n", pid,
                             WEXITSTATUS(status));
            if (Clock::now() - it->second.started < std::chrono::seconds(1))
                respawn_not_before_ = Clock::now() + std::chrono::seconds(1);
        }
        workers_.erase(it);
    }
}

void Master::roll_over() {
    std::vector<pid_t> old;
    for (auto& [pid, state] : workers_)
        if (!state.retiring) old.push_back(pid);
    for (int i = 0; i < target_; ++i) spawn();
    for (pid_t pid : old) {
        workers_[pid].retiring = true;
        ::kill(pid, SIGTERM);
    }
}

void Master::stop_all() {
    for (auto& [pid, state] : workers_) {
        state.retiring = true;
        ::kill(pid, SIGTERM);
    }
}

int Master::poll_timeout_ms() const {
    auto wait = respawn_not_before_ - Clock::now();
    return static_cast<int>(
        std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) + 1);
}

int Master::run() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    Fd signals(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!signals) {
        std::fprintf(stderr, "livesync-fcgi: signalfd: %s\n", std::strerror(errno));
        return 1;
    }

    Clock::time_point kill_deadline{};
    for (;;) {
        int live = 0;
        for (auto& [pid, state] : workers_) live += state.retiring ? 0 : 1;
        if (!stopping_ && live < target_ && Clock::now() >= respawn_not_before_)
            for (int i = live; i < target_; ++i) spawn();
        if (stopping_ && workers_.empty()) return 0;
        if (stopping_ && Clock::now() >= kill_deadline)
            for (auto& [pid, state] : workers_) ::kill(pid, SIGKILL);

        pollfd p{signals.get(), POLLIN, 0};
        bool waiting_to_respawn = !stopping_ && live < target_;
        int timeout = stopping_ ? 100 : waiting_to_respawn ? poll_timeout_ms() : -1;
        if (::poll(&p, 1, timeout) <= 0) continue;
        signalfd_siginfo info{};
        if (::read(signals.get(), &info, sizeof(info)) != sizeof(info)) continue;
        switch (info.ssi_signo) {
            case SIGCHLD:
                reap();
                break;
            case SIGHUP:
                std::fprintf(stderr, "livesync-fcgi: SIGHUP: replacing workers\n");
                roll_over();
                break;
            default:
                if (!stopping_) {
                    stopping_ = true;
                    kill_deadline = Clock::now() + std::chrono::seconds(30);
                    ::close(listen_fd_);
                    stop_all();
                }
        }
    }
}

}  // namespace

int run_master(const Config& config, int listen_fd, const std::string& exe,
               const std::vector<std::string>& args) {
    int workers = config.workers > 0
                      ? config.workers
                      : static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    return Master(workers, listen_fd, exe, args).run();
}

}  // namespace livesync::pool
