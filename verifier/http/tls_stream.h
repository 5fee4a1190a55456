// A TLS stream for Beast whose OpenSSL object reads and writes the socket's descriptor itself
// (issue 10: memory under 1,000 idle keep-alive connections).
//
// Asio's ssl::stream feeds OpenSSL through a BIO pair and two record buffers of its own: about
// 68 KiB per connection before OpenSSL's own buffers, all held for as long as the connection
// lives. Here OpenSSL is given the non-blocking descriptor (a socket BIO, as SSL_set_fd makes,
// that sends with MSG_NOSIGNAL); an operation calls
// SSL_read_ex / SSL_write_ex / SSL_do_handshake / SSL_shutdown and, on WANT_READ / WANT_WRITE,
// waits for the socket to become readable / writable (socket.async_wait) before calling again.
// A read with nothing buffered in OpenSSL waits for readability *before* its first SSL_read
// (unless it continues a message whose previous record was just read, with no write since), so
// an idle connection holds no OpenSSL read buffer (SSL_MODE_RELEASE_BUFFERS frees it once its
// bytes are consumed, and nothing allocates it again until bytes have arrived).
//
// The interface is what Session needs of beast::ssl_stream<beast::tcp_stream>: an AsyncReadStream
// and AsyncWriteStream (so http::async_read_header / async_read / async_write work on it) with
// the handshake, shutdown and the deadlines of beast::tcp_stream: one deadline, set by
// expires_after(), covers every operation started or pending until it is changed; when it passes,
// the pending operations complete with beast::error::timeout, and so does every operation started
// afterwards until expires_after() or expires_never() is called again. Unlike tcp_stream, expiry
// cancels the socket's operations but does not close the socket (the owner closes it by
// destroying the stream).
//
// All operations and the deadline timer run on the socket's executor, which must be a strand when
// more than one thread runs the io_context. At most one read (async_read_some,
// async_read_some_raw or async_shutdown) and one write (async_write_some, or the handshake) may be
// outstanding at a time, as for any Asio stream; the strand keeps OpenSSL calls from overlapping.
//
// Errors: an EOF without close_notify is ssl::error::stream_truncated, a close_notify received is
// net::error::eof, a socket error is its system error, a TLS failure carries OpenSSL's error code
// in net::error::get_ssl_category(), an expired deadline beast::error::timeout and cancel()
// net::error::operation_aborted.
#pragma once

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "beast.h"

namespace attestd::server::detail {

namespace tls_stream_detail {

// The largest TLS plaintext record (RFC 8446 §5.1): the most one SSL_write puts in one record.
inline constexpr size_t kMaxRecordPlaintext = 16384;

// What an operation waits for before it calls OpenSSL again.
enum class Want : uint8_t { nothing, readable, writable };

// One OpenSSL call's outcome: done (`ec` and `bytes` final) or a readiness to wait for.
struct Outcome {
  Want want = Want::nothing;
  beast::error_code ec;
  size_t bytes = 0;
};

// What a stream and its pending operations share. Operations hold it by shared_ptr, so it
// outlives the TlsStream while one is pending; the deadline timer's handler holds it weakly.
struct Core {
  Core(tcp::socket&& s, SSL* native);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // The outcome of an OpenSSL call that returned `ret` (<= 0), with `saved_errno` the errno
  // right after it. Takes OpenSSL's error off the queue.
  Outcome failure(int ret, int saved_errno) const;
  // The error an operation reports for a readiness wait that ended with `ec`.
  [[nodiscard]] beast::error_code wait_error(beast::error_code ec) const {
    return ec == net::error::operation_aborted && expired ? beast::error::timeout : ec;
  }

  tcp::socket socket;
  net::steady_timer timer;
  SSL* ssl;                 // null when OpenSSL could not allocate it: every operation fails
  uint64_t deadline_id = 0;  // which expires_after() call the pending timer wait belongs to
  bool expired = false;     // the current deadline has passed
  // The last read returned data and nothing has been written since: the rest of the message
  // (the next record of a request body) is likely on the socket already.
  bool mid_message = false;
};

// Calls `fn(bytes)` (an SSL_* call returning 1 on success, setting `bytes` if it moves data)
// with a clean error queue and errno, and classifies the result.
template <class Fn>
Outcome call_openssl(const Core& core, Fn&& fn) {
  ERR_clear_error();  // SSL_get_error reads the queue: it must hold only this call's errors
  errno = 0;
  size_t bytes = 0;
  const int ret = fn(bytes);
  const int saved_errno = errno;
  if (ret == 1) return Outcome{Want::nothing, {}, bytes};
  return core.failure(ret, saved_errno);
}

// Drives one operation: `Step` makes one non-blocking attempt (`first(core)` says whether to
// wait for readability before the first one); the operation waits on the socket whenever the
// attempt asks to, and completes on the stream's executor, never inside the initiating call.
template <class Step, bool WithBytes>
class Operation {
 public:
  Operation(std::shared_ptr<Core> core, Step step) : core_(std::move(core)), step_(std::move(step)) {}

  template <class Self>
  void operator()(Self& self, beast::error_code ec = {}) {
    switch (state_) {
      case State::starting: {
        state_ = State::running;
        if (core_->ssl == nullptr) return defer(self, net::error::no_memory, 0);
        if (core_->expired) return defer(self, beast::error::timeout, 0);
        const Want before = step_.first(*core_);
        if (before == Want::nothing) return attempt(self, true);
        if (step_.empty()) return defer(self, {}, 0);
        return wait(self, before, true);
      }
      case State::running:  // a readiness wait ended
        if (ec) return finish(self, false, core_->wait_error(ec), 0);
        return attempt(self, false);
      case State::deferred:
        return complete(self, result_, bytes_);
    }
  }

 private:
  enum class State : uint8_t { starting, running, deferred };

  template <class Self>
  void attempt(Self& self, bool initiating) {
    if (step_.empty()) return finish(self, initiating, {}, 0);
    const Outcome o = step_.attempt(*core_);
    if (o.want == Want::nothing) return finish(self, initiating, o.ec, o.bytes);
    wait(self, o.want, initiating);
  }

  template <class Self>
  void wait(Self& self, Want want, bool initiating) {
    // A deadline that passed while no wait was pending (between two attempts) still counts.
    if (core_->expired) return finish(self, initiating, beast::error::timeout, 0);
    core_->socket.async_wait(want == Want::readable ? tcp::socket::wait_read : tcp::socket::wait_write,
                             std::move(self));
  }

  template <class Self>
  void finish(Self& self, bool initiating, beast::error_code ec, size_t bytes) {
    if (initiating) return defer(self, ec, bytes);
    complete(self, ec, bytes);
  }

  // Completing inside the initiating function would run the caller's handler on its own stack:
  // post the completion to the executor instead.
  template <class Self>
  void defer(Self& self, beast::error_code ec, size_t bytes) {
    state_ = State::deferred;
    result_ = ec;
    bytes_ = bytes;
    net::post(std::move(self));
  }

  template <class Self>
  void complete(Self& self, beast::error_code ec, size_t bytes) {
    // Released first: a handler that destroys the stream frees the socket and the SSL object
    // there and then, not when this operation's storage goes after it returns.
    core_.reset();
    if constexpr (WithBytes) {
      self.complete(ec, bytes);
    } else {
      (void)bytes;
      self.complete(ec);
    }
  }

  std::shared_ptr<Core> core_;
  Step step_;
  State state_ = State::starting;
  beast::error_code result_;
  size_t bytes_ = 0;
};

// The first non-empty buffer of a sequence (Asio's streams read and write one buffer per call).
template <class Buffer, class Sequence>
Buffer first_buffer(const Sequence& buffers) {
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
    Buffer b(*it);
    if (b.size() != 0) return b;
  }
  return Buffer();
}

template <class MutableBufferSequence>
struct ReadStep {
  MutableBufferSequence buffers;
  [[nodiscard]] bool empty() const { return net::buffer_size(buffers) == 0; }
  // Bytes OpenSSL already holds are read at once, and so is the rest of a message being read;
  // otherwise (a connection waiting for its next request) wait for bytes before SSL_read, which
  // would allocate the read buffer only to find the socket empty.
  static Want first(const Core& core) {
    return SSL_has_pending(core.ssl) == 1 || core.mid_message ? Want::nothing : Want::readable;
  }
  Outcome attempt(Core& core) const {
    const auto b = first_buffer<net::mutable_buffer>(buffers);
    Outcome o = call_openssl(core, [&](size_t& out) { return SSL_read_ex(core.ssl, b.data(), b.size(), &out); });
    core.mid_message = o.want == Want::nothing && !o.ec;
    return o;
  }
};

// Where WriteStep gathers small buffers into one record: one per thread, shared by every
// stream (an inline function's static is one object across translation units).
inline std::array<unsigned char, kMaxRecordPlaintext>& write_scratch() {
  thread_local std::array<unsigned char, kMaxRecordPlaintext> scratch;
  return scratch;
}

template <class ConstBufferSequence>
struct WriteStep {
  ConstBufferSequence buffers;
  [[nodiscard]] bool empty() const { return net::buffer_size(buffers) == 0; }
  static Want first(const Core& /*core*/) { return Want::nothing; }
  Outcome attempt(Core& core) const {
    core.mid_message = false;  // an answer: the next read waits for the peer's next message
    // An HTTP response comes as several buffers (header fields, body). Up to one record of them
    // is gathered into a per-thread scratch buffer so they leave as one record and one send,
    // as beast::flat_stream does, without a buffer per connection. A retry after WANT_WRITE
    // gathers the same bytes again, possibly on another thread: OpenSSL allows the move
    // (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) as long as the contents are the same.
    const auto first = first_buffer<net::const_buffer>(buffers);
    const void* data = first.data();
    size_t size = first.size();
    if (size < kMaxRecordPlaintext && size < net::buffer_size(buffers)) {
      auto& scratch = write_scratch();
      size = net::buffer_copy(net::buffer(scratch), buffers);
      data = scratch.data();
    }
    return call_openssl(core, [&](size_t& out) { return SSL_write_ex(core.ssl, data, size, &out); });
  }
};

struct HandshakeStep {
  static bool empty() { return false; }
  static Want first(const Core& /*core*/) { return Want::nothing; }
  static Outcome attempt(const Core& core) {
    return call_openssl(core, [&](size_t&) { return SSL_do_handshake(core.ssl); });
  }
};

struct ShutdownStep {
  static bool empty() { return false; }
  static Want first(const Core& /*core*/) { return Want::nothing; }
  static Outcome attempt(const Core& core) {
    return call_openssl(core, [&](size_t&) {
          // 1: both close_notify alerts are done. 0: ours is sent and the peer's has not
          // arrived; the second call reads it (or asks to wait for it).
          int r = SSL_shutdown(core.ssl);
          if (r == 0) {
            ERR_clear_error();
            r = SSL_shutdown(core.ssl);
            if (r == 0) r = -1;  // not expected after a second call: treat as "read more"
          }
          return r;
        });
  }
};

// Bytes from the socket as they are, below TLS.
template <class MutableBufferSequence>
struct RawReadStep {
  MutableBufferSequence buffers;
  [[nodiscard]] bool empty() const { return net::buffer_size(buffers) == 0; }
  static Want first(const Core& /*core*/) { return Want::readable; }
  Outcome attempt(Core& core) const {
    beast::error_code ec;
    const size_t n = core.socket.read_some(buffers, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) return Outcome{Want::readable, {}, 0};
    return Outcome{Want::nothing, ec, n};
  }
};

}  // namespace tls_stream_detail

class TlsStream {
 public:
  using executor_type = tcp::socket::executor_type;

  // A stream over `socket` (connected, its executor a strand) for a new SSL object of `context`.
  // The context may be released afterwards: the SSL object holds its own reference.
  TlsStream(tcp::socket&& socket, ssl::context& context);
  // Closes the socket: pending operations complete with an error.
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept { return core_->socket.get_executor(); }
  // The OpenSSL object, for the peer certificate and SSL_set_shutdown; null if it could not be
  // allocated (the handshake then fails with net::error::no_memory).
  SSL* native_handle() noexcept { return core_->ssl; }
  // For socket options, the remote endpoint and the TCP shutdown.
  tcp::socket& socket() noexcept { return core_->socket; }

  // Sets the deadline for every operation pending now or started until the next call.
  void expires_after(std::chrono::steady_clock::duration after);
  void expires_never();
  // Pending operations complete with net::error::operation_aborted.
  void cancel();

  // Performs the TLS handshake as the server or the client side. Signature: void(error_code).
  template <class Token>
  auto async_handshake(ssl::stream_base::handshake_type type, Token&& token) {
    if (core_->ssl != nullptr) {
      if (type == ssl::stream_base::server) {
        SSL_set_accept_state(core_->ssl);
      } else {
        SSL_set_connect_state(core_->ssl);
      }
    }
    return start<tls_stream_detail::HandshakeStep, false, Token>(tls_stream_detail::HandshakeStep{}, token);
  }

  // Reads application data into the first non-empty buffer. Signature: void(error_code, size_t).
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return start<tls_stream_detail::ReadStep<MutableBufferSequence>, true, Token>(
        tls_stream_detail::ReadStep<MutableBufferSequence>{buffers}, token);
  }

  // Writes application data from the first non-empty buffer (or up to one record gathered from
  // several small ones): completes once OpenSSL has sent at least one record of it
  // (SSL_MODE_ENABLE_PARTIAL_WRITE), with the bytes sent. Signature: void(error_code, size_t).
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return start<tls_stream_detail::WriteStep<ConstBufferSequence>, true, Token>(
        tls_stream_detail::WriteStep<ConstBufferSequence>{buffers}, token);
  }

  // Sends close_notify and waits for the peer's, unless SSL_set_shutdown(native_handle(),
  // SSL_RECEIVED_SHUTDOWN) said not to. Signature: void(error_code).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return start<tls_stream_detail::ShutdownStep, false, Token>(tls_stream_detail::ShutdownStep{}, token);
  }

  // Reads the bytes that arrive on the socket as they are, below TLS: for draining a peer after
  // our close_notify (lingering close). Under the deadline like every other operation.
  // Signature: void(error_code, size_t).
  template <class MutableBufferSequence, class Token>
  auto async_read_some_raw(const MutableBufferSequence& buffers, Token&& token) {
    return start<tls_stream_detail::RawReadStep<MutableBufferSequence>, true, Token>(
        tls_stream_detail::RawReadStep<MutableBufferSequence>{buffers}, token);
  }

 private:
  // `Token` as the public function deduced it: an lvalue handler (F&) is copied, an rvalue moved.
  template <class Step, bool WithBytes, class Token>
  auto start(Step step, std::remove_reference_t<Token>& token) {
    using Signature = std::conditional_t<WithBytes, void(beast::error_code, size_t), void(beast::error_code)>;
    return net::async_compose<Token, Signature>(tls_stream_detail::Operation<Step, WithBytes>(core_, std::move(step)),
                                                token, core_->socket);
  }

  std::shared_ptr<tls_stream_detail::Core> core_;
};

}  // namespace attestd::server::detail
