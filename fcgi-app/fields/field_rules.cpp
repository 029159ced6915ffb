#include "field_rules.hpp"

#include <algorithm>

#include "store/rows.hpp"
#include "text.hpp"

namespace livesync::fields {
namespace {

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

std::optional<std::string> check_required_text(std::string_view value, size_t max) {
    if (auto problem = check_text(value)) return problem;
    size_t n = code_points(value);
    if (n == 0 || n > max)
        return "must be 1 to " + std::to_string(max) + " characters (got " + std::to_string(n) +
               ")";
    if (blank(value)) return "must not be blank";
    return std::nullopt;
}

std::optional<std::string> check_optional_text(std::string_view value, size_t max) {
    if (auto problem = check_text(value)) return problem;
    size_t n = code_points(value);
    if (n > max)
        return "must be at most " + std::to_string(max) + " characters (got " + std::to_string(n) +
               ")";
    return std::nullopt;
}

}  // namespace

std::optional<std::string> check_name(std::string_view v) {
    return check_required_text(v, kNameMax);
}
std::optional<std::string> check_label(std::string_view v) {
    return check_required_text(v, kLabelMax);
}

std::optional<std::string> check_description(std::string_view v) {
    return check_optional_text(v, kDescriptionMax);
}

std::optional<std::string> check_owner(std::string_view v) {
    return check_optional_text(v, kOwnerMax);
}

std::optional<std::string> check_status(std::string_view v) {
    for (auto s : store::kStatuses)
        if (s == v) return std::nullopt;
    return "must be one of planned, active, on_hold, done";
}

}  // namespace livesync::fields
