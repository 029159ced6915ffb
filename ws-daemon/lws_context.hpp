// Move-only owner of a libwebsockets context: destroying it closes every connection (with their
// CLOSED callbacks) before the owner's other state goes away.
#pragma once

#include <libwebsockets.h>

#include <utility>

namespace livesync::wsd {

class LwsContext {
  public:
    LwsContext() = default;
    explicit LwsContext(lws_context* ctx) : ctx_(ctx) {}
    LwsContext(LwsContext&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
    LwsContext& operator=(LwsContext&& other) noexcept {
        if (this != &other) {
            reset();
            ctx_ = std::exchange(other.ctx_, nullptr);
        }
        return *this;
    }
    LwsContext(const LwsContext&) = delete;
    LwsContext& operator=(const LwsContext&) = delete;
    ~LwsContext() { reset(); }

    lws_context* get() const { return ctx_; }
    explicit operator bool() const { return ctx_ != nullptr; }
    void reset() {
        if (ctx_) lws_context_destroy(std::exchange(ctx_, nullptr));
    }

  private:
    lws_context* ctx_ = nullptr;
};

}  // namespace livesync::wsd
