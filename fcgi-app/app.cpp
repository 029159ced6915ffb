#include "app.hpp"

#include <cstdio>

#include "http/api_error.hpp"

namespace livesync {

using http::ApiError;
using http::ErrorKind;

App::App(const Config& config)
    : config_(config),
      store_(config),
      signals_(config.signal_socket),
      context_{config_, store_, signals_, {}},
      router_(api::make_router()) {}

http::Response App::handle(const http::Request& request) {
    try {
        return router_.dispatch(context_, request);
    } catch (const ApiError& e) {
        return http::error_response(e);
    } catch (const SqliteError& e) {
        if (e.is_transient()) {
            std::fprintf(stderr, "livesync-fcgi: %s %s: storage unavailable: %s\n",
                         request.method.c_str(), request.path.c_str(), e.what());
            return http::error_response(
                ApiError(ErrorKind::unavailable,
                         "the database is busy or out of space; nothing was changed, try again"));
        }
        std::fprintf(stderr, "livesync-fcgi: %s %s: %s\n", request.method.c_str(),
                     request.path.c_str(), e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi: %s %s: %s\n", request.method.c_str(),
                     request.path.c_str(), e.what());
    }
    return http::error_response(
        ApiError(ErrorKind::internal, "internal error; nothing was changed"));
}

}  // namespace livesync
