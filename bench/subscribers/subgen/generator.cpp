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
// With a fetch mode a subscriber is ready once its list is loaded: a whole list is megabytes.
constexpr double kLoadTimeoutMs = 120000;
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
            nlohmann::json answer = {{"arrivals", arrivals_.take()}, {"open", open_}};
            if (target_.fetch != FetchMode::none) dump_fetches(answer);
            reply(answer);
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

void Generator::dump_fetches(nlohmann::json& answer) {
    nlohmann::json held = nlohmann::json::array();
    for (auto& sub : by_fd_)
        if (sub && sub->ready()) held.push_back(sub->fetcher()->take_history());
    const FetchStats& s = fetch_stats_;
    nlohmann::json by_status = nlohmann::json::object(), errors = nlohmann::json::object();
    for (auto& [status, n] : s.by_status) by_status[std::to_string(status)] = n;
    for (auto& [why, n] : s.errors) errors[why] = n;
    answer["held"] = std::move(held);
    answer["fetch"] = {{"responses", s.responses},
                       {"wire_bytes", s.wire_bytes},
                       {"head_bytes", s.head_bytes},
                       {"decoded_bytes", s.decoded_bytes},
                       {"resets", s.resets},
                       {"reconnects", s.reconnects},
                       {"status", std::move(by_status)},
                       {"errors", std::move(errors)}};
    fetch_stats_ = FetchStats{};
}

void Generator::start_one() {
    double timeout = target_.fetch == FetchMode::none ? kConnectTimeoutMs : kLoadTimeoutMs;
    auto sub = std::make_unique<Subscriber>(target_, now_ms() + timeout,
                                            "tab-subgen-" + std::to_string(++next_client_));
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
    bool is_fetch = static_cast<std::size_t>(fd) < fetch_owner_.size() && fetch_owner_[fd] >= 0;
    int owner = is_fetch ? fetch_owner_[fd] : fd;
    if (static_cast<std::size_t>(owner) >= by_fd_.size() || !by_fd_[owner]) return;
    Subscriber& sub = *by_fd_[owner];
    bool was_ready = sub.ready();
    std::uint32_t before = sub.interest();
    bool alive = is_fetch ? sub.on_fetch_event(ctx_.get(), fetch_stats_)
                          : sub.on_event(ctx_.get(), arrivals_, fetch_stats_);
    if (!alive) {
        drop(owner, !was_ready, sub.error());
        return;
    }
    if (!was_ready && sub.ready()) {
        ++open_;
        std::erase(pending_, owner);
    }
    if (sub.interest() != before) epoll_set(epoll_.get(), EPOLL_CTL_MOD, owner, sub.interest());
    if (sub.fetcher()) sync_fetch(owner);
}

void Generator::sync_fetch(int fd) {
    Fetcher& fetcher = *by_fd_[fd]->fetcher();
    if (fetch_reg_.size() <= static_cast<std::size_t>(fd)) fetch_reg_.resize(fd + 1);
    FetchRegistration& reg = fetch_reg_[fd];
    int now_fd = fetcher.fd();
    if (now_fd != reg.fd || fetcher.generation() != reg.generation) {
        // The old socket is closed, which took it out of the epoll set.
        if (reg.fd >= 0) fetch_owner_[reg.fd] = -1;
        reg = {now_fd, fetcher.generation(), 0};
        if (now_fd < 0) return;
        reg.events = fetcher.interest();
        epoll_set(epoll_.get(), EPOLL_CTL_ADD, now_fd, reg.events);
        if (fetch_owner_.size() <= static_cast<std::size_t>(now_fd))
            fetch_owner_.resize(now_fd + 1, -1);
        fetch_owner_[now_fd] = fd;
    } else if (now_fd >= 0 && fetcher.interest() != reg.events) {
        reg.events = fetcher.interest();
        epoll_set(epoll_.get(), EPOLL_CTL_MOD, now_fd, reg.events);
    }
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
    if (static_cast<std::size_t>(fd) < fetch_reg_.size()) {
        if (fetch_reg_[fd].fd >= 0) fetch_owner_[fetch_reg_[fd].fd] = -1;
        fetch_reg_[fd] = {};
    }
    // Closing the fds removes them from the epoll set.
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
