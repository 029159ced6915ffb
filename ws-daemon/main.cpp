// livesync-wsd: the live-event daemon. Usage: livesync-wsd [--config FILE] [--key value ...]
// (keys in docs/configuration.md, behaviour in docs/daemon.md). Exit status: 0 after a graceful
// stop, 1 on a runtime failure, 2 on bad configuration or a failed start.
#include <signal.h>

#include <cstdio>
#include <exception>

#include "config.hpp"
#include "daemon.hpp"
#include "log.hpp"

int main(int argc, char** argv) {
    using namespace livesync;
    Config config;
    try {
        config = parse_command_line(argc, argv);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "livesync-wsd: %s\n", e.what());
        return 2;
    }
    // SIGTERM/SIGINT are read from a signalfd inside the event loop, so they are blocked here,
    // before any other thread could exist. A vanished peer is an error return, never a signal.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    wsd::route_lws_logs();
    try {
        wsd::Daemon daemon(config);
        return daemon.run();
    } catch (const std::exception& e) {
        wsd::log_line(wsd::LogLevel::error, "cannot start",
                      std::string("error=\"") + e.what() + "\"");
        return 2;
    }
}
