// Thin RAII owners for sqlite3 handles. Failures throw SqliteError carrying the extended result
// code, so the one place that turns errors into HTTP statuses can tell "busy" and "disk full"
// (503, retry) from programming errors.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace livesync {

class SqliteError : public std::runtime_error {
  public:
    SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }
    int primary_code() const { return code_ & 0xff; }
    // Busy, locked, full or unreadable storage: the request may succeed later.
    bool is_transient() const;

  private:
    int code_;
};

// COMMIT failed with an I/O error (typically the WAL's fsync, SQLITE_IOERR_FSYNC). SQLite has
// rolled the transaction back in memory, but its frames may already be in the WAL file (in the
// OS's cache, or on disk): a later recovery of the WAL (a restart of every connection) may find
// them complete and apply them. Whether the change is stored is therefore unknown, and the
// request must not be answered as if nothing had changed. Never retry the COMMIT: after a failed
// fsync the OS may have dropped the data and report the next fsync as a success ("fsyncgate").
class CommitUncertain : public SqliteError {
  public:
    explicit CommitUncertain(const SqliteError& cause) : SqliteError(cause) {}
};

class Db {
  public:
    // Opens (creating if `flags` allow) the database at `path`. Throws SqliteError.
    Db(const std::string& path, int flags);
    Db(Db&& other) noexcept;
    Db& operator=(Db&&) = delete;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    sqlite3* get() const { return db_; }
    // Runs one or more statements that return no rows. Throws SqliteError.
    void exec(const char* sql);
    [[noreturn]] void fail(int rc, std::string_view context) const;

  private:
    sqlite3* db_ = nullptr;
};

// A prepared statement, reset on every `reset()` so it can be reused for the life of the Db.
class Stmt {
  public:
    Stmt(const Db& db, std::string_view sql);
    Stmt(Stmt&& other) noexcept;
    Stmt& operator=(Stmt&&) = delete;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    // Clears bindings and rewinds; call before binding a new set of parameters.
    Stmt& reset();
    Stmt& bind(int index, std::int64_t value);
    Stmt& bind(int index, std::string_view text);
    Stmt& bind_null(int index);
    // Steps once: true while a row is available, false when done. Throws SqliteError.
    bool step();
    // Steps a statement that must return no rows.
    void run();

    std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::string text(int column) const;
    // Valid until the next step() or reset().
    std::string_view text_view(int column) const;
    bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

  private:
    const Db* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace livesync
