#include "app.hpp"

#include <cstdio>
#include <utility>

#include "http/api_error.hpp"

namespace livesync {

using http::ApiError;
using http::ErrorKind;

http::Response storage_unavailable(bool outcome_unknown) {
    if (outcome_unknown)
        return http::error_response(ApiError(
            ErrorKind::unavailable,
            "the storage failed while committing: the change may or may not have been stored; "
            "read it back before trying again",
            {{"committed", "unknown"}}));
    return http::error_response(
        ApiError(ErrorKind::unavailable,
                 "the database is busy or out of space; nothing was changed, try again"));
}

App::App(const Config& config, std::shared_ptr<api::ListCache> list_cache)
    : config_(config),
      store_(config),
      list_cache_(std::move(list_cache)),
      context_{config_, store_, *list_cache_, {}},
      router_(api::make_router()) {}

std::optional<ChangeSignal> App::take_signal() {
    return std::exchange(context_.announced, std::nullopt);
}

http::Response App::handle(const http::Request& request) {
    context_.announced.reset();
    try {
        return router_.dispatch(context_, request);
    } catch (const ApiError& e) {
        return http::error_response(e);
    } catch (const SqliteError& e) {
        if (e.is_transient()) {
            std::fprintf(stderr, "livesync-fcgi: %s %s: storage unavailable: %s\n",
                         request.method.c_str(), request.path.c_str(), e.what());
            return storage_unavailable(dynamic_cast<const CommitUncertain*>(&e) != nullptr);
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
