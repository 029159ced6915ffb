#include "worker.hpp"

#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "app.hpp"
#include "connection_waiter.hpp"
#include "fd.hpp"
#include "fields/text.hpp"
#include "group_commit.hpp"
#include "http/api_error.hpp"
#include "store/wal_keeper.hpp"

namespace livesync::pool {
namespace {

// SIGTERM/SIGINT stay blocked and are read from a signalfd between requests, so a stop can never
// land between accept() and the response (which would hand nginx a closed socket, a 502): an
// idle worker leaves at once, a busy one after answering.
Fd stop_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    return Fd(::signalfd(-1, &mask, SFD_CLOEXEC));
}

// A worker holds every connection nginx keeps open to it (up to the upstream's keepalive per
// nginx worker, more during a burst), not one per thread: the soft limit on open files (1024 under
// systemd) is raised to the hard one.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Owns an FCGX_Request; Finish/Free happen whatever path the loop takes. It never accepts by
// itself (no listening socket): the worker accepts, and hands each connection to adopt().
class FcgxRequest {
  public:
    FcgxRequest() { FCGX_InitRequest(&request_, -1, 0); }
    FcgxRequest(const FcgxRequest&) = delete;
    FcgxRequest& operator=(const FcgxRequest&) = delete;
    ~FcgxRequest() { FCGX_Free(&request_, 1); }
    FCGX_Request* get() { return &request_; }
    // Reads the request head (begin record and parameters) from `fd`, an accepted connection it
    // now owns. Returns FCGX_Accept_r's result: negative when the head was malformed or cut short
    // (libfcgi has then closed the connection). FCGX_Accept_r serves a connection already in
    // ipcFd instead of accepting one, and keepConnection stops the finish it starts with from
    // closing that connection: libfcgi offers no other way to read a connection it did not accept.
    int adopt(int fd) {
        request_.ipcFd = fd;
        request_.keepConnection = 1;
        return FCGX_Accept_r(&request_);
    }
    const char* param(const char* name) { return FCGX_GetParam(name, request_.envp); }
    // Closes the connection; the next accept starts afresh. Before FCGX_Finish_r this aborts the
    // request: nginx fails the response instead of passing on what was sent as complete.
    void close() { FCGX_Free(&request_, 1); }
    // After FCGX_Finish_r: gives up the connection, still open if nginx asked to keep it and
    // nothing failed, or -1 when libfcgi has closed it.
    int release() { return std::exchange(request_.ipcFd, -1); }

  private:
    FCGX_Request request_{};
};

std::string cgi_name(std::string_view header) {
    std::string name = header == "content-type" ? "" : "HTTP_";
    for (char c : header) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return name;
}

std::optional<std::int64_t> content_length(const char* value) {
    if (!value || !*value) return 0;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value, value + std::strlen(value), n);
    if (ec != std::errc() || *end != '\0' || n < 0) return std::nullopt;
    return n;
}

// Fills `request` from the FastCGI parameters and body; returns an error response instead when
// the body is too large or cannot be read.
std::optional<http::Response> read_request(FcgxRequest& fcgx, const Config& config,
                                           http::Request& request) {
    auto text = [&](const char* name) {
        const char* v = fcgx.param(name);
        return std::string(v ? v : "");
    };
    request.method = text("REQUEST_METHOD");
    std::string uri = text("REQUEST_URI");
    auto q = uri.find('?');
    request.path = uri.substr(0, q);
    request.query = text("QUERY_STRING");
    for (const char* header : http::kReadHeaders)
        if (const char* v = fcgx.param(cgi_name(header).c_str())) request.headers[header] = v;
    request.user = fields::storable_text(text("LIVESYNC_USER"));

    auto length = content_length(fcgx.param("CONTENT_LENGTH"));
    if (!length)
        return http::error_response(
            http::ApiError(http::ErrorKind::bad_json, "invalid Content-Length"));
    bool is_import = request.path.rfind("/api/import/", 0) == 0;
    std::int64_t limit = is_import ? config.csv_body_limit : config.json_body_limit;
    if (*length > limit)
        return http::error_response(http::ApiError(
            http::ErrorKind::payload_too_large, "the request body is " + std::to_string(*length) +
                                                    " bytes; the limit is " +
                                                    std::to_string(limit)));
    request.body.resize(static_cast<size_t>(*length));
    size_t got = 0;
    while (got < request.body.size()) {
        int n = FCGX_GetStr(request.body.data() + got, static_cast<int>(request.body.size() - got),
                            fcgx.get()->in);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    if (got != request.body.size())
        return http::error_response(
            http::ApiError(http::ErrorKind::bad_json, "the request body ended early"));
    return std::nullopt;
}

// Sends a streamed body. Once the headers are out a failure can no longer become an error
// response, so it is logged and reported as false: the caller drops the connection.
bool send_stream(FcgxRequest& fcgx, const http::Request& request, const http::Response& response) {
    try {
        response.stream([&](std::string_view bytes) {
            if (FCGX_PutStr(bytes.data(), static_cast<int>(bytes.size()), fcgx.get()->out) < 0)
                throw std::runtime_error("the connection to nginx is gone");
        });
        return true;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi: %s %s: response cut short: %s\n",
                     request.method.c_str(), request.path.c_str(), e.what());
        return false;
    }
}

bool is_mutation(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Reads what is left of the request's body up to its end, so that a kept connection's next
// request starts at a record boundary (a GET's empty FCGI_STDIN record, or a body refused unread).
void drain_input(FcgxRequest& fcgx) {
    char buf[4096];
    while (FCGX_GetStr(buf, sizeof buf, fcgx.get()->in) > 0) {
    }
}

// One request thread: its own read connection (App), the worker's shared writer for mutations.
// Returns false if accepting keeps failing (the socket is gone).
bool serve(const Config& config, ConnectionWaiter& waiter, App& reader, GroupCommitter& writer) {
    FcgxRequest fcgx;
    int accept_failures = 0;
    while (std::optional<ConnectionWaiter::Next> next = waiter.next()) {
        if (next->fd < 0) {
            if (++accept_failures > 100) return false;
            ::usleep(10000);
            continue;
        }
        if (next->fresh) accept_failures = 0;
        if (fcgx.adopt(next->fd) < 0) {  // malformed, cut short, stalled, or nginx closed it
            waiter.closed(next->fresh);
            continue;
        }
        http::Request request;
        std::optional<http::Response> early = read_request(fcgx, config, request);
        http::Response response = early                         ? std::move(*early)
                                  : is_mutation(request.method) ? writer.handle(request)
                                                                : reader.handle(request);
        bool head_only = request.method == "HEAD";
        std::string out = http::serialize(response, head_only);
        FCGX_PutStr(out.data(), static_cast<int>(out.size()), fcgx.get()->out);
        if (response.stream && !head_only && !send_stream(fcgx, request, response)) {
            fcgx.close();
            waiter.closed(next->fresh);
            continue;
        }
        drain_input(fcgx);
        FCGX_Finish_r(fcgx.get());
        // nginx keeps its FastCGI connections open (an upstream with keepalive): this one goes
        // back to wait for its next request, on whichever thread is free then.
        if (int fd = fcgx.release(); fd >= 0)
            waiter.keep(fd, next->fresh);
        else
            waiter.closed(next->fresh);
    }
    return true;
}

}  // namespace

int run_worker(const Config& config, int listen_fd) {
    // Blocked here, before any thread starts, so that every thread inherits the mask.
    Fd signals = stop_signals();
    if (!signals) {
        std::fprintf(stderr, "livesync-fcgi worker %d: signalfd: %s\n", ::getpid(),
                     std::strerror(errno));
        return 1;
    }
    raise_open_file_limit();
    // Non-blocking so that a thread losing the race for a connection to a sibling goes back to
    // waiting instead of sleeping in accept() deaf to SIGTERM.
    ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    std::unique_ptr<GroupCommitter> writer;
    std::vector<std::unique_ptr<App>> readers;
    std::unique_ptr<store::WalKeeper> wal_keeper;
    try {
        writer = std::make_unique<GroupCommitter>(config);
        // PostgreSQL keeps its own write-ahead log; only a SQLite file needs the keeper.
        if (!is_postgres_uri(config.database))
            wal_keeper = std::make_unique<store::WalKeeper>(config);
        auto share = std::make_shared<api::WorkerShare>();
        for (int i = 0; i < config.threads; ++i)
            readers.push_back(std::make_unique<App>(config, share));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi worker %d: cannot start: %s\n", ::getpid(), e.what());
        return 1;
    }
    if (FCGX_Init() != 0) {
        std::fprintf(stderr, "livesync-fcgi worker %d: FCGX_Init failed\n", ::getpid());
        return 1;
    }
    std::optional<ConnectionWaiter> waiter;
    try {
        waiter.emplace(listen_fd, signals.get());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi worker %d: cannot start: %s\n", ::getpid(), e.what());
        return 1;
    }
    // After a stop each thread leaves after its request in flight, once nginx has closed the
    // connections it kept (connection_waiter.hpp).
    std::atomic<bool> socket_lost = false;
    std::vector<std::thread> threads;
    for (auto& reader : readers)
        threads.emplace_back([&, app = reader.get()] {
            if (!serve(config, *waiter, *app, *writer)) socket_lost = true;
        });
    for (std::thread& t : threads) t.join();
    // Persistent accept failures: let the master respawn us.
    return socket_lost ? 1 : 0;
}

}  // namespace livesync::pool
