// A subscriber's second connection, for the bench of large lists (bench/biglist/): like the
// browser's list of projects it loads the list once ready and fetches again after every refresh
// event, over its own keep-alive TLS connection, and records when it holds which revision.
//   full   the client before pages and deltas: GET /api/projects, conditional (If-None-Match
//          with the ETag of the last answer), every row each time
//   delta  web/app/cardlist.js: the first page GET /api/projects?limit=100&order=desc
//          (conditional), then after each event GET /api/projects?since=<rev held>; a reset
//          answer reloads the first page
// As the browser, at most one fetch is in flight; events during one make one more after it.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "response_reader.hpp"
#include "tls_connection.hpp"

namespace livesync::subgen {

enum class FetchMode { none, full, delta };

// What all fetchers of a process saw since the last dump.
struct FetchStats {
    long responses = 0;
    long long wire_bytes = 0;  // heads and bodies as sent (chunk framing included)
    long long head_bytes = 0;
    long long decoded_bytes = 0;  // bodies after gunzip
    long resets = 0;
    long reconnects = 0;  // keep-alive connections the server had closed, opened again
    std::map<int, long> by_status;
    std::map<std::string, long> errors;
};

struct Target;

class Fetcher {
  public:
    Fetcher(const Target& target, std::string client_id)
        : target_(target), client_id_(std::move(client_id)) {}

    // The page is shown: the first load. Then a refresh event. An error message if a new
    // connection could not even start (the fetch is then dropped).
    std::optional<std::string> load();
    std::optional<std::string> on_refresh();

    // The connection's fd (-1 while there is none) and a number that changes with every new
    // connection, so the owner can tell a new socket that reuses a closed one's fd number.
    int fd() const { return conn_ ? conn_->fd() : -1; }
    unsigned generation() const { return generation_; }
    std::uint32_t interest() const;

    // Handles an epoll event on fd(); an error message if the fetch failed (the connection is
    // then dropped, and the next event starts a new one).
    std::optional<std::string> on_event(SSL_CTX* ctx, FetchStats& stats);

    // The first load has completed.
    bool loaded() const { return loaded_; }
    // (rev, time) each time the revision held moved up, since the last take.
    std::vector<std::pair<long long, double>> take_history() { return std::exchange(history_, {}); }

  private:
    std::optional<std::string> send(const std::string& path, bool conditional);
    std::optional<std::string> start_connection();
    std::optional<std::string> finish(double t_ms, FetchStats& stats);
    std::optional<std::string> fail(std::string why);
    void hold(long long rev, double t_ms);

    const Target& target_;
    std::string client_id_;
    std::unique_ptr<TlsConnection> conn_;
    unsigned generation_ = 0;
    std::string request_;   // the request in flight, kept to send again on a fresh connection
    bool sent_ = false;     // request_ has been handed to the connection
    bool loading_ = false;  // the request in flight is a (first-page or full) load
    bool pending_ = false;  // an event arrived while a fetch was in flight
    std::optional<ResponseReader> response_;
    bool loaded_ = false;
    std::optional<long long> rev_;  // the revision held
    std::string etag_;              // of the last loaded list, for If-None-Match
    long long etag_rev_ = 0;        // the revision that answer held (what a 304 means)
    std::vector<std::pair<long long, double>> history_;
};

}  // namespace livesync::subgen
