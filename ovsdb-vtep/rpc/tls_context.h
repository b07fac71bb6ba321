// TLS for every stream (pssl: listeners, ssl: active remotes) with OpenSSL through asio.
// One TlsContextSource serves all of a daemon's TLS remotes: it builds the SSL context
// from the private key, certificate and CA certificate files, re-reads them when they
// change (certificate rotation without restart), and implements ovsdb-server's CA
// bootstrap (trust on first use) for outgoing connections.
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "ovsdb/error.h"

namespace vtep::rpc {

struct TlsSettings {
    std::string private_key;  // PEM files
    std::string certificate;  // this switch's certificate (chain)
    std::string ca_cert;      // CA that peers' certificates must chain to
    // ca_cert does not exist yet: take it from the first controller we connect to (the
    // self-signed root at the end of the chain it presents), write it there, then verify.
    bool bootstrap_ca_cert = false;
    // Sent to peers after our certificate so that they can bootstrap their CA from us.
    std::string peer_ca_cert;
    // Comma-separated "TLSv1.2", "TLSv1.3" (older versions are refused).
    std::string protocols = "TLSv1.2,TLSv1.3";
    // OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults).
    std::string ciphers = "HIGH:!aNULL:!MD5";
};

// Checks the protocol list; the error says what is accepted.
ovsdb::Status check_tls_protocols(const std::string& protocols);

class TlsContextSource {
  public:
    using Log = std::function<void(const std::string&)>;
    TlsContextSource(TlsSettings settings, Log log);

    // The context for a new connection, rebuilt first if a file changed since the last
    // call. A rebuild that fails (say, a key rotated but its certificate not yet) keeps
    // the previous context and logs why; with no usable context this is an error.
    ovsdb::Result<std::shared_ptr<boost::asio::ssl::context>> context();

    // True while the CA certificate is to be bootstrapped (outgoing connections then
    // skip verification once, save the peer's CA, and reconnect verified).
    bool bootstrapping() const;
    // After an unverified client handshake in bootstrap mode: saves the self-signed CA
    // certificate the peer presented. The connection must be dropped either way.
    ovsdb::Status bootstrap_from(SSL* ssl);

    const TlsSettings& settings() const { return settings_; }

  private:
    struct FileStamp {
        bool exists = false;
        timespec mtime{};
        bool operator==(const FileStamp& o) const {
            return exists == o.exists && mtime.tv_sec == o.mtime.tv_sec &&
                   mtime.tv_nsec == o.mtime.tv_nsec;
        }
    };
    static FileStamp stamp(const std::string& path);
    ovsdb::Result<std::shared_ptr<boost::asio::ssl::context>> build() const;

    TlsSettings settings_;
    Log log_;
    std::shared_ptr<boost::asio::ssl::context> current_;
    FileStamp key_stamp_, cert_stamp_, ca_stamp_, peer_ca_stamp_;
    std::string last_error_;
};

// The reason a handshake failed, in words an operator can act on: OpenSSL's reason plus,
// for verification failures, why the certificate was refused ("certificate has expired").
std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl);

}  // namespace vtep::rpc
