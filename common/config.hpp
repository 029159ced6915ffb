// The one configuration both processes read: /etc/livesync/livesync.conf (or --config FILE),
// lines of `key = value`, `#` comments. Any key can be overridden on the command line as
// `--key value` (dashes or underscores). Keys are documented in docs/configuration.md.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "origin_policy.hpp"

namespace livesync {

struct Config {
    // Storage
    // A SQLite file, or a PostgreSQL connection URI (see is_postgres_uri).
    std::string database = "/var/lib/livesync/livesync.db";
    std::string synchronous = "FULL";  // FULL (durable, default) or NORMAL
    int busy_timeout_ms = 5000;
    // How many revisions of deleted ids the change log keeps for `?since=` (docs/api.md).
    std::int64_t tombstone_horizon_revs = 100000;
    // The size the WAL file is cut back to, and checkpointed within (docs/storage.md).
    int wal_size_limit_mb = 16;
    // /api/health says not ready below this much free space for the database (docs/api.md).
    int storage_min_free_mb = 64;

    // Sockets
    std::string fcgi_socket = "/run/livesync/fcgi.sock";
    std::string signal_socket = "/run/livesync/signal.sock";
    std::string wsd_socket = "/run/livesync/wsd.sock";
    int wsd_port = 0;  // >0: the daemon listens on 127.0.0.1:port instead of wsd_socket

    // Site
    // Parsed and checked when read, so both processes refuse a malformed entry alike.
    std::vector<Origin> origins = {{"https", "localhost", 8443}};
    bool allow_missing_origin_ws = false;

    // Pool
    int workers = 0;   // 0: one per core
    int threads = 16;  // request threads per worker; their writes are committed in groups
    std::int64_t json_body_limit = 1 << 20;
    std::int64_t csv_body_limit = 32 << 20;

    // Daemon
    int coalesce_ms = 100;
    int heartbeat_s = 15;
    int drain_ms = 5000;
    int safety_tick_ms = 1000;
    int max_connections = 19000;
    int client_frame_limit = 1024;
    int client_frames_per_second = 5;
    // PostgreSQL mode (docs/daemon.md): LISTEN for the pool's NOTIFYs (on), or only poll the
    // revisions every poll_ms (off); a listener query unanswered for listener_timeout_ms means a
    // dead connection.
    bool notify = true;
    int poll_ms = 250;
    int listener_timeout_ms = 5000;
    // GET /health on the daemon's socket answers 503 once the listener has been down this long.
    int health_listener_down_s = 30;
};

// Thrown for unreadable files, unknown keys and bad values; the message names file, line and key.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Whether `database` names a PostgreSQL server (a libpq URI: postgresql:// or postgres://) rather
// than a SQLite file. The one rule that picks the store, for both processes.
bool is_postgres_uri(const std::string& database);
// `database` fit for a log line: a URI's user and password are left out.
std::string database_for_log(const std::string& database);

// Applies one `key`/`value` pair. Throws ConfigError.
void set_config_value(Config& config, const std::string& key, const std::string& value);
// Reads a config file into `config`. Throws ConfigError.
void load_config_file(Config& config, const std::string& path);
// Parses argv: `--config FILE` first (if present anywhere), then every `--key value` override.
Config parse_command_line(int argc, char** argv);

}  // namespace livesync
