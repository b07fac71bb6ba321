#include "rpc/tls_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace vtep::rpc {

namespace ssl = boost::asio::ssl;
using ovsdb::make_error;

namespace {

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

ovsdb::Error tls_error(const std::string& details) {
    return make_error("TLS error", details);
}

}  // namespace

ovsdb::Status check_tls_protocols(const std::string& protocols) {
    std::stringstream words(protocols);
    std::string word;
    bool any = false;
    while (std::getline(words, word, ',')) {
        word.erase(0, word.find_first_not_of(" \t"));
        word.erase(word.find_last_not_of(" \t") + 1);
        if (word.empty()) continue;
        if (word != "TLSv1.2" && word != "TLSv1.3")
            return tls_error("protocol \"" + word +
                             "\" is not supported (TLSv1.2 and TLSv1.3 are; older versions are "
                             "refused)");
        any = true;
    }
    if (!any) return tls_error("no TLS protocol enabled (expected TLSv1.2 and/or TLSv1.3)");
    return {};
}

TlsContextSource::TlsContextSource(TlsSettings settings, Log log)
    : settings_(std::move(settings)), log_(std::move(log)) {}

TlsContextSource::FileStamp TlsContextSource::stamp(const std::string& path) {
    FileStamp s;
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
        s.exists = true;
        s.mtime = st.st_mtim;
    }
    return s;
}

bool TlsContextSource::bootstrapping() const {
    return settings_.bootstrap_ca_cert && !settings_.ca_cert.empty() &&
           !stamp(settings_.ca_cert).exists;
}

ovsdb::Result<std::shared_ptr<ssl::context>> TlsContextSource::build() const {
    const TlsSettings& s = settings_;
    if (s.private_key.empty())
        return tls_error("no private key configured (--private-key or tls.private_key)");
    if (s.certificate.empty())
        return tls_error("no certificate configured (--certificate or tls.certificate)");
    if (s.ca_cert.empty())
        return tls_error(
            "no CA certificate configured (--ca-cert, --bootstrap-ca-cert or tls.ca_cert)");
    if (auto ok = check_tls_protocols(s.protocols); !ok) return ok.error();

    auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
    SSL_CTX* native = ctx->native_handle();
    bool v12 = s.protocols.find("TLSv1.2") != std::string::npos;
    bool v13 = s.protocols.find("TLSv1.3") != std::string::npos;
    SSL_CTX_set_min_proto_version(native, v12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(native, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    // A peer that closes its socket without close_notify (a process that dies) ends the
    // stream like a TCP close: JSON-RPC messages delimit themselves, so nothing can be
    // truncated unnoticed.
    SSL_CTX_set_options(
        native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_cipher_list(native, s.ciphers.c_str()) != 1)
        return tls_error("cipher list \"" + s.ciphers + "\": " + openssl_error());

    if (SSL_CTX_use_certificate_chain_file(native, s.certificate.c_str()) != 1)
        return tls_error(s.certificate + ": cannot load certificate: " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(native, s.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
        std::string why = openssl_error();
        if (why.find("key values mismatch") != std::string::npos)
            return tls_error(s.private_key + " does not match certificate " + s.certificate);
        return tls_error(s.private_key + ": cannot load private key: " + why);
    }
    if (SSL_CTX_check_private_key(native) != 1)
        return tls_error(s.private_key + " does not match certificate " + s.certificate);
    if (!s.peer_ca_cert.empty()) {
        FILE* f = std::fopen(s.peer_ca_cert.c_str(), "r");
        if (!f) return tls_error(s.peer_ca_cert + ": cannot open peer CA certificate");
        X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
        std::fclose(f);
        if (!cert) return tls_error(s.peer_ca_cert + ": not a PEM certificate");
        SSL_CTX_add_extra_chain_cert(native, cert);  // takes ownership
    }

    if (stamp(s.ca_cert).exists) {
        if (SSL_CTX_load_verify_locations(native, s.ca_cert.c_str(), nullptr) != 1)
            return tls_error(s.ca_cert + ": cannot load CA certificate: " + openssl_error());
        // Tells clients which CA their certificate must come from.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_cert.c_str()))
            SSL_CTX_set_client_CA_list(native, names);
    } else if (!s.bootstrap_ca_cert) {
        return tls_error(s.ca_cert + ": CA certificate file does not exist");
    }
    // Mutual authentication: both sides present and verify certificates. Streams in
    // bootstrap mode lower this for themselves.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return ctx;
}

ovsdb::Result<std::shared_ptr<ssl::context>> TlsContextSource::context() {
    FileStamp key = stamp(settings_.private_key), cert = stamp(settings_.certificate),
              ca = stamp(settings_.ca_cert), peer_ca = stamp(settings_.peer_ca_cert);
    bool changed = !current_ || !(key == key_stamp_) || !(cert == cert_stamp_) ||
                   !(ca == ca_stamp_) || !(peer_ca == peer_ca_stamp_);
    if (!changed) return current_;
    auto built = build();
    key_stamp_ = key;
    cert_stamp_ = cert;
    ca_stamp_ = ca;
    peer_ca_stamp_ = peer_ca;
    if (!built) {
        std::string why = built.error().details;
        if (why != last_error_ && log_)
            log_(why + (current_ ? "; keeping the previously loaded TLS files" : ""));
        last_error_ = why;
        if (current_) return current_;
        return built.error();
    }
    if (current_ && log_)
        log_("TLS files changed on disk: new connections use the reloaded key and certificates");
    last_error_.clear();
    current_ = *built;
    return current_;
}

ovsdb::Status TlsContextSource::bootstrap_from(SSL* ssl) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    if (!chain || sk_X509_num(chain) == 0)
        return tls_error("cannot bootstrap CA certificate: the peer presented no certificate");
    X509* ca = sk_X509_value(chain, sk_X509_num(chain) - 1);
    if (int err = X509_check_issued(ca, ca); err != X509_V_OK) {
        std::string why = std::string(
                              "cannot bootstrap CA certificate: the last certificate the "
                              "peer presented is not self-signed (") +
                          X509_verify_cert_error_string(err) + ")";
        if (sk_X509_num(chain) < 2)
            why +=
                "; the peer sent only its own certificate: configure it to send its CA "
                "certificate too (e.g. ovsdb-server --peer-ca-cert)";
        return tls_error(why);
    }
    const std::string& path = settings_.ca_cert;
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
    if (fd < 0) {
        if (errno == EEXIST) return {};  // another connection won the race; just reconnect
        return tls_error("cannot bootstrap CA certificate: creating " + path + ": " +
                         std::strerror(errno));
    }
    FILE* f = ::fdopen(fd, "w");
    bool ok = f && PEM_write_X509(f, ca) == 1;
    if (f)
        ok = std::fclose(f) == 0 && ok;
    else
        ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        return tls_error("cannot bootstrap CA certificate: writing " + path + " failed");
    }
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(ca), subject, sizeof subject);
    if (log_) log_("bootstrapped CA certificate " + path + " from the peer: " + subject);
    return {};
}

std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl) {
    std::string text = ec.message();
    if (ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated)
        text = "connection closed by peer during the TLS handshake";
    if (text.find("wrong version number") != std::string::npos ||
        text.find("http request") != std::string::npos)
        text += " (the peer is not speaking TLS: a plaintext client on a TLS port?)";
    if (ssl) {
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
            text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    }
    return text;
}

}  // namespace vtep::rpc
