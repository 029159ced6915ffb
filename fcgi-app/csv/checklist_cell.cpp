#include "checklist_cell.hpp"

#include <nlohmann/json.hpp>

#include "fields/checklist.hpp"
#include "fields/field_rules.hpp"

namespace livesync::csv {
namespace {

// Reads the common shape of a checklist cell straight into items: an array of objects with a
// "label" string free of escapes and an optional "done" true or false, in either order, with
// any JSON whitespace. It declines anything else (escapes, other keys or values, a label that
// breaks the rules, too many items) and the general path below then decides and explains, so
// the two never disagree. Building a JSON document instead took a quarter of a large import.
class PlainChecklist {
  public:
    explicit PlainChecklist(std::string_view text) : text_(text) {}

    bool read(std::vector<store::ChecklistItem>& items) {
        if (!eat('[')) return false;
        if (eat(']')) return at_end();
        do {
            if (items.size() == fields::kChecklistMaxItems || !item(items.emplace_back()))
                return false;
        } while (eat(','));
        return eat(']') && at_end();
    }

  private:
    bool item(store::ChecklistItem& item) {
        if (!eat('{')) return false;
        bool has_label = false;
        bool has_done = false;
        do {
            std::string_view key;
            if (!string(key) || !eat(':')) return false;
            if (key == "label" && !has_label) {
                std::string_view label;
                if (!string(label) || fields::check_label(label)) return false;
                item.label = label;
                has_label = true;
            } else if (key == "done" && !has_done) {
                if (!boolean(item.done)) return false;
                has_done = true;
            } else {
                return false;
            }
        } while (eat(','));
        return eat('}') && has_label;
    }

    // A string with no escapes and no control characters (JSON allows those only escaped).
    bool string(std::string_view& out) {
        if (!eat('"')) return false;
        size_t end = pos_;
        while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
               static_cast<unsigned char>(text_[end]) >= 0x20)
            ++end;
        if (end == text_.size() || text_[end] != '"') return false;
        out = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return true;
    }

    bool boolean(bool& out) {
        skip_space();
        for (bool value : {true, false}) {
            std::string_view word = value ? "true" : "false";
            if (text_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                out = value;
                return true;
            }
        }
        return false;
    }

    // Skips whitespace, then takes `c` if it comes next.
    bool eat(char c) {
        skip_space();
        if (pos_ == text_.size() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    bool at_end() {
        skip_space();
        return pos_ == text_.size();
    }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> parse_checklist_cell(std::string_view cell,
                                                std::vector<store::ChecklistItem>& items) {
    items.clear();
    if (cell.empty() || PlainChecklist(cell).read(items)) return std::nullopt;
    items.clear();
    nlohmann::json parsed = nlohmann::json::parse(cell, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array())
        return "must be a JSON array like [{\"label\":\"…\",\"done\":false}]";
    nlohmann::json errors = nlohmann::json::object();
    items = fields::parse_checklist(parsed, {}, "checklist", errors);
    if (errors.empty()) return std::nullopt;
    // Every problem is filed under the one field, already as "item N: …; item M: …".
    return errors.begin().value().get<std::string>();
}

}  // namespace livesync::csv
