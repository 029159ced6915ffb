// livesync-subgen PORT ws|sse ORIGIN LOCAL_ADDRESS hello|upgrade [BATCH_US [full|delta]]
//
// Many idle subscribers in one thread, a drop-in for bench/subscribers/client.js (same arguments,
// same stdin/stdout protocol; see README.md), so the fan-out benchmark's clients cost a fraction
// of the CPU node's do on the cores the servers need.
#include <arpa/inet.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "generator.hpp"

namespace {

// The whole argument as a decimal in [lo, hi], or nothing ("8443x" and "" are not numbers).
std::optional<int> parse_int(std::string_view text, int lo, int hi) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi)
        return std::nullopt;
    return value;
}

int usage() {
    std::fprintf(stderr,
                 "usage: livesync-subgen PORT ws|sse ORIGIN LOCAL_ADDRESS hello|upgrade "
                 "[BATCH_US [full|delta]]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace livesync::subgen;
    if (argc < 6 || argc > 8) return usage();
    Target target;
    auto port = parse_int(argv[1], 1, 65535);
    if (!port) return usage();
    target.port = *port;
    std::string_view transport = argv[2], ready_on = argv[5];
    if (transport != "ws" && transport != "sse") return usage();
    if (ready_on != "hello" && ready_on != "upgrade") return usage();
    target.transport = transport == "ws" ? Transport::ws : Transport::sse;
    target.ready_on = ready_on == "hello" ? ReadyOn::hello : ReadyOn::upgrade;
    target.origin = argv[3];
    if (argc >= 7) {
        auto batch_us = parse_int(argv[6], 0, 100000);
        if (!batch_us) return usage();
        target.batch_us = *batch_us;
    }
    if (argc == 8) {
        std::string_view fetch = argv[7];
        if (fetch != "full" && fetch != "delta") return usage();
        target.fetch = fetch == "full" ? FetchMode::full : FetchMode::delta;
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
