// The command loop: one epoll set holding stdin and every subscriber socket, the open and dump
// commands of run.py's protocol, and the per-subscriber connect deadlines.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "arrivals.hpp"
#include "fd.hpp"
#include "ssl_handles.hpp"
#include "subscriber.hpp"

namespace livesync::subgen {

class Generator {
  public:
    explicit Generator(Target target);
    // Runs until stdin closes; then every subscriber is closed.
    void run();

  private:
    struct Opening {
        long remaining = 0;
        long parallel = 1;
        long failed = 0;
        double t0_ms = 0;
        std::map<std::string, long> errors;
    };

    bool read_stdin();  // false at end of input
    void next_command();
    void pump();
    void start_one();
    void on_socket(int fd);
    // Registers, re-registers or forgets the fetch connection of the subscriber at `fd`.
    void sync_fetch(int fd);
    void drop(int fd, bool count_failure, const std::string& why);
    void expire(double now);
    int wait_timeout_ms(double now) const;
    void pause_for_batch() const;
    void reply(const nlohmann::json& answer);
    // Adds to a dump answer what the fetchers held and fetched since the last dump (README).
    void dump_fetches(nlohmann::json& answer);

    Target target_;
    SslCtx ctx_;
    Fd epoll_;
    std::vector<std::unique_ptr<Subscriber>> by_fd_;  // by the subscriber's stream fd
    // The fetch connections (fetcher.hpp): which subscriber each fd belongs to (-1: none), and
    // per subscriber what epoll holds of its connection.
    struct FetchRegistration {
        int fd = -1;
        unsigned generation = 0;
        std::uint32_t events = 0;
    };
    std::vector<int> fetch_owner_;
    std::vector<FetchRegistration> fetch_reg_;
    FetchStats fetch_stats_;
    unsigned next_client_ = 0;
    std::vector<int> pending_;  // fds still in their handshake; at most `parallel`
    std::size_t open_ = 0;
    Arrivals arrivals_;
    std::string stdin_buf_;
    std::unique_ptr<Opening> opening_;
};

}  // namespace livesync::subgen
