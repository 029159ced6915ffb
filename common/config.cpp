#include "config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace livesync {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::int64_t parse_int(const std::string& key, const std::string& value, std::int64_t min,
                       std::int64_t max) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max)
        throw ConfigError(key + ": expected an integer in [" + std::to_string(min) + ", " +
                          std::to_string(max) + "], got '" + value + "'");
    return n;
}

bool parse_bool(const std::string& key, const std::string& value) {
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    throw ConfigError(key + ": expected true or false (on or off), got '" + value + "'");
}

// The `origins` setting: space-separated origins (origin_policy.hpp), at least one. The one
// parser of the setting, so the pool and the daemon refuse the same entries with the same words.
std::vector<Origin> parse_origins(const std::string& value) {
    std::vector<Origin> out;
    std::istringstream in(value);
    for (std::string word; in >> word;) {
        auto origin = parse_origin(word);
        if (!origin)
            throw ConfigError("origins: '" + word +
                              "' is not an origin (expected http[s]://host[:port], no path)");
        out.push_back(*origin);
    }
    if (out.empty()) throw ConfigError("origins: at least one origin is needed");
    return out;
}

}  // namespace

bool is_postgres_uri(const std::string& database) {
    return database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0;
}

std::string database_for_log(const std::string& database) {
    if (!is_postgres_uri(database)) return database;
    size_t scheme_end = database.find("://") + 3;
    size_t at = database.find('@', scheme_end);
    if (at == std::string::npos) return database;
    return database.substr(0, scheme_end) + database.substr(at + 1);
}

void set_config_value(Config& c, const std::string& raw_key, const std::string& value) {
    std::string key = raw_key;
    for (char& ch : key)
        if (ch == '-') ch = '_';
    auto i32 = [&](std::int64_t min, std::int64_t max) {
        return static_cast<int>(parse_int(key, value, min, max));
    };
    if (key == "database")
        c.database = value;
    else if (key == "synchronous") {
        if (value != "FULL" && value != "NORMAL")
            throw ConfigError("synchronous: expected FULL or NORMAL, got '" + value + "'");
        c.synchronous = value;
    } else if (key == "busy_timeout_ms")
        c.busy_timeout_ms = i32(0, 600000);
    else if (key == "tombstone_horizon_revs")
        c.tombstone_horizon_revs = parse_int(key, value, 1, 1LL << 40);
    else if (key == "wal_size_limit_mb")
        c.wal_size_limit_mb = i32(1, 1 << 20);
    else if (key == "storage_min_free_mb")
        c.storage_min_free_mb = i32(0, 1 << 30);
    else if (key == "fcgi_socket")
        c.fcgi_socket = value;
    else if (key == "signal_socket")
        c.signal_socket = value;
    else if (key == "wsd_socket")
        c.wsd_socket = value;
    else if (key == "wsd_port")
        c.wsd_port = i32(0, 65535);
    else if (key == "origins")
        c.origins = parse_origins(value);
    else if (key == "allow_missing_origin_ws")
        c.allow_missing_origin_ws = parse_bool(key, value);
    else if (key == "workers")
        c.workers = i32(0, 256);
    else if (key == "threads")
        c.threads = i32(1, 256);
    else if (key == "json_body_limit")
        c.json_body_limit = parse_int(key, value, 1024, 1LL << 30);
    else if (key == "csv_body_limit")
        c.csv_body_limit = parse_int(key, value, 1024, 1LL << 32);
    else if (key == "coalesce_ms")
        c.coalesce_ms = i32(0, 60000);
    else if (key == "heartbeat_s")
        c.heartbeat_s = i32(1, 3600);
    else if (key == "drain_ms")
        c.drain_ms = i32(0, 600000);
    else if (key == "safety_tick_ms")
        c.safety_tick_ms = i32(10, 600000);
    else if (key == "max_connections")
        c.max_connections = i32(1, 10000000);
    else if (key == "client_frame_limit")
        c.client_frame_limit = i32(16, 65536);
    else if (key == "client_frames_per_second")
        c.client_frames_per_second = i32(1, 1000);
    else if (key == "notify")
        c.notify = parse_bool(key, value);
    else if (key == "poll_ms")
        c.poll_ms = i32(10, 600000);
    else if (key == "listener_timeout_ms")
        c.listener_timeout_ms = i32(100, 600000);
    else if (key == "health_listener_down_s")
        c.health_listener_down_s = i32(1, 86400);
    else
        throw ConfigError("unknown configuration key '" + raw_key + "'");
}

void load_config_file(Config& config, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError("cannot read config file " + path);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        line = trim(line);
        if (line.empty()) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos)
            throw ConfigError(path + ":" + std::to_string(number) + ": expected key = value");
        try {
            set_config_value(config, trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
        } catch (const ConfigError& e) {
            throw ConfigError(path + ":" + std::to_string(number) + ": " + e.what());
        }
    }
}

Config parse_command_line(int argc, char** argv) {
    Config config;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--config") load_config_file(config, argv[i + 1]);
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) throw ConfigError("unexpected argument '" + arg + "'");
        if (i + 1 >= argc) throw ConfigError(arg + ": missing value");
        std::string value = argv[++i];
        if (arg != "--config") set_config_value(config, arg.substr(2), value);
    }
    return config;
}

}  // namespace livesync
