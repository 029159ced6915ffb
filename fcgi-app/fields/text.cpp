#include "text.hpp"

#include <algorithm>

namespace livesync::fields {

std::optional<TextProblem> text_problem(std::string_view text) {
    if (auto bad = invalid_utf8_at(text)) return TextProblem{TextFault::invalid_utf8, *bad};
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        return TextProblem{TextFault::nul, nul};
    return std::nullopt;
}

std::string describe(const TextProblem& problem) {
    switch (problem.fault) {
        case TextFault::invalid_utf8:
            return "is not valid UTF-8 (byte " + std::to_string(problem.offset + 1) +
                   "); save the file as UTF-8";
        case TextFault::nul:
            return "contains U+0000 (NUL) at byte " + std::to_string(problem.offset + 1) +
                   "; no text field may hold it";
    }
    return {};
}

std::optional<std::string> check_text(std::string_view text) {
    if (auto problem = text_problem(text)) return describe(*problem);
    return std::nullopt;
}

std::optional<size_t> invalid_utf8_at(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    size_t n = text.size(), i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;  // overlong
            if (c == 0xED) hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;  // overlong
            if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += len;
    }
    return std::nullopt;
}

std::string storable_text(std::string_view text) {
    std::string out;
    while (!text.empty()) {
        size_t good = invalid_utf8_at(text).value_or(text.size());
        for (char c : text.substr(0, good))
            if (c != '\0') out += c;
        if (good == text.size()) break;
        out += "\xEF\xBF\xBD";  // U+FFFD
        text.remove_prefix(good + 1);
    }
    return out;
}

size_t code_points(std::string_view utf8) {
    return static_cast<size_t>(
        std::count_if(utf8.begin(), utf8.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace livesync::fields
