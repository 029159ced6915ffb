// livesync-subgen PORT ws|sse ORIGIN LOCAL_ADDRESS hello|upgrade [BATCH_US]
//
// Many idle subscribers in one thread, a drop-in for bench/subscribers/client.js (same arguments,
// same stdin/stdout protocol; see README.md), so the fan-out benchmark's clients cost a fraction
// of the CPU node's do on the cores the servers need.
#include <arpa/inet.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "generator.hpp"

namespace {

int usage() {
    std::fprintf(
        stderr,
        "usage: livesync-subgen PORT ws|sse ORIGIN LOCAL_ADDRESS hello|upgrade [BATCH_US]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace livesync::subgen;
    if (argc != 6 && argc != 7) return usage();
    Target target;
    target.port = std::atoi(argv[1]);
    std::string_view transport = argv[2], ready_on = argv[5];
    if (target.port <= 0 || target.port > 65535) return usage();
    if (transport != "ws" && transport != "sse") return usage();
    if (ready_on != "hello" && ready_on != "upgrade") return usage();
    target.transport = transport == "ws" ? Transport::ws : Transport::sse;
    target.ready_on = ready_on == "hello" ? ReadyOn::hello : ReadyOn::upgrade;
    target.origin = argv[3];
    if (argc == 7) {
        target.batch_us = std::atoi(argv[6]);
        if (target.batch_us < 0 || target.batch_us > 100000) return usage();
    }
    target.local.sin_family = AF_INET;
    target.remote.sin_family = AF_INET;
    target.remote.sin_port = htons(static_cast<std::uint16_t>(target.port));
    if (inet_pton(AF_INET, argv[4], &target.local.sin_addr) != 1 ||
        inet_pton(AF_INET, "127.0.0.1", &target.remote.sin_addr) != 1)
        return usage();
    // A write to a socket the server already closed must be an error, not the end of us.
    signal(SIGPIPE, SIG_IGN);
    try {
        Generator(target).run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-subgen: %s\n", e.what());
        return 1;
    }
    return 0;
}
