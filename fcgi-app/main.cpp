// livesync-fcgi: the FastCGI worker pool. Started without LIVESYNC_WORKER_FD it is the master
// (opens the socket, migrates the schema, pre-forks workers); with it, it is one worker.
#include <sqlite3.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config.hpp"
#include "pool/listen_socket.hpp"
#include "pool/master.hpp"
#include "pool/worker.hpp"
#include "store/store.hpp"

using namespace livesync;

namespace {

// The path to re-execute for workers: resolved once, so that after a package upgrade replaces
// the file, new workers run the new binary.
std::string executable_path(const char* argv0) {
    char buf[PATH_MAX];
    if (std::strchr(argv0, '/') && ::realpath(argv0, buf)) return buf;
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string(argv0);
}

void print_usage() {
    std::fputs(
        "usage: livesync-fcgi [--config FILE] [--KEY VALUE ...]\n"
        "Runs the livesync FastCGI pool. Keys are those of livesync.conf (see "
        "docs/configuration.md),\n"
        "e.g. --database /var/lib/livesync/livesync.db --fcgi-socket /run/livesync/fcgi.sock "
        "--workers 4\n",
        stderr);
}

}  // namespace

int main(int argc, char** argv) {
    // Before any connection is opened: without memory statistics (which nothing reads) SQLite
    // takes no global mutex per allocation, about 5% of a CSV import's instructions.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        print_usage();
        return 0;
    }
    Config config;
    try {
        config = parse_command_line(argc, argv);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "livesync-fcgi: %s\n", e.what());
        print_usage();
        return 2;
    }

    if (const char* fd = std::getenv("LIVESYNC_WORKER_FD"))
        return pool::run_worker(config, std::atoi(fd));

    try {
        store::migrate_database(config);
        pool::ListenSocket socket = pool::open_listen_socket(config.fcgi_socket);
        std::fprintf(
            stderr, "livesync-fcgi: serving %s on %s\n", database_for_log(config.database).c_str(),
            socket.created_path.empty() ? "the socket from systemd" : socket.created_path.c_str());
        std::vector<std::string> args(argv, argv + argc);
        int rc = pool::run_master(config, socket.fd.get(), executable_path(argv[0]), args);
        if (!socket.created_path.empty()) ::unlink(socket.created_path.c_str());
        socket.fd.release();  // closed by run_master on shutdown
        return rc;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "livesync-fcgi: %s\n", e.what());
        return 1;
    }
}
