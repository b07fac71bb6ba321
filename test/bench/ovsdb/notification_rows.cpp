#include "notification_rows.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace vtep::bench {
namespace {

// SAX handler that tracks only the container path it needs: the top-level member name,
// the index inside the params array, and the depth of the table objects.
class SummaryHandler {
  public:
    using json = nlohmann::json;

    explicit SummaryHandler(MessageSummary& summary) : summary_(summary) {}

    bool null() {
        if (!path_.empty() && path_.back().is_array) ++path_.back().index;
        return true;  // a null "error" is the success case
    }
    bool boolean(bool) { return scalar(); }
    bool number_integer(json::number_integer_t) { return scalar(); }
    bool number_unsigned(json::number_unsigned_t) { return scalar(); }
    bool number_float(json::number_float_t, const json::string_t&) { return scalar(); }
    bool binary(json::binary_t&) { return scalar(); }
    bool string(json::string_t& value) {
        if (path_.size() == 1 && top_member_ == Member::kMethod) summary_.method = value;
        return scalar();
    }
    bool start_object(std::size_t) {
        value_seen();
        path_.push_back({false, -1});
        return true;
    }
    bool end_object() {
        path_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        value_seen();
        path_.push_back({true, -1});
        return true;
    }
    bool end_array() {
        path_.pop_back();
        return true;
    }
    bool key(json::string_t& name) {
        if (path_.size() == 1) {
            top_member_ = name == "method"   ? Member::kMethod
                          : name == "params" ? Member::kParams
                          : name == "error"  ? Member::kError
                                             : Member::kOther;
        } else if (path_.size() == 4 && top_member_ == Member::kParams && path_[1].is_array &&
                   path_[1].index >= 1 && !path_[2].is_array) {
            ++summary_.rows;  // a row uuid inside a table object of table-updates
        }
        return true;
    }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& e) {
        throw std::invalid_argument("malformed JSON at byte " + std::to_string(position) + ": " +
                                    e.what());
    }

  private:
    enum class Member { kOther, kMethod, kParams, kError };
    struct Level {
        bool is_array;
        int index;  // of the current element, for arrays
    };

    bool scalar() {
        value_seen();
        return true;
    }
    // Called as each value starts: advances the enclosing array's index and notes a
    // non-null top-level error.
    void value_seen() {
        if (!path_.empty() && path_.back().is_array) ++path_.back().index;
        if (path_.size() == 1 && top_member_ == Member::kError) summary_.has_error = true;
    }

    MessageSummary& summary_;
    std::vector<Level> path_;
    Member top_member_ = Member::kOther;
};

}  // namespace

MessageSummary summarize_message(std::string_view text) {
    MessageSummary summary;
    SummaryHandler handler(summary);
    nlohmann::json::sax_parse(text.begin(), text.end(), &handler);
    return summary;
}

}  // namespace vtep::bench
