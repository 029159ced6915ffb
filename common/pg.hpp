// Thin RAII owners for libpq handles (PGconn, PGresult). Failures throw PgError carrying the
// SQLSTATE, so the one place that turns errors into HTTP statuses can tell a server that is down,
// failing over or overloaded (503, retry) from programming errors, as SqliteError does for SQLite.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livesync {

class PgError : public std::runtime_error {
  public:
    PgError(std::string sqlstate, const std::string& what)
        : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
    // The five-character SQLSTATE. Failures libpq finds itself carry the standard codes for them:
    // 08001 (could not connect), 08006 (connection lost); an unparsable URI carries "".
    const std::string& sqlstate() const { return sqlstate_; }
    // The server is unreachable, restarting, read-only (a standby after failover), overloaded, or
    // the transaction lost a race (serialization failure, deadlock) or ran out of time: the
    // request may succeed later.
    bool is_transient() const;
    // The transaction lost a race with another one (40001 serialization failure, 40P01 deadlock
    // detected) and the server rolled it back: nothing of it was applied, and running it again
    // from the start will usually succeed at once. A subset of is_transient().
    bool is_conflict() const;

  private:
    std::string sqlstate_;
};

// libpq's messages end in a newline and may span lines ("\n\tIs the server running…"); a log
// line and an exception message want one line. nullptr gives "".
std::string one_line(const char* message);

// The result of one statement; empty after a move.
class PgResult {
  public:
    PgResult() = default;
    explicit PgResult(PGresult* result) : result_(result) {}
    PgResult(PgResult&& other) noexcept;
    PgResult& operator=(PgResult&& other) noexcept;
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    ~PgResult();

    PGresult* get() const { return result_; }
    PGresult* release();

    int rows() const { return PQntuples(result_); }
    bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
    // Valid as long as this result. "" for NULL.
    std::string_view text(int row, int column) const;
    std::string string(int row, int column) const { return std::string(text(row, column)); }
    // Throws std::runtime_error if the value is not a decimal 64-bit integer.
    std::int64_t int64(int row, int column) const;
    // The number of rows an INSERT, UPDATE or DELETE touched.
    std::int64_t affected() const;

  private:
    PGresult* result_ = nullptr;
};

// The `$n` parameters of one statement, sent as text. NULLs are real SQL NULLs.
class PgParams {
  public:
    PgParams& add(std::int64_t value);
    // Throws std::invalid_argument for text holding a NUL: the protocol cannot carry it (the
    // API refuses it long before a statement is run).
    PgParams& add(std::string_view text);
    PgParams& add_null();

    int size() const { return static_cast<int>(values_.size()); }
    // Pointers into this object, one per parameter (nullptr for NULL); valid until it changes.
    std::vector<const char*> pointers() const;

  private:
    std::vector<std::string> values_;
    std::vector<bool> nulls_;
};

// The settings livesync connects with: defaults that neither `uri` nor libpq's environment give
// (connect_timeout=5; TCP keepalives after 30 s idle, every 10 s, 3 lost; tcp_user_timeout=30 s,
// so a query sent into a dead link fails instead of waiting for TCP to give up), then `uri`,
// and `application` as the fallback application_name (shown in pg_stat_activity); last,
// client_encoding=UTF8, which neither the URI nor the environment can change. For
// PQconnectdbParams / PQconnectStartParams with expand_dbname = 1. Throws PgError ("") for a
// URI libpq cannot parse. Not copyable: the arrays point into it.
class PgConnParams {
  public:
    PgConnParams(const std::string& uri, const char* application);
    PgConnParams(const PgConnParams&) = delete;
    PgConnParams& operator=(const PgConnParams&) = delete;

    const char* const* keywords() const { return keywords_.data(); }
    const char* const* values() const { return values_.data(); }

  private:
    std::string uri_;
    std::string application_;
    std::vector<const char*> keywords_;
    std::vector<const char*> values_;
};

// One statement of PgConn::pipeline: a prepared statement by name with its parameters, or
// (prepared = false) SQL without parameters.
struct PgStep {
    std::string statement;
    PgParams params = {};
    bool prepared = true;
};

class PgConn {
  public:
    // Connects to `uri`, any libpq connection string or URI (empty: libpq's PG* environment alone),
    // with the defaults of PgConnParams, which keep a dead server from hanging a request.
    // Throws PgError: "" for a URI libpq cannot parse, 08001 if the server cannot be reached.
    PgConn(const std::string& uri, const char* application);
    PgConn(PgConn&& other) noexcept;
    PgConn& operator=(PgConn&& other) noexcept;
    PgConn(const PgConn&) = delete;
    PgConn& operator=(const PgConn&) = delete;
    ~PgConn();

    PGconn* get() const { return conn_; }
    PGconn* release();
    // False once the connection is lost; a new PgConn is then needed.
    bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }

    // Runs one or more statements without parameters. Throws PgError.
    PgResult exec(const char* sql);
    // Runs one statement with `$n` parameters (an unnamed statement, planned each time).
    PgResult query(const char* sql, const PgParams& params = {});
    // Prepares `sql` under `name` for the life of this connection; run it with run_prepared().
    void prepare(const char* name, const char* sql);
    PgResult run_prepared(const char* name, const PgParams& params = {});
    // Sends every step in one round trip (libpq's pipeline mode) and returns their results in
    // order. Throws PgError for the first step that failed; the server skipped the rest.
    std::vector<PgResult> pipeline(const std::vector<PgStep>& steps);
    // COPY … FROM STDIN with `data` (COPY's text format) as the whole input. Throws PgError.
    void copy_in(const char* sql, std::string_view data);
    // Sends SQL without waiting for its answer, which is read and dropped before the next use of
    // the connection (ending a read-only transaction costs no round trip of its own).
    void send_quietly(const char* sql);
    // Reads and drops the answer send_quietly left unread, if any (every call here does so first).
    void settle();
    // PQtransactionStatus once any answer send_quietly left unread is read.
    PGTransactionStatusType transaction_status();

  private:
    // Returns `result` if it succeeded; throws PgError (context: what was run) otherwise.
    PgResult check(PGresult* result, std::string_view context) const;

    PGconn* conn_ = nullptr;
    bool unread_ = false;
};

// A transaction that rolls back unless committed: `begin` is the statement that opens it
// (e.g. "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"). Throws PgError.
class PgTransaction {
  public:
    PgTransaction(PgConn& conn, const char* begin);
    PgTransaction(const PgTransaction&) = delete;
    PgTransaction& operator=(const PgTransaction&) = delete;
    // Rolls back if still open; a failed rollback (a lost connection) is ignored, the server
    // then ends the transaction itself.
    ~PgTransaction();

    void commit();

  private:
    PgConn& conn_;
    bool open_ = true;
};

}  // namespace livesync
