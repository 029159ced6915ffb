// The API's route table (SPEC §3).
#pragma once

#include "context.hpp"
#include "http/router.hpp"

namespace livesync::api {

using ApiRouter = http::Router<Context>;

ApiRouter make_router();

}  // namespace livesync::api
