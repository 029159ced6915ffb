#include "checklist.hpp"

#include <set>

#include "field_rules.hpp"

namespace livesync::fields {

using nlohmann::json;

void add_item_error(json& errors, const std::string& field, size_t index,
                    const std::string& message) {
    std::string text = "item " + std::to_string(index) + ": " + message;
    auto it = errors.find(field);
    if (it == errors.end())
        errors[field] = text;
    else
        *it = it->get<std::string>() + "; " + text;
}

std::vector<store::ChecklistItem> parse_checklist(const json& items,
                                                  const std::vector<store::ChecklistItem>& current,
                                                  const std::string& field, json& errors) {
    std::vector<store::ChecklistItem> out;
    if (!items.is_array()) {
        errors[field] = "must be an array of {\"id\"?, \"label\", \"done\"}";
        return out;
    }
    if (items.size() > kChecklistMaxItems) {
        errors[field] = "at most " + std::to_string(kChecklistMaxItems) + " items";
        return out;
    }
    std::set<std::int64_t> known, used;
    for (const auto& item : current) known.insert(item.id);
    for (size_t i = 0; i < items.size(); ++i) {
        const json& it = items[i];
        if (!it.is_object()) {
            add_item_error(errors, field, i, "must be an object");
            continue;
        }
        store::ChecklistItem item;
        bool ok = true;
        for (const auto& [key, value] : it.items()) {
            if (key == "id") {
                if (!value.is_number_integer() || !known.count(value.get<std::int64_t>())) {
                    add_item_error(errors, field, i, "id is not an item of this checklist");
                    ok = false;
                } else if (!used.insert(value.get<std::int64_t>()).second) {
                    add_item_error(errors, field, i, "id is given more than once");
                    ok = false;
                } else {
                    item.id = value.get<std::int64_t>();
                }
            } else if (key == "label") {
                auto problem = value.is_string() ? check_label(value.get_ref<const std::string&>())
                                                 : std::optional<std::string>("must be a string");
                if (problem) {
                    add_item_error(errors, field, i, "label " + *problem);
                    ok = false;
                } else {
                    item.label = value.get<std::string>();
                }
            } else if (key == "done") {
                if (!value.is_boolean()) {
                    add_item_error(errors, field, i, "done must be true or false");
                    ok = false;
                } else {
                    item.done = value.get<bool>();
                }
            } else {
                add_item_error(errors, field, i, "unknown field '" + key + "'");
                ok = false;
            }
        }
        if (ok && !it.contains("label")) {
            add_item_error(errors, field, i, "label is required");
            ok = false;
        }
        if (ok) out.push_back(std::move(item));
    }
    return out;
}

}  // namespace livesync::fields
