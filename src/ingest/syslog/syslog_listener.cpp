#include "ticketd/ingest/syslog_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "ticketd/ingest/relp_framer.hpp"
#include "ticketd/ingest/syslog_framer.hpp"
#include "ticketd/ingest/syslog_parser.hpp"
#include "ticketd/net/listen.hpp"
#include "ticketd/net/peer_limiter.hpp"

namespace ticketd::ingest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

constexpr size_t kUdpBatch = 32;
constexpr size_t kReadChunk = 64 * 1024;
constexpr auto kRetryFull = std::chrono::milliseconds(50);

}  // namespace

const char* syslog_kind_name(SyslogListenerOptions::Kind kind) {
  switch (kind) {
    case SyslogListenerOptions::Kind::kUdp:
      return "udp";
    case SyslogListenerOptions::Kind::kTcp:
      return "tcp";
    case SyslogListenerOptions::Kind::kTls:
      return "tls";
    case SyslogListenerOptions::Kind::kRelp:
      return "relp";
  }
  return "?";
}

struct SyslogListener::Impl : std::enable_shared_from_this<SyslogListener::Impl> {
  Impl(asio::io_context& io_ctx, SyslogListenerOptions o, EventSink s, const Clock& c,
       AckedEventSink a)
      : io(io_ctx),
        options(std::move(o)),
        sink(std::move(s)),
        acked_sink(std::move(a)),
        clock(c),
        udp_socket(io_ctx),
        acceptor(io_ctx),
        tls(ssl::context::tls_server),
        accept_backoff(io_ctx),
        peers(options.max_connections_per_peer) {}

  // What every TCP, TLS and RELP connection shares, whatever its stream
  // type: its place in stats.connections and in `peers` (the caller took the
  // peer's slot), a read buffer, and the warning for messages read but never
  // queued, counted when the process stops first. stop() needs stop_reading().
  struct SessionBase {
    SessionBase(std::shared_ptr<Impl> owner, std::string peer)
        : owner_(std::move(owner)), peer_(std::move(peer)), buf_(kReadChunk) {
      ++owner_->stats.connections;
    }
    SessionBase(const SessionBase&) = delete;
    SessionBase& operator=(const SessionBase&) = delete;
    virtual ~SessionBase() {
      owner_->peers.release(peer_);
      --owner_->stats.connections;
      owner_->session_ended(this);
    }
    // Stop reading and hand on what was read; runs on the session's strand.
    virtual void stop_reading() = 0;

   protected:
    // From a derived destructor: `n` messages were read but not queued.
    void lost_at_stop(size_t n, std::string_view consequence) {
      if (n == 0) return;
      owner_->stats.lost_at_stop += n;
      spdlog::warn("{}: {} messages from {} were read but not queued before exit{}",
                   owner_->where(), n, peer_, consequence);
    }

    std::shared_ptr<Impl> owner_;
    std::string peer_;
    std::vector<char> buf_;
  };

  asio::io_context& io;
  SyslogListenerOptions options;
  EventSink sink;
  AckedEventSink acked_sink;  // RELP
  const Clock& clock;
  SyslogStats stats;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  ssl::context tls;
  asio::steady_timer accept_backoff;
  net::AcceptErrors accept_errors{clock};
  net::PeerLimiter peers;
  std::atomic<bool> stopped{false};
  // Live TCP/TLS sessions (for stop()) and the drain callback; guarded by
  // sessions_mu because sessions end on their own strands.
  std::mutex sessions_mu;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  std::function<void()> on_drained;
  std::atomic<int64_t> last_drop_warning{0};
  std::atomic<int64_t> last_refuse_warning{0};
  std::atomic<int64_t> last_malformed_warning{0};
  // UDP receive buffers, reused.
  std::vector<std::vector<char>> buffers;
  std::vector<mmsghdr> headers;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_storage> addrs;
  union Control {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(uint32_t))];
  };
  std::vector<Control> controls;
  uint32_t last_kernel_drops = 0;  // SO_RXQ_OVFL's running count (wraps)

  std::string where() const {
    return std::string("syslog ") + syslog_kind_name(options.kind) + " " + options.host + ":" +
           std::to_string(options.port);
  }

  Event parse(std::string_view msg, const std::string& peer) {
    ++stats.received;
    stats.bytes += msg.size();
    SyslogParse p = parse_syslog(msg, peer, clock.now());
    if (p.malformed) {
      ++stats.malformed;
      net::warn_once_a_minute(clock, last_malformed_warning,
                              where() + ": malformed message from " + peer + ": " + p.error);
    } else {
      ++stats.parsed;
    }
    return std::move(p.event);
  }

  // ---- UDP ----
  void udp_wait() {
    udp_socket.async_wait(udp::socket::wait_read,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec || self->stopped) return;
                            self->udp_drain();
                            self->udp_wait();
                          });
  }

  void udp_drain() {
    const int fd = udp_socket.native_handle();
    for (int round = 0; round < 64; ++round) {  // then yield to other handlers
      for (size_t i = 0; i < kUdpBatch; ++i) {
        iovecs[i] = {buffers[i].data(), buffers[i].size()};
        headers[i] = {};
        headers[i].msg_hdr.msg_iov = &iovecs[i];
        headers[i].msg_hdr.msg_iovlen = 1;
        headers[i].msg_hdr.msg_name = &addrs[i];
        headers[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        headers[i].msg_hdr.msg_control = controls[i].buf;
        headers[i].msg_hdr.msg_controllen = sizeof(controls[i].buf);
      }
      int n = ::recvmmsg(fd, headers.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;  // EAGAIN: drained
      std::vector<Event> events;
      events.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        const auto& h = headers[static_cast<size_t>(i)];
        size_t len = h.msg_len;
        if (h.msg_hdr.msg_flags & MSG_TRUNC) ++stats.truncated;
        udp::endpoint peer;
        std::memcpy(peer.data(), &addrs[static_cast<size_t>(i)],
                    std::min<size_t>(h.msg_hdr.msg_namelen, sizeof(sockaddr_storage)));
        events.push_back(parse(std::string_view(buffers[static_cast<size_t>(i)].data(), len),
                               peer.address().to_string()));
        note_kernel_drops(h.msg_hdr);
      }
      const size_t count = events.size();
      if (Status s = sink(events); !s) {
        stats.dropped += count;
        net::warn_once_a_minute(clock, last_drop_warning,
                                where() + ": dropping messages: " + s.message());
      }
      if (static_cast<size_t>(n) < kUdpBatch) return;
    }
  }

  // SO_RXQ_OVFL: each datagram carries the socket's running count of
  // datagrams the kernel dropped before it was queued (a wrapping uint32).
  void note_kernel_drops(const msghdr& h) {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&h); c;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(c))) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
      uint32_t count = 0;
      std::memcpy(&count, CMSG_DATA(c), sizeof count);
      const uint32_t fresh = count - last_kernel_drops;  // modulo 2^32
      if (fresh != 0 && fresh < (1u << 31)) {
        stats.kernel_dropped += fresh;
        last_kernel_drops = count;
        net::warn_once_a_minute(
            clock, last_drop_warning,
            where() + ": the kernel dropped " + std::to_string(fresh) +
                " datagrams (receive buffer full; raise syslog.udp_receive_buffer)");
      }
    }
  }

  // Asks for options.udp_receive_buffer: SO_RCVBUFFORCE (needs CAP_NET_ADMIN,
  // ignores net.core.rmem_max), else SO_RCVBUF (capped by rmem_max). Logs
  // what the kernel granted.
  void set_udp_receive_buffer() {
    const int fd = udp_socket.native_handle();
    const int want = static_cast<int>(std::min<size_t>(options.udp_receive_buffer, INT_MAX / 2));
    const bool forced = ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) == 0;
    if (!forced) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    int got = 0;
    socklen_t len = sizeof got;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    // The kernel reports twice what it accounts for payload (bookkeeping).
    if (got / 2 < want) {
      spdlog::warn(
          "{}: receive buffer is {} bytes, syslog.udp_receive_buffer asks for {}: raise "
          "net.core.rmem_max "
          "or grant CAP_NET_ADMIN",
          where(), got, want);
    } else {
      spdlog::info("{}: receive buffer {} bytes ({})", where(), got,
                   forced ? "SO_RCVBUFFORCE" : "SO_RCVBUF");
    }
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0) {
      spdlog::warn("{}: cannot enable SO_RXQ_OVFL; kernel drops will not be counted", where());
    }
  }

  // ---- TCP / TLS ----
  template <typename Stream>
  class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
   public:
    // `peer` holds one slot of owner->peers, released on destruction.
    Session(std::shared_ptr<Impl> owner, Stream stream, std::string peer)
        : SessionBase(std::move(owner), std::move(peer)),
          stream_(std::move(stream)),
          framer_(owner_->options.max_message_bytes),
          retry_(stream_.get_executor()) {}
    ~Session() override { lost_at_stop(pending_.size(), ""); }

    void start() {
      owner_->session_started(this, this->shared_from_this());
      if (owner_->stopped) return stop_reading();
      if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        const auto& o = owner_->options;
        beast::get_lowest_layer(stream_).expires_after(
            std::min(o.first_byte_timeout, o.idle_timeout));
        stream_.async_handshake(ssl::stream_base::server,
                                [self = this->shared_from_this()](beast::error_code ec) {
                                  if (ec) {
                                    if (self->stopping_) return;
                                    ++self->owner_->stats.connections_refused;
                                    spdlog::warn("{}: TLS handshake with {} failed: {}",
                                                 self->owner_->where(), self->peer_, ec.message());
                                    return;
                                  }
                                  if (self->stopping_) return;
                                  self->read();
                                });
      } else {
        read();
      }
    }

    void stop_reading() override {
      asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->stopping_ = true;
        // Completes a pending read (or handshake) with operation_aborted;
        // a session waiting for queue space keeps retrying, then ends.
        beast::get_lowest_layer(self->stream_).cancel();
      });
    }

   private:
    void read() {
      // Silent new connections are dropped sooner than idle established ones.
      const auto& o = owner_->options;
      beast::get_lowest_layer(stream_).expires_after(
          got_data_ ? o.idle_timeout : std::min(o.first_byte_timeout, o.idle_timeout));
      stream_.async_read_some(asio::buffer(buf_),
                              [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                                self->on_read(ec, n);
                              });
    }

    void take(std::string_view frame) { pending_.push_back(owner_->parse(frame, peer_)); }

    void on_read(beast::error_code ec, size_t n) {
      if (n > 0) {
        got_data_ = true;
        const uint64_t cut_before = framer_.truncated();
        framer_.feed(std::string_view(buf_.data(), n),
                     [&](std::string_view frame, bool) { take(frame); });
        owner_->stats.truncated += framer_.truncated() - cut_before;
      }
      if (ec) {
        // Connection over (EOF, reset, timeout, stop): the unterminated rest
        // is a message too.
        finish();
        if (ec == beast::error::timeout && !got_data_) {
          spdlog::debug("{}: closing {}: nothing sent within syslog.first_byte_timeout",
                        owner_->where(), peer_);
        } else if (ec != asio::error::eof && ec != beast::error::timeout &&
                   ec != asio::error::operation_aborted && ec != ssl::error::stream_truncated) {
          spdlog::debug("{}: connection from {} ended: {}", owner_->where(), peer_, ec.message());
        }
      }
      deliver();
    }

    void finish() {
      if (closing_) return;
      closing_ = true;
      framer_.finish([&](std::string_view frame, bool) { take(frame); });
    }

    // Hands pending events to the queue; while it is full, stop reading and
    // retry shortly: TCP flow control pushes back on the sender. When
    // stopping, everything read is still handed on before the session ends.
    void deliver() {
      if (!pending_.empty()) {
        Status s = owner_->sink(pending_);  // takes the events only when accepted
        if (!s) {
          retry_.expires_after(kRetryFull);
          retry_.async_wait([self = this->shared_from_this()](const boost::system::error_code& e) {
            if (!e) self->deliver();
          });
          return;
        }
        pending_.clear();
      }
      if (closing_) return;  // the session ends with its last handler
      if (stopping_) {
        finish();
        return deliver();
      }
      read();
    }

    Stream stream_;
    SyslogFramer framer_;
    asio::steady_timer retry_;
    std::vector<Event> pending_;
    bool got_data_ = false;
    bool closing_ = false;   // no more reads; pending_ still to hand on
    bool stopping_ = false;  // the listener stops
  };

  // ---- RELP ----
  // One RELP connection. Each read's "syslog" frames become one submission
  // to acked_sink; answers wait in `answers_`, in arrival order, and go out
  // as the prefix of them that is ready grows. Runs on its strand.
  class RelpSession : public SessionBase, public std::enable_shared_from_this<RelpSession> {
   public:
    RelpSession(std::shared_ptr<Impl> owner, beast::tcp_stream stream, std::string peer)
        : SessionBase(std::move(owner), std::move(peer)),
          stream_(std::move(stream)),
          framer_(owner_->options.max_message_bytes),
          retry_(stream_.get_executor()) {}
    ~RelpSession() override { lost_at_stop(batch_.size(), " (not acknowledged)"); }

    void start() {
      owner_->session_started(this, this->shared_from_this());
      if (owner_->stopped) return stop_reading();
      read();
    }

    void stop_reading() override {
      asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->stopping_ = true;
        // A pending read completes with EOF; answers still being written
        // are not disturbed (cancel() would abort them too).
        beast::error_code ec;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_receive, ec);
        if (!self->reading_ && !self->delivering_) self->end_reading();
      });
    }

   private:
    struct Answer {
      uint64_t txnr = 0;
      std::string text;  // the rsp's DATA
      bool ready = false;
    };
    static std::string rsp(uint64_t txnr, std::string_view data) {
      return std::to_string(txnr) + " rsp " + std::to_string(data.size()) + " " +
             std::string(data) + "\n";
    }

    void read() {
      const auto& o = owner_->options;
      stream_.expires_after(got_data_ ? o.idle_timeout
                                      : std::min(o.first_byte_timeout, o.idle_timeout));
      reading_ = true;
      stream_.async_read_some(asio::buffer(buf_),
                              [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                                self->on_read(ec, n);
                              });
    }

    void on_read(beast::error_code ec, size_t n) {
      reading_ = false;
      if (n > 0 && !read_done_) {
        got_data_ = true;
        Status s = framer_.feed(std::string_view(buf_.data(), n),
                                [&](const RelpFrame& f) { on_frame(f); });
        if (!s) {
          ++owner_->stats.malformed;
          net::warn_once_a_minute(
              owner_->clock, owner_->last_malformed_warning,
              owner_->where() + ": closing the connection from " + peer_ + ": " + s.message());
          read_done_ = true;
        }
      }
      if (ec) {
        if (ec == beast::error::timeout && !got_data_) {
          spdlog::debug("{}: closing {}: nothing sent within syslog.first_byte_timeout",
                        owner_->where(), peer_);
        } else if (ec != asio::error::eof && ec != beast::error::timeout &&
                   ec != asio::error::operation_aborted) {
          spdlog::debug("{}: connection from {} ended: {}", owner_->where(), peer_, ec.message());
        }
        read_done_ = true;
        if (ec != asio::error::eof) broken_ = true;  // no answer can go out
      }
      deliver();
      flush();
    }

    void on_frame(const RelpFrame& f) {
      if (read_done_) return;  // after "close" or an error, the rest is ignored
      const uint64_t seq = next_seq_++;
      answers_.push_back(Answer{f.txnr, {}, false});
      Answer& a = answers_.back();
      if (f.command == "syslog") {
        if (!opened_) {
          a.text = "500 session not open";
          a.ready = true;
          read_done_ = true;
          return;
        }
        batch_.push_back(owner_->parse(f.data, peer_));
        batch_seqs_.push_back(seq);
        return;
      }
      a.ready = true;
      if (f.command == "open") {
        opened_ = true;
        a.text = "200 OK\nrelp_version=0\nrelp_software=ticketd\ncommands=syslog";
      } else if (f.command == "close") {
        a.text = "200 OK";
        read_done_ = true;
        closed_by_client_ = true;
      } else {
        a.text = "500 unsupported command " + std::string(f.command.substr(0, 32));
      }
    }

    // Hands the read "syslog" events to the queue with a completion; while
    // the queue is full, stop reading and retry shortly.
    void deliver() {
      delivering_ = false;
      if (!batch_.empty()) {
        auto seqs = std::make_shared<std::vector<uint64_t>>(std::move(batch_seqs_));
        batch_seqs_.clear();
        auto executor = stream_.get_executor();
        // The completion runs on the committer thread; it hands its
        // reference to the strand, so the session is never destroyed there.
        Status s = owner_->acked_sink(
            batch_, [self = this->shared_from_this(), seqs, executor](const Status& st) mutable {
              asio::post(executor,
                         [self = std::move(self), seqs, st] { self->on_committed(*seqs, st); });
            });
        if (!s) {
          batch_seqs_ = std::move(*seqs);
          delivering_ = true;
          retry_.expires_after(kRetryFull);
          retry_.async_wait([self = this->shared_from_this()](const boost::system::error_code& e) {
            if (!e) self->deliver();
          });
          return;
        }
        batch_.clear();
      }
      if (stopping_) read_done_ = true;
      if (read_done_) return end_reading();
      read();
    }

    void on_committed(const std::vector<uint64_t>& seqs, const Status& st) {
      for (uint64_t seq : seqs) {
        if (seq < first_seq_) continue;  // cannot happen: unanswered entries stay
        Answer& a = answers_[seq - first_seq_];
        a.ready = true;
        if (st) {
          a.text = "200 OK";
        } else {
          a.text = "500 not stored: " + st.message();
        }
      }
      if (!st) {
        // The sender resends what is not acknowledged once it reconnects.
        net::warn_once_a_minute(
            owner_->clock, owner_->last_drop_warning,
            owner_->where() + ": answering 500 to " + peer_ + " and closing: " + st.message());
        if (!read_done_) {
          read_done_ = true;
          beast::error_code ec;
          stream_.socket().shutdown(tcp::socket::shutdown_receive, ec);
        }
      }
      flush();
    }

    void end_reading() {
      read_done_ = true;
      flush();
    }

    // Writes the ready prefix of the answers; once reading ended and every
    // answer went out, says "serverclose" (when the listener stops) and closes.
    void flush() {
      if (writing_ || finished_) return;
      if (broken_) return close();
      out_.clear();
      while (!answers_.empty() && answers_.front().ready) {
        out_ += rsp(answers_.front().txnr, answers_.front().text);
        answers_.pop_front();
        ++first_seq_;
      }
      const bool done_reading = read_done_ && !reading_ && !delivering_ && batch_.empty();
      if (out_.empty() && done_reading && answers_.empty()) {
        if (stopping_ && !closed_by_client_ && !said_serverclose_) {
          said_serverclose_ = true;
          out_ = "0 serverclose 0\n";
        } else {
          return close();
        }
      }
      if (out_.empty()) return;
      writing_ = true;
      asio::async_write(stream_, asio::buffer(out_),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          if (ec) self->broken_ = true;
                          self->flush();
                        });
    }

    void close() {
      if (finished_) return;
      finished_ = true;
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }

    beast::tcp_stream stream_;
    RelpFramer framer_;
    asio::steady_timer retry_;
    std::vector<Event> batch_;          // read, not yet queued
    std::vector<uint64_t> batch_seqs_;  // their answers' sequence numbers
    std::deque<Answer> answers_;
    uint64_t first_seq_ = 0;  // sequence number of answers_.front()
    uint64_t next_seq_ = 0;
    std::string out_;
    bool opened_ = false;
    bool got_data_ = false;
    bool reading_ = false;     // a read is pending
    bool delivering_ = false;  // waiting for queue space
    bool writing_ = false;
    bool read_done_ = false;  // no more reads (EOF, "close", error, stop, failed commit)
    bool closed_by_client_ = false;
    bool stopping_ = false;
    bool broken_ = false;  // the connection failed: nothing can be written
    bool said_serverclose_ = false;
    bool finished_ = false;
  };

  void session_started(SessionBase* s, std::weak_ptr<SessionBase> w) {
    std::lock_guard lock(sessions_mu);
    sessions.emplace(s, std::move(w));
  }

  void session_ended(SessionBase* s) {
    std::function<void()> done;
    {
      std::lock_guard lock(sessions_mu);
      sessions.erase(s);
      if (stopped && sessions.empty() && on_drained) {
        done = std::move(on_drained);
        on_drained = nullptr;
      }
    }
    if (done) asio::post(io, std::move(done));
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec,
                                                                             tcp::socket socket) {
      if (ec == asio::error::operation_aborted || self->stopped) return;
      if (ec) {
        // EMFILE and friends leave the connection queued: pause, or we spin.
        self->accept_errors.record(self->where(), ec);
        self->stats.accept_errors = self->accept_errors.total();
        self->accept_backoff.expires_after(net::kAcceptBackoff);
        self->accept_backoff.async_wait([self](const boost::system::error_code& e) {
          if (!e && !self->stopped) self->accept();
        });
        return;
      }
      self->admit(std::move(socket));
      self->accept();
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    std::string peer = ec ? "unknown" : ep.address().to_string();
    std::string why;
    if (stats.connections >= options.max_connections) {
      why = std::to_string(options.max_connections) + " connections open (syslog.max_connections)";
    } else if (!peers.try_acquire(peer)) {
      why = "it has " + std::to_string(options.max_connections_per_peer) +
            " connections open (syslog.max_connections_per_peer)";
    }
    if (!why.empty()) {
      ++stats.connections_refused;
      net::warn_once_a_minute(clock, last_refuse_warning,
                              where() + ": refusing a connection from " + peer + ": " + why);
      socket.close(ec);
      return;
    }
    if (options.kind == SyslogListenerOptions::Kind::kRelp) {
      std::make_shared<RelpSession>(shared_from_this(), beast::tcp_stream(std::move(socket)), peer)
          ->start();
    } else if (options.kind == SyslogListenerOptions::Kind::kTls) {
      using S = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<S>>(shared_from_this(), S(beast::tcp_stream(std::move(socket)), tls),
                                   peer)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared_from_this(),
                                                   beast::tcp_stream(std::move(socket)), peer)
          ->start();
    }
  }
};

SyslogListener::SyslogListener(asio::io_context& io, SyslogListenerOptions options, EventSink sink,
                               const Clock& clock, AckedEventSink acked_sink)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(sink), clock,
                                   std::move(acked_sink))) {}

SyslogListener::~SyslogListener() {
  stop();
  // Sessions may outlive the listener inside a stopped io_context: never call
  // back into the caller from there.
  std::lock_guard lock(impl_->sessions_mu);
  impl_->on_drained = nullptr;
}

const SyslogStats& SyslogListener::stats() const { return impl_->stats; }
const SyslogListenerOptions& SyslogListener::options() const { return impl_->options; }

Status SyslogListener::start() {
  auto& o = impl_->options;
  beast::error_code ec;
  auto address = net::listen_address(o.host, impl_->where());
  if (!address) return address.error();
  const auto addr = *address;
  if (o.kind == SyslogListenerOptions::Kind::kUdp) {
    udp::endpoint ep(addr, o.port);
    auto& s = impl_->udp_socket;
    s.open(ep.protocol(), ec);
    if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl_->set_udp_receive_buffer();
    if (!ec) s.bind(ep, ec);
    if (!ec) s.non_blocking(true, ec);
    if (ec) return Status::io_error("cannot listen on " + impl_->where() + ": " + ec.message());
    const size_t size = std::min<size_t>(o.max_message_bytes, 65535);
    impl_->buffers.assign(kUdpBatch, std::vector<char>(size));
    impl_->headers.resize(kUdpBatch);
    impl_->iovecs.resize(kUdpBatch);
    impl_->addrs.resize(kUdpBatch);
    impl_->controls.resize(kUdpBatch);
    impl_->udp_wait();
    return Status::ok();
  }
  if (o.kind == SyslogListenerOptions::Kind::kTls) {
    for (const auto& f : {o.tls_cert_file, o.tls_key_file}) {
      std::error_code fec;
      if (!std::filesystem::is_regular_file(f, fec)) {
        return Status::invalid_argument(impl_->where() + ": cannot read " + f + ": no such file");
      }
    }
    auto& ctx = impl_->tls;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec)
      return Status::invalid_argument(impl_->where() + ": cannot load certificate " +
                                      o.tls_cert_file + ": " + ec.message());
    ctx.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec)
      return Status::invalid_argument(impl_->where() + ": cannot load key " + o.tls_key_file +
                                      ": " + ec.message());
  }
  if (Status s = net::listen_tcp(impl_->acceptor, tcp::endpoint(addr, o.port), impl_->where()); !s)
    return s;
  impl_->accept();
  return Status::ok();
}

void SyslogListener::stop(std::function<void()> on_drained) {
  if (!impl_ || impl_->stopped) return;
  auto& impl = *impl_;
  beast::error_code ec;
  if (impl.options.kind == SyslogListenerOptions::Kind::kUdp && impl.udp_socket.is_open()) {
    impl.udp_drain();  // what the kernel already holds, before closing
  }
  std::vector<std::shared_ptr<Impl::SessionBase>> live;
  {
    std::lock_guard lock(impl.sessions_mu);
    impl.stopped = true;
    for (auto& [raw, weak] : impl.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    if (impl.sessions.empty()) {
      if (on_drained) asio::post(impl.io, std::move(on_drained));
    } else {
      impl.on_drained = std::move(on_drained);
    }
  }
  impl.acceptor.close(ec);
  impl.accept_backoff.cancel();
  impl.udp_socket.close(ec);
  for (auto& s : live) s->stop_reading();
}

uint16_t SyslogListener::bound_port() const {
  beast::error_code ec;
  if (impl_->options.kind == SyslogListenerOptions::Kind::kUdp) {
    auto ep = impl_->udp_socket.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace ticketd::ingest
