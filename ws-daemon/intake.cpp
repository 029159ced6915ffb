#include "intake.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "config.hpp"
#include "log.hpp"

namespace livesync::wsd {

void SignalLedger::record(const ChangeSignal& signal) {
    Entry& e = ring_[static_cast<std::size_t>(signal.rev % kCapacity)];
    e.rev = signal.rev;
    e.entity = signal.entity;
    e.origin = signal.origin;
}

bool SignalLedger::covers(const Revisions& before, const Revisions& after) const {
    if (after.global <= before.global || after.global - before.global > kCapacity) return false;
    for (std::int64_t rev = before.global + 1; rev <= after.global; ++rev)
        if (ring_[static_cast<std::size_t>(rev % kCapacity)].rev != rev) return false;
    return true;
}

std::vector<Change> SignalLedger::diff(const Revisions& before, const Revisions& after) const {
    std::array<OriginMerge, kTableEntityCount> origins;
    std::array<bool, kTableEntityCount> touched{};
    bool cascade = false;
    bool known = covers(before, after);
    for (std::int64_t rev = before.global + 1; known && rev <= after.global; ++rev) {
        const Entry& e = ring_[static_cast<std::size_t>(rev % kCapacity)];
        if (e.entity == Entity::all) {
            cascade = true;
            for (int i = 0; i < kTableEntityCount; ++i) {
                origins[i].add(e.origin);
                touched[i] = true;
            }
        } else {
            origins[entity_index(e.entity)].add(e.origin);
            touched[entity_index(e.entity)] = true;
        }
    }
    std::vector<Change> out;
    for (Entity entity : kTableEntities) {
        int i = entity_index(entity);
        if (after.of(entity) == before.of(entity) && !cascade) continue;
        // A revision can only move through a datagram we hold if that datagram named the entity;
        // if none did, the ledger disagrees with the table and no origin is trustworthy.
        bool attributable = known && touched[i];
        out.push_back(
            {entity, after.of(entity), attributable ? origins[i].result() : std::string()});
    }
    return out;
}

RevisionSource::RevisionSource(std::string path) : path_(std::move(path)) {}

bool RevisionSource::open() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        if (!failing_)
            log_line(LogLevel::warn, "database not readable yet; retrying on the safety tick",
                     "path=" + path_ + " error=\"" + std::strerror(errno) + "\"");
        failing_ = true;
        return false;
    }
    if (reader_ && st.st_ino == inode_) return true;
    reader_.reset();
    db_.reset();
    try {
        db_.emplace(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
        reader_.emplace(*db_);
        inode_ = st.st_ino;
        return true;
    } catch (const SqliteError& e) {
        reader_.reset();
        db_.reset();
        if (!failing_)
            log_line(LogLevel::warn, "revision table not readable yet; retrying on the safety tick",
                     "path=" + path_ + " error=\"" + e.what() + "\"");
        failing_ = true;
        return false;
    }
}

void RevisionSource::failed(const char* what, const std::string& error) {
    if (!failing_)
        log_line(LogLevel::warn, std::string(what) + "; retrying on the safety tick",
                 "error=\"" + error + "\"");
    failing_ = true;
}

std::optional<Revisions> RevisionSource::read_postgres() {
    try {
        if (!pg_ || !pg_->ok()) {
            pg_.reset();
            pg_.emplace(path_, "livesync-wsd");
        }
        Revisions r = read_revisions(*pg_);
        if (failing_) log_line(LogLevel::info, "revision table readable", "");
        failing_ = false;
        return r;
    } catch (const PgError& e) {
        // The URI holds a password: the error names host and port, never the URI.
        failed("revision read from PostgreSQL failed", e.what());
        return std::nullopt;
    }
}

std::optional<Revisions> RevisionSource::read() {
    if (is_postgres_uri(path_)) return read_postgres();
    if (!open()) return std::nullopt;
    try {
        Revisions r = reader_->read();
        if (failing_) log_line(LogLevel::info, "revision table readable", "path=" + path_);
        failing_ = false;
        return r;
    } catch (const SqliteError& e) {
        if (!failing_)
            log_line(LogLevel::warn, "revision read failed; retrying on the safety tick",
                     "path=" + path_ + " error=\"" + e.what() + "\"");
        failing_ = true;
        reader_.reset();
        db_.reset();
        return std::nullopt;
    }
}

Fd bind_signal_socket(const std::string& path) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        throw std::system_error(ENAMETOOLONG, std::generic_category(), "signal socket " + path);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw std::system_error(errno, std::generic_category(), "socket(AF_UNIX, SOCK_DGRAM)");
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
    // Mode 0660: the pool (same user or group) may send, nobody else may.
    mode_t old_mask = ::umask(0117);
    int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    int saved = errno;
    ::umask(old_mask);
    if (rc != 0) throw std::system_error(saved, std::generic_category(), "bind " + path);
    return fd;
}

DrainResult drain_signals(int fd, SignalLedger& ledger) {
    DrainResult result;
    char buf[kMaxSignalBytes + 1];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;  // EAGAIN: queue empty
        }
        if (auto signal = decode_signal(std::string_view(buf, static_cast<std::size_t>(n)))) {
            ledger.record(*signal);
            ++result.ok;
        } else {
            ++result.malformed;
        }
    }
    return result;
}

}  // namespace livesync::wsd
