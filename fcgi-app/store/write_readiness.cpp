#include "write_readiness.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace livesync::store {
namespace {

std::string folder_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string mib(std::int64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

WriteReadiness write_readiness(const std::string& database, std::int64_t min_free_bytes) {
    std::string folder = folder_of(database);
    struct statvfs fs {};
    if (::statvfs(folder.c_str(), &fs) != 0)
        return {false, "unreachable", "statvfs " + folder + ": " + std::strerror(errno)};
    if (fs.f_flag & ST_RDONLY)
        return {false, "read_only", "the filesystem holding " + folder + " is mounted read-only"};
    // f_bavail: what an unprivileged process may still use (the pool's user is one).
    auto free_bytes =
        static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
    if (free_bytes < std::max<std::int64_t>(min_free_bytes, 1))
        return {false, "disk_full",
                "the filesystem holding " + folder + " has " + std::to_string(free_bytes) +
                    " bytes free; writes need room and readiness asks for " + mib(min_free_bytes) +
                    " (storage_min_free_mb)"};
    if (fs.f_files != 0 && fs.f_favail == 0)
        return {false, "disk_full", "the filesystem holding " + folder + " has no free inode"};
    return {};
}

}  // namespace livesync::store
