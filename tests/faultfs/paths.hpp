// FUSE hands paths from the mount's root ("/", "/a/b"); the backing directory is reached through
// its fd with *at() calls, which want them relative.
#pragma once

#include <string>

namespace faultfs {

// "/" → ".", "/a/b" → "a/b".
inline std::string relative(const std::string& path) {
    return path.size() <= 1 ? "." : path.substr(1);
}

// "/a/b" → "/a", "/a" → "/".
inline std::string parent(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace faultfs
