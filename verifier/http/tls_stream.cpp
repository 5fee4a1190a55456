#include "tls_stream.h"

#include <sys/socket.h>

#include <openssl/bio.h>

namespace attestd::server::detail {
namespace tls_stream_detail {
namespace {

// OpenSSL's socket BIO write()s, and write() to a connection the peer has reset raises SIGPIPE,
// whose default action ends the process: any client could stop attestd. Asio itself sends with
// MSG_NOSIGNAL; this BIO does the same and is otherwise OpenSSL's socket BIO (read, ctrl for the
// descriptor and the retry flags, create, destroy).
int send_no_signal(BIO* bio, const char* data, int size) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  errno = 0;
  const ssize_t n = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
  BIO_clear_retry_flags(bio);
  if (n <= 0 && BIO_sock_should_retry(static_cast<int>(n)) != 0) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

const BIO_METHOD* socket_method_without_sigpipe() {
  static BIO_METHOD* const method = [] {
    const BIO_METHOD* base = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "attestd socket (MSG_NOSIGNAL)");
    if (m == nullptr) return m;
    if (BIO_meth_set_write(m, send_no_signal) != 1 || BIO_meth_set_read(m, BIO_meth_get_read(base)) != 1 ||
        BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base)) != 1 || BIO_meth_set_create(m, BIO_meth_get_create(base)) != 1 ||
        BIO_meth_set_destroy(m, BIO_meth_get_destroy(base)) != 1) {
      BIO_meth_free(m);
      return static_cast<BIO_METHOD*>(nullptr);
    }
    return m;
  }();
  return method;
}

// A new SSL object on the socket's descriptor, null if OpenSSL cannot allocate one.
SSL* attach(SSL_CTX* context, tcp::socket& socket) {
  beast::error_code ec;
  // OpenSSL calls read()/send() itself: EAGAIN must come back, not block a worker.
  socket.non_blocking(true, ec);
  if (ec) return nullptr;
  const BIO_METHOD* method = socket_method_without_sigpipe();
  if (method == nullptr) return nullptr;
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  // As SSL_set_fd does, but with the BIO above. BIO_NOCLOSE: the socket closes the descriptor.
  BIO_set_fd(bio, socket.native_handle(), BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);  // the SSL object owns the BIO from here
  // RELEASE_BUFFERS: the read buffer goes once a record is consumed and the write buffer once
  // it is flushed, so an idle connection holds neither. PARTIAL_WRITE: a write completes per
  // record, as async_write_some must. ACCEPT_MOVING_WRITE_BUFFER: a retried write may gather its
  // bytes into a different scratch buffer (WriteStep).
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Without read-ahead OpenSSL reads each record with two read() calls, header then body; with
  // it, one read() takes whatever has arrived (SSL_has_pending then reports the unprocessed rest).
  SSL_set_read_ahead(ssl, 1);
  return ssl;
}

}  // namespace

Core::Core(tcp::socket&& s, SSL* native) : socket(std::move(s)), timer(socket.get_executor()), ssl(native) {}

Core::~Core() {
  if (ssl != nullptr) SSL_free(ssl);
}

Outcome Core::failure(int ret, int saved_errno) const {
  const int error = SSL_get_error(ssl, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return Outcome{Want::readable, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return Outcome{Want::writable, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return Outcome{Want::nothing, net::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
      if (const unsigned long e = ERR_get_error(); e != 0) {
        return Outcome{Want::nothing, beast::error_code(static_cast<int>(e), net::error::get_ssl_category()), 0};
      }
      if (saved_errno != 0) return Outcome{Want::nothing, beast::error_code(saved_errno, beast::system_category()), 0};
      // EOF from the socket without a close_notify (OpenSSL before 3.0 reports it this way).
      return Outcome{Want::nothing, ssl::error::stream_truncated, 0};
    }
    case SSL_ERROR_SSL: {
      const unsigned long e = ERR_get_error();
      // OpenSSL 3: EOF without close_notify. A peer that cut the connection short: a disconnect,
      // as Asio's own stream reports it.
      if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return Outcome{Want::nothing, ssl::error::stream_truncated, 0};
      }
      if (e == 0) return Outcome{Want::nothing, beast::error_code(EPROTO, beast::system_category()), 0};
      return Outcome{Want::nothing, beast::error_code(static_cast<int>(e), net::error::get_ssl_category()), 0};
    }
    default:  // WANT_X509_LOOKUP, WANT_ASYNC, ...: callbacks and engines attestd does not use
      return Outcome{Want::nothing, beast::error_code(EPROTO, beast::system_category()), 0};
  }
}

}  // namespace tls_stream_detail

TlsStream::TlsStream(tcp::socket&& socket, ssl::context& context) {
  SSL* native = tls_stream_detail::attach(context.native_handle(), socket);
  core_ = std::make_shared<tls_stream_detail::Core>(std::move(socket), native);
}

TlsStream::~TlsStream() {
  beast::error_code ignored;
  core_->timer.cancel();
  core_->socket.close(ignored);
}

void TlsStream::expires_after(std::chrono::steady_clock::duration after) {
  auto& core = *core_;
  core.expired = false;
  const uint64_t id = ++core.deadline_id;
  core.timer.expires_after(after);  // cancels the previous deadline's wait
  core.timer.async_wait([weak = std::weak_ptr<tls_stream_detail::Core>(core_), id](beast::error_code ec) {
    if (ec) return;  // replaced or cancelled; the stream may be gone, so touch nothing
    auto c = weak.lock();
    // A wait that had already fired when expires_after() replaced it is not the current one.
    if (!c || c->deadline_id != id) return;
    c->expired = true;
    beast::error_code ignored;
    c->socket.cancel(ignored);  // pending waits end; Operation reports them as timeouts
  });
}

void TlsStream::expires_never() {
  ++core_->deadline_id;
  core_->expired = false;
  core_->timer.cancel();
}

void TlsStream::cancel() {
  beast::error_code ignored;
  core_->socket.cancel(ignored);
}

}  // namespace attestd::server::detail
