#include "change_signal.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fd.hpp"

using namespace livesync;

TEST_CASE("a signal survives encode then decode unchanged") {
    ChangeSignal s{Entity::solutions, 12345, "tab-1.a_B"};
    auto decoded = decode_signal(encode_signal(s));
    REQUIRE(decoded);
    CHECK(*decoded == s);
}

TEST_CASE("malformed datagrams are rejected, not guessed at") {
    CHECK_FALSE(decode_signal(""));
    CHECK_FALSE(decode_signal("not json"));
    CHECK_FALSE(decode_signal("[1,2]"));
    CHECK_FALSE(decode_signal(R"({"v":2,"entity":"projects","rev":1})"));
    CHECK_FALSE(decode_signal(R"({"v":1,"entity":"planets","rev":1})"));
    CHECK_FALSE(decode_signal(R"({"v":1,"entity":"projects","rev":-1})"));
    CHECK_FALSE(decode_signal(R"({"v":1,"entity":"projects","rev":"1"})"));
    CHECK_FALSE(decode_signal(std::string(kMaxSignalBytes + 1, ' ')));
}

TEST_CASE("client ids outside the safe alphabet or too long are dropped") {
    CHECK(sanitize_client_id("abc-DEF_1.2") == "abc-DEF_1.2");
    CHECK(sanitize_client_id("") == "");
    CHECK(sanitize_client_id("a b") == "");
    CHECK(sanitize_client_id("\"}") == "");
    CHECK(sanitize_client_id(std::string(kMaxClientIdBytes + 1, 'a')) == "");
    CHECK(sanitize_client_id(std::string(kMaxClientIdBytes, 'a')).size() == kMaxClientIdBytes);
}

TEST_CASE("sending to a path where nobody listens fails quietly and is counted") {
    SignalSender sender("/nonexistent-dir/signal.sock");
    CHECK_FALSE(sender.send({Entity::projects, 1, ""}));
    CHECK(sender.failures() == 1);
}

TEST_CASE("a sent signal arrives as one datagram at a bound socket") {
    char dir_template[] = "/tmp/ls-sig-XXXXXX";
    REQUIRE(mkdtemp(dir_template));
    std::string path = std::string(dir_template) + "/s.sock";
    Fd rx(::socket(AF_UNIX, SOCK_DGRAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);

    SignalSender sender(path);
    ChangeSignal s{Entity::all, 7, "me"};
    REQUIRE(sender.send(s));
    char buf[1024];
    ssize_t n = ::recv(rx.get(), buf, sizeof(buf), 0);
    REQUIRE(n > 0);
    CHECK(decode_signal(std::string_view(buf, static_cast<size_t>(n))) == s);
    ::unlink(path.c_str());
    ::rmdir(dir_template);
}
