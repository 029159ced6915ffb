#include "body_fields.hpp"

#include <set>

#include "field_rules.hpp"
#include "http/api_error.hpp"

namespace livesync::api {
namespace {

using http::ApiError;
using http::ErrorKind;
using nlohmann::json;

const std::set<std::string> kReadOnly = {"id", "rev", "created_at", "updated_at", "updated_by"};

// `details` names the body's own fields (what a form shows an error next to); a problem inside
// an array element says which element in the message, and several problems share the field.
void add_item_error(json& errors, const std::string& field, size_t index,
                    const std::string& message) {
    std::string text = "item " + std::to_string(index) + ": " + message;
    auto it = errors.find(field);
    if (it == errors.end())
        errors[field] = text;
    else
        *it = it->get<std::string>() + "; " + text;
}

void apply_phases(const json& value, unsigned& phases, json& errors) {
    if (!value.is_array()) {
        errors["phases"] = "must be an array of {\"name\", \"enabled\"}";
        return;
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < value.size(); ++i) {
        const json& p = value[i];
        if (!p.is_object() || !p.contains("name") || !p.contains("enabled") || p.size() != 2) {
            add_item_error(errors, "phases", i,
                           "must be an object with exactly \"name\" and \"enabled\"");
            continue;
        }
        if (!p["name"].is_string() || !store::phase_bit(p["name"].get<std::string>())) {
            add_item_error(errors, "phases", i,
                           "name must be one of discovery, design, build, test, deploy");
            continue;
        }
        if (!p["enabled"].is_boolean()) {
            add_item_error(errors, "phases", i, "enabled must be true or false");
            continue;
        }
        std::string name = p["name"];
        if (!seen.insert(name).second) {
            add_item_error(errors, "phases", i, "phase '" + name + "' is given more than once");
            continue;
        }
        unsigned bit = *store::phase_bit(name);
        phases = p["enabled"].get<bool>() ? (phases | bit) : (phases & ~bit);
    }
}

// Checks a string field; on success stores it in `target`. null counts as "" for optional text.
void apply_text(const json& body, const char* field, std::string& target, bool nullable,
                std::optional<std::string> (*check)(std::string_view), json& errors) {
    auto it = body.find(field);
    if (it == body.end()) return;
    if (it->is_null() && nullable) {
        target.clear();
        return;
    }
    if (!it->is_string()) {
        errors[field] = "must be a string";
        return;
    }
    const std::string& value = it->get_ref<const std::string&>();
    if (auto problem = check(value)) {
        errors[field] = *problem;
        return;
    }
    target = value;
}

// What nlohmann's message says is wrong ("invalid string: ill-formed UTF-8 byte", "invalid
// string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF", …), without its prefix and
// without the "last read" echo of the input, which may hold bytes that are not UTF-8.
std::string parse_problem(std::string_view what) {
    what = what.substr(0, what.find("; last read"));
    if (auto id_end = what.find("] "); what.starts_with('[') && id_end != std::string_view::npos)
        what.remove_prefix(id_end + 2);  // "[json.exception.parse_error.101] "
    if (auto context_end = what.find(" - "); context_end != std::string_view::npos)
        what.remove_prefix(context_end +
                           3);  // "parse error at line 1, column 9: syntax error … - "
    std::string out;
    for (char c : what)
        if (static_cast<unsigned char>(c) < 0x80) out += c;
    return out;
}

}  // namespace

json parse_object(const std::string& body) {
    // nlohmann's lexer stops at a NUL byte as if the input ended there, so `{"a":1}\0junk`
    // would parse; a raw NUL is never valid JSON text.
    if (body.find('\0') != std::string::npos)
        throw ApiError(ErrorKind::bad_json, "the request body is not valid JSON (NUL byte)");
    json value;
    try {
        value = json::parse(body);
    } catch (const json::parse_error& e) {
        throw ApiError(ErrorKind::bad_json,
                       "the request body is not valid JSON: " + parse_problem(e.what()) +
                           " (byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {  // out_of_range: a number beyond a double
        throw ApiError(ErrorKind::bad_json,
                       "the request body is not valid JSON: " + parse_problem(e.what()));
    }
    if (!value.is_object())
        throw ApiError(ErrorKind::bad_json, "the request body must be a JSON object");
    return value;
}

void throw_if_invalid(const json& errors) {
    if (!errors.empty())
        throw ApiError(ErrorKind::validation_failed, "some fields are invalid", errors);
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

void apply_fields(Entity entity, const json& body, store::Row& row, Mode mode) {
    const store::EntitySpec& spec = store::spec_of(entity);
    std::string parent(spec.parent_column);
    json errors = json::object();

    for (const auto& [key, value] : body.items()) {
        if (kReadOnly.count(key)) {
            errors[key] = "is read-only";
        } else if (key == "name" || key == "description" || key == "status") {
        } else if (key == "owner" && spec.has_owner) {
        } else if (key == "phases" && spec.has_phases) {
            apply_phases(value, row.phases, errors);
        } else if (!parent.empty() && key == parent) {
            auto id = value.is_number_integer() ? value.get<std::int64_t>() : 0;
            if (id <= 0)
                errors[key] = "must be the id of an existing " +
                              std::string(entity_name(spec.parent))
                                  .substr(0, entity_name(spec.parent).size() - 1);
            else
                row.parent_id = id;
        } else if (key == "checklist" && spec.has_checklist) {
            if (mode == Mode::patch)
                errors[key] = "use PUT /api/subcomponents/{id}/checklist to change the checklist";
            else
                row.checklist = parse_checklist(value, {}, key, errors);
        } else {
            errors[key] = "unknown field";
        }
    }
    apply_text(body, "name", row.name, false, check_name, errors);
    apply_text(body, "description", row.description, true, check_description, errors);
    apply_text(body, "status", row.status, false, check_status, errors);
    if (spec.has_owner) apply_text(body, "owner", row.owner, true, check_owner, errors);

    if (mode == Mode::create) {
        if (!body.contains("name")) errors["name"] = "is required";
        if (!parent.empty() && !body.contains(parent)) errors[parent] = "is required";
    }
    throw_if_invalid(errors);
}

}  // namespace livesync::api
