// A small RAII owner of a libcsv parser that reads RFC 4180 text record by record and knows the
// physical line each record starts on (libcsv itself does not track positions).
//
// Strict: a quote inside an unquoted field, text after a closing quote, or an unterminated
// quoted field is a syntax error. Spaces are data (never trimmed). CRLF or LF ends a record;
// blank lines are skipped; a UTF-8 byte order mark at the very start is dropped; the last
// record may lack a line break. Bytes are passed through as they are: checking UTF-8 is the
// caller's business (the importer applies fields/text.hpp to every cell).
#pragma once

#include <csv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livesync::csv {

struct Record {
    std::int64_t line = 0;            // physical line (1-based) where the record starts
    std::vector<std::string> fields;  // at most kMaxFields are kept
    size_t field_count = 0;           // every field seen, kept or not
};

struct SyntaxError {
    std::int64_t line;  // physical line where parsing failed
    std::string message;
};

class Reader {
  public:
    // Fields beyond this many in one record are counted but not stored, so a line of a million
    // commas costs no memory.
    static constexpr size_t kMaxFields = 64;

    // `on_record` is called once per record, in order; returning false stops reading.
    using RecordHandler = std::function<bool(const Record&)>;

    explicit Reader(RecordHandler on_record);
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader();

    // Reads all of `text` (a whole document). Returns the first syntax error, if any; records
    // before it have been delivered.
    std::optional<SyntaxError> read(std::string_view text);

  private:
    static void on_field(void* data, size_t length, void* self);
    static void on_record_end(int terminator, void* self);
    bool feed(std::string_view chunk);

    struct csv_parser parser_;
    RecordHandler on_record_;
    Record record_;
    std::int64_t line_ = 0;  // the physical line being fed
    bool stopped_ = false;   // the handler asked to stop
};

}  // namespace livesync::csv
