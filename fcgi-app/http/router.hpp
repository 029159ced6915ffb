// Maps (method, path) to a handler. Patterns are literal segments and `{name}` captures of one
// non-empty segment; a path that matches no pattern is 404, a method a pattern lacks is 405
// with `Allow` (HEAD is allowed wherever GET is).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "request.hpp"
#include "response.hpp"

namespace livesync::http {

// The captured segments of a matched pattern, in order.
using PathParams = std::vector<std::string>;

template <typename Context>
class Router {
  public:
    using Handler = std::function<Response(Context&, const Request&, const PathParams&)>;

    void add(const std::string& method, const std::string& pattern, Handler handler) {
        for (Route& r : routes_)
            if (r.pattern == split(pattern)) {
                r.methods.emplace_back(method, std::move(handler));
                return;
            }
        routes_.push_back({split(pattern), {{method, std::move(handler)}}});
    }

    // Finds the route for `request`; throws ApiError(not_found / method_not_allowed).
    Response dispatch(Context& context, const Request& request) const;

  private:
    struct Route {
        std::vector<std::string> pattern;
        std::vector<std::pair<std::string, Handler>> methods;
    };
    static std::vector<std::string> split(const std::string& path);
    std::vector<Route> routes_;
};

// Non-template parts, shared by every Router instantiation.
std::vector<std::string> split_path(const std::string& path);
bool match_pattern(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   PathParams& params);
[[noreturn]] void throw_not_found(const Request& request);
[[noreturn]] void throw_method_not_allowed(const Request& request, const std::string& allow);

template <typename Context>
std::vector<std::string> Router<Context>::split(const std::string& path) {
    return split_path(path);
}

template <typename Context>
Response Router<Context>::dispatch(Context& context, const Request& request) const {
    std::vector<std::string> segments = split_path(request.path);
    PathParams params;
    for (const Route& route : routes_) {
        if (!match_pattern(route.pattern, segments, params)) continue;
        std::string method = request.method == "HEAD" ? "GET" : request.method;
        std::string allow;
        for (const auto& [m, handler] : route.methods) {
            if (m == method) return handler(context, request, params);
            allow += (allow.empty() ? "" : ", ") + m + (m == "GET" ? ", HEAD" : "");
        }
        throw_method_not_allowed(request, allow);
    }
    throw_not_found(request);
}

}  // namespace livesync::http
