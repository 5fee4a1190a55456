// TlsStream (the server's TLS stream, issue 10) against an independent TLS implementation: Asio's
// own ssl::stream, with its BIO pair, on the client side, over real loopback TCP. The server side
// runs on this thread's io_context; each client runs blocking calls on a thread of its own.
#include "tls_stream.h"

#include <sys/socket.h>

#include <future>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "test_server.h"
#include "tls_context.h"

namespace attestd::server::detail {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

// The outcome of one server-side operation.
struct Result {
  bool done = false;
  beast::error_code ec;
  size_t bytes = 0;
};

// A completion handler that records into a Result (both completion signatures).
struct Record {
  Result* r;
  void operator()(beast::error_code ec, size_t n) const {
    r->done = true;
    r->ec = ec;
    r->bytes = n;
  }
  void operator()(beast::error_code ec) const { (*this)(ec, 0); }
};

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

// The OpenSSL reason inside an error of net::error::get_ssl_category(), 0 for any other error.
int ssl_reason(const beast::error_code& ec) {
  if (ec.category() != net::error::get_ssl_category()) return 0;
  return ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
}

// The client side: Asio's ssl::stream over a blocking socket, used from one thread.
// No certificate verification (Asio's default): what is under test is the record layer.
struct Peer {
  net::io_context ioc;
  ssl::context context{ssl::context::tls_client};
  ssl::stream<tcp::socket> tls{ioc, context};
  tcp::socket& raw() { return tls.next_layer(); }

  // Connects without the handshake; `receive_buffer` > 0 pins SO_RCVBUF (no autotuning).
  beast::error_code connect(uint16_t port, int receive_buffer = 0) {
    beast::error_code ec;
    raw().open(tcp::v4(), ec);
    if (ec) return ec;
    if (receive_buffer > 0) raw().set_option(net::socket_base::receive_buffer_size(receive_buffer), ec);
    if (ec) return ec;
    raw().connect({net::ip::make_address_v4("127.0.0.1"), port}, ec);
    return ec;
  }
  beast::error_code connect_tls(uint16_t port, int receive_buffer = 0) {
    auto ec = connect(port, receive_buffer);
    if (ec) return ec;
    tls.handshake(ssl::stream_base::client, ec);
    return ec;
  }
};

// A client that completes its handshake, sends `message` once `go` is ready, then reads until
// the server closes (so that the connection stays open for what the server does next).
std::jthread send_when_told(uint16_t port, std::future<void> go, std::string message) {
  return std::jthread([port, go = std::move(go), message = std::move(message)]() mutable {
    Peer p;
    if (p.connect_tls(port)) return;
    if (go.wait_for(30s) != std::future_status::ready) return;
    beast::error_code ec;
    net::write(p.tls, net::buffer(message), ec);
    std::array<char, 16> sink{};
    p.tls.read_some(net::buffer(sink), ec);
  });
}

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_self_signed(dir.path() / "cert.pem", dir.path() / "key.pem");
    auto ctx = make_server_tls_context(dir.path() / "cert.pem", dir.path() / "key.pem", false);
    ASSERT_TRUE(ctx) << ctx.error();
    context = *ctx;
    acceptor.open(tcp::v4());
    acceptor.bind({net::ip::make_address_v4("127.0.0.1"), 0});
    acceptor.listen();
    port = acceptor.local_endpoint().port();
  }

  // The next connection (a client thread must be connecting), on a strand as in the server;
  // `send_buffer` > 0 pins SO_SNDBUF.
  std::unique_ptr<TlsStream> accept(int send_buffer = 0) {
    tcp::socket socket(net::make_strand(ioc));
    acceptor.accept(socket);
    if (send_buffer > 0) socket.set_option(net::socket_base::send_buffer_size(send_buffer));
    return std::make_unique<TlsStream>(std::move(socket), *context);
  }

  // Runs the server side until `r` is done; false after 20 s, so that a hang fails the test
  // instead of stalling ctest.
  bool run_until(const Result& r) {
    const auto limit = std::chrono::steady_clock::now() + 20s;
    while (!r.done && std::chrono::steady_clock::now() < limit) {
      if (ioc.stopped()) ioc.restart();
      if (ioc.run_one_for(50ms) == 0) std::this_thread::sleep_for(1ms);
    }
    return r.done;
  }
  // Runs whatever is ready for `d`: a pending operation gets its chance to (wrongly) complete.
  void run_for(std::chrono::milliseconds d) {
    ioc.restart();
    ioc.run_for(d);
  }

  // Accepts one connection and completes the server's handshake (deadline: 10 s).
  std::unique_ptr<TlsStream> accept_tls(int send_buffer = 0) {
    auto s = accept(send_buffer);
    Result hs;
    s->expires_after(10s);
    s->async_handshake(ssl::stream_base::server, Record{&hs});
    EXPECT_TRUE(run_until(hs));
    EXPECT_FALSE(hs.ec) << hs.ec.message();
    s->expires_never();
    return s;
  }

  TempDir dir;
  std::shared_ptr<ssl::context> context;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  uint16_t port = 0;
};

// One HTTP request whose 1 MiB body arrives in many TLS records and TCP segments, read by Beast
// through TlsStream; then a 1 MiB response, written by Beast as header and body buffers, read by
// Asio's stream. Both bodies arrive byte for byte.
TEST_F(TlsStreamTest, LargeBodiesCrossManyRecordsIntact) {
  const std::string up = random_bytes(1 << 20, 1);
  const std::string down = random_bytes(1 << 20, 2);
  std::promise<std::string> received;
  std::jthread client([&] {
    Peer p;
    if (auto ec = p.connect_tls(port)) return received.set_value("client handshake: " + ec.message());
    http::request<http::string_body> req{http::verb::post, "/upload", 11};
    req.set(http::field::host, "localhost");
    req.body() = up;
    req.prepare_payload();
    beast::error_code ec;
    http::write(p.tls, req, ec);
    if (ec) return received.set_value("client write: " + ec.message());
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(p.tls, buffer, res, ec);
    if (ec) return received.set_value("client read: " + ec.message());
    received.set_value(res.body());
  });
  auto server = accept_tls();

  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(2 << 20);
  Result read;
  server->expires_after(20s);
  http::async_read(*server, buffer, parser, Record{&read});
  ASSERT_TRUE(run_until(read));
  ASSERT_FALSE(read.ec) << read.ec.message();
  EXPECT_EQ(parser.get().target(), "/upload");
  EXPECT_TRUE(parser.get().body() == up) << "request body differs";

  http::response<http::string_body> res{http::status::ok, 11};
  res.body() = down;
  res.prepare_payload();
  Result written;
  http::async_write(*server, res, Record{&written});
  ASSERT_TRUE(run_until(written));
  ASSERT_FALSE(written.ec) << written.ec.message();
  auto got = received.get_future();
  ASSERT_EQ(got.wait_for(20s), std::future_status::ready);
  const std::string body = got.get();
  EXPECT_EQ(body.size(), down.size()) << body.substr(0, 200);
  EXPECT_TRUE(body == down) << "response body differs";
}

// A 4 MiB write to a peer that does not read: the socket buffers (pinned small) fill, the write
// stays pending (waiting for writability, not failing and not spinning to completion), and a read
// may be outstanding beside it. Once the peer reads, slowly, every byte arrives in order, in
// several partial writes, and the pending read gets the peer's answer.
TEST_F(TlsStreamTest, LargeWriteToASlowReaderCompletesInPartialWrites) {
  const std::string data = random_bytes(4 << 20, 3);
  std::promise<void> start_reading;
  std::promise<std::string> received;
  std::jthread client([&, go = start_reading.get_future()]() mutable {
    Peer p;
    if (auto ec = p.connect_tls(port, 16 * 1024)) return received.set_value("client handshake: " + ec.message());
    if (go.wait_for(30s) != std::future_status::ready) return received.set_value("never told to read");
    std::string got(data.size(), '\0');
    size_t at = 0;
    std::array<char, 4096> chunk{};
    while (at < got.size()) {
      beast::error_code ec;
      const size_t n = p.tls.read_some(net::buffer(chunk.data(), std::min(chunk.size(), got.size() - at)), ec);
      if (ec) return received.set_value("client read: " + ec.message());
      std::copy_n(chunk.data(), n, got.data() + at);
      at += n;
      if (at % (256 * 1024) < n) std::this_thread::sleep_for(2ms);  // a slow reader
    }
    beast::error_code ec;
    net::write(p.tls, net::buffer(std::string_view("read all")), ec);
    received.set_value(ec ? "client write: " + ec.message() : got);
  });
  auto server = accept_tls(16 * 1024);

  std::array<char, 64> answer{};
  Result read;
  server->async_read_some(net::buffer(answer), Record{&read});

  size_t written = 0;
  size_t writes = 0;
  size_t smallest = SIZE_MAX;
  Result step;
  std::function<void(beast::error_code, size_t)> on_write = [&](beast::error_code ec, size_t n) {
    ++writes;
    smallest = std::min(smallest, n);
    written += n;
    if (ec || written == data.size()) return Record{&step}(ec, written);
    server->async_write_some(net::buffer(data.data() + written, data.size() - written), on_write);
  };
  server->async_write_some(net::buffer(data), on_write);
  run_for(300ms);
  EXPECT_FALSE(step.done) << "4 MiB written to a peer that reads nothing: " << step.ec.message();
  EXPECT_LT(written, data.size());
  EXPECT_FALSE(read.done);

  start_reading.set_value();
  ASSERT_TRUE(run_until(step));
  ASSERT_FALSE(step.ec) << step.ec.message();
  EXPECT_EQ(written, data.size());
  // Partial writes: each call moved some bytes, none all of them. (One call may report many
  // records: OpenSSL counts the records it sent before a WANT_WRITE towards the retry.)
  EXPECT_GT(writes, 1U);
  EXPECT_GT(smallest, 0U);

  ASSERT_TRUE(run_until(read));
  ASSERT_FALSE(read.ec) << read.ec.message();
  EXPECT_EQ(std::string_view(answer.data(), read.bytes), "read all");
  auto got = received.get_future();
  ASSERT_EQ(got.wait_for(20s), std::future_status::ready);
  const std::string body = got.get();
  EXPECT_EQ(body.size(), data.size()) << body.substr(0, 200);
  EXPECT_TRUE(body == data) << "bytes differ";
}

// Two records that arrived together: the first read (read-ahead) takes both off the socket, so the
// second must be read from OpenSSL's buffer at once: a stream that waited for the socket to become
// readable again would wait for bytes that will never come (the deadline would end it).
TEST_F(TlsStreamTest, RecordsOpenSslAlreadyHoldsAreReadWithoutWaiting) {
  std::promise<void> both_sent;
  std::jthread client([&] {
    Peer p;
    if (p.connect_tls(port)) return;
    beast::error_code ec;
    net::write(p.tls, net::buffer(std::string_view("first")), ec);
    net::write(p.tls, net::buffer(std::string_view("second")), ec);
    both_sent.set_value();
    std::array<char, 16> sink{};
    p.tls.read_some(net::buffer(sink), ec);  // the server's answer, then until it closes
    p.tls.read_some(net::buffer(sink), ec);
  });
  auto server = accept_tls();
  ASSERT_EQ(both_sent.get_future().wait_for(20s), std::future_status::ready);
  std::this_thread::sleep_for(100ms);  // let both records reach the server's socket

  server->expires_after(5s);
  std::array<char, 5> five{};
  Result first;
  server->async_read_some(net::buffer(five), Record{&first});
  ASSERT_TRUE(run_until(first));
  ASSERT_FALSE(first.ec) << first.ec.message();
  EXPECT_EQ(std::string_view(five.data(), first.bytes), "first");

  Result answer;  // a write in between: the next read is for a new message
  net::async_write(*server, net::buffer(std::string_view("ok")), Record{&answer});
  ASSERT_TRUE(run_until(answer));
  ASSERT_FALSE(answer.ec) << answer.ec.message();

  std::array<char, 64> buf{};
  Result second;
  server->async_read_some(net::buffer(buf), Record{&second});
  ASSERT_TRUE(run_until(second));
  ASSERT_FALSE(second.ec) << second.ec.message();
  EXPECT_EQ(std::string_view(buf.data(), second.bytes), "second");
}

// The deadline ends a read the peer never answers with beast::error::timeout, and holds until it
// is changed: a later write fails at once the same way. expires_never() lifts it.
TEST_F(TlsStreamTest, DeadlinePassingDuringAReadGivesTimeout) {
  std::promise<void> send_now;
  std::jthread client = send_when_told(port, send_now.get_future(), "late");
  auto server = accept_tls();

  std::array<char, 64> buf{};
  Result read;
  server->expires_after(100ms);
  server->async_read_some(net::buffer(buf), Record{&read});
  ASSERT_TRUE(run_until(read));
  EXPECT_EQ(read.ec, beast::error::timeout) << read.ec.message();

  Result write;
  server->async_write_some(net::buffer(std::string_view("x")), Record{&write});
  ASSERT_TRUE(run_until(write));
  EXPECT_EQ(write.ec, beast::error::timeout) << write.ec.message();

  server->expires_never();
  send_now.set_value();
  Result again;
  server->async_read_some(net::buffer(buf), Record{&again});
  ASSERT_TRUE(run_until(again));
  ASSERT_FALSE(again.ec) << again.ec.message();
  EXPECT_EQ(std::string_view(buf.data(), again.bytes), "late");
}

// A later expires_after() replaces the deadline: data that arrives before the new one is read.
TEST_F(TlsStreamTest, ExpiresAfterReplacesThePreviousDeadline) {
  std::promise<void> send_now;
  std::jthread client = send_when_told(port, send_now.get_future(), "in time");
  auto server = accept_tls();

  server->expires_after(50ms);
  server->expires_after(30s);
  std::array<char, 64> buf{};
  Result read;
  server->async_read_some(net::buffer(buf), Record{&read});
  run_for(200ms);  // well past the first deadline
  EXPECT_FALSE(read.done) << read.ec.message();
  send_now.set_value();
  ASSERT_TRUE(run_until(read));
  ASSERT_FALSE(read.ec) << read.ec.message();
  EXPECT_EQ(std::string_view(buf.data(), read.bytes), "in time");
}

// cancel() ends a pending read with operation_aborted (not a timeout) and leaves the stream usable.
TEST_F(TlsStreamTest, CancelAbortsAPendingRead) {
  std::promise<void> send_now;
  std::jthread client = send_when_told(port, send_now.get_future(), "after");
  auto server = accept_tls();

  server->expires_after(30s);
  std::array<char, 64> buf{};
  Result read;
  server->async_read_some(net::buffer(buf), Record{&read});
  run_for(50ms);
  ASSERT_FALSE(read.done);
  server->cancel();
  ASSERT_TRUE(run_until(read));
  EXPECT_EQ(read.ec, net::error::operation_aborted) << read.ec.message();

  send_now.set_value();
  Result again;
  server->async_read_some(net::buffer(buf), Record{&again});
  ASSERT_TRUE(run_until(again));
  ASSERT_FALSE(again.ec) << again.ec.message();
  EXPECT_EQ(std::string_view(buf.data(), again.bytes), "after");
}

// A peer that ends TCP (FIN) without close_notify: stream_truncated, which Session counts as a
// disconnect (not a malformed request, not a pass). The peer half-closes rather than closes: its
// unread session tickets would turn a close into a reset.
TEST_F(TlsStreamTest, PeerClosingWithoutCloseNotifyIsStreamTruncated) {
  std::promise<void> closed;
  std::promise<void> done;
  std::jthread client([&, finished = done.get_future()]() mutable {
    Peer p;
    if (p.connect_tls(port)) return;
    beast::error_code ec;
    p.raw().shutdown(tcp::socket::shutdown_send, ec);
    closed.set_value();
    finished.wait_for(30s);
  });
  auto server = accept_tls();
  ASSERT_EQ(closed.get_future().wait_for(20s), std::future_status::ready);
  std::array<char, 64> buf{};
  Result read;
  server->expires_after(20s);
  server->async_read_some(net::buffer(buf), Record{&read});
  ASSERT_TRUE(run_until(read));
  EXPECT_EQ(read.ec, ssl::error::stream_truncated) << read.ec.message();
  done.set_value();
}

// Writing to a peer that has gone: a socket error (EPIPE or ECONNRESET), not SIGPIPE. OpenSSL's
// own socket BIO write()s, which raises SIGPIPE, and nothing in this binary ignores the signal:
// a stream that let it through would kill the test (and attestd).
TEST_F(TlsStreamTest, WritingToAPeerThatHasGoneIsASocketError) {
  std::promise<void> closed;
  std::jthread client([&] {
    Peer p;
    if (p.connect_tls(port)) return;
    beast::error_code ec;
    p.raw().close(ec);
    closed.set_value();
  });
  auto server = accept_tls();
  ASSERT_EQ(closed.get_future().wait_for(20s), std::future_status::ready);
  server->expires_after(20s);
  const std::string block(16384, 'x');
  Result write;
  // The first writes may still be accepted by the kernel; the peer's reset turns a later one into
  // an error.
  for (int i = 0; i < 64; ++i) {
    write = Result{};
    server->async_write_some(net::buffer(block), Record{&write});
    ASSERT_TRUE(run_until(write));
    if (write.ec) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(write.ec) << "64 writes to a closed peer succeeded";
  EXPECT_EQ(write.ec.category(), beast::system_category()) << write.ec.message();
  EXPECT_TRUE(write.ec == net::error::broken_pipe || write.ec == net::error::connection_reset) << write.ec.message();
  // Once the reset has been reported, the kernel answers the next write with EPIPE (and SIGPIPE).
  Result again;
  server->async_write_some(net::buffer(block), Record{&again});
  ASSERT_TRUE(run_until(again));
  EXPECT_EQ(again.ec, net::error::broken_pipe) << again.ec.message();
}

// The peer's close_notify is net::error::eof; our shutdown then completes both directions and
// the peer's own shutdown sees ours.
TEST_F(TlsStreamTest, CloseNotifyIsEofAndShutdownCompletes) {
  std::promise<beast::error_code> peer_shutdown;
  std::jthread client([&] {
    Peer p;
    if (auto ec = p.connect_tls(port)) return peer_shutdown.set_value(ec);
    beast::error_code ec;
    p.tls.shutdown(ec);  // sends close_notify, then waits for the server's
    peer_shutdown.set_value(ec);
  });
  auto server = accept_tls();
  server->expires_after(20s);
  std::array<char, 64> buf{};
  Result read;
  server->async_read_some(net::buffer(buf), Record{&read});
  ASSERT_TRUE(run_until(read));
  EXPECT_EQ(read.ec, net::error::eof) << read.ec.message();

  Result shutdown;
  server->async_shutdown(Record{&shutdown});
  ASSERT_TRUE(run_until(shutdown));
  EXPECT_FALSE(shutdown.ec) << shutdown.ec.message();
  EXPECT_EQ(SSL_get_shutdown(server->native_handle()), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  auto peer = peer_shutdown.get_future();
  ASSERT_EQ(peer.wait_for(20s), std::future_status::ready);
  EXPECT_FALSE(peer.get());
}

// Session's close: mark the peer's close_notify as received, so the shutdown completes once ours
// is written, without waiting for a peer that may keep the connection open. The peer reads it.
TEST_F(TlsStreamTest, ShutdownWithoutWaitingForThePeer) {
  std::promise<beast::error_code> peer_read;
  std::promise<void> done;
  std::jthread client([&, finished = done.get_future()]() mutable {
    Peer p;
    if (auto ec = p.connect_tls(port)) return peer_read.set_value(ec);
    std::array<char, 16> sink{};
    beast::error_code ec;
    p.tls.read_some(net::buffer(sink), ec);
    peer_read.set_value(ec);
    finished.wait_for(30s);  // keep the connection open until the server's side is checked
  });
  auto server = accept_tls();
  SSL_set_shutdown(server->native_handle(), SSL_RECEIVED_SHUTDOWN);
  server->expires_after(20s);
  Result shutdown;
  server->async_shutdown(Record{&shutdown});
  ASSERT_TRUE(run_until(shutdown));
  EXPECT_FALSE(shutdown.ec) << shutdown.ec.message();
  auto peer = peer_read.get_future();
  ASSERT_EQ(peer.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(peer.get(), net::error::eof);
  done.set_value();
}

// Plain HTTP sent to the TLS port: the handshake fails at once with OpenSSL's reason, long before
// its deadline, instead of waiting for a ClientHello that never comes.
TEST_F(TlsStreamTest, HandshakeWithPlainHttpFailsCleanly) {
  std::promise<void> done;
  std::jthread client([&, finished = done.get_future()]() mutable {
    Peer p;
    if (p.connect(port)) return;
    beast::error_code ec;
    net::write(p.raw(), net::buffer(std::string_view("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")), ec);
    finished.wait_for(30s);
  });
  auto server = accept();
  server->expires_after(20s);
  Result hs;
  server->async_handshake(ssl::stream_base::server, Record{&hs});
  ASSERT_TRUE(run_until(hs));
  EXPECT_EQ(ssl_reason(hs.ec), SSL_R_HTTP_REQUEST) << hs.ec.message();
  done.set_value();
}

// Random bytes instead of a ClientHello: a TLS error (not a timeout, not a hang, not success).
TEST_F(TlsStreamTest, HandshakeWithGarbageFailsCleanly) {
  std::promise<void> done;
  std::jthread client([&, finished = done.get_future()]() mutable {
    Peer p;
    if (p.connect(port)) return;
    std::string garbage = random_bytes(4096, 4);
    garbage[0] = 0x16;  // a handshake record type, so the record layer reads on into the junk
    beast::error_code ec;
    net::write(p.raw(), net::buffer(garbage), ec);
    finished.wait_for(30s);
  });
  auto server = accept();
  server->expires_after(20s);
  Result hs;
  server->async_handshake(ssl::stream_base::server, Record{&hs});
  ASSERT_TRUE(run_until(hs));
  EXPECT_EQ(hs.ec.category(), net::error::get_ssl_category()) << hs.ec.message();
  EXPECT_NE(ssl_reason(hs.ec), 0) << hs.ec.message();
  done.set_value();
}

// A peer that connects and closes before a ClientHello: stream_truncated.
TEST_F(TlsStreamTest, HandshakeWithPeerGoneIsStreamTruncated) {
  std::jthread client([&] {
    Peer p;
    if (p.connect(port)) return;
    beast::error_code ec;
    p.raw().close(ec);
  });
  auto server = accept();
  server->expires_after(20s);
  Result hs;
  server->async_handshake(ssl::stream_base::server, Record{&hs});
  ASSERT_TRUE(run_until(hs));
  EXPECT_EQ(hs.ec, ssl::error::stream_truncated) << hs.ec.message();
}

// A peer that connects and sends nothing: the handshake ends at its deadline with a timeout.
TEST_F(TlsStreamTest, SilentPeerTimesOutTheHandshake) {
  std::promise<void> done;
  std::jthread client([&, finished = done.get_future()]() mutable {
    Peer p;
    if (p.connect(port)) return;
    finished.wait_for(30s);
  });
  auto server = accept();
  server->expires_after(100ms);
  Result hs;
  server->async_handshake(ssl::stream_base::server, Record{&hs});
  ASSERT_TRUE(run_until(hs));
  EXPECT_EQ(hs.ec, beast::error::timeout) << hs.ec.message();
  done.set_value();
}

// Bytes below TLS (lingering close): read as they arrive, and EOF when the peer closes.
TEST_F(TlsStreamTest, RawReadSeesBytesBelowTls) {
  std::jthread client([&] {
    Peer p;
    if (p.connect(port)) return;
    beast::error_code ec;
    net::write(p.raw(), net::buffer(std::string_view("leftover")), ec);
    p.raw().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16> sink{};
    p.raw().read_some(net::buffer(sink), ec);  // until the server closes
  });
  auto server = accept();
  server->expires_after(20s);
  std::string got;
  std::array<char, 4> buf{};
  for (;;) {
    Result read;
    server->async_read_some_raw(net::buffer(buf), Record{&read});
    ASSERT_TRUE(run_until(read));
    if (read.ec) {
      EXPECT_EQ(read.ec, net::error::eof) << read.ec.message();
      break;
    }
    got.append(buf.data(), read.bytes);
  }
  EXPECT_EQ(got, "leftover");
}

}  // namespace
}  // namespace attestd::server::detail
