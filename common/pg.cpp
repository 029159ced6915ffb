#include "pg.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace livesync {

std::string one_line(const char* message) {
    std::string out;
    for (const char* p = message ? message : ""; *p; ++p) {
        bool space = *p == '\n' || *p == '\t';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : *p;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

namespace {

// A default applies only where the URI and libpq's environment variable (if the setting has one)
// are both silent: libpq takes the last value given, and the URI comes last.
struct Default {
    const char* keyword;
    const char* value;
    const char* envvar;
};
constexpr Default kDefaults[] = {
    // libpq waits forever for an unreachable host by default.
    {"connect_timeout", "5", "PGCONNECT_TIMEOUT"},
    // A server that vanished without a FIN/RST (a failover, a cut link) is noticed within about a
    // minute instead of the kernel's two hours.
    {"keepalives", "1", nullptr},
    {"keepalives_idle", "30", nullptr},
    {"keepalives_interval", "10", nullptr},
    {"keepalives_count", "3", nullptr},
    // Keepalives only probe an idle connection: a query sent into a cut link waits for its
    // retransmissions to give up (about 15 minutes) unless this bounds them.
    {"tcp_user_timeout", "30000", nullptr},
};

}  // namespace

bool PgError::is_transient() const {
    std::string_view s = sqlstate_;
    if (s.size() != 5) return false;
    std::string_view cls = s.substr(0, 2);
    return cls == "08"     // connection exception, and libpq's own 08001/08006
           || cls == "53"  // insufficient resources: disk full, out of memory, too many connections
           || s == "57P01"   // admin shutdown, pg_terminate_backend
           || s == "57P02"   // crash shutdown (another backend crashed)
           || s == "57P03"   // cannot connect now (starting up, shutting down)
           || is_conflict()  // serialization failure, deadlock
           || s == "57014"   // query canceled: statement_timeout
           || s == "55P03"   // lock not available: lock_timeout
           || s == "25006"   // read-only transaction: a standby, e.g. right after a failover
           || s == "58030";  // I/O error
}

bool PgError::is_conflict() const {
    return sqlstate_ == "40001" || sqlstate_ == "40P01";
}

PgResult::PgResult(PgResult&& other) noexcept : result_(other.release()) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
    if (this != &other) {
        PQclear(result_);
        result_ = other.release();
    }
    return *this;
}

PgResult::~PgResult() {
    PQclear(result_);
}

PGresult* PgResult::release() {
    return std::exchange(result_, nullptr);
}

std::string_view PgResult::text(int row, int column) const {
    return std::string_view(PQgetvalue(result_, row, column),
                            static_cast<size_t>(PQgetlength(result_, row, column)));
}

std::int64_t PgResult::int64(int row, int column) const {
    std::string_view s = text(row, column);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        throw std::runtime_error("column " + std::to_string(column) + " is not an integer: '" +
                                 std::string(s) + "'");
    return value;
}

std::int64_t PgResult::affected() const {
    const char* n = PQcmdTuples(result_);
    return *n ? std::strtoll(n, nullptr, 10) : 0;
}

PgParams& PgParams::add(std::int64_t value) {
    values_.push_back(std::to_string(value));
    nulls_.push_back(false);
    return *this;
}

PgParams& PgParams::add(std::string_view text) {
    if (text.find('\0') != std::string_view::npos)
        throw std::invalid_argument("a statement parameter holds a NUL character");
    values_.emplace_back(text);
    nulls_.push_back(false);
    return *this;
}

PgParams& PgParams::add_null() {
    values_.emplace_back();
    nulls_.push_back(true);
    return *this;
}

std::vector<const char*> PgParams::pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (size_t i = 0; i < values_.size(); ++i)
        out.push_back(nulls_[i] ? nullptr : values_[i].c_str());
    return out;
}

PgConnParams::PgConnParams(const std::string& uri, const char* application)
    : uri_(uri), application_(application) {
    // Parsed first, so that a malformed URI is told apart from an unreachable server.
    char* parse_error = nullptr;
    PQconninfoOption* given = PQconninfoParse(uri.c_str(), &parse_error);
    if (!given) {
        std::string message = parse_error ? one_line(parse_error) : "out of memory";
        PQfreemem(parse_error);
        throw PgError("", "database URI: " + message);
    }
    for (const Default& d : kDefaults) {
        bool set = d.envvar && std::getenv(d.envvar) && *std::getenv(d.envvar);
        for (PQconninfoOption* o = given; o->keyword && !set; ++o)
            set = std::strcmp(o->keyword, d.keyword) == 0 && o->val && *o->val;
        if (set) continue;
        keywords_.push_back(d.keyword);
        values_.push_back(d.value);
    }
    PQconninfoFree(given);
    // Used only if neither the URI nor PGAPPNAME names the application.
    keywords_.push_back("fallback_application_name");
    values_.push_back(application_.c_str());
    keywords_.push_back("dbname");  // expanded: the URI's own settings come last and win
    values_.push_back(uri_.c_str());
    // Except this one: livesync's text is UTF-8 whatever the URI or PGCLIENTENCODING say, and
    // another client encoding would have the server convert it as if it were not.
    keywords_.push_back("client_encoding");
    values_.push_back("UTF8");
    keywords_.push_back(nullptr);
    values_.push_back(nullptr);
}

PgConn::PgConn(const std::string& uri, const char* application) {
    PgConnParams params(uri, application);
    conn_ = PQconnectdbParams(params.keywords(), params.values(), 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory";
        PQfinish(conn_);
        conn_ = nullptr;
        throw PgError("08001", "connect to PostgreSQL: " + message);
    }
}

PgConn::PgConn(PgConn&& other) noexcept
    : conn_(other.release()), unread_(std::exchange(other.unread_, false)) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
    if (this != &other) {
        PQfinish(conn_);
        conn_ = other.release();
        unread_ = std::exchange(other.unread_, false);
    }
    return *this;
}

PgConn::~PgConn() {
    PQfinish(conn_);
}

PGconn* PgConn::release() {
    return std::exchange(conn_, nullptr);
}

PgResult PgConn::exec(const char* sql) {
    settle();
    return check(PQexec(conn_, sql), sql);
}

PgResult PgConn::query(const char* sql, const PgParams& params) {
    settle();
    std::vector<const char*> values = params.pointers();
    return check(
        PQexecParams(conn_, sql, params.size(), nullptr, values.data(), nullptr, nullptr, 0), sql);
}

void PgConn::prepare(const char* name, const char* sql) {
    settle();
    check(PQprepare(conn_, name, sql, 0, nullptr), std::string("prepare ") + name);
}

PgResult PgConn::run_prepared(const char* name, const PgParams& params) {
    settle();
    std::vector<const char*> values = params.pointers();
    return check(PQexecPrepared(conn_, name, params.size(), values.data(), nullptr, nullptr, 0),
                 name);
}

std::vector<PgResult> PgConn::pipeline(const std::vector<PgStep>& steps) {
    settle();
    std::vector<PgResult> raw;
    if (PQenterPipelineMode(conn_) == 1) {
        bool sent = true;
        for (const PgStep& step : steps) {
            std::vector<const char*> values = step.params.pointers();
            sent = step.prepared
                       ? PQsendQueryPrepared(conn_, step.statement.c_str(), step.params.size(),
                                             values.data(), nullptr, nullptr, 0) == 1
                       : PQsendQueryParams(conn_, step.statement.c_str(), 0, nullptr, nullptr,
                                           nullptr, nullptr, 0) == 1;
            if (!sent) break;
        }
        if (sent && PQpipelineSync(conn_) == 1) {
            // Each step answers with its result and a NULL; the sync comes last. A step the
            // server skipped after a failure answers PGRES_PIPELINE_ABORTED.
            for (size_t i = 0; i < steps.size(); ++i) {
                PGresult* result = PQgetResult(conn_);
                raw.emplace_back(result);
                if (!result) break;  // the connection is gone
                while (PGresult* more = PQgetResult(conn_)) PQclear(more);
            }
            if (raw.size() == steps.size() && raw.back().get()) PQclear(PQgetResult(conn_));
        }
        PQexitPipelineMode(conn_);
    }
    std::vector<PgResult> results;
    for (size_t i = 0; i < steps.size(); ++i)
        results.push_back(check(i < raw.size() ? raw[i].release() : nullptr, steps[i].statement));
    return results;
}

void PgConn::copy_in(const char* sql, std::string_view data) {
    settle();
    PgResult start(PQexec(conn_, sql));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
        check(start.release(), sql);
        throw PgError("", std::string(sql) + ": not a COPY FROM STDIN");
    }
    bool sent = PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1;
    PQputCopyEnd(conn_, sent ? nullptr : "the data could not be sent");
    PgResult result = check(PQgetResult(conn_), sql);
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
}

void PgConn::send_quietly(const char* sql) {
    settle();
    unread_ = PQsendQuery(conn_, sql) == 1;
}

PGTransactionStatusType PgConn::transaction_status() {
    settle();
    return PQtransactionStatus(conn_);
}

void PgConn::settle() {
    if (!unread_) return;
    unread_ = false;
    while (PGresult* result = PQgetResult(conn_)) PQclear(result);
}

PgResult PgConn::check(PGresult* raw, std::string_view context) const {
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
        return result;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    // libpq reports a lost connection without a SQLSTATE.
    std::string sqlstate = state ? state : PQstatus(conn_) == CONNECTION_BAD ? "08006" : "";
    const char* primary = raw ? PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message = primary ? primary : one_line(PQerrorMessage(conn_));
    // Statements can be long (a migration); the first line names it well enough.
    std::string_view what = context.substr(0, std::min(context.find('\n'), size_t{80}));
    throw PgError(sqlstate, std::string(what) + ": " + message +
                                (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"));
}

PgTransaction::PgTransaction(PgConn& conn, const char* begin) : conn_(conn) {
    conn_.exec(begin);
}

PgTransaction::~PgTransaction() {
    if (open_ && conn_.ok()) PQclear(PQexec(conn_.get(), "ROLLBACK"));
}

void PgTransaction::commit() {
    open_ = false;  // a failed COMMIT ends the transaction too
    PgResult result = conn_.exec("COMMIT");
    // COMMIT of a transaction in which a statement failed succeeds, as a rollback.
    if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0)
        throw PgError("25P02", "COMMIT: the transaction had failed and was rolled back");
}

}  // namespace livesync
