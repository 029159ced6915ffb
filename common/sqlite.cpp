#include "sqlite.hpp"

#include <utility>

namespace livesync {

bool SqliteError::is_transient() const {
    switch (primary_code()) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PROTOCOL:
            return true;
        default:
            return false;
    }
}

Db::Db(const std::string& path, int flags) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw SqliteError(rc, "open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Db::~Db() {
    sqlite3_close_v2(db_);
}

void Db::exec(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
}

void Db::fail(int rc, std::string_view context) const {
    throw SqliteError(sqlite3_extended_errcode(db_) ? sqlite3_extended_errcode(db_) : rc,
                      std::string(context) + ": " + sqlite3_errmsg(db_));
}

Stmt::Stmt(const Db& db, std::string_view sql) : db_(&db) {
    int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) db.fail(rc, "prepare");
}

Stmt::Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt::~Stmt() {
    sqlite3_finalize(stmt_);
}

Stmt& Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return *this;
}

Stmt& Stmt::bind(int index, std::int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) db_->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
    int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) db_->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bind_null(int index) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) db_->fail(rc, "bind");
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    db_->fail(rc, sqlite3_sql(stmt_));
}

void Stmt::run() {
    while (step()) {
    }
    sqlite3_reset(stmt_);
}

std::string Stmt::text(int column) const {
    return std::string(text_view(column));
}

std::string_view Stmt::text_view(int column) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string_view();
}

}  // namespace livesync
