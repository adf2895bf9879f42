// The control socket under hostile local clients (issue 16): bounded requests, idle clients,
// connection cap, slow followers, escaping, throwing handlers, file mode, and destruction with
// followers connected (run under ASan by the unit-asan pass). No namespace needed: label unit.
#include "adapters/control_socket.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace xvrrp {
namespace {

using namespace std::chrono_literals;

class ControlSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xvrrp-ctl-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/test.sock";
        handlers_.status = [this] { return status_(); };
        handlers_.counters = [] { return std::string("{\"counters\":1}"); };
        handlers_.follow = [this](std::function<void(const std::string&)> f) {
            followers_[next_] = std::move(f);
            return next_++;
        };
        handlers_.unfollow = [this](int id) {
            ++unfollows_;
            followers_.erase(id);
        };
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void make(ControlSocket::Limits limits = {}) { socket_ = std::make_unique<ControlSocket>(io_, path_, handlers_, limits); }

    int connect_client() {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw std::runtime_error("connect");
        fcntl(fd, F_SETFL, O_NONBLOCK);
        return fd;
    }
    static void send_all(int fd, const std::string& s) {
        std::size_t off = 0;
        while (off < s.size()) {
            ssize_t n = write(fd, s.data() + off, s.size() - off);
            if (n > 0) {
                off += static_cast<std::size_t>(n);
            } else if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                poll(&p, 1, 10);
            } else {
                return;  // the daemon closed on us
            }
        }
    }
    // Runs the loop until the client's side is closed by the server (or `limit`); what arrived.
    std::string answer(int fd, std::chrono::milliseconds limit = 2000ms, bool* closed = nullptr) {
        std::string got;
        const auto end = std::chrono::steady_clock::now() + limit;
        bool eof = false;
        while (!eof && std::chrono::steady_clock::now() < end) {
            io_.poll();
            io_.restart();
            char b[4096];
            ssize_t n = read(fd, b, sizeof b);
            if (n > 0) got.append(b, static_cast<std::size_t>(n));
            else if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;
            else io_.run_for(2ms), io_.restart();
        }
        if (closed) *closed = eof;
        return got;
    }
    void spin(std::chrono::milliseconds d) {
        io_.run_for(d);
        io_.restart();
    }

    boost::asio::io_context io_;
    std::string dir_, path_;
    ControlSocket::Handlers handlers_;
    std::function<std::string()> status_ = [] { return std::string("{\"status\":true}"); };
    std::map<int, std::function<void(const std::string&)>> followers_;
    int next_ = 1;
    int unfollows_ = 0;
    std::unique_ptr<ControlSocket> socket_;
};

TEST_F(ControlSocketTest, AnswersStatusAndCloses) {
    make();
    int fd = connect_client();
    send_all(fd, "status\n");
    bool closed = false;
    EXPECT_EQ(answer(fd, 2000ms, &closed), "{\"status\":true}\n");
    EXPECT_TRUE(closed);
    close(fd);
}

TEST_F(ControlSocketTest, SocketFileIsForTheOwnerOnlyWhateverTheUmask) {
    const mode_t old = umask(0);
    make();
    umask(old);
    struct stat st {};
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlSocketTest, UnknownCommandIsEscapedValidJsonEvenWhenNotUtf8) {
    make();
    int fd = connect_client();
    send_all(fd, "sta\"tus\\ \xff\xfe\n");
    const std::string got = answer(fd);
    close(fd);
    ASSERT_FALSE(got.empty());
    auto doc = nlohmann::json::parse(got);  // throws (fails the test) on unescaped text
    EXPECT_NE(doc.at("error").get<std::string>().find("unknown command: sta\"tus\\"), std::string::npos);
}

TEST_F(ControlSocketTest, OverlongRequestIsRefusedWithoutBufferingIt) {
    make({.max_request = 1024});
    int fd = connect_client();
    send_all(fd, std::string(8192, 'x'));  // no newline at all
    bool closed = false;
    const std::string got = answer(fd, 2000ms, &closed);
    close(fd);
    EXPECT_TRUE(closed);
    EXPECT_NE(got.find("request longer than 1024 bytes"), std::string::npos) << got;
    EXPECT_EQ(socket_->connections(), 0u);
}

TEST_F(ControlSocketTest, IdleClientIsClosed) {
    make({.idle = 200ms});
    int fd = connect_client();
    spin(50ms);
    EXPECT_EQ(socket_->connections(), 1u);
    bool closed = false;
    answer(fd, 1500ms, &closed);
    close(fd);
    EXPECT_TRUE(closed);
    EXPECT_EQ(socket_->connections(), 0u);
}

TEST_F(ControlSocketTest, ConnectionsBeyondTheCapAreToldAndClosed) {
    make({.max_connections = 2});
    int a = connect_client(), b = connect_client();
    spin(50ms);
    ASSERT_EQ(socket_->connections(), 2u);
    int c = connect_client();
    bool closed = false;
    const std::string got = answer(c, 2000ms, &closed);
    EXPECT_TRUE(closed);
    EXPECT_NE(got.find("too many connections"), std::string::npos) << got;
    // The two served ones still get their answers.
    send_all(a, "counters\n");
    EXPECT_EQ(answer(a), "{\"counters\":1}\n");
    close(a);
    close(b);
    close(c);
}

TEST_F(ControlSocketTest, ThrowingHandlerAnswersThatClientAndTheSocketGoesOn) {
    make();
    status_ = []() -> std::string { throw std::runtime_error("boom"); };
    int fd = connect_client();
    send_all(fd, "status\n");
    const std::string got = answer(fd);
    close(fd);
    EXPECT_EQ(nlohmann::json::parse(got).at("error"), "internal error: boom");
    status_ = [] { return std::string("{}"); };
    fd = connect_client();
    send_all(fd, "status\n");
    EXPECT_EQ(answer(fd), "{}\n");
    close(fd);
}

TEST_F(ControlSocketTest, FollowerGetsLinesAndIsUnfollowedWhenItLeaves) {
    make();
    int fd = connect_client();
    send_all(fd, "events\n");
    spin(50ms);
    ASSERT_EQ(followers_.size(), 1u);
    followers_.begin()->second("{\"e\":1}");
    std::string got;
    for (int i = 0; i < 100 && got.empty(); ++i) got = answer(fd, 20ms);
    EXPECT_EQ(got, "{\"e\":1}\n");
    close(fd);
    spin(50ms);
    EXPECT_TRUE(followers_.empty());
    EXPECT_EQ(socket_->connections(), 0u);
}

TEST_F(ControlSocketTest, SlowFollowerIsToldAndDropped) {
    make({.max_follower_queue = 64 * 1024});
    int fd = connect_client();
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    send_all(fd, "events\n");
    spin(50ms);
    ASSERT_EQ(followers_.size(), 1u);
    const std::string line(1000, 'e');
    // The client reads nothing: the kernel's buffers fill, then the queue.
    for (int i = 0; i < 2000 && !followers_.empty(); ++i) {
        followers_.begin()->second(line);
        if (i % 50 == 0) spin(1ms);
    }
    spin(50ms);
    EXPECT_TRUE(followers_.empty()) << "a follower that never reads is never dropped";
    bool closed = false;
    const std::string got = answer(fd, 3000ms, &closed);
    close(fd);
    EXPECT_TRUE(closed);
    EXPECT_NE(got.find("follower too slow"), std::string::npos);
}

TEST_F(ControlSocketTest, DestroyedWithFollowersConnectedCallsNoHandlerAfterwards) {
    make();
    int a = connect_client(), b = connect_client();
    send_all(a, "events\n");
    send_all(b, "events\n");
    spin(50ms);
    ASSERT_EQ(followers_.size(), 2u);
    socket_.reset();  // as at SIGTERM: the daemon's objects go before the io_context
    EXPECT_TRUE(followers_.empty());
    EXPECT_EQ(unfollows_, 2);
    // The handlers' owner is gone: anything the loop still runs must not reach it.
    handlers_ = {};
    followers_.clear();
    spin(50ms);
    EXPECT_EQ(unfollows_, 2);
    bool closed = false;
    answer(a, 500ms, &closed);
    EXPECT_TRUE(closed);
    close(a);
    close(b);
    EXPECT_FALSE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace xvrrp
