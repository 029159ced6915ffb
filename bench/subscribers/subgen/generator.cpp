#include "generator.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "clock.hpp"

namespace livesync::subgen {
namespace {

constexpr double kConnectTimeoutMs = 30000;
constexpr int kMaxEvents = 256;

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void epoll_set(int epfd, int op, int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, op, fd, &ev) != 0) throw_errno("epoll_ctl");
}

}  // namespace

Generator::Generator(Target target)
    : target_(std::move(target)),
      ctx_(make_client_context()),
      epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw_errno("epoll_create1");
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags < 0 || fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK) != 0) throw_errno("fcntl");
    epoll_set(epoll_.get(), EPOLL_CTL_ADD, STDIN_FILENO, EPOLLIN);
}

void Generator::run() {
    epoll_event events[kMaxEvents];
    for (;;) {
        int n = epoll_wait(epoll_.get(), events, kMaxEvents, wait_timeout_ms(now_ms()));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == STDIN_FILENO) {
                if (!read_stdin()) {
                    for (auto& sub : by_fd_)
                        if (sub) sub->say_goodbye();
                    return;  // the subscribers close with by_fd_
                }
            } else {
                on_socket(fd);
            }
        }
        expire(now_ms());
        pump();
        next_command();
        if (target_.batch_us > 0 && n < kMaxEvents && pending_.empty()) pause_for_batch();
    }
}

bool Generator::read_stdin() {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) {
            stdin_buf_.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return false;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno != EINTR) throw_errno("read stdin");
    }
}

void Generator::next_command() {
    // One command at a time, as client.js: the driver waits for each answer anyway.
    while (!opening_) {
        std::size_t eol = stdin_buf_.find('\n');
        if (eol == std::string::npos) return;
        std::string line = stdin_buf_.substr(0, eol);
        stdin_buf_.erase(0, eol + 1);
        auto cmd = nlohmann::json::parse(line, nullptr, false);
        if (!cmd.is_object()) continue;
        std::string name = cmd.value("cmd", "");
        if (name == "open") {
            opening_ = std::make_unique<Opening>();
            opening_->remaining = cmd.value("count", 0L);
            opening_->parallel = std::max(1L, cmd.value("parallel", 1L));
            opening_->t0_ms = now_ms();
            pump();
        } else if (name == "dump") {
            reply({{"arrivals", arrivals_.take()}, {"open", open_}});
        }
    }
}

void Generator::pump() {
    if (!opening_) return;
    while (opening_->remaining > 0 && static_cast<long>(pending_.size()) < opening_->parallel) {
        --opening_->remaining;
        start_one();
    }
    if (opening_->remaining == 0 && pending_.empty()) {
        nlohmann::json errors = nlohmann::json::object();
        for (auto& [why, count] : opening_->errors) errors[why] = count;
        reply({{"open", open_},
               {"failed", opening_->failed},
               {"errors", errors},
               {"ms", std::lround(now_ms() - opening_->t0_ms)}});
        opening_.reset();
    }
}

void Generator::start_one() {
    auto sub = std::make_unique<Subscriber>(target_, now_ms() + kConnectTimeoutMs);
    if (auto err = sub->start()) {
        ++opening_->failed;
        ++opening_->errors[*err];
        return;
    }
    int fd = sub->fd();
    epoll_set(epoll_.get(), EPOLL_CTL_ADD, fd, sub->interest());
    if (by_fd_.size() <= static_cast<std::size_t>(fd)) by_fd_.resize(fd + 1);
    by_fd_[fd] = std::move(sub);
    pending_.push_back(fd);
}

void Generator::on_socket(int fd) {
    if (static_cast<std::size_t>(fd) >= by_fd_.size() || !by_fd_[fd]) return;
    Subscriber& sub = *by_fd_[fd];
    bool was_ready = sub.ready();
    std::uint32_t before = sub.interest();
    if (!sub.on_event(ctx_.get(), arrivals_)) {
        drop(fd, !was_ready, sub.error());
        return;
    }
    if (!was_ready && sub.ready()) {
        ++open_;
        std::erase(pending_, fd);
    }
    if (sub.interest() != before) epoll_set(epoll_.get(), EPOLL_CTL_MOD, fd, sub.interest());
}

void Generator::drop(int fd, bool count_failure, const std::string& why) {
    if (count_failure) {
        std::erase(pending_, fd);
        // A failure outside an open command (none are pending then) has nobody to report to.
        if (opening_) {
            ++opening_->failed;
            ++opening_->errors[why];
        }
    } else {
        --open_;
    }
    // Closing the fd removes it from the epoll set.
    by_fd_[fd].reset();
}

void Generator::expire(double now) {
    std::vector<int> late;
    for (int fd : pending_)
        if (by_fd_[fd]->deadline_ms() <= now) late.push_back(fd);
    for (int fd : late) drop(fd, true, "connect timeout");
}

void Generator::pause_for_batch() const {
    timespec pause{0, static_cast<long>(target_.batch_us) * 1000};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
}

int Generator::wait_timeout_ms(double now) const {
    if (pending_.empty()) return -1;
    double first = by_fd_[pending_.front()]->deadline_ms();
    for (int fd : pending_) first = std::min(first, by_fd_[fd]->deadline_ms());
    return static_cast<int>(std::clamp(std::ceil(first - now), 0.0, kConnectTimeoutMs));
}

void Generator::reply(const nlohmann::json& answer) {
    std::string line = answer.dump() + "\n";
    std::size_t done = 0;
    // stdout stays blocking: the driver reads every answer, and nothing else can happen until
    // it has this one.
    while (done < line.size()) {
        ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write stdout");
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace livesync::subgen
