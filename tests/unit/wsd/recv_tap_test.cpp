#include "recv_tap.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "fd.hpp"
#include "session.hpp"

using namespace livesync;
using namespace livesync::wsd;

namespace {

struct Told {
    int calls = 0;
    Session* session = nullptr;
    FrameError error = FrameError::none;
};

void record(void* context, Session* s, FrameError e) {
    auto* t = static_cast<Told*>(context);
    ++t->calls;
    t->session = s;
    t->error = e;
}

std::uint32_t second() {
    return 1;
}

// A connected pair of non-blocking stream sockets: the test writes as the client on `client`
// and reads, as lws would, with recv() on `server`.
struct Pair {
    Fd client, server;
    Pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        client = Fd(fds[0]);
        server = Fd(fds[1]);
    }
    void send(const std::vector<std::uint8_t>& bytes) {
        REQUIRE(::write(client.get(), bytes.data(), bytes.size()) ==
                static_cast<ssize_t>(bytes.size()));
    }
    ssize_t read(std::uint8_t* buf, std::size_t n) { return ::recv(server.get(), buf, n, 0); }
};

// A masked text frame "hi" (key 0), then an unmasked one.
const std::vector<std::uint8_t> kGood = {0x81, 0x82, 0, 0, 0, 0, 'h', 'i'};
const std::vector<std::uint8_t> kUnmasked = {0x81, 0x02, 'h', 'i'};

}  // namespace

TEST_CASE("recv() on a watched socket returns the bytes before a broken rule, then none") {
    Told told;
    RecvTap tap({1024, 5}, second, record, &told);
    Pair p;
    Session s{};
    tap.watch(p.server.get(), &s);
    std::vector<std::uint8_t> both = kGood;
    both.insert(both.end(), kUnmasked.begin(), kUnmasked.end());
    p.send(both);
    std::uint8_t buf[64];
    CHECK(p.read(buf, sizeof buf) == static_cast<ssize_t>(kGood.size() + 1));
    CHECK(told.calls == 1);
    CHECK(told.session == &s);
    CHECK(told.error == FrameError::unmasked);

    // Later input is read and dropped: nothing is left for the next read to wake up for.
    p.send(kGood);
    errno = 0;
    CHECK(p.read(buf, sizeof buf) == -1);
    CHECK(errno == EAGAIN);
    CHECK(::recv(p.server.get(), buf, sizeof buf, MSG_PEEK) == -1);
    CHECK(told.calls == 1);

    // The peer's hang-up still gets through.
    p.client.reset();
    CHECK(p.read(buf, sizeof buf) == 0);
}

TEST_CASE("recv() on a socket not watched, or no longer, passes every byte") {
    Told told;
    RecvTap tap({1024, 5}, second, record, &told);
    Pair p;
    std::uint8_t buf[64];
    p.send(kUnmasked);
    CHECK(p.read(buf, sizeof buf) == static_cast<ssize_t>(kUnmasked.size()));
    Session s{};
    tap.watch(p.server.get(), &s);
    tap.forget(p.server.get());
    p.send(kUnmasked);
    CHECK(p.read(buf, sizeof buf) == static_cast<ssize_t>(kUnmasked.size()));
    CHECK(told.calls == 0);
}
