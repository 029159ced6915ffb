#include "worker.hpp"

#include <fcgiapp.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "app.hpp"
#include "http/api_error.hpp"

namespace livesync::pool {
namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_in_request = 0;

// Idle (blocked in accept): leave at once. Busy: finish the request, then leave.
void on_stop_signal(int) {
    g_stop = 1;
    if (!g_in_request) _exit(0);
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
}

// Owns an FCGX_Request; Finish/Free happen whatever path the loop takes.
class FcgxRequest {
  public:
    explicit FcgxRequest(int listen_fd) { FCGX_InitRequest(&request_, listen_fd, 0); }
    FcgxRequest(const FcgxRequest&) = delete;
    FcgxRequest& operator=(const FcgxRequest&) = delete;
    ~FcgxRequest() { FCGX_Free(&request_, 1); }
    FCGX_Request* get() { return &request_; }
    const char* param(const char* name) { return FCGX_GetParam(name, request_.envp); }

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

}  // namespace

int run_worker(const Config& config, int listen_fd) {
    install_signal_handlers();
    std::unique_ptr<App> app;
    try {
        app = std::make_unique<App>(config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi worker %d: cannot start: %s\n", ::getpid(), e.what());
        return 1;
    }
    if (FCGX_Init() != 0) {
        std::fprintf(stderr, "livesync-fcgi worker %d: FCGX_Init failed\n", ::getpid());
        return 1;
    }
    FcgxRequest fcgx(listen_fd);
    int accept_failures = 0;
    while (!g_stop) {
        g_in_request = 0;
        if (g_stop) break;
        if (FCGX_Accept_r(fcgx.get()) < 0) {
            // Persistent accept failures mean the socket is gone: let the master respawn us.
            if (++accept_failures > 100) return 1;
            ::usleep(10000);
            continue;
        }
        accept_failures = 0;
        g_in_request = 1;
        http::Request request;
        std::optional<http::Response> early = read_request(fcgx, config, request);
        http::Response response = early ? std::move(*early) : app->handle(request);
        std::string out = http::serialize(response, request.method == "HEAD");
        FCGX_PutStr(out.data(), static_cast<int>(out.size()), fcgx.get()->out);
        FCGX_Finish_r(fcgx.get());
    }
    return 0;
}

}  // namespace livesync::pool
