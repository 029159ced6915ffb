#include "change_signal.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace livesync {

std::string sanitize_client_id(std::string_view raw) {
    if (raw.empty() || raw.size() > kMaxClientIdBytes) return {};
    for (char c : raw) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) return {};
    }
    return std::string(raw);
}

std::string encode_signal(const ChangeSignal& signal) {
    nlohmann::json j = {{"v", 1},
                        {"entity", entity_name(signal.entity)},
                        {"rev", signal.rev},
                        {"origin", signal.origin}};
    return j.dump();
}

std::optional<ChangeSignal> decode_signal(std::string_view datagram) {
    if (datagram.size() > kMaxSignalBytes) return std::nullopt;
    auto j = nlohmann::json::parse(datagram, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto v = j.find("v");
    auto entity = j.find("entity");
    auto rev = j.find("rev");
    auto origin = j.find("origin");
    if (v == j.end() || *v != 1) return std::nullopt;
    if (entity == j.end() || !entity->is_string()) return std::nullopt;
    if (rev == j.end() || !rev->is_number_integer() || rev->get<std::int64_t>() < 0)
        return std::nullopt;
    auto e = entity_from_name(entity->get<std::string>());
    if (!e) return std::nullopt;
    ChangeSignal s{*e, rev->get<std::int64_t>(), {}};
    if (origin != j.end() && origin->is_string())
        s.origin = sanitize_client_id(origin->get<std::string>());
    return s;
}

SignalSender::SignalSender(std::string socket_path)
    : path_(std::move(socket_path)),
      fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {}

bool SignalSender::send(const ChangeSignal& signal) noexcept {
    int saved_errno = 0;
    try {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (!fd_ || path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
            saved_errno = EINVAL;
        } else {
            std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
            std::string datagram = encode_signal(signal);
            ssize_t n = ::sendto(fd_.get(), datagram.data(), datagram.size(), MSG_DONTWAIT,
                                 reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
            if (n == static_cast<ssize_t>(datagram.size())) return true;
            saved_errno = errno;
        }
    } catch (...) {
        saved_errno = ENOMEM;
    }
    ++failures_;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    if (now - last_log_second_ >= 60) {
        last_log_second_ = now;
        std::fprintf(stderr, "livesync-fcgi: signal sendto %s: %s (%llu failed so far)\n",
                     path_.c_str(), std::strerror(saved_errno),
                     static_cast<unsigned long long>(failures_));
    }
    return false;
}

}  // namespace livesync
