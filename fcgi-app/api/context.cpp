#include "context.hpp"

namespace livesync::api {

void Context::commit(store::WriteTransaction& tx, Entity entity, std::int64_t rev,
                     const http::Request& request) {
    ChangeSignal signal{entity, rev,
                        sanitize_client_id(request.header("x-client-id").value_or(""))};
    tx.commit(signal);
    announced = std::move(signal);
}

}  // namespace livesync::api
