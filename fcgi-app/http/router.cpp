#include "router.hpp"

#include "api_error.hpp"

namespace livesync::http {

std::vector<std::string> split_path(const std::string& path) {
    // "/api/projects/7" → {"api", "projects", "7"}; empty segments ("//", trailing "/") are kept
    // so that such paths match nothing.
    std::vector<std::string> out;
    size_t start = path.empty() || path[0] != '/' ? 0 : 1;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

bool match_pattern(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   PathParams& params) {
    if (pattern.size() != path.size()) return false;
    params.clear();
    for (size_t i = 0; i < pattern.size(); ++i) {
        bool capture = pattern[i].size() > 2 && pattern[i].front() == '{';
        if (capture) {
            if (path[i].empty()) return false;
            params.push_back(path[i]);
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

void throw_not_found(const Request& request) {
    throw ApiError(ErrorKind::not_found, "no route for " + request.method + " " + request.path);
}

void throw_method_not_allowed(const Request& request, const std::string& allow) {
    ApiError error(ErrorKind::method_not_allowed, request.method + " is not allowed on " +
                                                      request.path + " (allowed: " + allow + ")");
    error.allow = allow;
    throw error;
}

}  // namespace livesync::http
