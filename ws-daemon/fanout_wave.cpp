#include "fanout_wave.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <utility>

namespace livesync::wsd {

FanoutWave::FanoutWave(std::size_t slots, int timer_fd, WriteSlot write_slot)
    : slots_(slots), timer_fd_(timer_fd), write_slot_(std::move(write_slot)) {}

void FanoutWave::start() {
    left_ = slots_;
    if (!waiting_) run();
}

void FanoutWave::on_timer() {
    std::uint64_t expirations;
    (void)!::read(timer_fd_, &expirations, sizeof expirations);
    if (!waiting_) return;
    waiting_ = false;
    if (unread(behind_)) {
        if (++checks_ < kMaxChecks) {
            arm_timer();
            return;
        }
        ++timeouts_;
        behind_ = -1;
    }
    run();
}

void FanoutWave::forget(int fd) {
    if (fd < 0) return;
    if (behind_ == fd) behind_ = -1;
    if (last_ == fd) last_ = -1;
}

void FanoutWave::run() {
    while (left_ > 0) {
        if (unread(behind_)) {
            ++waits_;
            checks_ = 0;
            arm_timer();
            return;
        }
        int fd = write_slot_(cursor_);
        cursor_ = (cursor_ + 1) % slots_;
        --left_;
        if (fd >= 0) {
            behind_ = last_;
            last_ = fd;
        }
    }
    // A new wave starts at once: what nginx still holds from this one is at most two slots.
    behind_ = last_ = -1;
}

void FanoutWave::arm_timer() {
    itimerspec t{};
    t.it_value.tv_nsec = kCheckIntervalNs;
    ::timerfd_settime(timer_fd_, 0, &t, nullptr);
    waiting_ = true;
}

bool FanoutWave::unread(int fd) const {
    if (fd < 0) return false;
    int bytes = 0;
    return ::ioctl(fd, SIOCOUTQ, &bytes) == 0 && bytes > 0;
}

}  // namespace livesync::wsd
