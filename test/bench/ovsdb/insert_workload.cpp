#include <stdexcept>

#include "pipelined_writer.h"
#include "process_status.h"
#include "workloads.h"

namespace vtep::bench {

InsertResult run_inserts(const std::string& socket_path, std::uint64_t first_row,
                         std::uint64_t rows, std::uint64_t rows_per_transaction,
                         std::size_t window) {
    RpcConnection connection(socket_path);
    const ReferencedRows referenced = ensure_referenced_rows(connection);
    PipelinedWriter writer(connection,
                           build_insert_requests(referenced, first_row, rows, rows_per_transaction),
                           window);
    const double cpu_at_start = own_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    run_until(
        {&writer}, [&] { return writer.finished(); }, [&] { return writer.replies(); });
    if (writer.rows_inserted() != rows) {
        throw std::runtime_error("inserted " + std::to_string(writer.rows_inserted()) + " of " +
                                 std::to_string(rows) + " rows");
    }
    return {rows, writer.replies(),
            std::chrono::duration<double>(writer.finished_at() - start).count(),
            own_cpu_seconds() - cpu_at_start};
}

}  // namespace vtep::bench
