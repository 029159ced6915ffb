#include <poll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "fanout_wave.hpp"
#include "fd.hpp"

using livesync::Fd;
using livesync::wsd::FanoutWave;

namespace {

constexpr std::size_t kSlots = 5;

// One Unix stream socket pair per slot stands for the daemon's socket to nginx (`ours`) and
// nginx's end (`theirs`): bytes written to ours stay "unread" until theirs is read.
struct Link {
    Fd ours, theirs;
};

struct Rig {
    std::array<Link, kSlots> links;
    std::set<std::size_t> empty_slots;  // slots with no session due
    std::vector<std::size_t> written;   // slot order, as the wave wrote them
    Fd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)};
    FanoutWave wave{kSlots, timer.get(), [this](std::size_t slot) { return write(slot); }};

    Rig() {
        for (Link& l : links) {
            int sv[2];
            REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
            l.ours = Fd(sv[0]);
            l.theirs = Fd(sv[1]);
        }
    }
    int write(std::size_t slot) {
        written.push_back(slot);
        if (empty_slots.count(slot)) return -1;
        REQUIRE(::write(links[slot].ours.get(), "f", 1) == 1);
        return links[slot].ours.get();
    }
    void read_by_nginx(std::size_t slot) {
        char buf[64];
        while (::read(links[slot].theirs.get(), buf, sizeof buf) > 0) {
        }
    }
    void read_all() {
        for (std::size_t s = 0; s < kSlots; ++s) read_by_nginx(s);
    }
    // Waits for the armed timer and hands its expiry to the wave.
    void fire() {
        pollfd p{timer.get(), POLLIN, 0};
        REQUIRE(::poll(&p, 1, 1000) == 1);
        wave.on_timer();
    }
};

}  // namespace

TEST_CASE("a wave writes two slots ahead, then waits until nginx has read the older one") {
    Rig rig;
    rig.wave.start();
    CHECK(rig.written == std::vector<std::size_t>{0, 1});
    CHECK(rig.wave.running());
    CHECK(rig.wave.waits() == 1);

    rig.fire();  // nothing read yet: still waiting
    CHECK(rig.written.size() == 2);

    rig.read_by_nginx(0);
    rig.fire();
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2});  // then waits for slot 1
    rig.read_by_nginx(1);
    rig.read_by_nginx(2);
    rig.fire();
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2, 3, 4});
    CHECK_FALSE(rig.wave.running());
    CHECK(rig.wave.timeouts() == 0);
}

TEST_CASE("a slot nginx never reads holds the wave for kMaxChecks intervals only") {
    Rig rig;
    rig.wave.start();
    int fired = 0;
    while (rig.wave.running()) {
        rig.fire();
        ++fired;
        REQUIRE(fired <= 100);
    }
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2, 3, 4});
    CHECK(rig.wave.waits() == 3);  // before slots 2, 3 and 4
    CHECK(rig.wave.timeouts() == 3);
    CHECK(fired == 3 * FanoutWave::kMaxChecks);
}

TEST_CASE("a wave does not wait for a socket that is closing") {
    Rig rig;
    rig.wave.start();
    REQUIRE(rig.written.size() == 2);
    rig.wave.forget(rig.links[0].ours.get());
    rig.fire();
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2});
    CHECK(rig.wave.timeouts() == 0);
}

TEST_CASE("slots with nothing to write do not count towards the two ahead") {
    Rig rig;
    rig.empty_slots = {1, 2};
    rig.wave.start();
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2, 3});  // waits for slot 0 before 4
    rig.read_by_nginx(0);
    rig.fire();
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2, 3, 4});
    CHECK_FALSE(rig.wave.running());
}

TEST_CASE("a wave visits every slot once, and a start mid-wave extends it by a full round") {
    Rig rig;
    rig.wave.start();
    REQUIRE(rig.written == std::vector<std::size_t>{0, 1});
    rig.wave.start();  // a new announcement while the wave waits
    CHECK(rig.written.size() == 2);
    while (rig.wave.running()) {
        rig.read_all();
        rig.fire();
    }
    CHECK(rig.written == std::vector<std::size_t>{0, 1, 2, 3, 4, 0, 1});

    // The next wave starts at once where this one stopped and nothing unread is left over.
    rig.read_all();
    rig.written.clear();
    rig.wave.start();
    CHECK(rig.written == std::vector<std::size_t>{2, 3});
}
