// The rules of each editable field, shared by the JSON API and CSV import. Each check returns
// an error message for the user, or nullopt when the value is acceptable. Every text field
// (name, description, owner, label) first keeps the one character rule of fields/text.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace livesync::fields {

inline constexpr size_t kNameMax = 200;
inline constexpr size_t kDescriptionMax = 10000;
inline constexpr size_t kOwnerMax = 200;
inline constexpr size_t kLabelMax = 500;
inline constexpr size_t kChecklistMaxItems = 1000;

std::optional<std::string> check_name(std::string_view value);
std::optional<std::string> check_description(std::string_view value);
std::optional<std::string> check_owner(std::string_view value);
std::optional<std::string> check_status(std::string_view value);
std::optional<std::string> check_label(std::string_view value);

}  // namespace livesync::fields
