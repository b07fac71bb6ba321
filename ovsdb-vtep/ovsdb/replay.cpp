#include "ovsdb/replay.h"

#include <algorithm>
#include <vector>

#include "ovsdb/json_cursor.h"

namespace vtep::ovsdb {
namespace {

bool read_uuid_text(JsonCursor& in, Uuid& out) {
    std::string_view text;
    if (!in.string(text)) return false;
    auto u = Uuid::parse(std::string(text));
    if (!u) return false;
    out = *u;
    return true;
}

bool read_atom(JsonCursor& in, const BaseType& base, Atom& out) {
    switch (base.type) {
        case AtomicType::Integer: {
            int64_t i;
            if (!in.integer(i)) return false;
            out = Atom(i);
            break;
        }
        case AtomicType::Real: {
            double r;
            if (!in.real(r)) return false;
            out = Atom(r);
            break;
        }
        case AtomicType::Boolean:
            if (in.literal("true"))
                out = Atom(true);
            else if (in.literal("false"))
                out = Atom(false);
            else
                return false;
            break;
        case AtomicType::String: {
            std::string_view s;
            if (!in.string(s)) return false;
            out = Atom(s);
            break;
        }
        case AtomicType::Uuid: {
            std::string_view tag;
            Uuid u;
            if (!in.consume('[') || !in.string(tag) || tag != "uuid" || !in.consume(',') ||
                !read_uuid_text(in, u) || !in.consume(']'))
                return false;
            out = Atom(u);
            break;
        }
        default:
            return false;
    }
    return base.check(out).ok();
}

// A column value: a bare atom, ["set",[...]] or ["map",[[k,v],...]], sorted and
// duplicate-free as the file holds them (anything else takes the general path).
bool read_datum(JsonCursor& in, const Type& type, bool check_size, Datum& out) {
    Datum d;
    d.set_map(type.is_map());
    bool wrapped = type.is_map();
    if (!wrapped && in.peek() == '[') {
        // ["set", ...] or an atom that is itself an array (["uuid", ...]).
        JsonCursor probe = in;
        std::string_view tag;
        wrapped = probe.consume('[') && probe.string(tag) && tag == "set";
    }
    if (!wrapped) {
        Atom a;
        if (!read_atom(in, type.key, a)) return false;
        d.add(std::move(a));
    } else {
        std::string_view tag;
        if (!in.consume('[') || !in.string(tag) || tag != (type.is_map() ? "map" : "set") ||
            !in.consume(',') || !in.consume('['))
            return false;
        if (!in.consume(']')) {
            do {
                Atom key, value;
                if (type.is_map()) {
                    if (!in.consume('[') || !read_atom(in, type.key, key) || !in.consume(',') ||
                        !read_atom(in, type.value, value) || !in.consume(']'))
                        return false;
                } else if (!read_atom(in, type.key, key)) {
                    return false;
                }
                if (!d.empty() && !(d.key(d.size() - 1) < key)) return false;  // unsorted
                if (type.is_map())
                    d.add(std::move(key), std::move(value));
                else
                    d.add(std::move(key));
            } while (in.consume(','));
            if (!in.consume(']')) return false;
        }
        if (!in.consume(']')) return false;
    }
    if (check_size && (d.size() < type.n_min || d.size() > type.n_max)) return false;
    out = std::move(d);
    return true;
}

bool apply_row(Transaction& txn, const TableSchema& ts, JsonCursor& in, bool is_diff) {
    Uuid uuid;
    if (!read_uuid_text(in, uuid) || !in.consume(':')) return false;
    size_t t = ts.table_index;
    // A row named twice in one record: the general path keeps the last (a JSON object
    // has unique members), so leave it to that path.
    if (txn.touched(t, uuid)) return false;
    if (in.literal("null")) {
        if (!txn.find(t, uuid)) return false;
        txn.erase(t, uuid);
        return true;
    }
    Row* existing = txn.modify(t, uuid);
    Row inserted;
    Row* row = existing;
    if (!row) {
        inserted = Row::with_defaults(ts, uuid);
        row = &inserted;
    }
    bool inserting = existing == nullptr;
    if (!in.consume('{')) return false;
    if (!in.consume('}')) {
        do {
            std::string_view name;
            if (!in.string(name) || !in.consume(':')) return false;
            const ColumnSchema* c = ts.find_column(name);
            if (!c || c->is_pseudo()) return false;
            Datum d;
            if (!read_datum(in, c->type, !is_diff || inserting, d)) return false;
            if (is_diff && !inserting)
                row->fields[c->index].apply_diff(d, c->type);
            else
                row->fields[c->index] = std::move(d);
        } while (in.consume(','));
        if (!in.consume('}')) return false;
    }
    if (inserting) txn.insert(t, std::move(inserted));
    return true;
}

}  // namespace

bool apply_record_text(Transaction& txn, std::string_view payload) {
    const DatabaseSchema& schema = txn.database().schema();
    JsonCursor in(payload);
    // First pass: where each table's rows are, and whether the record holds diffs
    // ("_is_diff" may come after the tables).
    struct TableRows {
        const TableSchema* table;
        size_t begin, end;
    };
    std::vector<TableRows> tables;
    bool is_diff = false;
    if (!in.consume('{')) return false;
    if (!in.consume('}')) {
        do {
            std::string_view name;
            if (!in.string(name) || !in.consume(':')) return false;
            if (name == "_is_diff") {
                if (in.literal("true"))
                    is_diff = true;
                else if (!in.literal("false"))
                    return false;
            } else if (name == "_date") {
                double ignored;
                if (!in.real(ignored)) return false;
            } else if (name == "_comment") {
                std::string_view ignored;
                if (!in.string(ignored)) return false;
            } else {
                const TableSchema* ts = schema.find_table(name);
                if (!ts || in.peek() != '{') return false;
                size_t begin = in.position();
                if (!in.skip_value()) return false;
                tables.push_back({ts, begin, in.position()});
            }
        } while (in.consume(','));
        if (!in.consume('}') || !in.at_end()) return false;
    }
    // Second pass: the rows, table by table.
    for (const TableRows& tr : tables) {
        JsonCursor rows(in.text_between(tr.begin, tr.end));
        if (!rows.consume('{')) return false;
        if (rows.consume('}')) continue;
        do {
            if (!apply_row(txn, *tr.table, rows, is_diff)) return false;
        } while (rows.consume(','));
        if (!rows.consume('}') || !rows.at_end()) return false;
    }
    return true;
}

}  // namespace vtep::ovsdb
