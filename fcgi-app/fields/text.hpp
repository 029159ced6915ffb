// The one rule for the characters a stored text field may hold, on every path in: JSON bodies
// (name, description, owner, checklist labels) and every CSV cell. Text is well-formed UTF-8
// without NUL (U+0000). Every other Unicode scalar value (other C0 controls, DEL, CR, U+2028,
// U+FEFF, noncharacters, astral characters) is stored verbatim and comes back unchanged through
// the API and through CSV export → import. Why NUL is refused: docs/api.md, "Text".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace livesync::fields {

enum class TextFault {
    invalid_utf8,  // not well-formed UTF-8: a CSV cell (a JSON body is refused whole as 400)
    nul,           // U+0000
};

struct TextProblem {
    TextFault fault;
    size_t offset;  // byte offset of the first offending byte
};

// The first place `text` breaks the rule, or nullopt when it may be stored.
std::optional<TextProblem> text_problem(std::string_view text);

// The user's message for `problem`, worded to follow a field or column name ("name …").
std::string describe(const TextProblem& problem);

// `text_problem` as a field check: nullopt, or the message.
std::optional<std::string> check_text(std::string_view text);

// The offset of the first byte of `text` that is not part of well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are not), or nullopt if all of it is.
std::optional<size_t> invalid_utf8_at(std::string_view text);

// Unicode code points in well-formed UTF-8 (what the field rules' lengths count).
size_t code_points(std::string_view utf8);

// `text` made storable, for a value the host gives rather than the client (the authenticated
// user, recorded as updated_by), which is recorded, never refused: each byte that is not part of
// well-formed UTF-8 becomes U+FFFD and each NUL is dropped.
std::string storable_text(std::string_view text);

}  // namespace livesync::fields
