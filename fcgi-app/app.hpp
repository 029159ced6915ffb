// One worker's application: its store, signal sender and routes. `handle` never throws: every
// failure becomes a JSON error response here, the one place errors are mapped to HTTP.
#pragma once

#include "api/context.hpp"
#include "api/routes.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace livesync {

class App {
  public:
    // Opens the database (migrating it if needed). Throws SqliteError if it cannot.
    explicit App(const Config& config);
    http::Response handle(const http::Request& request);

  private:
    const Config& config_;
    store::Store store_;
    SignalSender signals_;
    api::Context context_;
    api::ApiRouter router_;
};

}  // namespace livesync
