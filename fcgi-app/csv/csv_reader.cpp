#include "csv_reader.hpp"

#include <cstring>
#include <new>
#include <stdexcept>

namespace livesync::csv {
namespace {

// libcsv's parser state when no field of a record has been seen yet (ROW_NOT_BEGUN in
// libcsv.c, part of the struct's documented layout since 3.0).
constexpr int kRowNotBegun = 0;

// Spaces and tabs are data: libcsv would otherwise trim them around unquoted fields and allow
// them after a closing quote, and export → import would not be the identity.
int never_space(unsigned char) {
    return 0;
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

Reader::Reader(RecordHandler on_record) : on_record_(std::move(on_record)) {
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::bad_alloc();
    csv_set_space_func(&parser_, never_space);
    // Grow the field buffer in big steps: libcsv's default of 128 bytes means one realloc per
    // 128 bytes of a long field.
    csv_set_blk_size(&parser_, 16 * 1024);
}

Reader::~Reader() {
    csv_free(&parser_);
}

void Reader::on_field(void* data, size_t length, void* self_ptr) {
    auto* self = static_cast<Reader*>(self_ptr);
    Record& r = self->record_;
    if (r.field_count < kMaxFields) {
        if (r.fields.size() <= r.field_count) r.fields.emplace_back();
        r.fields[r.field_count].assign(static_cast<const char*>(data), length);
    }
    ++r.field_count;
}

void Reader::on_record_end(int, void* self_ptr) {
    auto* self = static_cast<Reader*>(self_ptr);
    Record& r = self->record_;
    r.fields.resize(std::min(r.field_count, kMaxFields));
    if (!self->stopped_ && !self->on_record_(r)) self->stopped_ = true;
    r.field_count = 0;
    // A record ended inside the current line (a lone CR) means the next one starts on it too;
    // one ending at the line's LF is corrected when the next line is fed.
    r.line = self->line_;
}

bool Reader::feed(std::string_view chunk) {
    if (parser_.pstate == kRowNotBegun) record_.line = line_;
    size_t n = csv_parse(&parser_, chunk.data(), chunk.size(), on_field, on_record_end, this);
    return n == chunk.size();
}

std::optional<SyntaxError> Reader::read(std::string_view text) {
    if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
    // Fed one physical line at a time, so that a record's first line is known: a record starts
    // on the line being fed when the parser was between records before it.
    while (!text.empty() && !stopped_) {
        ++line_;
        size_t end = text.find('\n');
        end = end == std::string_view::npos ? text.size() : end + 1;
        if (!feed(text.substr(0, end))) {
            int status = csv_error(&parser_);
            if (status == CSV_EPARSE)
                return SyntaxError{
                    line_,
                    "malformed quoting: a quote inside an unquoted field, or text "
                    "after a closing quote (quotes inside a field are doubled: \"\")"};
            throw std::bad_alloc();
        }
        text.remove_prefix(end);
    }
    if (stopped_) return std::nullopt;
    if (csv_fini(&parser_, on_field, on_record_end, this) != 0)
        return SyntaxError{record_.line, "a quoted field is not closed before the end of the file"};
    return std::nullopt;
}

}  // namespace livesync::csv
